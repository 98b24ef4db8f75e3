// The mapping from shop orders to commands, decided purely: ids, routing, and what each later
// snapshot asks of the work orders already made.
#define BOOST_TEST_MODULE connectors_mapping
#include "connectors/mapping.h"

#include <boost/test/unit_test.hpp>
#include <map>

using namespace dispatch;
using namespace dispatch::connectors;

namespace {
struct Fixture {
  Org org;
  std::map<OrderId, WorkOrder> orders;
  MappingConfig config{UnitId("GDKF")};

  Fixture() {
    Event e;
    e.body = ev::RegionRouted{"广东省", "珠海市", "", UnitId("ZHKF")};
    org.apply(e);
    e.body = ev::RegionRouted{"广东省", "珠海市", "香洲区", UnitId("S2100911")};
    org.apply(e);
  }
  ShopOrder paid(std::string district = "香洲区") const {
    ShopOrder o;
    o.platform = Platform::tmall;
    o.platform_order_id = "4263919263128591234";
    o.status = ShopStatus::paid;
    o.receiver = Customer{"张三", "13800000000", "广东省", "珠海市", std::move(district), "1号"};
    o.lines = {ShopLine{"KFR-35GW", 1, "1"}};
    o.modified = "2026-11-20 10:05:00";
    return o;
  }
  Plan plan(const ShopOrder& o) {
    auto r = plan_commands(o, org, config, [this](const OrderId& id) -> std::optional<WorkOrder> {
      auto it = orders.find(id);
      if (it == orders.end()) return std::nullopt;
      return it->second;
    });
    BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
    return *r;
  }
  void made(OrderStatus status) {
    for (auto kind : {OrderKind::delivery, OrderKind::installation}) {
      orders[work_order_id(Platform::tmall, "4263919263128591234", kind)] =
          WorkOrder{kind, status, paid().receiver};
    }
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(mapping, Fixture)

BOOST_AUTO_TEST_CASE(a_paid_order_is_a_delivery_and_an_installation_at_the_routed_unit) {
  Plan p = plan(paid());
  BOOST_TEST((p.outcome == Outcome::created));
  BOOST_TEST_REQUIRE(p.commands.size() == 2u);
  const auto& delivery = std::get<cmd::CreateOrder>(p.commands[0].body);
  const auto& install = std::get<cmd::CreateOrder>(p.commands[1].body);
  BOOST_TEST(delivery.order_id->str() == "PS-TM-4263919263128591234");
  BOOST_TEST(install.order_id->str() == "AZ-TM-4263919263128591234");
  BOOST_TEST(install.unit->str() == "S2100911");
  BOOST_TEST(p.commands[1].id.str() == "tmall:4263919263128591234:installation:create");
  BOOST_TEST(p.commands[1].actor.str() == "connector:tmall");
  BOOST_TEST(p.commands[1].at == "2026-11-20T10:05:00+08:00");
  BOOST_TEST(!install.source->unrouted);
  // 金湾区 falls back to the city's route; another province to the fallback unit, unrouted.
  const Plan city = plan(paid("金湾区"));
  BOOST_TEST(std::get<cmd::CreateOrder>(city.commands[0].body).unit->str() == "ZHKF");
  ShopOrder far = paid();
  far.receiver.province = "湖南省";
  const Plan elsewhere = plan(far);
  const auto& fallback = std::get<cmd::CreateOrder>(elsewhere.commands[0].body);
  BOOST_TEST(fallback.unit->str() == "GDKF");
  BOOST_TEST(fallback.source->unrouted);
  config.fallback_unit.reset();
  BOOST_TEST(!plan_commands(far, org, config, [](const OrderId&) {
                return std::optional<WorkOrder>();
              }).ok());
}

BOOST_AUTO_TEST_CASE(the_same_order_again_asks_nothing) {
  made(OrderStatus::pending_dispatch);
  Plan p = plan(paid());
  BOOST_TEST((p.outcome == Outcome::unchanged));
  BOOST_TEST(p.commands.empty());
}

BOOST_AUTO_TEST_CASE(unpaid_waits_and_a_close_before_payment_is_ignored) {
  ShopOrder o = paid();
  o.status = ShopStatus::unpaid;
  BOOST_TEST((plan(o).outcome == Outcome::waiting));
  o.status = ShopStatus::closed;
  BOOST_TEST((plan(o).outcome == Outcome::ignored));
}

BOOST_AUTO_TEST_CASE(an_address_change_before_and_after_dispatch) {
  made(OrderStatus::pending_dispatch);
  orders[OrderId("AZ-TM-4263919263128591234")].status = OrderStatus::to_accept;
  ShopOrder o = paid();
  o.receiver.address = "2号";
  Plan p = plan(o);
  BOOST_TEST((p.outcome == Outcome::updated));
  BOOST_TEST_REQUIRE(p.commands.size() == 2u);
  BOOST_TEST(std::holds_alternative<cmd::ChangeCustomerAddress>(p.commands[0].body));
  BOOST_TEST(std::holds_alternative<cmd::AddFeedback>(p.commands[1].body));
  // The same change has the same command id (a redelivery is a duplicate); another does not.
  BOOST_TEST((plan(o).commands[0].id == p.commands[0].id));
  o.receiver.address = "3号";
  BOOST_TEST((plan(o).commands[0].id != p.commands[0].id));
}

BOOST_AUTO_TEST_CASE(a_refund_cancels_what_technicians_do_not_have_and_tells_the_rest) {
  made(OrderStatus::pending_dispatch);
  orders[OrderId("AZ-TM-4263919263128591234")].status = OrderStatus::to_process;
  ShopOrder o = paid();
  o.status = ShopStatus::closed;
  Plan p = plan(o);
  BOOST_TEST((p.outcome == Outcome::cancelled));
  BOOST_TEST_REQUIRE(p.commands.size() == 2u);
  BOOST_TEST(std::holds_alternative<cmd::CancelOrder>(p.commands[0].body));
  BOOST_TEST(std::holds_alternative<cmd::AddFeedback>(p.commands[1].body));
  made(OrderStatus::cancelled);
  BOOST_TEST(plan(o).commands.empty());
}

BOOST_AUTO_TEST_CASE(notices_need_a_known_trade_and_old_snapshots_are_stale) {
  ShopNotice pay;
  pay.platform_order_id = "4263919263128591234";
  BOOST_TEST((apply_notice(std::nullopt, pay).error().code == ErrorCode::not_found));
  ShopOrder unpaid = paid();
  unpaid.status = ShopStatus::unpaid;
  BOOST_TEST((apply_notice(unpaid, pay)->status == ShopStatus::paid));
  ShopOrder older = paid();
  older.modified = "2026-11-20 09:00:00";
  BOOST_TEST(is_stale(older, paid()));
  BOOST_TEST(!is_stale(paid(), older));
}

BOOST_AUTO_TEST_CASE(a_refund_of_one_line_of_several_tells_the_holders) {
  ShopOrder two = paid();
  two.lines.push_back(ShopLine{"KFR-72LW", 1, "2"});
  ShopNotice refund;
  refund.platform_order_id = two.platform_order_id;
  refund.kind = ShopNotice::Kind::refunded;
  refund.line_id = "2";
  ShopOrder after = *apply_notice(two, refund);
  BOOST_TEST((after.status == ShopStatus::paid));
  BOOST_TEST(after.refunded_lines == std::vector<std::string>{"2"});
  made(OrderStatus::pending_dispatch);
  Plan p = plan(after);
  BOOST_TEST((p.outcome == Outcome::updated));
  BOOST_TEST_REQUIRE(p.commands.size() == 2u);
  BOOST_TEST(std::get<cmd::AddFeedback>(p.commands[0].body).text.find("KFR-72LW") !=
             std::string::npos);
  // The other line too: the whole order is refunded.
  refund.line_id = "1";
  BOOST_TEST((apply_notice(after, refund)->status == ShopStatus::closed));
  // A line it does not know, or no line named: the whole order.
  refund.line_id = "9";
  BOOST_TEST((apply_notice(two, refund)->status == ShopStatus::closed));
}

BOOST_AUTO_TEST_SUITE_END()
