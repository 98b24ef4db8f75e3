// The workflow's rules as a pure function: the organisation, the orders a command names, and the
// command go in; the events to append, or the refusal with its contract code, come out. No I/O,
// no clock: the command's `at` is already filled in. Rules (who may act, which state allows what)
// follow shared/CONTRACT.md and are listed command by command in decide.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "engine/command.h"
#include "engine/event.h"
#include "engine/order.h"
#include "engine/org.h"
#include "engine/status.h"

namespace dispatch {

struct DecideContext {
  const Org& org;
  // Looks up an order's current state; nullptr when it does not exist.
  std::function<const OrderState*(const OrderId&)> order;
  // How many orders were created before; decide() numbers a CreateOrder without an order_id from
  // it (AZ/PS + yyyymmdd of `at` + the number + 1, zero-padded to 6), skipping ids that exist.
  std::uint64_t orders_created = 0;
  // When set, the numbering also skips ids this node may not create (a node of a shared log
  // decides only the orders of its partitions).
  std::function<bool(const OrderId&)> may_create;
};

// Precondition: !command.at.empty(). On success the events carry stream, actor, at, command_id
// and the stream's next version; position is 0. A batch command (several order_ids) yields the
// events of all its orders or a single refusal: all or none.
Result<std::vector<Event>> decide(const DecideContext& context, const Command& command);

}  // namespace dispatch
