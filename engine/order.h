// An order's state, folded from its stream's events by evolve(). This is both what decide()
// decides against and the order view the contract's `dispatchctl order` shows (minus history).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "engine/event.h"
#include "engine/ids.h"
#include "engine/status.h"
#include "engine/types.h"

namespace dispatch {

class Org;

struct Feedback {
  AccountId actor;
  std::string at;
  std::string text;
  friend bool operator==(const Feedback&, const Feedback&) = default;
};

struct OrderState {
  OrderId order_id;
  OrderKind kind = OrderKind::installation;
  OrderStatus status = OrderStatus::pending_dispatch;
  UnitId creator;             // the unit it was created at
  bool sales_origin = false;  // created by a sales center or outlet (销售安装)
  UnitId holder;              // the unit that has it now
  // Holders from the creator down to the current holder: path.back() == holder. The unit before
  // the holder is the one that passed it down, which decides reassignment requests.
  std::vector<UnitId> path;
  std::optional<StaffId> primary;
  std::vector<StaffId> assistants;
  Customer customer;
  std::vector<Item> items;
  std::optional<Source> source;
  std::string note;
  bool checked_in = false;
  double lat = 0;
  double lon = 0;
  std::vector<CapturedUnit> units;  // captured on site or reported by the outlet
  std::vector<Feedback> feedback;
  // While a reassignment waits for approval: the status to return to if it is rejected, and why.
  std::optional<OrderStatus> status_before_reassignment;
  std::string reassignment_reason;
  std::string cancel_reason;
  std::string created_at;
  std::string updated_at;
  Version version;         // of its stream
  Position last_position;  // of its latest event; folders sort by it, newest first

  friend bool operator==(const OrderState&, const OrderState&) = default;
};

// The unit that passed the order to its holder; nullopt when the holder created it.
std::optional<UnitId> passed_down_by(const OrderState& order);

// Folds one event into an order's state. `order` is nullopt before OrderCreated. Pure: no I/O.
// Precondition: the event is an order event for this order, decided against this state; events
// that are not order events leave the state unchanged.
OrderState evolve(std::optional<OrderState> order, const Event& event);
// The same, and on OrderCreated also sets sales_origin from the creating unit's kind in `org`
// (the event does not carry it). Projections should fold with this one; the organisation at the
// event's position is enough, since a unit's kind never changes.
OrderState evolve(std::optional<OrderState> order, const Event& event, const Org& org);
// The same fold in place: `order` becomes evolve(order, event, org). A default OrderState stands
// for nullopt (OrderCreated starts from one). A replay folds every event of the log, and moving
// the state in and out of evolve() was a tenth of its projecting.
void evolve_in_place(OrderState& order, const Event& event, const Org& org);

nlohmann::json to_json(const OrderState& order);
// to_json(order).dump(), byte for byte, written without building the document (the projector
// writes one per order change); it throws as dump() does for a string that is not UTF-8.
std::string dump_order(const OrderState& order);
Result<OrderState> order_from_json(const nlohmann::json& j);

}  // namespace dispatch
