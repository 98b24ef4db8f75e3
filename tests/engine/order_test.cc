#define BOOST_TEST_MODULE order
#include "engine/order.h"

#include <boost/test/unit_test.hpp>

#include "engine/org.h"
#include "tests/support/orders.h"

namespace dispatch {
namespace {

using S = OrderStatus;
const OrderId kId("AZ20150108000001");

// Folds hand-written events of one order, numbering versions and positions as the log would.
struct Stream {
  std::optional<OrderState> state;
  OrderState in_place;  // the same events folded by evolve_in_place, as a replay folds them
  std::uint64_t version = 0;
  std::uint64_t position = 100;
  int minute = 0;

  const OrderState& add(const std::string& actor, EventBody body) {
    Event e;
    e.stream = order_stream(kId);
    e.actor = AccountId(actor);
    char at[32];
    std::snprintf(at, sizeof at, "2015-01-08T09:%02d:00+08:00", minute++);
    e.at = at;
    e.command_id = CommandId("cmd-" + std::to_string(version + 1));
    e.version = Version(++version);
    e.position = Position(position += 3);
    e.body = std::move(body);
    state = evolve(state, e);
    evolve_in_place(in_place, e, Org{});
    BOOST_CHECK(in_place == *state);
    BOOST_CHECK_EQUAL(state->version.value(), version);
    BOOST_CHECK_EQUAL(state->last_position.value(), position);
    BOOST_CHECK_EQUAL(state->updated_at, e.at);
    return *state;
  }
};

CapturedUnit captured(const std::string& indoor, const std::string& outdoor) {
  return CapturedUnit{indoor, outdoor, {indoor + ".jpg", outdoor + ".jpg"}};
}

ev::OrderCreated created(const std::string& unit) {
  return ev::OrderCreated{
      kId,
      OrderKind::installation,
      UnitId(unit),
      Customer{"张三", "13800000000", "广东省", "珠海市", "香洲区", "人民路1号"},
      {Item{"KFR-35GW", 1}},
      std::nullopt,
      "二楼"};
}

// The manual's walkthrough: a service center creates an order and passes it to 珠海客服中心,
// which passes it to outlet S2100911; the outlet assigns 测试员2 with 测试员1 helping; 测试员2
// accepts, checks in, captures two sets, completes; the outlet closes it.
BOOST_AUTO_TEST_CASE(the_manuals_walkthrough) {
  Stream s;
  const OrderState* o = &s.add("GDKF", created("GDKF"));
  BOOST_CHECK(o->status == S::pending_dispatch);
  BOOST_CHECK_EQUAL(o->holder.str(), "GDKF");
  BOOST_CHECK_EQUAL(o->creator.str(), "GDKF");
  BOOST_CHECK_EQUAL(o->created_at, "2015-01-08T09:00:00+08:00");
  BOOST_CHECK(!passed_down_by(*o));

  o = &s.add("GDKF", ev::DispatchedToUnit{kId, UnitId("GDKF"), UnitId("ZHKF")});
  o = &s.add("ZHKF", ev::DispatchedToUnit{kId, UnitId("ZHKF"), UnitId("S2100911")});
  BOOST_CHECK_EQUAL(o->holder.str(), "S2100911");
  BOOST_CHECK((o->path == std::vector<UnitId>{UnitId("GDKF"), UnitId("ZHKF"), UnitId("S2100911")}));
  BOOST_CHECK_EQUAL(passed_down_by(*o)->str(), "ZHKF");
  BOOST_CHECK(o->status == S::pending_dispatch);

  o = &s.add("S2100911",
             ev::TechniciansAssigned{kId, StaffId("S21009110002"), {StaffId("S21009110001")}});
  BOOST_CHECK(o->status == S::to_accept);
  BOOST_CHECK_EQUAL(o->primary->str(), "S21009110002");
  BOOST_CHECK_EQUAL(o->assistants.size(), 1u);

  o = &s.add("S21009110002", ev::OrderAccepted{kId});
  BOOST_CHECK(o->status == S::to_process);
  o = &s.add("S21009110002", ev::CheckedIn{kId, 22.27, 113.57});
  BOOST_CHECK(o->checked_in);
  BOOST_CHECK_EQUAL(o->lat, 22.27);
  BOOST_CHECK_EQUAL(o->lon, 113.57);
  o = &s.add("S21009110002", ev::UnitCaptured{kId, captured("N1", "W1")});
  o = &s.add("S21009110002", ev::UnitCaptured{kId, captured("N2", "W2")});
  BOOST_CHECK_EQUAL(o->units.size(), 2u);
  BOOST_CHECK(o->status == S::to_process);
  o = &s.add("S21009110002", ev::OrderCompleted{kId});
  BOOST_CHECK(o->status == S::pending_close);
  o = &s.add("S2100911", ev::FeedbackAdded{kId, "条码照片已核对"});
  BOOST_REQUIRE_EQUAL(o->feedback.size(), 1u);
  BOOST_CHECK_EQUAL(o->feedback[0].actor.str(), "S2100911");
  BOOST_CHECK_EQUAL(o->feedback[0].text, "条码照片已核对");
  o = &s.add("S2100911", ev::OrderClosed{kId});
  BOOST_CHECK(o->status == S::closed);
  BOOST_CHECK_EQUAL(o->primary->str(), "S21009110002");  // 已完结 still shows it
  BOOST_CHECK_EQUAL(o->version.value(), 11u);
  BOOST_CHECK_EQUAL(o->created_at, "2015-01-08T09:00:00+08:00");
}

BOOST_AUTO_TEST_CASE(refusal_reassignment_report_and_cancel) {
  Stream s;
  s.add("ZHKF", created("ZHKF"));
  s.add("ZHKF", ev::DispatchedToUnit{kId, UnitId("ZHKF"), UnitId("S2100911")});
  s.add("S2100911", ev::TechniciansAssigned{kId, StaffId("S21009110002"), {}});
  const OrderState* o = &s.add("S21009110002", ev::OrderRefused{kId, "太远"});
  BOOST_CHECK(o->status == S::pending_dispatch);
  BOOST_CHECK(!o->primary);
  BOOST_CHECK_EQUAL(o->holder.str(), "S2100911");

  s.add("S2100911", ev::TechniciansAssigned{kId, StaffId("S21009110001"), {}});
  o = &s.add("S2100911", ev::ReassignmentRequested{kId, "人手不足"});
  BOOST_CHECK(o->status == S::pending_reassignment_approval);
  BOOST_CHECK(*o->status_before_reassignment == S::to_accept);
  BOOST_CHECK_EQUAL(o->reassignment_reason, "人手不足");
  o = &s.add("ZHKF", ev::ReassignmentRejected{kId, "请继续"});
  BOOST_CHECK(o->status == S::to_accept);
  BOOST_CHECK(!o->status_before_reassignment);
  BOOST_CHECK_EQUAL(o->primary->str(), "S21009110001");

  s.add("S2100911", ev::ReassignmentRequested{kId, "人手不足"});
  o = &s.add("ZHKF", ev::ReassignmentApproved{kId, UnitId("ZHKF")});
  BOOST_CHECK(o->status == S::pending_dispatch);
  BOOST_CHECK_EQUAL(o->holder.str(), "ZHKF");
  BOOST_CHECK_EQUAL(o->path.size(), 1u);
  BOOST_CHECK(!o->primary);

  s.add("ZHKF", ev::DispatchedToUnit{kId, UnitId("ZHKF"), UnitId("S2100911")});
  o = &s.add("S2100911", ev::CompletionReported{kId, {captured("N1", "W1")}});
  o = &s.add("S2100911", ev::OrderClosed{kId});
  BOOST_CHECK(o->status == S::closed);
  BOOST_CHECK_EQUAL(o->units.size(), 1u);

  Stream c;
  c.add("ZHKF", created("ZHKF"));
  o = &c.add("ZHKF", ev::OrderCancelled{kId, "客户退款"});
  BOOST_CHECK(o->status == S::cancelled);
  BOOST_CHECK_EQUAL(o->cancel_reason, "客户退款");
}

BOOST_AUTO_TEST_CASE(organisation_events_leave_an_order_alone) {
  Stream s;
  OrderState before = s.add("ZHKF", created("ZHKF"));
  Event e;
  e.stream = "unit/N";
  e.version = Version(7);
  e.position = Position(999);
  e.body = ev::UnitRegistered{UnitId("N"), "新", UnitKind::service_outlet, std::nullopt};
  BOOST_CHECK(evolve(before, e) == before);
}

BOOST_AUTO_TEST_CASE(sales_origin_comes_from_the_creating_unit) {
  Org org;
  auto reg = [&](const char* id, UnitKind kind) {
    Event e;
    e.stream = unit_stream(UnitId(id));
    e.version = Version(1);
    e.body = ev::UnitRegistered{UnitId(id), id, kind, std::nullopt};
    org.apply(e);
  };
  reg("X250001201", UnitKind::sales_outlet);
  reg("ZHKF", UnitKind::service_center);
  Event e;
  e.stream = order_stream(kId);
  e.version = Version(1);
  e.body = created("X250001201");
  BOOST_CHECK(evolve(std::nullopt, e, org).sales_origin);
  BOOST_CHECK(!evolve(std::nullopt, e).sales_origin);
  e.body = created("ZHKF");
  BOOST_CHECK(!evolve(std::nullopt, e, org).sales_origin);
}

OrderState full_order() { return dispatch::full_order(kId); }

BOOST_AUTO_TEST_CASE(json_round_trip) {
  for (OrderState o : {full_order(), OrderState{}}) {
    if (o.order_id.empty()) {  // a minimal one: no primary, source or pending reassignment
      o.order_id = kId;
      o.holder = UnitId("ZHKF");
      o.creator = UnitId("ZHKF");
      o.path = {UnitId("ZHKF")};
    }
    nlohmann::json j = to_json(o);
    auto back = order_from_json(nlohmann::json::parse(j.dump()));
    BOOST_REQUIRE_MESSAGE(back.ok(), (back.ok() ? "" : back.error().message));
    BOOST_CHECK(back.value() == o);
  }
  nlohmann::json j = to_json(full_order());
  for (const char* key : {"order_id",
                          "kind",
                          "status",
                          "holder",
                          "primary",
                          "assistants",
                          "customer",
                          "items",
                          "units",
                          "feedback",
                          "source",
                          "creator",
                          "sales_origin",
                          "path",
                          "note",
                          "checked_in",
                          "lat",
                          "lon",
                          "status_before_reassignment",
                          "reassignment_reason",
                          "cancel_reason",
                          "created_at",
                          "updated_at",
                          "version",
                          "last_position"}) {
    BOOST_CHECK_MESSAGE(j.contains(key), key);
  }
  BOOST_CHECK_EQUAL(j["status"], "pending_reassignment_approval");
  BOOST_CHECK_EQUAL(j["kind"], "delivery");
  BOOST_CHECK_EQUAL(j["feedback"][0]["actor"], "S2100911");
  BOOST_CHECK_EQUAL(j["feedback"][0]["text"], "已联系");
  BOOST_CHECK_EQUAL(j["source"]["platform"], "jd");
  BOOST_CHECK_EQUAL(j["units"][0]["indoor_barcode"], "N1");
  BOOST_CHECK_EQUAL(j["version"], 9);
  BOOST_CHECK(to_json(OrderState{})["primary"].is_null());
}

BOOST_AUTO_TEST_CASE(bad_json_is_an_invalid_error) {
  auto r = order_from_json(nlohmann::json::array());
  BOOST_CHECK(!r.ok() && r.error().code == ErrorCode::invalid);
  nlohmann::json j = to_json(full_order());
  j.erase("holder");
  r = order_from_json(j);
  BOOST_REQUIRE(!r.ok());
  BOOST_CHECK_EQUAL(r.error().field, "holder");
  j = to_json(full_order());
  j["status"] = "lost";
  r = order_from_json(j);
  BOOST_REQUIRE(!r.ok());
  BOOST_CHECK_EQUAL(r.error().field, "status");
  j = to_json(full_order());
  j["version"] = "nine";
  r = order_from_json(j);
  BOOST_REQUIRE(!r.ok());
  BOOST_CHECK_EQUAL(r.error().field, "version");
}

}  // namespace
}  // namespace dispatch
