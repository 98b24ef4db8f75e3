#include "engine/command.h"

#include <array>
#include <type_traits>

namespace dispatch {
namespace {
// Indexed like CommandBody's alternatives.
constexpr std::array<std::string_view, std::variant_size_v<CommandBody>> kCommandTypes{
    "RegisterUnit",        "LinkServiceOutlet",   "RegisterStaff",       "CreateOrder",
    "DispatchToUnit",      "AssignTechnicians",   "AcceptOrder",         "RefuseOrder",
    "CheckIn",             "CaptureUnit",         "CompleteOrder",       "ReportCompletion",
    "CloseOrder",          "AddFeedback",         "RequestReassignment", "ApproveReassignment",
    "RejectReassignment",  "CancelOrder",         "RouteRegion"};

template <class T>
concept HasOrderId = requires(const T& t) {
  { t.order_id } -> std::convertible_to<OrderId>;
};
template <class T>
concept HasOrderIds = requires(const T& t) { t.order_ids; };
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
