#include "tools/dispatchctl/args.h"

#include <charconv>

namespace dispatch::ctl {

Result<Args> Args::parse(int argc, char** argv, int first, const ArgSpec& spec) {
  Args args;
  bool only_positionals = false;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positionals || arg.size() < 3 || arg.rfind("--", 0) != 0) {
      if (arg == "--") {
        only_positionals = true;
        continue;
      }
      args.positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.flags.count(name)) {
      if (value) return make_error(ErrorCode::invalid, "--" + name + " takes no value", name);
      args.flags_.insert(name);
    } else if (spec.options.count(name)) {
      if (!value) {
        if (i + 1 >= argc) {
          return make_error(ErrorCode::invalid, "--" + name + " needs a value", name);
        }
        value = argv[++i];
      }
      args.options_.emplace(name, *value);
    } else {
      return make_error(ErrorCode::invalid, "unknown option --" + name + " (see --help)", name);
    }
  }
  return args;
}

std::optional<std::string> Args::option(const std::string& name) const {
  auto [begin, end] = options_.equal_range(name);
  if (begin == end) return std::nullopt;
  return std::prev(end)->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> values;
  auto [begin, end] = options_.equal_range(name);
  for (auto it = begin; it != end; ++it) values.push_back(it->second);
  return values;
}

std::optional<std::size_t> Args::count_or(const std::string& name, std::size_t fallback) const {
  auto text = option(name);
  if (!text) return fallback;
  std::size_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

std::string Args::option_or(const std::string& name, const std::string& fallback) const {
  return option(name).value_or(fallback);
}

}  // namespace dispatch::ctl
