#include "engine/event.h"

#include <array>
#include <type_traits>

namespace dispatch {
namespace {
// Indexed like EventBody's alternatives.
constexpr std::array<std::string_view, std::variant_size_v<EventBody>> kEventTypes{
    "UnitRegistered",        "ServiceOutletLinked",  "StaffRegistered",  "RegionRouted",
    "OrderCreated",          "DispatchedToUnit",     "TechniciansAssigned", "OrderAccepted",
    "OrderRefused",          "CheckedIn",            "UnitCaptured",     "OrderCompleted",
    "CompletionReported",    "OrderClosed",          "FeedbackAdded",    "ReassignmentRequested",
    "ReassignmentApproved",  "ReassignmentRejected", "OrderCancelled"};

template <class T>
concept HasOrderId = requires(const T& t) { t.order_id; };
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

}  // namespace dispatch
