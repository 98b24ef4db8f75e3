#include "engine/org.h"

#include <algorithm>
#include <type_traits>

namespace dispatch {
namespace {

constexpr char kSep = '\x1f';

std::string route_key(const std::string& province, const std::string& city,
                      const std::string& district) {
  return province + kSep + city + kSep + district;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The stream an organisation event belongs to, when the event does not say.
std::string default_stream(const Event& event) {
  return std::visit(
      [](const auto& b) -> std::string {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, ev::UnitRegistered>) {
          return unit_stream(b.unit_id);
        } else if constexpr (std::is_same_v<T, ev::ServiceOutletLinked>) {
          return unit_stream(b.sales_unit);
        } else if constexpr (std::is_same_v<T, ev::StaffRegistered>) {
          return staff_stream(b.staff_id);
        } else if constexpr (std::is_same_v<T, ev::RegionRouted>) {
          return unit_stream(b.unit);
        } else if constexpr (std::is_same_v<T, ev::PasswordChanged> ||
                             std::is_same_v<T, ev::PasswordReset>) {
          return account_stream(b.account);
        } else {
          return std::string();
        }
      },
      event.body);
}

constexpr std::string_view kConnectorPrefix = "connector:";

}  // namespace

AccountId connector_account(Platform platform) {
  return AccountId(std::string(kConnectorPrefix) + std::string(to_string(platform)));
}

std::optional<Platform> connector_platform(const AccountId& account) {
  const std::string& a = account.str();
  if (a.compare(0, kConnectorPrefix.size(), kConnectorPrefix) != 0) return std::nullopt;
  return parse_platform(std::string_view(a).substr(kConnectorPrefix.size()));
}

const UnitInfo* Org::unit(const UnitId& id) const {
  auto it = units_.find(id);
  return it == units_.end() ? nullptr : &it->second;
}

const StaffInfo* Org::staff(const StaffId& id) const {
  auto it = staff_.find(id);
  return it == staff_.end() ? nullptr : &it->second;
}

ActorRole Org::role_of(const AccountId& actor) const {
  if (actor == kAdmin) return ActorRole::admin;
  if (units_.count(UnitId(actor.str())) != 0) return ActorRole::unit;
  if (staff_.count(StaffId(actor.str())) != 0) return ActorRole::staff;
  return ActorRole::unknown;
}

bool Org::is_ancestor(const UnitId& ancestor, const UnitId& unit) const {
  const UnitInfo* info = this->unit(unit);
  // The tree is built parent first, so it has no cycles; the bound guards against bad input.
  for (std::size_t steps = 0; info != nullptr && info->parent && steps <= units_.size(); ++steps) {
    if (*info->parent == ancestor) return true;
    info = this->unit(*info->parent);
  }
  return false;
}

std::vector<UnitId> Org::ancestors(const UnitId& unit) const {
  std::vector<UnitId> result;
  const UnitInfo* info = this->unit(unit);
  while (info != nullptr && info->parent && result.size() <= units_.size()) {
    result.push_back(*info->parent);
    info = this->unit(*info->parent);
  }
  return result;
}

bool Org::is_linked(const UnitId& sales_unit, const UnitId& service_outlet) const {
  const UnitInfo* info = unit(sales_unit);
  if (info == nullptr) return false;
  const auto& linked = info->linked_outlets;
  return std::find(linked.begin(), linked.end(), service_outlet) != linked.end();
}

std::optional<UnitId> Org::route(const std::string& province, const std::string& city,
                                 const std::string& district) const {
  if (province.empty()) return std::nullopt;
  std::vector<std::string> keys;
  if (!city.empty() && !district.empty()) keys.push_back(route_key(province, city, district));
  if (!city.empty()) keys.push_back(route_key(province, city, ""));
  keys.push_back(route_key(province, "", ""));
  for (const auto& key : keys) {
    auto it = routes_.find(key);
    if (it != routes_.end()) return it->second;
  }
  return std::nullopt;
}

Version Org::stream_version(const std::string& stream) const {
  if (starts_with(stream, "unit/")) {
    if (const UnitInfo* info = unit(UnitId(stream.substr(5)))) return info->version;
  } else if (starts_with(stream, "staff/")) {
    if (const StaffInfo* info = staff(StaffId(stream.substr(6)))) return info->version;
  }
  auto it = other_stream_versions_.find(stream);
  return it == other_stream_versions_.end() ? Version() : it->second;
}

bool is_organisation_event(const Event& event) { return !default_stream(event).empty(); }

bool Org::apply(const Event& event) {
  std::string stream = default_stream(event);
  if (stream.empty()) return false;  // not an organisation event
  if (!event.stream.empty()) stream = event.stream;

  std::visit(
      [this](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, ev::UnitRegistered>) {
          auto [it, inserted] = units_.try_emplace(b.unit_id);
          UnitInfo& info = it->second;
          info.id = b.unit_id;
          info.name = b.name;
          info.kind = b.kind;
          info.parent = b.parent;
          if (inserted && b.parent) {
            auto parent = units_.find(*b.parent);
            if (parent != units_.end()) parent->second.children.push_back(b.unit_id);
          }
        } else if constexpr (std::is_same_v<T, ev::ServiceOutletLinked>) {
          auto it = units_.find(b.sales_unit);
          if (it != units_.end() && !is_linked(b.sales_unit, b.service_outlet)) {
            it->second.linked_outlets.push_back(b.service_outlet);
          }
        } else if constexpr (std::is_same_v<T, ev::StaffRegistered>) {
          StaffInfo& info = staff_[b.staff_id];
          if (info.id.str().empty() || info.unit != b.unit) {
            if (!info.id.str().empty()) {
              if (auto old = units_.find(info.unit); old != units_.end()) {
                std::erase(old->second.staff, b.staff_id);
              }
            }
            if (auto unit = units_.find(b.unit); unit != units_.end()) {
              unit->second.staff.push_back(b.staff_id);
            }
          }
          info.id = b.staff_id;
          info.unit = b.unit;
          info.name = b.name;
          info.phone = b.phone;
        } else if constexpr (std::is_same_v<T, ev::RegionRouted>) {
          routes_[route_key(b.province, b.city, b.district)] = b.unit;
        }
      },
      event.body);

  // The stream's version follows the event's; an event without one (0) counts as the next.
  Version* version = nullptr;
  if (starts_with(stream, "unit/")) {
    auto it = units_.find(UnitId(stream.substr(5)));
    if (it != units_.end()) version = &it->second.version;
  } else if (starts_with(stream, "staff/")) {
    auto it = staff_.find(StaffId(stream.substr(6)));
    if (it != staff_.end()) version = &it->second.version;
  }
  if (version == nullptr) version = &other_stream_versions_[stream];
  *version = event.version.value() != 0 ? event.version : version->next();
  return true;
}

}  // namespace dispatch
