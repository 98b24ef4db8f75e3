#include "engine/command.h"

#include <array>
#include <type_traits>
#include <utility>

namespace dispatch {
namespace {
// The type names, indexed like CommandBody's alternatives, each from its struct's kType.
template <std::size_t... I>
constexpr std::array<std::string_view, sizeof...(I)> type_names(std::index_sequence<I...>) {
  return {std::variant_alternative_t<I, CommandBody>::kType...};
}
constexpr auto kCommandTypes =
    type_names(std::make_index_sequence<std::variant_size_v<CommandBody>>());

template <class T>
concept HasOrderId = requires(const T& t) {
  { t.order_id } -> std::convertible_to<OrderId>;
};
template <class T>
concept HasOrderIds = requires(const T& t) {
  t.order_ids;
};
}  // namespace

std::string_view Command::type() const { return kCommandTypes[body.index()]; }

std::string_view command_type_name(std::size_t index) { return kCommandTypes.at(index); }

std::vector<OrderId> Command::order_ids() const {
  return std::visit(
      [](const auto& b) -> std::vector<OrderId> {
        using T = std::decay_t<decltype(b)>;
        if constexpr (HasOrderIds<T>) {
          return b.order_ids;
        } else if constexpr (HasOrderId<T>) {
          return {b.order_id};
        } else if constexpr (std::is_same_v<T, cmd::CreateOrder>) {
          if (b.order_id) return {*b.order_id};
          return {};
        } else {
          return {};
        }
      },
      body);
}

}  // namespace dispatch
