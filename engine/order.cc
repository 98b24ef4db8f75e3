#include "engine/order.h"

#include <type_traits>

#include "engine/json_text.h"
#include "engine/org.h"

namespace dispatch {
namespace {
using json = nlohmann::json;

// Back to the holder's pending folder: no technicians, no visit.
void clear_technicians(OrderState& s) {
  s.primary.reset();
  s.assistants.clear();
  s.checked_in = false;
}

void end_reassignment(OrderState& s) {
  s.status_before_reassignment.reset();
  s.reassignment_reason.clear();
}

void apply_body(OrderState& s, const Event& e) {
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, ev::OrderCreated>) {
          s = OrderState{};
          s.order_id = b.order_id;
          s.kind = b.kind;
          s.status = OrderStatus::pending_dispatch;
          s.creator = b.unit;
          s.holder = b.unit;
          s.path = {b.unit};
          s.customer = b.customer;
          s.items = b.items;
          s.source = b.source;
          s.note = b.note;
          s.created_at = e.at;
        } else if constexpr (std::is_same_v<T, ev::DispatchedToUnit>) {
          s.holder = b.unit;
          s.path.push_back(b.unit);
          s.status = OrderStatus::pending_dispatch;
          clear_technicians(s);
        } else if constexpr (std::is_same_v<T, ev::TechniciansAssigned>) {
          s.primary = b.primary;
          s.assistants = b.assistants;
          s.checked_in = false;
          s.status = OrderStatus::to_accept;
        } else if constexpr (std::is_same_v<T, ev::OrderAccepted>) {
          s.status = OrderStatus::to_process;
        } else if constexpr (std::is_same_v<T, ev::OrderRefused>) {
          s.status = OrderStatus::pending_dispatch;
          clear_technicians(s);
        } else if constexpr (std::is_same_v<T, ev::CheckedIn>) {
          s.checked_in = true;
          s.lat = b.lat;
          s.lon = b.lon;
        } else if constexpr (std::is_same_v<T, ev::UnitCaptured>) {
          s.units.push_back(b.unit);
        } else if constexpr (std::is_same_v<T, ev::OrderCompleted>) {
          s.status = OrderStatus::pending_close;
        } else if constexpr (std::is_same_v<T, ev::CompletionReported>) {
          s.units.insert(s.units.end(), b.units.begin(), b.units.end());
        } else if constexpr (std::is_same_v<T, ev::OrderClosed>) {
          s.status = OrderStatus::closed;
        } else if constexpr (std::is_same_v<T, ev::FeedbackAdded>) {
          s.feedback.push_back(Feedback{e.actor, e.at, b.text});
        } else if constexpr (std::is_same_v<T, ev::ReassignmentRequested>) {
          s.status_before_reassignment = s.status;
          s.reassignment_reason = b.reason;
          s.status = OrderStatus::pending_reassignment_approval;
        } else if constexpr (std::is_same_v<T, ev::ReassignmentApproved>) {
          if (s.path.size() > 1) s.path.pop_back();
          if (s.path.empty() || s.path.back() != b.returned_to) s.path.push_back(b.returned_to);
          s.holder = b.returned_to;
          s.status = OrderStatus::pending_dispatch;
          clear_technicians(s);
          end_reassignment(s);
        } else if constexpr (std::is_same_v<T, ev::ReassignmentRejected>) {
          s.status = s.status_before_reassignment.value_or(OrderStatus::pending_dispatch);
          end_reassignment(s);
        } else if constexpr (std::is_same_v<T, ev::OrderCancelled>) {
          s.status = OrderStatus::cancelled;
          s.cancel_reason = b.reason;
        } else if constexpr (std::is_same_v<T, ev::CustomerAddressChanged>) {
          s.customer = b.customer;
        }
      },
      e.body);
}

bool is_order_event(const Event& e) {
  return std::visit(
      [](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        return !std::is_same_v<T, ev::UnitRegistered> &&
               !std::is_same_v<T, ev::ServiceOutletLinked> &&
               !std::is_same_v<T, ev::StaffRegistered> && !std::is_same_v<T, ev::RegionRouted>;
      },
      e.body);
}

json feedback_json(const Feedback& f) {
  return json{{"actor", f.actor}, {"at", f.at}, {"text", f.text}};
}

template <class T>
json optional_json(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Reads j[key] into out; a missing key leaves out as it is unless `required`.
template <class T>
void read(const json& j, const char* key, T& out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required)
      throw json::out_of_range::create(403, std::string("key '") + key + "' not found", &j);
    return;
  }
  out = it->template get<T>();
}

template <class T>
void read_optional(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    out.reset();
  } else {
    out = it->template get<T>();
  }
}

void fold(OrderState& s, const Event& event) {
  if (!is_order_event(event)) return;
  apply_body(s, event);
  s.version = event.version;
  s.last_position = event.position;
  s.updated_at = event.at;
}

}  // namespace

std::optional<UnitId> passed_down_by(const OrderState& order) {
  if (order.path.size() < 2) return std::nullopt;
  return order.path[order.path.size() - 2];
}

OrderState evolve(std::optional<OrderState> order, const Event& event) {
  OrderState s = order ? std::move(*order) : OrderState{};
  fold(s, event);
  return s;
}

OrderState evolve(std::optional<OrderState> order, const Event& event, const Org& org) {
  OrderState s = order ? std::move(*order) : OrderState{};
  evolve_in_place(s, event, org);
  return s;
}

void evolve_in_place(OrderState& s, const Event& event, const Org& org) {
  fold(s, event);
  if (const auto* created = std::get_if<ev::OrderCreated>(&event.body)) {
    const UnitInfo* unit = org.unit(created->unit);
    s.sales_origin = unit != nullptr && is_sales_unit(unit->kind);
  }
}

json to_json(const OrderState& o) {
  json feedback = json::array();
  for (const auto& f : o.feedback) feedback.push_back(feedback_json(f));
  return json{
      {"order_id", o.order_id},
      {"kind", o.kind},
      {"status", o.status},
      {"holder", o.holder},
      {"primary", optional_json(o.primary)},
      {"assistants", o.assistants},
      {"customer", o.customer},
      {"items", o.items},
      {"units", o.units},
      {"feedback", feedback},
      {"source", optional_json(o.source)},
      {"creator", o.creator},
      {"sales_origin", o.sales_origin},
      {"path", o.path},
      {"note", o.note},
      {"checked_in", o.checked_in},
      {"lat", o.lat},
      {"lon", o.lon},
      {"status_before_reassignment", optional_json(o.status_before_reassignment)},
      {"reassignment_reason", o.reassignment_reason},
      {"cancel_reason", o.cancel_reason},
      {"created_at", o.created_at},
      {"updated_at", o.updated_at},
      {"version", o.version},
      {"last_position", o.last_position},
  };
}

std::string dump_order(const OrderState& o) {
  detail::JsonText j(1024);  // a view is 600 to 1,000 bytes
  auto strings = [&j](const auto& list) {
    j.begin_array();
    for (const auto& s : list) j.string(std::string_view(s));
    j.end_array();
  };
  // Keys in sorted order, as dump() writes to_json's.
  j.begin_object();
  j.key("assistants");
  j.begin_array();
  for (const auto& a : o.assistants) j.string(a.str());
  j.end_array();
  j.key("cancel_reason");
  j.string(o.cancel_reason);
  j.key("checked_in");
  j.boolean(o.checked_in);
  j.key("created_at");
  j.string(o.created_at);
  j.key("creator");
  j.string(o.creator.str());
  j.key("customer");
  detail::write_customer(j, o.customer);
  j.key("feedback");
  j.begin_array();
  for (const auto& f : o.feedback) {
    j.begin_object();
    j.key("actor");
    j.string(f.actor.str());
    j.key("at");
    j.string(f.at);
    j.key("text");
    j.string(f.text);
    j.end_object();
  }
  j.end_array();
  j.key("holder");
  j.string(o.holder.str());
  j.key("items");
  j.begin_array();
  for (const auto& item : o.items) {
    j.begin_object();
    j.key("model");
    j.string(item.model);
    j.key("quantity");
    j.int64(item.quantity);
    j.end_object();
  }
  j.end_array();
  j.key("kind");
  j.string(to_string(o.kind));
  j.key("last_position");
  j.uint64(o.last_position.value());
  j.key("lat");
  j.number(o.lat);
  j.key("lon");
  j.number(o.lon);
  j.key("note");
  j.string(o.note);
  j.key("order_id");
  j.string(o.order_id.str());
  j.key("path");
  j.begin_array();
  for (const auto& unit : o.path) j.string(unit.str());
  j.end_array();
  j.key("primary");
  if (o.primary) {
    j.string(o.primary->str());
  } else {
    j.null();
  }
  j.key("reassignment_reason");
  j.string(o.reassignment_reason);
  j.key("sales_origin");
  j.boolean(o.sales_origin);
  j.key("source");
  if (o.source) {
    const Source& s = *o.source;
    j.begin_object();
    if (s.needs_decrypt) {
      j.key("needs_decrypt");
      j.boolean(true);
    }
    if (!s.oaid.empty()) {
      j.key("oaid");
      j.string(s.oaid);
    }
    j.key("platform");
    j.string(to_string(s.platform));
    j.key("platform_order_id");
    j.string(s.platform_order_id);
    if (s.unrouted) {
      j.key("unrouted");
      j.boolean(true);
    }
    j.end_object();
  } else {
    j.null();
  }
  j.key("status");
  j.string(to_string(o.status));
  j.key("status_before_reassignment");
  if (o.status_before_reassignment) {
    j.string(to_string(*o.status_before_reassignment));
  } else {
    j.null();
  }
  j.key("units");
  j.begin_array();
  for (const auto& unit : o.units) {
    j.begin_object();
    j.key("indoor_barcode");
    j.string(unit.indoor_barcode);
    j.key("outdoor_barcode");
    j.string(unit.outdoor_barcode);
    j.key("photos");
    strings(unit.photos);
    j.end_object();
  }
  j.end_array();
  j.key("updated_at");
  j.string(o.updated_at);
  j.key("version");
  j.uint64(o.version.value());
  j.end_object();
  if (!j.valid()) return to_json(o).dump();
  return j.take();
}

Result<OrderState> order_from_json(const json& j) {
  if (!j.is_object()) {
    return make_error(ErrorCode::invalid, "a stored order is not a JSON object");
  }
  OrderState o;
  const char* key = "";
  try {
    auto req = [&](const char* k, auto& out) {
      key = k;
      read(j, k, out, true);
    };
    auto opt = [&](const char* k, auto& out) {
      key = k;
      read(j, k, out);
    };
    req("order_id", o.order_id);
    req("kind", o.kind);
    req("status", o.status);
    req("holder", o.holder);
    opt("creator", o.creator);
    opt("path", o.path);
    key = "primary";
    read_optional(j, "primary", o.primary);
    opt("assistants", o.assistants);
    req("customer", o.customer);
    opt("items", o.items);
    opt("units", o.units);
    key = "feedback";
    if (auto it = j.find("feedback"); it != j.end()) {
      for (const auto& f : *it) {
        o.feedback.push_back(Feedback{f.at("actor").get<AccountId>(), f.at("at").get<std::string>(),
                                      f.at("text").get<std::string>()});
      }
    }
    key = "source";
    read_optional(j, "source", o.source);
    opt("sales_origin", o.sales_origin);
    opt("note", o.note);
    opt("checked_in", o.checked_in);
    opt("lat", o.lat);
    opt("lon", o.lon);
    key = "status_before_reassignment";
    read_optional(j, "status_before_reassignment", o.status_before_reassignment);
    opt("reassignment_reason", o.reassignment_reason);
    opt("cancel_reason", o.cancel_reason);
    opt("created_at", o.created_at);
    opt("updated_at", o.updated_at);
    opt("version", o.version);
    opt("last_position", o.last_position);
  } catch (const json::exception& e) {
    return make_error(
        ErrorCode::invalid,
        std::string("a stored order has a missing or bad field ") + key + " (" + e.what() + ")",
        key);
  }
  if (o.path.empty() && !o.holder.empty()) o.path.push_back(o.holder);
  if (o.creator.empty() && !o.path.empty()) o.creator = o.path.front();
  return o;
}

}  // namespace dispatch
