// Test helpers for the JSON forms of commands and events: field-by-field equality (the structs in
// engine/command.h and engine/event.h have no operator==), and one sample event of every type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "engine/command.h"
#include "engine/event.h"

namespace dispatch::testing {

// ---- every member of every command and event body, as a tuple of references ----

inline auto fields(const cmd::RegisterUnit& c) {
  return std::tie(c.unit_id, c.name, c.kind, c.parent);
}
inline auto fields(const cmd::LinkServiceOutlet& c) {
  return std::tie(c.sales_unit, c.service_outlet);
}
inline auto fields(const cmd::RegisterStaff& c) {
  return std::tie(c.staff_id, c.unit, c.name, c.phone);
}
inline auto fields(const cmd::CreateOrder& c) {
  return std::tie(c.order_id, c.kind, c.customer, c.items, c.source, c.note, c.unit);
}
inline auto fields(const cmd::DispatchToUnit& c) { return std::tie(c.order_ids, c.unit); }
inline auto fields(const cmd::AssignTechnicians& c) {
  return std::tie(c.order_ids, c.primary, c.assistants);
}
inline auto fields(const cmd::AcceptOrder& c) { return std::tie(c.order_id); }
inline auto fields(const cmd::RefuseOrder& c) { return std::tie(c.order_id, c.reason); }
inline auto fields(const cmd::CheckIn& c) { return std::tie(c.order_id, c.lat, c.lon); }
inline auto fields(const cmd::CaptureUnit& c) { return std::tie(c.order_id, c.unit); }
inline auto fields(const cmd::CompleteOrder& c) { return std::tie(c.order_id); }
inline auto fields(const cmd::ReportCompletion& c) { return std::tie(c.order_id, c.units); }
inline auto fields(const cmd::CloseOrder& c) { return std::tie(c.order_id); }
inline auto fields(const cmd::AddFeedback& c) { return std::tie(c.order_id, c.text); }
inline auto fields(const cmd::RequestReassignment& c) { return std::tie(c.order_id, c.reason); }
inline auto fields(const cmd::ApproveReassignment& c) { return std::tie(c.order_id); }
inline auto fields(const cmd::RejectReassignment& c) { return std::tie(c.order_id, c.reason); }
inline auto fields(const cmd::CancelOrder& c) { return std::tie(c.order_id, c.reason); }
inline auto fields(const cmd::RouteRegion& c) {
  return std::tie(c.province, c.city, c.district, c.unit);
}
inline auto fields(const cmd::ChangeCustomerAddress& c) { return std::tie(c.order_id, c.customer); }
// The hash is not part of the JSON form: commands read from JSON have none, before and after.
inline auto fields(const cmd::ChangePassword& c) { return std::tie(c.account, c.password_hash); }
inline auto fields(const cmd::ResetPassword& c) { return std::tie(c.account); }

inline auto fields(const ev::UnitRegistered& e) {
  return std::tie(e.unit_id, e.name, e.kind, e.parent);
}
inline auto fields(const ev::ServiceOutletLinked& e) {
  return std::tie(e.sales_unit, e.service_outlet);
}
inline auto fields(const ev::StaffRegistered& e) {
  return std::tie(e.staff_id, e.unit, e.name, e.phone);
}
inline auto fields(const ev::RegionRouted& e) {
  return std::tie(e.province, e.city, e.district, e.unit);
}
inline auto fields(const ev::OrderCreated& e) {
  return std::tie(e.order_id, e.kind, e.unit, e.customer, e.items, e.source, e.note);
}
inline auto fields(const ev::DispatchedToUnit& e) { return std::tie(e.order_id, e.from, e.unit); }
inline auto fields(const ev::TechniciansAssigned& e) {
  return std::tie(e.order_id, e.primary, e.assistants);
}
inline auto fields(const ev::OrderAccepted& e) { return std::tie(e.order_id); }
inline auto fields(const ev::OrderRefused& e) { return std::tie(e.order_id, e.reason); }
inline auto fields(const ev::CheckedIn& e) { return std::tie(e.order_id, e.lat, e.lon); }
inline auto fields(const ev::UnitCaptured& e) { return std::tie(e.order_id, e.unit); }
inline auto fields(const ev::OrderCompleted& e) { return std::tie(e.order_id); }
inline auto fields(const ev::CompletionReported& e) { return std::tie(e.order_id, e.units); }
inline auto fields(const ev::OrderClosed& e) { return std::tie(e.order_id); }
inline auto fields(const ev::FeedbackAdded& e) { return std::tie(e.order_id, e.text); }
inline auto fields(const ev::ReassignmentRequested& e) { return std::tie(e.order_id, e.reason); }
inline auto fields(const ev::ReassignmentApproved& e) {
  return std::tie(e.order_id, e.returned_to);
}
inline auto fields(const ev::ReassignmentRejected& e) { return std::tie(e.order_id, e.reason); }
inline auto fields(const ev::OrderCancelled& e) { return std::tie(e.order_id, e.reason); }
inline auto fields(const ev::CustomerAddressChanged& e) { return std::tie(e.order_id, e.customer); }
inline auto fields(const ev::PasswordChanged& e) { return std::tie(e.account); }
inline auto fields(const ev::PasswordReset& e) { return std::tie(e.account); }

// How many members an aggregate has, found by brace-initialising it from ever more values that
// convert to anything; guards fields() above against a member added to a header but not here.
struct AnyMember {
  template <class U>
  operator U&() const;
  template <class U>
  operator U&&() const;
};
template <class T, class... A>
constexpr std::size_t member_count() {
  if constexpr (requires { T{A{}..., AnyMember{}}; }) {
    return member_count<T, A..., AnyMember>();
  } else {
    return sizeof...(A);
  }
}
template <class Variant, std::size_t... I>
constexpr bool fields_cover_all_members(std::index_sequence<I...>) {
  return ((member_count<std::variant_alternative_t<I, Variant>>() ==
           std::tuple_size_v<decltype(fields(
               std::declval<const std::variant_alternative_t<I, Variant>&>()))>)&&...);
}
static_assert(fields_cover_all_members<CommandBody>(
                  std::make_index_sequence<std::variant_size_v<CommandBody>>{}),
              "a command struct has a member that fields() does not list");
static_assert(
    fields_cover_all_members<EventBody>(std::make_index_sequence<std::variant_size_v<EventBody>>{}),
    "an event struct has a member that fields() does not list");

template <class Variant>
bool same_body(const Variant& a, const Variant& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        return fields(x) == fields(std::get<T>(b));
      },
      a);
}

inline bool same(const Command& a, const Command& b) {
  return a.id == b.id && a.actor == b.actor && a.at == b.at && same_body(a.body, b.body);
}
inline bool same(const Event& a, const Event& b) {
  return a.stream == b.stream && a.actor == b.actor && a.at == b.at &&
         a.command_id == b.command_id && a.version == b.version && a.position == b.position &&
         same_body(a.body, b.body);
}

// ---- one realistic event of every type, positions 1, 2, 3, ... in EventBody's order ----

inline std::vector<Event> sample_events() {
  const OrderId o1("AZ20150108001");
  const OrderId o2("AZ20150108002");
  const OrderId o3("AZ20150108003");
  const Customer customer{"张三",   "13912345678", "广东省",
                          "珠海市", "香洲区",      "香洲区人民东路123号5栋801"};
  const CapturedUnit set1{
      "4A1350670053",
      "4A1350680047",
      {"photos/AZ20150108001/indoor-1.jpg", "photos/AZ20150108001/outdoor-1.jpg"}};
  const CapturedUnit set2{"4A1230670011", "4A1230680012", {"photos/AZ20150108002/1.jpg"}};

  std::vector<Event> events;
  auto add = [&events](std::string stream, std::string actor, std::string at,
                       std::string command_id, std::uint64_t version, EventBody body) {
    Event e;
    e.stream = std::move(stream);
    e.actor = AccountId(std::move(actor));
    e.at = std::move(at);
    e.command_id = CommandId(std::move(command_id));
    e.version = Version(version);
    e.position = Position(events.size() + 1);
    e.body = std::move(body);
    events.push_back(std::move(e));
  };
  add("unit/S2100911", "ZHKF", "2015-01-08T08:02:00+08:00", "cmd-000003", 1,
      ev::UnitRegistered{UnitId("S2100911"), "珠海香洲售后服务网点", UnitKind::service_outlet,
                         UnitId("ZHKF")});
  add("unit/X250001201", "X2500", "2015-01-08T08:04:00+08:00", "cmd-000005", 2,
      ev::ServiceOutletLinked{UnitId("X250001201"), UnitId("S2100911")});
  add("staff/S21009110002", "S2100911", "2015-01-08T08:05:00+08:00", "cmd-000006", 1,
      ev::StaffRegistered{StaffId("S21009110002"), UnitId("S2100911"), "测试员2", "13800000002"});
  add("unit/S2100911", "ZHKF", "2015-01-08T08:07:00+08:00", "cmd-000008", 2,
      ev::RegionRouted{"广东省", "珠海市", "", UnitId("S2100911")});
  add("order/AZ20150108001", "admin", "2015-01-08T09:00:00.250Z", "cmd-000009", 1,
      ev::OrderCreated{o1,
                       OrderKind::installation,
                       UnitId("ZHKF"),
                       customer,
                       {Item{"KFR-35GW/(35592)FNhDa-A3", 2}, Item{"KFR-26GW/(26592)FNhAa-A3", 1}},
                       Source{Platform::tmall, "1234567890123456789012"},
                       "客户要求上午安装"});
  add("order/AZ20150108001", "ZHKF", "2015-01-08T09:30:00+08:00", "cmd-000010", 2,
      ev::DispatchedToUnit{o1, UnitId("ZHKF"), UnitId("S2100911")});
  add("order/AZ20150108001", "S2100911", "2015-01-08T09:40:00+08:00", "cmd-000011", 3,
      ev::TechniciansAssigned{o1, StaffId("S21009110002"), {StaffId("S21009110003")}});
  add("order/AZ20150108001", "S21009110002", "2015-01-08T09:45:00+08:00", "cmd-000012", 4,
      ev::OrderAccepted{o1});
  add("order/AZ20150108002", "S21009110002", "2015-01-08T10:25:00+08:00", "cmd-000022", 3,
      ev::OrderRefused{o2, "手机无法定位,改由网点报完工"});
  add("order/AZ20150108001", "S21009110002", "2015-01-08T10:30:00+08:00", "cmd-000013", 5,
      ev::CheckedIn{o1, 22.271, 113.5767});
  add("order/AZ20150108001", "S21009110002", "2015-01-08T11:10:00+08:00", "cmd-000014", 6,
      ev::UnitCaptured{o1, set1});
  add("order/AZ20150108001", "S21009110002", "2015-01-08T11:40:00+08:00", "cmd-000016", 7,
      ev::OrderCompleted{o1});
  add("order/AZ20150108002", "S2100911", "2015-01-08T16:00:00+08:00", "cmd-000023", 4,
      ev::CompletionReported{o2, {set2, CapturedUnit{"4A7250670021", "4A7250680022", {}}}});
  add("order/AZ20150108001", "S2100911", "2015-01-08T14:05:00+08:00", "cmd-000018", 9,
      ev::OrderClosed{o1});
  add("order/AZ20150108001", "S2100911", "2015-01-08T14:00:00+08:00", "cmd-000017", 8,
      ev::FeedbackAdded{o1, "室外机支架已加固,客户满意"});
  add("order/AZ20150108003", "S2100911", "2015-01-08T10:50:00+08:00", "cmd-000026", 3,
      ev::ReassignmentRequested{o3, "地址在斗门区,不在本网点服务范围"});
  add("order/AZ20150108003", "ZHKF", "2015-01-08T11:30:00+08:00", "cmd-000029", 6,
      ev::ReassignmentApproved{o3, UnitId("ZHKF")});
  add("order/AZ20150108003", "ZHKF", "2015-01-08T11:00:00+08:00", "cmd-000027", 4,
      ev::ReassignmentRejected{o3, "斗门网点暂未开通,请先安排上门"});
  add("order/AZ20150108003", "ZHKF", "2015-01-08T11:45:00+08:00", "cmd-000030", 7,
      ev::OrderCancelled{o3, "客户取消安装"});
  add("order/AZ20150108004", "connector:tmall", "2015-01-08T12:00:00+08:00", "tmall:1001:address",
      2,
      ev::CustomerAddressChanged{
          OrderId("AZ20150108004"),
          Customer{"王**", "*******1234", "广东省", "珠海市", "香洲区", "凤凰北路**号"}});
  add("account/S21009110002", "S21009110002", "2015-01-08T12:10:00+08:00", "password-1", 1,
      ev::PasswordChanged{AccountId("S21009110002")});
  add("account/S21009110002", "S2100911", "2015-01-08T12:20:00+08:00", "password-2", 2,
      ev::PasswordReset{AccountId("S21009110002")});
  return events;
}

}  // namespace dispatch::testing
