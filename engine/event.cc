#include "engine/event.h"

#include <array>
#include <type_traits>
#include <utility>

namespace dispatch {
namespace {
// The type names, indexed like EventBody's alternatives, each from its struct's kType.
template <std::size_t... I>
constexpr std::array<std::string_view, sizeof...(I)> type_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, EventBody>::kType...};
}
constexpr auto kEventTypes = type_names(std::make_index_sequence<std::variant_size_v<EventBody>>());

template <class T>
concept HasOrderId = requires(const T& t) {
  t.order_id;
};
}  // namespace

std::string_view Event::type() const { return kEventTypes[body.index()]; }

OrderId Event::order_id() const {
  return std::visit(
      [](const auto& b) -> OrderId {
        if constexpr (HasOrderId<std::decay_t<decltype(b)>>) {
          return b.order_id;
        } else {
          return OrderId();
        }
      },
      body);
}

std::string order_stream(const OrderId& id) { return "order/" + id.str(); }
std::string unit_stream(const UnitId& id) { return "unit/" + id.str(); }
std::string staff_stream(const StaffId& id) { return "staff/" + id.str(); }
std::string account_stream(const AccountId& id) { return "account/" + id.str(); }

}  // namespace dispatch
