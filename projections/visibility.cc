#include "projections/visibility.h"

#include <algorithm>
#include <string>

namespace dispatch {
namespace {

// `unit` is the viewer's own unit or below it.
bool in_subtree(const Org& org, const AccountId& viewer, const UnitId& unit) {
  UnitId top(viewer.str());
  return unit == top || org.is_ancestor(top, unit);
}

Error outside(const AccountId& viewer, const std::string& what) {
  return make_error(ErrorCode::forbidden, viewer.str() + " cannot see " + what +
                                              ": it is not itself or below it in the organisation");
}

}  // namespace

Status may_see_folders(const Org& org, const AccountId& viewer, const std::string& owner) {
  const UnitInfo* unit = org.unit(UnitId(owner));
  const StaffInfo* staff = unit == nullptr ? org.staff(StaffId(owner)) : nullptr;
  if (unit == nullptr && staff == nullptr) {
    return make_error(ErrorCode::not_found, "no unit or technician " + owner);
  }
  switch (org.role_of(viewer)) {
    case ActorRole::admin:
      return Status::success();
    case ActorRole::unit:
      if (in_subtree(org, viewer, unit != nullptr ? UnitId(owner) : staff->unit)) {
        return Status::success();
      }
      return outside(viewer, "the folders of " + owner);
    case ActorRole::staff:
      if (viewer.str() == owner) return Status::success();
      return make_error(
          ErrorCode::forbidden,
          "technician " + viewer.str() + " sees only their own folders, not " + owner + "'s");
    case ActorRole::unknown:
      break;
  }
  return make_error(ErrorCode::forbidden, "unknown account " + viewer.str());
}

Status may_see_stats(const Org& org, const AccountId& viewer, const UnitId& unit) {
  if (org.unit(unit) == nullptr) return make_error(ErrorCode::not_found, "no unit " + unit.str());
  switch (org.role_of(viewer)) {
    case ActorRole::admin:
      return Status::success();
    case ActorRole::unit:
      if (in_subtree(org, viewer, unit)) return Status::success();
      return outside(viewer, "the stats of " + unit.str());
    case ActorRole::staff:
      return make_error(ErrorCode::forbidden, "technician " + viewer.str() + " has no unit stats");
    case ActorRole::unknown:
      break;
  }
  return make_error(ErrorCode::forbidden, "unknown account " + viewer.str());
}

bool may_see_order(const Org& org, const AccountId& viewer, const OrderState& order) {
  switch (org.role_of(viewer)) {
    case ActorRole::admin:
      return true;
    case ActorRole::unit:
      return in_subtree(org, viewer, order.holder) || in_subtree(org, viewer, order.creator);
    case ActorRole::staff: {
      StaffId me(viewer.str());
      return (order.primary && *order.primary == me) ||
             std::find(order.assistants.begin(), order.assistants.end(), me) !=
                 order.assistants.end();
    }
    case ActorRole::unknown:
      break;
  }
  return false;
}

}  // namespace dispatch
