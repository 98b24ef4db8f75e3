// Events: the facts the log records, one or more per accepted command. The JSON form is flat: the
// envelope fields (type, stream, actor, at, command_id, version, position) beside the payload's
// fields, as schemas/events/ describe. Field meanings are in shared/CONTRACT.md.
//
// Streams: each event belongs to one stream, whose version counts that stream's events from 1:
//   "order/<order_id>" for order events, "unit/<unit_id>" for UnitRegistered, ServiceOutletLinked
//   (the sales unit's stream) and RegionRouted (the routed unit's stream), "staff/<staff_id>" for
//   StaffRegistered, "account/<account>" for PasswordChanged and PasswordReset.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/ids.h"
#include "engine/status.h"
#include "engine/types.h"

namespace dispatch {

namespace ev {
struct UnitRegistered {
  static constexpr std::string_view kType = "UnitRegistered";
  UnitId unit_id;
  std::string name;
  UnitKind kind = UnitKind::service_outlet;
  std::optional<UnitId> parent;
};
struct ServiceOutletLinked {
  static constexpr std::string_view kType = "ServiceOutletLinked";
  UnitId sales_unit;
  UnitId service_outlet;
};
struct StaffRegistered {
  static constexpr std::string_view kType = "StaffRegistered";
  StaffId staff_id;
  UnitId unit;
  std::string name;
  std::string phone;
};
struct RegionRouted {
  static constexpr std::string_view kType = "RegionRouted";
  std::string province;
  std::string city;
  std::string district;
  UnitId unit;
};
struct OrderCreated {
  static constexpr std::string_view kType = "OrderCreated";
  OrderId order_id;
  OrderKind kind = OrderKind::installation;
  UnitId unit;  // the creating unit, which holds the order first
  Customer customer;
  std::vector<Item> items;
  std::optional<Source> source;
  std::string note;
};
struct DispatchedToUnit {
  static constexpr std::string_view kType = "DispatchedToUnit";
  OrderId order_id;
  UnitId from;  // the holder that passed it on
  UnitId unit;  // the new holder
};
struct TechniciansAssigned {
  static constexpr std::string_view kType = "TechniciansAssigned";
  OrderId order_id;
  StaffId primary;
  std::vector<StaffId> assistants;
};
struct OrderAccepted {
  static constexpr std::string_view kType = "OrderAccepted";
  OrderId order_id;
};
struct OrderRefused {
  static constexpr std::string_view kType = "OrderRefused";
  OrderId order_id;
  std::string reason;
};
struct CheckedIn {
  static constexpr std::string_view kType = "CheckedIn";
  OrderId order_id;
  double lat = 0;
  double lon = 0;
};
struct UnitCaptured {
  static constexpr std::string_view kType = "UnitCaptured";
  OrderId order_id;
  CapturedUnit unit;  // flat on the wire: indoor_barcode, outdoor_barcode, photos
};
struct OrderCompleted {
  static constexpr std::string_view kType = "OrderCompleted";
  OrderId order_id;
};
struct CompletionReported {
  static constexpr std::string_view kType = "CompletionReported";
  OrderId order_id;
  std::vector<CapturedUnit> units;
};
struct OrderClosed {
  static constexpr std::string_view kType = "OrderClosed";
  OrderId order_id;
};
struct FeedbackAdded {
  static constexpr std::string_view kType = "FeedbackAdded";
  OrderId order_id;
  std::string text;
};
struct ReassignmentRequested {
  static constexpr std::string_view kType = "ReassignmentRequested";
  OrderId order_id;
  std::string reason;
};
struct ReassignmentApproved {
  static constexpr std::string_view kType = "ReassignmentApproved";
  OrderId order_id;
  UnitId returned_to;  // the unit that had passed it down, which holds it again
};
struct ReassignmentRejected {
  static constexpr std::string_view kType = "ReassignmentRejected";
  OrderId order_id;
  std::string reason;
};
struct OrderCancelled {
  static constexpr std::string_view kType = "OrderCancelled";
  OrderId order_id;
  std::string reason;
};
struct CustomerAddressChanged {
  static constexpr std::string_view kType = "CustomerAddressChanged";
  OrderId order_id;
  Customer customer;  // the whole new customer record
};
// An account's password was changed by its owner, or reset to the initial one. The hash is never
// in the log (engine/accounts.h).
struct PasswordChanged {
  static constexpr std::string_view kType = "PasswordChanged";
  AccountId account;
};
struct PasswordReset {
  static constexpr std::string_view kType = "PasswordReset";
  AccountId account;
};
}  // namespace ev

using EventBody =
    std::variant<ev::UnitRegistered, ev::ServiceOutletLinked, ev::StaffRegistered, ev::RegionRouted,
                 ev::OrderCreated, ev::DispatchedToUnit, ev::TechniciansAssigned, ev::OrderAccepted,
                 ev::OrderRefused, ev::CheckedIn, ev::UnitCaptured, ev::OrderCompleted,
                 ev::CompletionReported, ev::OrderClosed, ev::FeedbackAdded,
                 ev::ReassignmentRequested, ev::ReassignmentApproved, ev::ReassignmentRejected,
                 ev::OrderCancelled, ev::CustomerAddressChanged, ev::PasswordChanged,
                 ev::PasswordReset>;

struct Event {
  std::string stream;  // see the header comment
  AccountId actor;
  std::string at;  // RFC 3339
  CommandId command_id;
  Version version;    // in its stream; set by decide() to the stream's next version
  Position position;  // set by the log when appended; 0 before
  EventBody body;

  std::string_view type() const;  // "DispatchedToUnit", ...
  // The order the event concerns; empty for organisation events.
  OrderId order_id() const;
};

std::string order_stream(const OrderId& id);
std::string unit_stream(const UnitId& id);
std::string staff_stream(const StaffId& id);
std::string account_stream(const AccountId& id);

// The flat JSON object of the event, envelope included (position included even when 0).
nlohmann::json to_json(const Event& e);
// Reads an event back; a missing or mistyped field is `invalid` naming it. Extra fields (the
// log's prev_hash and hash) are ignored.
Result<Event> event_from_json(const nlohmann::json& j);

}  // namespace dispatch
