// Strong types for identifiers, so an order id cannot be passed where a unit id is expected, and a
// stream version cannot be mistaken for a log position. They convert to and from JSON as plain
// strings and numbers, which is how the contract spells them.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace dispatch {

template <class Tag>
class StringId {
 public:
  StringId() = default;
  explicit StringId(std::string value) : value_(std::move(value)) {}

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }

  friend auto operator<=>(const StringId&, const StringId&) = default;
  friend bool operator==(const StringId&, const StringId&) = default;
  friend std::ostream& operator<<(std::ostream& out, const StringId& id) { return out << id.value_; }

 private:
  std::string value_;
};

template <class Tag>
class NumberId {
 public:
  constexpr NumberId() = default;
  constexpr explicit NumberId(std::uint64_t value) : value_(value) {}

  constexpr std::uint64_t value() const { return value_; }
  constexpr NumberId next() const { return NumberId(value_ + 1); }

  friend constexpr auto operator<=>(const NumberId&, const NumberId&) = default;
  friend constexpr bool operator==(const NumberId&, const NumberId&) = default;
  friend std::ostream& operator<<(std::ostream& out, const NumberId& id) { return out << id.value_; }

 private:
  std::uint64_t value_ = 0;
};

using OrderId = StringId<struct OrderIdTag>;
using UnitId = StringId<struct UnitIdTag>;
using StaffId = StringId<struct StaffIdTag>;
using CommandId = StringId<struct CommandIdTag>;
// An account is whoever acts: a unit, a staff member, or the bootstrap administrator "admin".
using AccountId = StringId<struct AccountIdTag>;

// A stream's version counts its events from 1; 0 means the stream has none yet.
using Version = NumberId<struct VersionTag>;
// A global log position counts all events from 1; 0 means "before the first event".
using Position = NumberId<struct PositionTag>;

inline const AccountId kAdmin{"admin"};

template <class Tag>
void to_json(nlohmann::json& j, const StringId<Tag>& id) {
  j = id.str();
}
template <class Tag>
void from_json(const nlohmann::json& j, StringId<Tag>& id) {
  id = StringId<Tag>(j.get<std::string>());
}
template <class Tag>
void to_json(nlohmann::json& j, const NumberId<Tag>& id) {
  j = id.value();
}
template <class Tag>
void from_json(const nlohmann::json& j, NumberId<Tag>& id) {
  id = NumberId<Tag>(j.get<std::uint64_t>());
}

}  // namespace dispatch

template <class Tag>
struct std::hash<dispatch::StringId<Tag>> {
  std::size_t operator()(const dispatch::StringId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
