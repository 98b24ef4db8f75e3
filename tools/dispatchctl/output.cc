#include "tools/dispatchctl/output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "projections/folders.h"

namespace dispatch::ctl {
namespace {
using json = nlohmann::json;

std::string label_of(const std::string& folder) {
  auto f = parse_folder(folder);
  return f ? std::string(folder_info(*f).label) : folder;
}

bool is_wide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
}
}  // namespace

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string json_line(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    char32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xC0) {
      len = 2;
      cp = c & 0x1F;
    }
    for (std::size_t k = 1; k < len && i + k < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    width += is_wide(cp) ? 2 : 1;
    i += len;
  }
  return width;
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header);
  for (const auto& row : rows) measure(row);
  auto line = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      out << row[i];
      if (i + 1 < row.size()) out << std::string(widths[i] - display_width(row[i]) + 2, ' ');
    }
    out << '\n';
  };
  line(header);
  for (const auto& row : rows) line(row);
}

void print_folder(std::ostream& out, const json& page) {
  out << str(page, "owner") << " · " << label_of(str(page, "folder")) << " (" << str(page, "folder")
      << ") · " << str(page, "total") << " orders\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : page.at("orders")) {
    const json& c = o.value("customer", json::object());
    rows.push_back({str(o, "order_id"), str(o, "kind"), str(o, "status"), str(o, "holder"),
                    str(c, "name"), str(c, "phone"), str(o, "updated_at")});
  }
  if (!rows.empty()) {
    print_table(out,
                {"信息编号 order", "kind", "status", "holder", "客户 customer", "phone", "updated"},
                rows);
  }
  if (!page.at("next").is_null()) out << "more: --after " << str(page, "next") << '\n';
}

void print_order(std::ostream& out, const json& o) {
  const json& c = o.value("customer", json::object());
  out << "信息编号 " << str(o, "order_id") << "  " << str(o, "kind") << "  " << str(o, "status")
      << '\n'
      << "holder " << str(o, "holder") << "   primary " << str(o, "primary") << "   assistants "
      << str(o, "assistants") << '\n'
      << "customer " << str(c, "name") << "  " << str(c, "phone") << "  " << str(c, "province")
      << str(c, "city") << str(c, "district") << str(c, "address") << '\n';
  for (const auto& item : o.value("items", json::array())) {
    out << "item " << str(item, "model") << " × " << str(item, "quantity") << '\n';
  }
  for (const auto& u : o.value("units", json::array())) {
    out << "unit indoor " << str(u, "indoor_barcode") << "  outdoor " << str(u, "outdoor_barcode")
        << "  photos " << u.value("photos", json::array()).size() << '\n';
  }
  for (const auto& f : o.value("feedback", json::array())) {
    out << "过程反馈 " << str(f, "at") << " " << str(f, "actor") << ": " << str(f, "text") << '\n';
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& e : o.value("history", json::array())) {
    rows.push_back({str(e, "position"), str(e, "at"), str(e, "type"), str(e, "actor")});
  }
  out << "history:\n";
  print_table(out, {"position", "at", "event", "actor"}, rows);
}

void print_stats(std::ostream& out, const json& s) {
  out << "unit " << str(s, "unit") << '\n';
  std::vector<std::vector<std::string>> rows;
  for (const auto& info : all_folders()) {
    if (info.owner_kind != OwnerKind::unit) continue;
    std::string name(info.name);
    rows.push_back({std::string(info.label), name, s.at("own").value(name, json(0)).dump(),
                    s.at("subtree").value(name, json(0)).dump()});
  }
  print_table(out, {"folder", "", "own", "subtree"}, rows);
}

void print_verify(std::ostream& out, const json& r) {
  out << (r.value("ok", false) ? "OK: " : "PROBLEMS: ") << str(r, "events") << " events, head "
      << str(r.at("head"), "position") << ":" << str(r.at("head"), "hash") << '\n';
  for (const auto& p : r.at("problems")) {
    out << "  " << str(p, "where");
    if (p.contains("position")) out << " at position " << str(p, "position");
    if (p.contains("key")) out << " key " << str(p, "key");
    out << ": " << str(p, "message") << '\n';
  }
}

void print_reply(std::ostream& out, std::size_t line, const json& reply) {
  out << "line " << line << ": ";
  if (reply.value("ok", false)) {
    out << "ok " << str(reply, "id");
    for (const auto& id : reply.value("order_ids", json::array()))
      out << ' ' << id.get<std::string>();
    if (reply.value("duplicate", false)) out << " (duplicate: applied before)";
  } else {
    const json& e = reply.value("error", json::object());
    out << "refused " << str(reply, "id") << " " << str(e, "code") << ": " << str(e, "message");
  }
  out << '\n';
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), enabled_(isatty(STDERR_FILENO) == 1) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::cerr << '\n';
}

void ProgressBar::update(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  constexpr int kWidth = 40;
  int filled = total == 0 ? kWidth : static_cast<int>(kWidth * std::min(done, total) / total);
  std::cerr << '\r' << label_ << " [" << std::string(filled, '#')
            << std::string(kWidth - filled, '.') << "] " << done << '/' << total << std::flush;
  drawn_ = true;
}

}  // namespace dispatch::ctl
