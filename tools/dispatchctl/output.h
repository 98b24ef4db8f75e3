// Human output: aligned tables that count CJK characters as two columns, the human forms of the
// contract's JSON answers, and a progress bar for long runs on a terminal.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dispatch::ctl {

// The JSON as one line; bytes that are not UTF-8 become U+FFFD instead of failing the output.
std::string json_line(const nlohmann::json& value);
// The field as table text: strings as they are, other values as JSON, absent or null as "".
std::string str(const nlohmann::json& j, const char* key);

// Terminal columns a UTF-8 string takes (East Asian wide characters count two).
std::size_t display_width(const std::string& text);

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

void print_folder(std::ostream& out, const nlohmann::json& page);
void print_order(std::ostream& out, const nlohmann::json& order);
void print_stats(std::ostream& out, const nlohmann::json& stats);
void print_verify(std::ostream& out, const nlohmann::json& report);
// One line per reply of `apply` for people: "✓ cmd-1 AZ…" or "✗ cmd-2 forbidden: …".
void print_reply(std::ostream& out, std::size_t line, const nlohmann::json& reply);

// Draws "label [#####.....] done/total" on stderr when it is a terminal; silent otherwise.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void update(std::uint64_t done, std::uint64_t total);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace dispatch::ctl
