// Commands to and from JSON (schemas/commands/). Presence and type of every field are checked
// here; the workflow's rules (who may act, in which state, non-empty names, positive quantities)
// are decide()'s.
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "engine/command.h"
#include "engine/json_fields.h"

namespace dispatch {
namespace {
using json = nlohmann::json;
using detail::FieldError;
using detail::Obj;
using detail::put_if_not_empty;

// ---- reading each command's fields (besides the envelope) ----

void read(const Obj& o, cmd::RegisterUnit& c) {
  c.unit_id = o.id<UnitId>("unit_id");
  c.name = o.str("name");
  c.kind = o.enumeration<UnitKind, 5>("kind", parse_unit_kind);
  c.parent = o.opt_id<UnitId>("parent");
}
void read(const Obj& o, cmd::LinkServiceOutlet& c) {
  c.sales_unit = o.id<UnitId>("sales_unit");
  c.service_outlet = o.id<UnitId>("service_outlet");
}
void read(const Obj& o, cmd::RegisterStaff& c) {
  c.staff_id = o.id<StaffId>("staff_id");
  c.unit = o.id<UnitId>("unit");
  c.name = o.str("name");
  c.phone = o.str("phone");
}
void read(const Obj& o, cmd::CreateOrder& c) {
  c.order_id = o.opt_id<OrderId>("order_id");
  c.kind = o.enumeration<OrderKind, 2>("kind", parse_order_kind);
  c.customer = detail::read_customer(o.object("customer"));
  c.items = detail::read_items(o, "items");
  if (o.optional("source", "an object") != nullptr) {
    c.source = detail::read_source(o.object("source"));
  }
  c.note = o.str_or_empty("note");
  c.unit = o.opt_id<UnitId>("unit");
}
void read(const Obj& o, cmd::DispatchToUnit& c) {
  c.order_ids = o.id_list<OrderId>("order_ids", true);
  c.unit = o.id<UnitId>("unit");
}
void read(const Obj& o, cmd::AssignTechnicians& c) {
  c.order_ids = o.id_list<OrderId>("order_ids", true);
  c.primary = o.id<StaffId>("primary");
  c.assistants = o.opt_id_list<StaffId>("assistants");
}
void read(const Obj& o, cmd::AcceptOrder& c) { c.order_id = o.id<OrderId>("order_id"); }
void read(const Obj& o, cmd::RefuseOrder& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.reason = o.str("reason");
}
void read(const Obj& o, cmd::CheckIn& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.lat = o.number_in("lat", -90, 90);
  c.lon = o.number_in("lon", -180, 180);
}
void read(const Obj& o, cmd::CaptureUnit& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.unit = detail::read_captured(o);
}
void read(const Obj& o, cmd::CompleteOrder& c) { c.order_id = o.id<OrderId>("order_id"); }
void read(const Obj& o, cmd::ReportCompletion& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.units = detail::read_captured_list(o, "units");
}
void read(const Obj& o, cmd::CloseOrder& c) { c.order_id = o.id<OrderId>("order_id"); }
void read(const Obj& o, cmd::AddFeedback& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.text = o.str("text");
}
void read(const Obj& o, cmd::RequestReassignment& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.reason = o.str("reason");
}
void read(const Obj& o, cmd::ApproveReassignment& c) { c.order_id = o.id<OrderId>("order_id"); }
void read(const Obj& o, cmd::RejectReassignment& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.reason = o.str("reason");
}
void read(const Obj& o, cmd::CancelOrder& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.reason = o.str("reason");
}
void read(const Obj& o, cmd::RouteRegion& c) {
  c.province = o.str("province");
  c.city = o.str_or_empty("city");
  c.district = o.str_or_empty("district");
  c.unit = o.id<UnitId>("unit");
}
void read(const Obj& o, cmd::ChangePassword& c) { c.account = o.id<AccountId>("account"); }
void read(const Obj& o, cmd::ResetPassword& c) { c.account = o.id<AccountId>("account"); }
void read(const Obj& o, cmd::ChangeCustomerAddress& c) {
  c.order_id = o.id<OrderId>("order_id");
  c.customer = detail::read_customer(o.object("customer"));
}

// ---- writing them; absent optionals are left out ----

void write(json& j, const cmd::RegisterUnit& c) {
  j["unit_id"] = c.unit_id;
  j["name"] = c.name;
  j["kind"] = c.kind;
  if (c.parent) j["parent"] = *c.parent;
}
void write(json& j, const cmd::LinkServiceOutlet& c) {
  j["sales_unit"] = c.sales_unit;
  j["service_outlet"] = c.service_outlet;
}
void write(json& j, const cmd::RegisterStaff& c) {
  j["staff_id"] = c.staff_id;
  j["unit"] = c.unit;
  j["name"] = c.name;
  j["phone"] = c.phone;
}
void write(json& j, const cmd::CreateOrder& c) {
  if (c.order_id) j["order_id"] = *c.order_id;
  j["kind"] = c.kind;
  j["customer"] = c.customer;
  j["items"] = c.items;
  if (c.source) j["source"] = *c.source;
  put_if_not_empty(j, "note", c.note);
  if (c.unit) j["unit"] = *c.unit;
}
void write(json& j, const cmd::DispatchToUnit& c) {
  j["order_ids"] = c.order_ids;
  j["unit"] = c.unit;
}
void write(json& j, const cmd::AssignTechnicians& c) {
  j["order_ids"] = c.order_ids;
  j["primary"] = c.primary;
  if (!c.assistants.empty()) j["assistants"] = c.assistants;
}
void write(json& j, const cmd::AcceptOrder& c) { j["order_id"] = c.order_id; }
void write(json& j, const cmd::RefuseOrder& c) {
  j["order_id"] = c.order_id;
  j["reason"] = c.reason;
}
void write(json& j, const cmd::CheckIn& c) {
  j["order_id"] = c.order_id;
  j["lat"] = c.lat;
  j["lon"] = c.lon;
}
void write(json& j, const cmd::CaptureUnit& c) {
  j["order_id"] = c.order_id;
  detail::write_captured_flat(j, c.unit);
}
void write(json& j, const cmd::CompleteOrder& c) { j["order_id"] = c.order_id; }
void write(json& j, const cmd::ReportCompletion& c) {
  j["order_id"] = c.order_id;
  j["units"] = c.units;
}
void write(json& j, const cmd::CloseOrder& c) { j["order_id"] = c.order_id; }
void write(json& j, const cmd::AddFeedback& c) {
  j["order_id"] = c.order_id;
  j["text"] = c.text;
}
void write(json& j, const cmd::RequestReassignment& c) {
  j["order_id"] = c.order_id;
  j["reason"] = c.reason;
}
void write(json& j, const cmd::ApproveReassignment& c) { j["order_id"] = c.order_id; }
void write(json& j, const cmd::RejectReassignment& c) {
  j["order_id"] = c.order_id;
  j["reason"] = c.reason;
}
void write(json& j, const cmd::CancelOrder& c) {
  j["order_id"] = c.order_id;
  j["reason"] = c.reason;
}
void write(json& j, const cmd::RouteRegion& c) {
  j["province"] = c.province;
  put_if_not_empty(j, "city", c.city);
  put_if_not_empty(j, "district", c.district);
  j["unit"] = c.unit;
}
void write(json& j, const cmd::ChangePassword& c) { j["account"] = c.account; }
void write(json& j, const cmd::ResetPassword& c) { j["account"] = c.account; }
void write(json& j, const cmd::ChangeCustomerAddress& c) {
  j["order_id"] = c.order_id;
  j["customer"] = c.customer;
}

// The body of alternative `index`, read from `o`.
template <std::size_t I>
CommandBody read_alternative(const Obj& o) {
  std::variant_alternative_t<I, CommandBody> body;
  read(o, body);
  return CommandBody(std::in_place_index<I>, std::move(body));
}
template <std::size_t... I>
CommandBody read_body(std::size_t index, const Obj& o, std::index_sequence<I...>) {
  using Reader = CommandBody (*)(const Obj&);
  constexpr Reader readers[] = {&read_alternative<I>...};
  return readers[index](o);
}

std::string known_types() {
  std::string names;
  for (std::size_t i = 0; i < std::variant_size_v<CommandBody>; ++i) {
    if (i > 0) names += ", ";
    names += command_type_name(i);
  }
  return names;
}

Command parse_or_throw(const json& j) {
  Obj o(j, "", "A command");
  Command c;
  c.id = o.id<CommandId>("id");
  const std::string type = o.str("type");
  c.actor = o.id<AccountId>("actor");
  if (const auto* at = o.optional("at", "an RFC 3339 date-time string")) {
    c.at = detail::as_string(*at, "at");
    if (!is_rfc3339(c.at)) {
      throw FieldError{
          "Field 'at' must be an RFC 3339 date-time such as "
          "2015-01-08T09:30:00+08:00; '" +
              c.at + "' is not.",
          "at"};
    }
  }
  constexpr std::size_t n = std::variant_size_v<CommandBody>;
  std::size_t index = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (command_type_name(i) == type) index = i;
  }
  if (index == n) {
    throw FieldError{
        "Unknown command type '" + type + "'; it must be one of " + known_types() + ".", "type"};
  }
  c.body = read_body(index, o, std::make_index_sequence<n>{});
  return c;
}

// Digits of `s` at [pos, pos + n) as a number, or -1.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : kDays[m - 1];
}
}  // namespace

Result<Command> parse_command(const json& j) {
  try {
    return parse_or_throw(j);
  } catch (const FieldError& e) {
    return make_error(ErrorCode::invalid, e.message, e.field);
  } catch (const json::exception& e) {
    // Not expected: every read above checks types first. Kept so nothing escapes.
    return make_error(ErrorCode::invalid,
                      std::string("The command could not be read: ") + e.what());
  }
}

Result<Command> parse_command_text(std::string_view text) {
  json j;
  try {
    j = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return make_error(ErrorCode::invalid,
                      std::string("The command is not valid JSON: ") + e.what());
  }
  return parse_command(j);
}

json to_json(const Error& e) {
  json j{{"code", to_string(e.code)}, {"message", e.message}};
  if (!e.field.empty()) j["field"] = e.field;
  return j;
}

json to_json(const Command& c) {
  json j = json::object();
  j["id"] = c.id;
  j["type"] = std::string(c.type());
  j["actor"] = c.actor;
  put_if_not_empty(j, "at", c.at);
  std::visit([&j](const auto& body) { write(j, body); }, c.body);
  return j;
}

// date-time per RFC 3339 section 5.6: full-date "T" full-time, where time-offset is "Z" or
// +hh:mm / -hh:mm and a fraction of a second is optional. "T" and "Z" may be lower case (5.6,
// NOTE). Day numbers are checked against the month and leap years; a leap second (:60) is
// accepted only where one can occur, at 23:59:60 UTC.
bool is_rfc3339(std::string_view s) {
  const int year = digits(s, 0, 4);
  const int month = digits(s, 5, 2);
  const int day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2);
  const int minute = digits(s, 14, 2);
  const int second = digits(s, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0) {
    return false;
  }
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':') {
    return false;
  }
  if (day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 60) return false;
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return false;
  }
  if (pos >= s.size()) return false;
  int offset = 0;  // minutes east of UTC
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int oh = digits(s, pos + 1, 2);
    const int om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return false;
    offset = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  if (second == 60) {
    const int utc_minute = ((hour * 60 + minute - offset) % 1440 + 1440) % 1440;
    if (utc_minute != 23 * 60 + 59) return false;
  }
  return true;
}

}  // namespace dispatch
