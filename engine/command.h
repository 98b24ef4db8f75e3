// Commands: what a unit, technician or connector asks the engine to do. One JSON object each,
// as in shared/CONTRACT.md and schemas/commands/. parse_command checks every field's presence and
// type and returns an `invalid` Error naming the field; it does not check the rules of the
// workflow (who may act, which state allows it): that is decide()'s job (engine/decide.h).
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

namespace cmd {
struct RegisterUnit {
  static constexpr std::string_view kType = "RegisterUnit";
  UnitId unit_id;
  std::string name;
  UnitKind kind = UnitKind::service_outlet;
  std::optional<UnitId> parent;  // absent for a root
};
struct LinkServiceOutlet {
  static constexpr std::string_view kType = "LinkServiceOutlet";
  UnitId sales_unit;
  UnitId service_outlet;
};
struct RegisterStaff {
  static constexpr std::string_view kType = "RegisterStaff";
  StaffId staff_id;
  UnitId unit;
  std::string name;
  std::string phone;
};
struct CreateOrder {
  static constexpr std::string_view kType = "CreateOrder";
  std::optional<OrderId> order_id;  // assigned by the engine when absent
  OrderKind kind = OrderKind::installation;
  Customer customer;
  std::vector<Item> items;
  std::optional<Source> source;
  std::string note;
  // The unit the order is created at. Optional; an actor that is not itself a unit (admin, a
  // connector) must give it. When the actor is a unit and `unit` is given, they must agree.
  std::optional<UnitId> unit;
};
struct DispatchToUnit {
  static constexpr std::string_view kType = "DispatchToUnit";
  std::vector<OrderId> order_ids;
  UnitId unit;
};
struct AssignTechnicians {
  static constexpr std::string_view kType = "AssignTechnicians";
  std::vector<OrderId> order_ids;
  StaffId primary;
  std::vector<StaffId> assistants;
};
struct AcceptOrder {
  static constexpr std::string_view kType = "AcceptOrder";
  OrderId order_id;
};
struct RefuseOrder {
  static constexpr std::string_view kType = "RefuseOrder";
  OrderId order_id;
  std::string reason;
};
struct CheckIn {
  static constexpr std::string_view kType = "CheckIn";
  OrderId order_id;
  double lat = 0;
  double lon = 0;
};
struct CaptureUnit {
  static constexpr std::string_view kType = "CaptureUnit";
  OrderId order_id;
  CapturedUnit unit;  // on the wire: indoor_barcode, outdoor_barcode, photos at the top level
};
struct CompleteOrder {
  static constexpr std::string_view kType = "CompleteOrder";
  OrderId order_id;
};
struct ReportCompletion {
  static constexpr std::string_view kType = "ReportCompletion";
  OrderId order_id;
  std::vector<CapturedUnit> units;
};
struct CloseOrder {
  static constexpr std::string_view kType = "CloseOrder";
  OrderId order_id;
};
struct AddFeedback {
  static constexpr std::string_view kType = "AddFeedback";
  OrderId order_id;
  std::string text;
};
struct RequestReassignment {
  static constexpr std::string_view kType = "RequestReassignment";
  OrderId order_id;
  std::string reason;
};
struct ApproveReassignment {
  static constexpr std::string_view kType = "ApproveReassignment";
  OrderId order_id;
};
struct RejectReassignment {
  static constexpr std::string_view kType = "RejectReassignment";
  OrderId order_id;
  std::string reason;
};
struct CancelOrder {
  static constexpr std::string_view kType = "CancelOrder";
  OrderId order_id;
  std::string reason;
};
struct RouteRegion {
  static constexpr std::string_view kType = "RouteRegion";
  std::string province;
  std::string city;      // empty: the whole province
  std::string district;  // empty: the whole city
  UnitId unit;
};
// Replaces an order's customer (name, phone, address and region) while it is pending dispatch,
// e.g. when the buyer changes the delivery address on the shop (Tmall
// TradeLogisticsAddressChanged). Who: as CancelOrder, or a connector for its platform's orders.
struct ChangeCustomerAddress {
  static constexpr std::string_view kType = "ChangeCustomerAddress";
  OrderId order_id;
  Customer customer;
};
// An account's own new password. Only dispatchd makes it (its change_password op checks the old
// password and hashes the new one): `password_hash` never travels in JSON, and the engine refuses
// the command without it. Who: the account itself.
struct ChangePassword {
  static constexpr std::string_view kType = "ChangePassword";
  AccountId account;
  std::string password_hash;  // argon2id (engine/accounts.h); not part of the JSON form
};
// Puts an account back on its initial password (its number). Who: for staff, their unit or any
// unit above it; for a unit, any unit above it; the administrator for anyone.
struct ResetPassword {
  static constexpr std::string_view kType = "ResetPassword";
  AccountId account;
};
}  // namespace cmd

using CommandBody = std::variant<
    cmd::RegisterUnit, cmd::LinkServiceOutlet, cmd::RegisterStaff, cmd::CreateOrder,
    cmd::DispatchToUnit, cmd::AssignTechnicians, cmd::AcceptOrder, cmd::RefuseOrder, cmd::CheckIn,
    cmd::CaptureUnit, cmd::CompleteOrder, cmd::ReportCompletion, cmd::CloseOrder, cmd::AddFeedback,
    cmd::RequestReassignment, cmd::ApproveReassignment, cmd::RejectReassignment, cmd::CancelOrder,
    cmd::RouteRegion, cmd::ChangeCustomerAddress, cmd::ChangePassword, cmd::ResetPassword>;

struct Command {
  CommandId id;
  AccountId actor;
  std::string at;  // RFC 3339; empty means "the engine's clock", filled in before deciding
  CommandBody body;

  // The contract's type name, e.g. "DispatchToUnit".
  std::string_view type() const;
  // The orders the command acts on (several for batch commands; none for organisation ones, nor
  // for a CreateOrder without an order_id).
  std::vector<OrderId> order_ids() const;
};

// Parses one command object. Every failure is ErrorCode::invalid with the field's dotted path.
// Unknown fields are ignored (the contract may grow); an unknown `type` is invalid.
Result<Command> parse_command(const nlohmann::json& j);
// Parses one line of text (a JSONL line); malformed JSON is `invalid` with the parser's message.
Result<Command> parse_command_text(std::string_view text);
// The command as its JSON object; parse_command(to_json(c)) gives c back (except a
// ChangePassword's hash, which is never serialised).
nlohmann::json to_json(const Command& c);

// An error as the contract's reply object: {"code", "message", "field" (when there is one)}.
nlohmann::json to_json(const Error& e);

// True when `text` is an RFC 3339 date-time such as 2015-01-08T09:30:00+08:00.
bool is_rfc3339(std::string_view text);

}  // namespace dispatch

namespace dispatch {
// The type name of CommandBody's alternative number `index` (for parsers and tests).
std::string_view command_type_name(std::size_t index);
}  // namespace dispatch
