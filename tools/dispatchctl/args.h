// A small command-line parser: positionals, `--name value` / `--name=value` options (repeatable),
// and boolean flags. Unknown options are reported, not ignored, so a typo never acts silently.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/status.h"

namespace dispatch::ctl {

struct ArgSpec {
  std::set<std::string> options;  // take a value, e.g. "data", "limit"
  std::set<std::string> flags;    // take none, e.g. "json", "help"
};

class Args {
 public:
  // Parses argv[first..]; `invalid` naming the option on an unknown option or a missing value.
  static Result<Args> parse(int argc, char** argv, int first, const ArgSpec& spec);

  const std::vector<std::string>& positionals() const { return positionals_; }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> option(const std::string& name) const;  // the last one given
  std::vector<std::string> all(const std::string& name) const;       // every one, in order
  std::string option_or(const std::string& name, const std::string& fallback) const;
  // A whole-number option: `fallback` when absent, nullopt when it is not a number.
  std::optional<std::size_t> count_or(const std::string& name, std::size_t fallback) const;

 private:
  std::vector<std::string> positionals_;
  std::multimap<std::string, std::string> options_;
  std::set<std::string> flags_;
};

}  // namespace dispatch::ctl
