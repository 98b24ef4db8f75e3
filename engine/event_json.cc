// Events to and from their flat JSON form (schemas/events/): the envelope's keys beside the
// payload's. Absent optionals (parent, source) and empty optional strings (note, city, district)
// are left out. Reading ignores fields it does not know, such as the log's prev_hash and hash.
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "engine/command.h"
#include "engine/event.h"
#include "engine/json_fields.h"

namespace dispatch {
namespace {
using json = nlohmann::json;
using detail::FieldError;
using detail::Obj;
using detail::put_if_not_empty;

// ---- reading each event's payload ----

void read(const Obj& o, ev::UnitRegistered& e) {
  e.unit_id = o.id<UnitId>("unit_id");
  e.name = o.str("name");
  e.kind = o.enumeration<UnitKind, 5>("kind", parse_unit_kind);
  e.parent = o.opt_id<UnitId>("parent");
}
void read(const Obj& o, ev::ServiceOutletLinked& e) {
  e.sales_unit = o.id<UnitId>("sales_unit");
  e.service_outlet = o.id<UnitId>("service_outlet");
}
void read(const Obj& o, ev::StaffRegistered& e) {
  e.staff_id = o.id<StaffId>("staff_id");
  e.unit = o.id<UnitId>("unit");
  e.name = o.str("name");
  e.phone = o.str("phone");
}
void read(const Obj& o, ev::RegionRouted& e) {
  e.province = o.str("province");
  e.city = o.str_or_empty("city");
  e.district = o.str_or_empty("district");
  e.unit = o.id<UnitId>("unit");
}
void read(const Obj& o, ev::OrderCreated& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.kind = o.enumeration<OrderKind, 2>("kind", parse_order_kind);
  e.unit = o.id<UnitId>("unit");
  e.customer = detail::read_customer(o.object("customer"));
  e.items = detail::read_items(o, "items");
  if (o.optional("source", "an object") != nullptr) {
    e.source = detail::read_source(o.object("source"));
  }
  e.note = o.str_or_empty("note");
}
void read(const Obj& o, ev::DispatchedToUnit& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.from = o.id<UnitId>("from");
  e.unit = o.id<UnitId>("unit");
}
void read(const Obj& o, ev::TechniciansAssigned& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.primary = o.id<StaffId>("primary");
  e.assistants = o.id_list<StaffId>("assistants", false);
}
void read(const Obj& o, ev::OrderAccepted& e) { e.order_id = o.id<OrderId>("order_id"); }
void read(const Obj& o, ev::OrderRefused& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.reason = o.str("reason");
}
void read(const Obj& o, ev::CheckedIn& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.lat = o.number_in("lat", -90, 90);
  e.lon = o.number_in("lon", -180, 180);
}
void read(const Obj& o, ev::UnitCaptured& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.unit = detail::read_captured(o);
}
void read(const Obj& o, ev::OrderCompleted& e) { e.order_id = o.id<OrderId>("order_id"); }
void read(const Obj& o, ev::CompletionReported& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.units = detail::read_captured_list(o, "units");
}
void read(const Obj& o, ev::OrderClosed& e) { e.order_id = o.id<OrderId>("order_id"); }
void read(const Obj& o, ev::FeedbackAdded& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.text = o.str("text");
}
void read(const Obj& o, ev::ReassignmentRequested& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.reason = o.str("reason");
}
void read(const Obj& o, ev::ReassignmentApproved& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.returned_to = o.id<UnitId>("returned_to");
}
void read(const Obj& o, ev::ReassignmentRejected& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.reason = o.str("reason");
}
void read(const Obj& o, ev::OrderCancelled& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.reason = o.str("reason");
}
void read(const Obj& o, ev::PasswordChanged& e) { e.account = o.id<AccountId>("account"); }
void read(const Obj& o, ev::PasswordReset& e) { e.account = o.id<AccountId>("account"); }
void read(const Obj& o, ev::CustomerAddressChanged& e) {
  e.order_id = o.id<OrderId>("order_id");
  e.customer = detail::read_customer(o.object("customer"));
}

// ---- writing them ----

void write(json& j, const ev::UnitRegistered& e) {
  j["unit_id"] = e.unit_id;
  j["name"] = e.name;
  j["kind"] = e.kind;
  if (e.parent) j["parent"] = *e.parent;
}
void write(json& j, const ev::ServiceOutletLinked& e) {
  j["sales_unit"] = e.sales_unit;
  j["service_outlet"] = e.service_outlet;
}
void write(json& j, const ev::StaffRegistered& e) {
  j["staff_id"] = e.staff_id;
  j["unit"] = e.unit;
  j["name"] = e.name;
  j["phone"] = e.phone;
}
void write(json& j, const ev::RegionRouted& e) {
  j["province"] = e.province;
  put_if_not_empty(j, "city", e.city);
  put_if_not_empty(j, "district", e.district);
  j["unit"] = e.unit;
}
void write(json& j, const ev::OrderCreated& e) {
  j["order_id"] = e.order_id;
  j["kind"] = e.kind;
  j["unit"] = e.unit;
  j["customer"] = e.customer;
  j["items"] = e.items;
  if (e.source) j["source"] = *e.source;
  put_if_not_empty(j, "note", e.note);
}
void write(json& j, const ev::DispatchedToUnit& e) {
  j["order_id"] = e.order_id;
  j["from"] = e.from;
  j["unit"] = e.unit;
}
void write(json& j, const ev::TechniciansAssigned& e) {
  j["order_id"] = e.order_id;
  j["primary"] = e.primary;
  j["assistants"] = e.assistants;  // always present, possibly empty
}
void write(json& j, const ev::OrderAccepted& e) { j["order_id"] = e.order_id; }
void write(json& j, const ev::OrderRefused& e) {
  j["order_id"] = e.order_id;
  j["reason"] = e.reason;
}
void write(json& j, const ev::CheckedIn& e) {
  j["order_id"] = e.order_id;
  j["lat"] = e.lat;
  j["lon"] = e.lon;
}
void write(json& j, const ev::UnitCaptured& e) {
  j["order_id"] = e.order_id;
  detail::write_captured_flat(j, e.unit);
}
void write(json& j, const ev::OrderCompleted& e) { j["order_id"] = e.order_id; }
void write(json& j, const ev::CompletionReported& e) {
  j["order_id"] = e.order_id;
  j["units"] = e.units;
}
void write(json& j, const ev::OrderClosed& e) { j["order_id"] = e.order_id; }
void write(json& j, const ev::FeedbackAdded& e) {
  j["order_id"] = e.order_id;
  j["text"] = e.text;
}
void write(json& j, const ev::ReassignmentRequested& e) {
  j["order_id"] = e.order_id;
  j["reason"] = e.reason;
}
void write(json& j, const ev::ReassignmentApproved& e) {
  j["order_id"] = e.order_id;
  j["returned_to"] = e.returned_to;
}
void write(json& j, const ev::ReassignmentRejected& e) {
  j["order_id"] = e.order_id;
  j["reason"] = e.reason;
}
void write(json& j, const ev::OrderCancelled& e) {
  j["order_id"] = e.order_id;
  j["reason"] = e.reason;
}
void write(json& j, const ev::PasswordChanged& e) { j["account"] = e.account; }
void write(json& j, const ev::PasswordReset& e) { j["account"] = e.account; }
void write(json& j, const ev::CustomerAddressChanged& e) {
  j["order_id"] = e.order_id;
  j["customer"] = e.customer;
}

template <std::size_t I>
EventBody read_alternative(const Obj& o) {
  std::variant_alternative_t<I, EventBody> body;
  read(o, body);
  return EventBody(std::in_place_index<I>, std::move(body));
}
template <std::size_t... I>
EventBody read_body(std::size_t index, const Obj& o, std::index_sequence<I...>) {
  using Reader = EventBody (*)(const Obj&);
  constexpr Reader readers[] = {&read_alternative<I>...};
  return readers[index](o);
}

// The type name of EventBody's alternative `index` (event.cc keeps its table to itself).
template <std::size_t I>
std::string_view type_of_alternative() {
  Event e;
  e.body.emplace<I>();
  return e.type();
}
template <std::size_t... I>
std::string_view event_type_name(std::size_t index, std::index_sequence<I...>) {
  static const std::string_view names[] = {type_of_alternative<I>()...};
  return names[index];
}
constexpr std::size_t kEventTypeCount = std::variant_size_v<EventBody>;
std::string_view event_type_name(std::size_t index) {
  return event_type_name(index, std::make_index_sequence<kEventTypeCount>{});
}

Event read_or_throw(const json& j) {
  Obj o(j, "", "An event");
  const std::string type = o.str("type");
  std::size_t index = kEventTypeCount;
  for (std::size_t i = 0; i < kEventTypeCount; ++i) {
    if (event_type_name(i) == type) index = i;
  }
  if (index == kEventTypeCount) {
    std::string names;
    for (std::size_t i = 0; i < kEventTypeCount; ++i) {
      if (i > 0) names += ", ";
      names += event_type_name(i);
    }
    throw FieldError{"Unknown event type '" + type + "'; it must be one of " + names + ".", "type"};
  }
  Event e;
  e.stream = detail::as_id(o.at("stream"), "stream");
  e.actor = o.id<AccountId>("actor");
  e.at = o.str("at");
  if (!is_rfc3339(e.at)) {
    throw FieldError{"Field 'at' must be an RFC 3339 date-time; '" + e.at + "' is not.", "at"};
  }
  e.command_id = o.id<CommandId>("command_id");
  e.version = Version(o.uint64("version"));
  e.position = Position(o.uint64("position"));
  e.body = read_body(index, o, std::make_index_sequence<kEventTypeCount>{});
  return e;
}
}  // namespace

json to_json(const Event& e) {
  json j = json::object();
  j["type"] = std::string(e.type());
  j["stream"] = e.stream;
  j["actor"] = e.actor;
  j["at"] = e.at;
  j["command_id"] = e.command_id;
  j["version"] = e.version;
  j["position"] = e.position;
  std::visit([&j](const auto& body) { write(j, body); }, e.body);
  return j;
}

Result<Event> event_from_json(const json& j) {
  try {
    return read_or_throw(j);
  } catch (const FieldError& e) {
    return make_error(ErrorCode::invalid, e.message, e.field);
  } catch (const json::exception& e) {
    return make_error(ErrorCode::invalid, std::string("The event could not be read: ") + e.what());
  }
}

}  // namespace dispatch
