// Writes JSON text directly, byte for byte as nlohmann::json's dump() would write the same
// document, for the few values written once per order on every replay (order views, folder
// entries): building the document first cost more than the rest of projecting an order.
// The caller writes object keys in sorted order, as dump() does (its objects are std::maps).
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "engine/json_fields.h"

namespace dispatch::detail {

class JsonText {
 public:
  // `capacity`: the text's expected size, reserved at once rather than grown by doubling.
  explicit JsonText(std::size_t capacity = 256) { out_.reserve(capacity); }

  // dump() refuses a string that is not UTF-8 (it throws); the caller then writes the document
  // the general way, which throws as before.
  bool valid() const { return valid_; }
  std::string take() { return std::move(out_); }

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // `k` is one of the caller's own names, which need no escapes, so it is copied as it is.
  void key(std::string_view k) {
    separate();
    out_ += '"';
    out_ += k;
    out_ += "\":";
    after_key_ = true;
  }

  void string(std::string_view s) {
    separate();
    write_string(s);
  }
  void null() {
    separate();
    out_ += "null";
  }
  void boolean(bool b) {
    separate();
    out_ += b ? "true" : "false";
  }
  void uint64(std::uint64_t v) {
    separate();
    out_ += std::to_string(v);
  }
  void int64(std::int64_t v) {
    separate();
    out_ += std::to_string(v);
  }
  // dump()'s shortest round-trip form ("22.27", "0.0"), from dump() itself.
  void number(double d) {
    separate();
    out_ += nlohmann::json(d).dump();
  }

 private:
  void separate() {
    if (after_key_) {
      after_key_ = false;
    } else if (need_comma_) {
      out_ += ',';
    }
    need_comma_ = true;
  }
  void open(char c) {
    separate();
    out_ += c;
    need_comma_ = false;
  }
  void close(char c) {
    out_ += c;
    need_comma_ = true;
  }
  // dump()'s escapes with ensure_ascii off: the two-character ones, \u00XX (lowercase) for the
  // other control characters, everything else as it is. Runs of characters written as they are
  // are appended at once: order views are mostly such runs, and appending them a byte at a time
  // was about 6% of the committer's instructions (callgrind of `dispatchctl apply`).
  void write_string(std::string_view s) {
    out_ += '"';
    bool ascii = true;
    std::size_t run = 0;  // where the characters not yet appended begin
    for (std::size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') {
        if (c >= 0x80) ascii = false;
        continue;
      }
      out_.append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out_ += "\\\"";
          break;
        case '\\':
          out_ += "\\\\";
          break;
        case '\b':
          out_ += "\\b";
          break;
        case '\f':
          out_ += "\\f";
          break;
        case '\n':
          out_ += "\\n";
          break;
        case '\r':
          out_ += "\\r";
          break;
        case '\t':
          out_ += "\\t";
          break;
        default: {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out_ += buf;
        }
      }
    }
    out_.append(s.data() + run, s.size() - run);
    out_ += '"';
    if (!ascii && !is_valid_utf8(s)) valid_ = false;
  }

  std::string out_;
  bool need_comma_ = false;
  bool after_key_ = false;
  bool valid_ = true;
};

// to_json(Customer) (types.cc): the optional parts only when not empty.
inline void write_customer(JsonText& j, const Customer& c) {
  j.begin_object();
  j.key("address");
  j.string(c.address);
  if (!c.city.empty()) {
    j.key("city");
    j.string(c.city);
  }
  if (!c.district.empty()) {
    j.key("district");
    j.string(c.district);
  }
  j.key("name");
  j.string(c.name);
  j.key("phone");
  j.string(c.phone);
  if (!c.province.empty()) {
    j.key("province");
    j.string(c.province);
  }
  j.end_object();
}

}  // namespace dispatch::detail
