// From shop orders to the contract's commands: what a connector asks the engine to do about one
// shop order, given the work orders already made from it. Pure: no I/O, no clock.
//
// A paid shop order becomes two work orders, a delivery (配送) and an installation (安装), with
// deterministic ids (work_order_id) at the unit the receiver's region routes to (Org::route, the
// most specific route winning), or at the configured fallback unit marked `source.unrouted`.
// Later snapshots of the same shop order change them: a new receiver before dispatch is a
// ChangeCustomerAddress, after it feedback for the holder; a close or refund cancels what is not
// yet with technicians and tells, by feedback, those that are.
//
// Exactly once: every command id is derived from the platform, the shop order id, the work order
// and what changed (connector_command_id), so a payload delivered again yields the same commands
// and the engine answers them as duplicates; and a snapshot whose effect is already there yields
// no command at all.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "connectors/shop_order.h"
#include "engine/command.h"
#include "engine/org.h"

namespace dispatch::connectors {

// AZ-TM-<tid> / PS-TM-<tid> (TM tmall, JD jd, GM gree_mall): installation / delivery.
OrderId work_order_id(Platform platform, const std::string& platform_order_id, OrderKind kind);

// What the mapping needs to know of an existing work order.
struct WorkOrder {
  OrderKind kind = OrderKind::installation;
  OrderStatus status = OrderStatus::pending_dispatch;
  Customer customer;
};
using FindWorkOrder = std::function<std::optional<WorkOrder>(const OrderId&)>;

struct MappingConfig {
  // Where an order goes when no RouteRegion covers its region; empty: such orders are refused.
  std::optional<UnitId> fallback_unit;
};

// How a shop order's payload is counted by ingest (the contract's counters).
enum class Outcome {
  created,    // work orders were created
  updated,    // an address changed, or its holder was told so
  cancelled,  // closed or refunded: work orders cancelled or their holders told
  unchanged,  // nothing new (counted as duplicates)
  waiting,    // not paid yet
  ignored,    // closed before it was ever paid: nothing to do
};
std::string_view to_string(Outcome outcome);

struct Plan {
  Outcome outcome = Outcome::unchanged;
  std::vector<Command> commands;  // acting as connector_account(platform)
};

// Errors: `invalid` when a paid order's region has no route and there is no fallback unit.
Result<Plan> plan_commands(const ShopOrder& order, const Org& org, const MappingConfig& config,
                           const FindWorkOrder& find);

// The shop order a notice turns `known` into. Errors: `not_found` when nothing is known of the
// shop order (a TMC notice needs an earlier full trade: ingest its fullinfo first).
Result<ShopOrder> apply_notice(const std::optional<ShopOrder>& known, const ShopNotice& notice);

// True when `incoming` is older than what is known (by `modified`): it must not undo it.
bool is_stale(const ShopOrder& incoming, const std::optional<ShopOrder>& known);

}  // namespace dispatch::connectors
