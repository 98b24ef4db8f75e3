// What an account may see over dispatchd: the rules of issue "visibility", as pure functions of
// the organisation and an order's state, so the daemon, search and tests share one definition.
//
//   admin                  everything.
//   a unit                 folders and stats of itself and every unit below it, the folders of
//                          staff of those units, and an order whose holder or creator is itself or
//                          below it (so a sales outlet keeps seeing the orders it created after
//                          they went to its linked service outlet).
//   a technician (staff)   only their own folders, no stats, and an order they are the primary or
//                          an assistant of.
//   anyone else            nothing.
#pragma once

#include "engine/ids.h"
#include "engine/order.h"
#include "engine/org.h"
#include "engine/status.h"

namespace dispatch {

// Whether `viewer` may read the folders of `owner` (a unit or staff id). `not_found` when the
// owner is neither; `forbidden`, naming both, when it is outside what the viewer sees.
Status may_see_folders(const Org& org, const AccountId& viewer, const std::string& owner);

// Whether `viewer` may read the stats of `unit`: `not_found` for an unknown unit, `forbidden`
// for a unit outside the viewer's subtree and for technicians.
Status may_see_stats(const Org& org, const AccountId& viewer, const UnitId& unit);

// Whether `viewer` may read `order`.
bool may_see_order(const Org& org, const AccountId& viewer, const OrderState& order);

}  // namespace dispatch
