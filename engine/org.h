// The organisation: units in a tree, sales units' links to service outlets, staff, and the
// regional routes connectors use. Built purely by applying organisation events in log order;
// small enough to hold in memory (a province: thousands of units, tens of thousands of staff).
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/event.h"
#include "engine/ids.h"
#include "engine/types.h"

namespace dispatch {

struct UnitInfo {
  UnitId id;
  std::string name;
  UnitKind kind = UnitKind::service_outlet;
  std::optional<UnitId> parent;
  std::vector<UnitId> children;
  std::vector<UnitId> linked_outlets;  // for sales units: the service outlets they may pass to
  std::vector<StaffId> staff;          // its service persons, in the order they were registered
  Version version;                     // of the stream unit/<id>
};

struct StaffInfo {
  StaffId id;
  UnitId unit;
  std::string name;
  std::string phone;
  Version version;  // of the stream staff/<id>
};

// The role an account plays, as decide() sees it.
enum class ActorRole { admin, unit, staff, unknown };

// Connectors act as the account "connector:<platform>" (connector:tmall, connector:jd,
// connector:gree_mall). The account is not registered anywhere: decide() recognises the name and
// lets it do exactly what a connector does (create orders at the routed unit, change the address
// of, cancel and comment on orders from its own platform). Over dispatchd only the server's own
// connectors may act as it.
AccountId connector_account(Platform platform);
// The platform of a connector account; nullopt for any other account.
std::optional<Platform> connector_platform(const AccountId& account);

// Organisation events: those about units, staff, links, routes and accounts' passwords (not
// about an order). Org::apply takes exactly these.
bool is_organisation_event(const Event& event);

class Org {
 public:
  const UnitInfo* unit(const UnitId& id) const;
  const StaffInfo* staff(const StaffId& id) const;
  ActorRole role_of(const AccountId& actor) const;

  // True when `ancestor` is strictly above `unit` in the tree.
  bool is_ancestor(const UnitId& ancestor, const UnitId& unit) const;
  // `unit`'s ancestors, its parent first, the root last.
  std::vector<UnitId> ancestors(const UnitId& unit) const;
  bool is_linked(const UnitId& sales_unit, const UnitId& service_outlet) const;
  // The unit connectors send an order from this region to: the most specific route that matches
  // (district over city over province); nullopt when none does.
  std::optional<UnitId> route(const std::string& province, const std::string& city,
                              const std::string& district) const;
  // The version of an organisation stream ("unit/X" or "staff/Y"); 0 when it has no events.
  Version stream_version(const std::string& stream) const;

  // Applies an organisation event (UnitRegistered, ServiceOutletLinked, StaffRegistered,
  // RegionRouted, and the password events, which change only their stream's version); returns
  // false, changing nothing, for any other event.
  bool apply(const Event& event);

  std::size_t unit_count() const { return units_.size(); }
  std::size_t staff_count() const { return staff_.size(); }

 private:
  std::unordered_map<UnitId, UnitInfo> units_;
  std::unordered_map<StaffId, StaffInfo> staff_;
  std::unordered_map<std::string, UnitId> routes_;  // "province\x1f" "city\x1f" "district" -> unit
  // Versions of the streams that have no unit or staff entry: accounts ("account/X").
  std::unordered_map<std::string, Version> other_stream_versions_;
};

}  // namespace dispatch
