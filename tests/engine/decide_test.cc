#define BOOST_TEST_MODULE decide
#include "engine/decide.h"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <set>
#include <sstream>

#include "tests/engine/world.h"

namespace dispatch {
namespace {

using testing::build_org;
using testing::captured;
using testing::create_order;
using testing::World;
using S = OrderStatus;

std::string code_name(const std::optional<ErrorCode>& code) {
  return code ? std::string(to_string(*code)) : std::string("allowed");
}

// ---- the table ------------------------------------------------------------------------------

// Steps that move a fixture order, each by the account the workflow expects.
enum class Step {
  dispatch,
  assign,
  accept,
  check_in,
  capture,
  complete,
  close,
  report,
  request,
  cancel
};

void step(World& w, const std::string& id, Step s) {
  OrderId oid(id);
  switch (s) {
    case Step::dispatch:
      w.run("ZHKF", cmd::DispatchToUnit{{oid}, UnitId("S2100911")});
      break;
    case Step::assign:
      w.run("S2100911",
            cmd::AssignTechnicians{{oid}, StaffId("S21009110002"), {StaffId("S21009110001")}});
      break;
    case Step::accept:
      w.run("S21009110002", cmd::AcceptOrder{oid});
      break;
    case Step::check_in:
      w.run("S21009110002", cmd::CheckIn{oid, 22.27, 113.57});
      break;
    case Step::capture:
      w.run("S21009110002", cmd::CaptureUnit{oid, captured(id + "-in", id + "-out")});
      break;
    case Step::complete:
      w.run("S21009110002", cmd::CompleteOrder{oid});
      break;
    case Step::close:
      w.run("S2100911", cmd::CloseOrder{oid});
      break;
    case Step::report:
      w.run("S2100911", cmd::ReportCompletion{oid, {captured(id + "-rin", id + "-rout")}});
      break;
    case Step::request:
      w.run("S2100911", cmd::RequestReassignment{oid, "人手不足"});
      break;
    case Step::cancel:
      w.run("ZHKF", cmd::CancelOrder{oid, "客户取消"});
      break;
  }
}

struct Fixture {
  std::string name;
  OrderKind kind;
  std::vector<Step> steps;
};

// Every order is created by ZHKF and passed down to S2100911, which holds it in every fixture.
const std::vector<Fixture>& fixtures() {
  using enum Step;
  static const std::vector<Fixture> all{
      {"pending_dispatch", OrderKind::installation, {dispatch}},
      {"to_accept", OrderKind::installation, {dispatch, assign}},
      {"to_process", OrderKind::installation, {dispatch, assign, accept}},
      {"to_process_checked_in", OrderKind::installation, {dispatch, assign, accept, check_in}},
      {"to_process_captured",
       OrderKind::installation,
       {dispatch, assign, accept, check_in, capture}},
      {"delivery_to_process", OrderKind::delivery, {dispatch, assign, accept, check_in}},
      {"reassignment_from_to_accept", OrderKind::installation, {dispatch, assign, request}},
      {"reassignment_from_pending", OrderKind::installation, {dispatch, request}},
      {"pending_close",
       OrderKind::installation,
       {dispatch, assign, accept, check_in, capture, complete}},
      {"closed",
       OrderKind::installation,
       {dispatch, assign, accept, check_in, capture, complete, close}},
      {"closed_by_report", OrderKind::installation, {dispatch, report}},
      {"cancelled", OrderKind::installation, {dispatch, cancel}},
      {"cancelled_after_assign", OrderKind::installation, {dispatch, assign, cancel}},
  };
  return all;
}

// The accounts that act in the table.
const std::vector<std::pair<std::string, std::string>>& roles() {
  static const std::vector<std::pair<std::string, std::string>> all{
      {"admin", "admin"},
      {"holder", "S2100911"},
      {"passer_down_creator", "ZHKF"},
      {"holder_ancestor", "GDXS"},
      {"sub_outlet", "S2100911-01"},
      {"unrelated_outlet", "S2200101"},
      {"unrelated_center", "ZSKF"},
      {"sales_outlet", "X250001201"},
      {"primary", "S21009110002"},
      {"assistant", "S21009110001"},
      {"other_technician", "S22001010001"},
      {"unknown_account", "S9999999"},
      // Connectors: none of the fixture orders came from a shop, so they may only create.
      {"connector_tmall", "connector:tmall"},
      {"connector_jd", "connector:jd"},
  };
  return all;
}

// One valid command of each type about order `id`, as `actor` would send it.
const std::vector<std::function<CommandBody(const OrderId&, const std::string&)>>& commands() {
  using F = std::function<CommandBody(const OrderId&, const std::string&)>;
  static const std::vector<F> all{
      [](auto&, auto&) {
        return cmd::RegisterUnit{UnitId("S2100911-02"), "新网点", UnitKind::service_outlet,
                                 UnitId("S2100911")};
      },
      [](auto&, auto&) {
        return cmd::LinkServiceOutlet{UnitId("X250001201"), UnitId("S2200101")};
      },
      [](auto&, auto&) {
        return cmd::RegisterStaff{StaffId("S21009110003"), UnitId("S2100911"), "测试员4", "139"};
      },
      [](auto&, const std::string& actor) {
        auto c = create_order();
        if (actor == "admin") c.unit = UnitId("ZHKF");
        if (actor.rfind("connector:", 0) == 0) {
          // A Tmall order no route covers, at a fallback unit.
          c.unit = UnitId("ZHKF");
          c.source = Source{Platform::tmall, "1001", "", false, true};
        }
        return c;
      },
      [](const OrderId& id, auto&) {
        return cmd::DispatchToUnit{{id}, UnitId("S2100911-01")};
      },
      [](const OrderId& id, auto&) {
        return cmd::AssignTechnicians{{id}, StaffId("S21009110002"), {StaffId("S21009110001")}};
      },
      [](const OrderId& id, auto&) { return cmd::AcceptOrder{id}; },
      [](const OrderId& id, auto&) {
        return cmd::RefuseOrder{id, "太远"};
      },
      [](const OrderId& id, auto&) {
        return cmd::CheckIn{id, 22.2, 113.5};
      },
      [](const OrderId& id, auto&) {
        return cmd::CaptureUnit{id, captured("NEW-IN", "NEW-OUT")};
      },
      [](const OrderId& id, auto&) { return cmd::CompleteOrder{id}; },
      [](const OrderId& id, auto&) {
        return cmd::ReportCompletion{id, {captured("RPT-IN", "RPT-OUT")}};
      },
      [](const OrderId& id, auto&) { return cmd::CloseOrder{id}; },
      [](const OrderId& id, auto&) {
        return cmd::AddFeedback{id, "客户不在家"};
      },
      [](const OrderId& id, auto&) {
        return cmd::RequestReassignment{id, "人手不足"};
      },
      [](const OrderId& id, auto&) { return cmd::ApproveReassignment{id}; },
      [](const OrderId& id, auto&) {
        return cmd::RejectReassignment{id, "请继续处理"};
      },
      [](const OrderId& id, auto&) {
        return cmd::CancelOrder{id, "客户取消"};
      },
      [](auto&, auto&) {
        return cmd::RouteRegion{"广东省", "珠海市", "香洲区", UnitId("S2100911")};
      },
      [](const OrderId& id, auto&) {
        Customer c = testing::customer();
        c.address = "香洲区人民路2号";
        return cmd::ChangeCustomerAddress{id, c};
      },
      [](auto&, auto&) {
        return cmd::ChangePassword{AccountId("S21009110002"), "$argon2id$v=19$m=8,t=1,p=1$x$y"};
      },
      [](auto&, auto&) { return cmd::ResetPassword{AccountId("S21009110002")}; },
  };
  return all;
}

// The rules, written from the contract without looking at decide(): who may act (else
// forbidden), then which statuses allow it (else invalid_state). In every fixture the holder is
// S2100911, passed down from its creator ZHKF; GDXS is above both.
std::optional<ErrorCode> expected(std::string_view type, const OrderState& o,
                                  const std::string& who) {
  static const std::set<std::string> units{"S2100911", "ZHKF", "GDXS",      "S2100911-01",
                                           "S2200101", "ZSKF", "X250001201"};
  const bool admin = who == "admin";
  const bool holder = who == "S2100911";
  const bool above_holder = who == "ZHKF" || who == "GDXS";
  const bool passer = who == "ZHKF";
  const bool primary = o.primary && o.primary->str() == who;
  const bool helper = std::any_of(o.assistants.begin(), o.assistants.end(),
                                  [&](const StaffId& a) { return a.str() == who; });
  auto gate = [&](bool may, std::set<S> ok, bool extra = true) -> std::optional<ErrorCode> {
    if (!admin && !may) return ErrorCode::forbidden;
    if (!ok.count(o.status) || !extra) return ErrorCode::invalid_state;
    return std::nullopt;
  };
  auto any = std::set<S>{S::pending_dispatch, S::pending_reassignment_approval,
                         S::to_accept,        S::to_process,
                         S::pending_close,    S::closed,
                         S::cancelled};
  if (type == "RegisterUnit" || type == "RegisterStaff") return gate(holder || above_holder, any);
  if (type == "RouteRegion") return gate(above_holder, any);
  if (type == "LinkServiceOutlet") return gate(who == "GDXS", any);
  if (type == "CreateOrder") {
    return gate((units.count(who) && who != "GDXS") || who == "connector:tmall", any);
  }
  if (type == "DispatchToUnit") return gate(holder, {S::pending_dispatch});
  if (type == "AssignTechnicians") return gate(holder, {S::pending_dispatch, S::to_accept});
  if (type == "AcceptOrder" || type == "RefuseOrder") return gate(primary, {S::to_accept});
  if (type == "CheckIn") return gate(primary, {S::to_process});
  if (type == "CaptureUnit") return gate(primary, {S::to_process}, o.checked_in);
  if (type == "CompleteOrder") {
    return gate(primary, {S::to_process}, o.kind == OrderKind::delivery || !o.units.empty());
  }
  if (type == "ReportCompletion") {
    return gate(holder, {S::pending_dispatch, S::to_accept, S::to_process});
  }
  if (type == "CloseOrder") return gate(holder, {S::pending_close});
  if (type == "AddFeedback") return gate(holder || above_holder || primary || helper, any);
  if (type == "RequestReassignment") return gate(holder, {S::pending_dispatch, S::to_accept});
  if (type == "ApproveReassignment" || type == "RejectReassignment") {
    return gate(passer, {S::pending_reassignment_approval});
  }
  if (type == "CancelOrder") {
    return gate(above_holder, {S::pending_dispatch, S::pending_reassignment_approval, S::to_accept,
                               S::to_process});
  }
  if (type == "ChangeCustomerAddress") return gate(above_holder, {S::pending_dispatch});
  // Both about the technician S21009110002 of the holder S2100911.
  if (type == "ChangePassword") return gate(who == "S21009110002", any);
  if (type == "ResetPassword") return gate(holder || above_holder, any);
  BOOST_FAIL("no expectation for " << type);
  return std::nullopt;
}

BOOST_AUTO_TEST_CASE(every_command_status_and_role) {
  World w;
  build_org(w);
  for (const auto& f : fixtures()) {
    w.run("ZHKF", create_order(f.name, f.kind));
    for (Step s : f.steps) step(w, f.name, s);
  }

  std::set<S> statuses;
  for (const auto& f : fixtures()) statuses.insert(w.order(f.name).status);
  BOOST_REQUIRE_EQUAL(statuses.size(), 7u);  // every status has a fixture
  BOOST_REQUIRE_EQUAL(commands().size(), std::variant_size_v<CommandBody>);

  std::size_t cases = 0, allowed = 0;
  for (std::size_t t = 0; t < commands().size(); ++t) {
    for (const auto& f : fixtures()) {
      const OrderState& o = w.order(f.name);
      for (const auto& [role, account] : roles()) {
        Command c = w.command(account, commands()[t](o.order_id, account));
        BOOST_REQUIRE_EQUAL(c.type(), command_type_name(t));
        auto got = decide(w.context(), c);
        auto want = expected(c.type(), o, account);
        std::optional<ErrorCode> code;
        if (!got.ok()) code = got.error().code;
        ++cases;
        BOOST_CHECK_MESSAGE(code == want, c.type() << " on " << f.name << " by " << role << " ("
                                                   << account << "): got " << code_name(code)
                                                   << (got.ok() ? "" : " — " + got.error().message)
                                                   << ", expected " << code_name(want));
        if (!got.ok()) {
          BOOST_CHECK_MESSAGE(!got.error().message.empty(), "an error without a sentence");
          continue;
        }
        ++allowed;
        // Envelope and versions of what was decided.
        for (std::size_t k = 0; k < got->size(); ++k) {
          const Event& e = (*got)[k];
          BOOST_CHECK(e.actor == c.actor && e.at == c.at && e.command_id == c.id);
          BOOST_CHECK_EQUAL(e.position.value(), 0u);
          if (!e.order_id().empty() && e.order_id() == o.order_id) {
            BOOST_CHECK_EQUAL(e.stream, order_stream(o.order_id));
            BOOST_CHECK_EQUAL(e.version.value(), o.version.value() + k + 1);
          } else if (e.order_id().empty()) {
            BOOST_CHECK_EQUAL(e.version.value(), w.org.stream_version(e.stream).value() + 1);
          } else {
            BOOST_CHECK_EQUAL(e.version.value(), 1u);  // a new order
          }
        }
      }
    }
  }
  BOOST_CHECK_EQUAL(cases, commands().size() * fixtures().size() * roles().size());
  BOOST_CHECK_GT(allowed, 100u);
}

// ---- focused tests --------------------------------------------------------------------------

struct Org0 {
  World w;
  Org0() { build_org(w); }
  std::string create(const std::string& id, const std::string& by = "ZHKF") {
    w.run(by, create_order(id));
    return id;
  }
  Error refused(const std::string& actor, CommandBody body) {
    auto r = w.decide(actor, std::move(body));
    BOOST_REQUIRE_MESSAGE(!r.ok(), "expected a refusal");
    return r.error();
  }
};

BOOST_FIXTURE_TEST_SUITE(focused, Org0)

BOOST_AUTO_TEST_CASE(batch_is_all_or_nothing) {
  for (auto id : {"A1", "A2", "A3"}) create(id);
  w.run("ZHKF", cmd::DispatchToUnit{{OrderId("A2")}, UnitId("S2100911")});
  // A2 is no longer ZHKF's: the whole batch is refused, naming A2.
  Error e = refused("ZHKF", cmd::DispatchToUnit{{OrderId("A1"), OrderId("A2"), OrderId("A3")},
                                                UnitId("S2100911")});
  BOOST_CHECK(e.code == ErrorCode::forbidden);
  BOOST_CHECK_NE(e.message.find("A2"), std::string::npos);
  BOOST_CHECK_EQUAL(w.order("A1").holder.str(), "ZHKF");

  // A state refusal of the last order refuses the first ones too.
  w.run("S2100911", cmd::AssignTechnicians{{OrderId("A2")}, StaffId("S21009110002"), {}});
  BOOST_CHECK(
      w.decide("S2100911", cmd::AssignTechnicians{{OrderId("A2")}, StaffId("S21009110001"), {}})
          .ok());  // re-assigning before acceptance
  w.run("S21009110002", cmd::AcceptOrder{OrderId("A2")});
  w.run("ZHKF", cmd::DispatchToUnit{{OrderId("A1")}, UnitId("S2100911")});
  e = refused("S2100911",
              cmd::AssignTechnicians{{OrderId("A1"), OrderId("A2")}, StaffId("S21009110002"), {}});
  BOOST_CHECK(e.code == ErrorCode::invalid_state);
  BOOST_CHECK_NE(e.message.find("order A2"), std::string::npos);
  BOOST_CHECK(w.order("A1").status == S::pending_dispatch);

  // A missing order is not_found and named; duplicates and empty batches are invalid.
  e = refused("ZHKF", cmd::DispatchToUnit{{OrderId("A3"), OrderId("NOPE")}, UnitId("S2100911")});
  BOOST_CHECK(e.code == ErrorCode::not_found);
  BOOST_CHECK_NE(e.message.find("NOPE"), std::string::npos);
  BOOST_CHECK_EQUAL(e.field, "order_ids");
  e = refused("ZHKF", cmd::DispatchToUnit{{OrderId("A3"), OrderId("A3")}, UnitId("S2100911")});
  BOOST_CHECK(e.code == ErrorCode::invalid);
  BOOST_CHECK_EQUAL(e.field, "order_ids[1]");
  e = refused("ZHKF", cmd::DispatchToUnit{{}, UnitId("S2100911")});
  BOOST_CHECK(e.code == ErrorCode::invalid);
  BOOST_CHECK_EQUAL(e.field, "order_ids");
  std::vector<OrderId> many;
  for (int i = 0; i < 1001; ++i) many.emplace_back("B" + std::to_string(i));
  e = refused("ZHKF", cmd::DispatchToUnit{many, UnitId("S2100911")});
  BOOST_CHECK(e.code == ErrorCode::invalid);

  // A good batch gives one event per order, each on its own stream.
  create("A4");
  auto events =
      w.run("ZHKF", cmd::DispatchToUnit{{OrderId("A3"), OrderId("A4")}, UnitId("S2100911")});
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_CHECK_EQUAL(events[0].stream, "order/A3");
  BOOST_CHECK_EQUAL(events[1].stream, "order/A4");
  BOOST_CHECK_EQUAL(events[1].version.value(), 2u);
}

BOOST_AUTO_TEST_CASE(sales_outlet_dispatches_to_linked_outlets_only) {
  create("X1", "X250001201");
  BOOST_CHECK(w.order("X1").sales_origin);
  BOOST_CHECK(!w.order(create("Z1")).sales_origin);
  for (auto target : {"S2200101", "ZHKF", "S2100911-01"}) {
    Error e = refused("X250001201", cmd::DispatchToUnit{{OrderId("X1")}, UnitId(target)});
    BOOST_CHECK(e.code == ErrorCode::forbidden);
    BOOST_CHECK_EQUAL(e.field, "unit");
    BOOST_CHECK_NE(e.message.find(target), std::string::npos);
    BOOST_CHECK_NE(e.message.find("X250001201"), std::string::npos);
  }
  w.run("GDXS", cmd::LinkServiceOutlet{UnitId("X250001201"), UnitId("S2200101")});
  BOOST_CHECK(
      w.decide("X250001201", cmd::DispatchToUnit{{OrderId("X1")}, UnitId("S2200101")}).ok());
  auto events = w.run("X250001201", cmd::DispatchToUnit{{OrderId("X1")}, UnitId("S2100911")});
  const auto& d = std::get<ev::DispatchedToUnit>(events[0].body);
  BOOST_CHECK_EQUAL(d.from.str(), "X250001201");
  BOOST_CHECK_EQUAL(w.order("X1").holder.str(), "S2100911");
  // Linking is checked: kinds, ancestry, duplicates.
  BOOST_CHECK(
      refused("GDXS", cmd::LinkServiceOutlet{UnitId("X250001201"), UnitId("S2100911")}).code ==
      ErrorCode::invalid_state);
  BOOST_CHECK(
      refused("GDXS", cmd::LinkServiceOutlet{UnitId("S2100911"), UnitId("S2200101")}).code ==
      ErrorCode::invalid);
  BOOST_CHECK(refused("GDXS", cmd::LinkServiceOutlet{UnitId("X250001201"), UnitId("ZSKF")}).code ==
              ErrorCode::invalid);
  BOOST_CHECK(
      refused("ZSKF", cmd::LinkServiceOutlet{UnitId("X250001201"), UnitId("S2200101")}).code ==
      ErrorCode::forbidden);
}

BOOST_AUTO_TEST_CASE(dispatch_goes_down_any_depth_never_sideways_or_up) {
  create("D1");
  create("D2");
  BOOST_CHECK(w.decide("ZHKF", cmd::DispatchToUnit{{OrderId("D1")}, UnitId("S2100911-01")}).ok());
  for (auto target : {"ZHKF", "GDXS", "S2200101", "ZSKF", "X250001201"}) {
    Error e = refused("ZHKF", cmd::DispatchToUnit{{OrderId("D1")}, UnitId(target)});
    BOOST_CHECK_MESSAGE(e.code == ErrorCode::forbidden, target);
    BOOST_CHECK_EQUAL(e.field, "unit");
  }
  w.run("ZHKF", cmd::DispatchToUnit{{OrderId("D1")}, UnitId("S2100911")});
  for (auto target : {"ZHKF", "S2100911", "S2200101"}) {
    BOOST_CHECK(refused("S2100911", cmd::DispatchToUnit{{OrderId("D1")}, UnitId(target)}).code ==
                ErrorCode::forbidden);
  }
  // The administrator acts as the holder, under the same rule.
  BOOST_CHECK(refused("admin", cmd::DispatchToUnit{{OrderId("D1")}, UnitId("ZSKF")}).code ==
              ErrorCode::forbidden);
  w.run("admin", cmd::DispatchToUnit{{OrderId("D1")}, UnitId("S2100911-01")});
  const OrderState& o = w.order("D1");
  BOOST_CHECK_EQUAL(o.path.size(), 3u);
  BOOST_CHECK_EQUAL(passed_down_by(o)->str(), "S2100911");
  BOOST_CHECK(refused("ZHKF", cmd::DispatchToUnit{{OrderId("D2")}, UnitId("NOWHERE")}).code ==
              ErrorCode::not_found);
}

BOOST_AUTO_TEST_CASE(generated_order_ids) {
  cmd::CreateOrder c = create_order();
  auto events = w.run("ZHKF", c);
  BOOST_CHECK_EQUAL(events[0].order_id().str(), "AZ20150108000001");
  BOOST_CHECK_EQUAL(events[0].version.value(), 1u);
  BOOST_CHECK_EQUAL(events[0].stream, "order/AZ20150108000001");
  c.kind = OrderKind::delivery;
  events = w.run("S2100911", c, "2015-02-03T08:00:00Z");
  BOOST_CHECK_EQUAL(events[0].order_id().str(), "PS20150203000002");
  // An id taken by hand is skipped.
  w.run("ZHKF", create_order("AZ20150108000004"));
  w.orders_created = 3;
  c.kind = OrderKind::installation;
  events = w.run("ZHKF", c);
  BOOST_CHECK_EQUAL(events[0].order_id().str(), "AZ20150108000005");
  w.orders_created = 1234567;
  BOOST_CHECK_EQUAL(w.decide("ZHKF", c).value()[0].order_id().str(), "AZ201501081234568");
  // A node of a shared log numbers only in its partitions: ids it may not create are skipped.
  w.may_create = [](const OrderId& id) { return id.str().back() == '2' || id.str().back() == '9'; };
  BOOST_CHECK_EQUAL(w.decide("ZHKF", c).value()[0].order_id().str(), "AZ201501081234569");
  // One that may create none is given a free id beyond its tries, which the engine refuses.
  w.may_create = [](const OrderId&) { return false; };
  w.orders_created = 0;
  BOOST_CHECK_EQUAL(w.decide("ZHKF", c).value()[0].order_id().str(), "AZ20150108100001");
  w.may_create = nullptr;
  // A given id that exists is invalid.
  Error e = refused("ZHKF", create_order("AZ20150108000004"));
  BOOST_CHECK(e.code == ErrorCode::invalid);
  BOOST_CHECK_EQUAL(e.field, "order_id");
  BOOST_CHECK_NE(e.message.find("already exists"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(versions_are_consecutive) {
  create("V1");
  w.run("ZHKF", cmd::DispatchToUnit{{OrderId("V1")}, UnitId("S2100911")});
  w.run("S2100911", cmd::AddFeedback{OrderId("V1"), "已联系客户"});
  auto events = w.run("S2100911", cmd::ReportCompletion{OrderId("V1"), {captured("I-1", "O-1")}});
  BOOST_REQUIRE_EQUAL(events.size(), 2u);
  BOOST_CHECK_EQUAL(events[0].type(), "CompletionReported");
  BOOST_CHECK_EQUAL(events[1].type(), "OrderClosed");
  BOOST_CHECK_EQUAL(events[0].version.value(), 4u);
  BOOST_CHECK_EQUAL(events[1].version.value(), 5u);
  BOOST_CHECK(events[0].command_id == events[1].command_id);
  const OrderState& o = w.order("V1");
  BOOST_CHECK(o.status == S::closed);
  BOOST_CHECK_EQUAL(o.version.value(), 5u);
  BOOST_CHECK_EQUAL(o.units.size(), 1u);
  // Organisation streams: the sales outlet's registration (1), its link (2), the next link (3).
  auto link = w.run("GDXS", cmd::LinkServiceOutlet{UnitId("X250001201"), UnitId("S2200101")});
  BOOST_CHECK_EQUAL(link[0].stream, "unit/X250001201");
  BOOST_CHECK_EQUAL(link[0].version.value(), 3u);
  auto route = w.run("ZHKF", cmd::RouteRegion{"广东省", "珠海市", "", UnitId("S2100911")});
  BOOST_CHECK_EQUAL(route[0].stream, "unit/S2100911");
  BOOST_CHECK_EQUAL(route[0].version.value(), 2u);
  auto staff = w.run("S2100911", cmd::RegisterStaff{StaffId("S21009110009"), UnitId("S2100911"),
                                                    "测试员9", "139"});
  BOOST_CHECK_EQUAL(staff[0].stream, "staff/S21009110009");
  BOOST_CHECK_EQUAL(staff[0].version.value(), 1u);
}

BOOST_AUTO_TEST_CASE(field_names_in_errors) {
  auto field_of = [&](const std::string& actor, CommandBody body) {
    Error e = refused(actor, std::move(body));
    BOOST_CHECK_MESSAGE(e.code == ErrorCode::invalid, e.message);
    return e.field;
  };
  auto c = create_order();
  c.customer.name.clear();
  BOOST_CHECK_EQUAL(field_of("ZHKF", c), "customer.name");
  c = create_order();
  c.customer.phone.clear();
  BOOST_CHECK_EQUAL(field_of("ZHKF", c), "customer.phone");
  c = create_order();
  c.customer.address.clear();
  BOOST_CHECK_EQUAL(field_of("ZHKF", c), "customer.address");
  c = create_order();
  c.items.clear();
  BOOST_CHECK_EQUAL(field_of("ZHKF", c), "items");
  c = create_order();
  c.items.push_back(Item{"KFR-26GW", 0});
  BOOST_CHECK_EQUAL(field_of("ZHKF", c), "items[1].quantity");
  c = create_order();
  c.items[0].model.clear();
  BOOST_CHECK_EQUAL(field_of("ZHKF", c), "items[0].model");
  BOOST_CHECK_EQUAL(field_of("admin", create_order()), "unit");
  c = create_order();
  c.unit = UnitId("GDXS");
  BOOST_CHECK_EQUAL(field_of("admin", c), "unit");

  create("F1");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::CheckIn{OrderId("F1"), 91, 0}), "lat");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::CheckIn{OrderId("F1"), 0, -180.5}), "lon");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::RefuseOrder{OrderId("F1"), ""}), "reason");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::AddFeedback{OrderId("F1"), ""}), "text");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::CaptureUnit{OrderId("F1"), captured("", "O")}),
                    "indoor_barcode");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::CaptureUnit{OrderId("F1"), captured("I", "O", {})}),
                    "photos");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::CaptureUnit{OrderId("F1"), captured("I", "O", {""})}),
                    "photos[0]");
  BOOST_CHECK_EQUAL(
      field_of("ZHKF",
               cmd::ReportCompletion{OrderId("F1"), {captured("I", "O"), captured("I2", "O")}}),
      "units[1].outdoor_barcode");
  BOOST_CHECK_EQUAL(
      field_of("ZHKF", cmd::ReportCompletion{OrderId("F1"), {captured("I", "O", {})}}),
      "units[0].photos");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::ReportCompletion{OrderId("F1"), {}}), "units");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::AssignTechnicians{{OrderId("F1")},
                                                            StaffId("S21009110002"),
                                                            {StaffId("S21009110002")}}),
                    "assistants[0]");
  BOOST_CHECK_EQUAL(
      field_of("ZHKF", cmd::AssignTechnicians{{OrderId("F1")},
                                              StaffId("S21009110002"),
                                              {StaffId("S21009110001"), StaffId("S21009110001")}}),
      "assistants[1]");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::RouteRegion{"广东省", "", "香洲区", UnitId("S2100911")}),
                    "city");
  BOOST_CHECK_EQUAL(field_of("ZHKF", cmd::RouteRegion{"", "", "", UnitId("S2100911")}), "province");
  BOOST_CHECK_EQUAL(field_of("admin", cmd::RegisterUnit{UnitId("S2100911"), "重复",
                                                        UnitKind::service_outlet, UnitId("ZHKF")}),
                    "unit_id");
  BOOST_CHECK_EQUAL(field_of("admin", cmd::RegisterUnit{UnitId("S21009110002"), "重复",
                                                        UnitKind::service_outlet, UnitId("ZHKF")}),
                    "unit_id");
  BOOST_CHECK_EQUAL(
      field_of("admin", cmd::RegisterStaff{StaffId("ZHKF"), UnitId("ZHKF"), "某", "139"}),
      "staff_id");
  BOOST_CHECK_EQUAL(field_of("admin", cmd::RegisterStaff{StaffId("S1"), UnitId("ZHKF"), "某", ""}),
                    "phone");

  // not_found and forbidden name their field too.
  Error e = refused(
      "admin", cmd::RegisterUnit{UnitId("N1"), "新", UnitKind::service_outlet, UnitId("NOPE")});
  BOOST_CHECK(e.code == ErrorCode::not_found);
  BOOST_CHECK_EQUAL(e.field, "parent");
  e = refused("ZHKF", cmd::AssignTechnicians{{OrderId("F1")}, StaffId("NOPE"), {}});
  BOOST_CHECK(e.code == ErrorCode::not_found);
  BOOST_CHECK_EQUAL(e.field, "primary");
  e = refused("ZHKF", cmd::AssignTechnicians{{OrderId("F1")}, StaffId("S21009110002"), {}});
  BOOST_CHECK(e.code == ErrorCode::forbidden);
  BOOST_CHECK_EQUAL(e.field, "primary");
  BOOST_CHECK_NE(e.message.find("is not staff of"), std::string::npos);
  auto elsewhere = create_order();
  elsewhere.unit = UnitId("ZHKF");
  e = refused("S2100911", elsewhere);
  BOOST_CHECK(e.code == ErrorCode::forbidden);
  BOOST_CHECK_EQUAL(e.field, "unit");
}

BOOST_AUTO_TEST_CASE(messages_name_the_order_and_people) {
  create("AZ20150108000001");
  OrderId id("AZ20150108000001");
  w.run("ZHKF", cmd::DispatchToUnit{{id}, UnitId("S2100911")});
  w.run("S2100911", cmd::ReportCompletion{id, {captured("I", "O")}});
  Error e = refused("S2100911", cmd::CloseOrder{id});
  BOOST_CHECK(e.code == ErrorCode::invalid_state);
  BOOST_CHECK_EQUAL(e.message,
                    "order AZ20150108000001 is closed; only a pending-close order can be closed");

  create("M1");
  w.run("ZHKF", cmd::DispatchToUnit{{OrderId("M1")}, UnitId("S2100911")});
  w.run("S2100911", cmd::AssignTechnicians{
                        {OrderId("M1")}, StaffId("S21009110002"), {StaffId("S21009110001")}});
  e = refused("S21009110001", cmd::AcceptOrder{OrderId("M1")});
  BOOST_CHECK(e.code == ErrorCode::forbidden);
  BOOST_CHECK_NE(e.message.find("helpers cannot accept"), std::string::npos);
  BOOST_CHECK_NE(e.message.find("测试员2"), std::string::npos);
  e = refused("S22001010001", cmd::AcceptOrder{OrderId("M1")});
  BOOST_CHECK_NE(e.message.find("is not the primary technician of order M1"), std::string::npos);
  e = refused("nobody", cmd::AcceptOrder{OrderId("M1")});
  BOOST_CHECK(e.code == ErrorCode::forbidden);
  BOOST_CHECK_EQUAL(e.message, "unknown account nobody");
  w.run("S21009110002", cmd::AcceptOrder{OrderId("M1")});
  e = refused("S21009110002", cmd::CaptureUnit{OrderId("M1"), captured("I", "O")});
  BOOST_CHECK(e.code == ErrorCode::invalid_state);
  BOOST_CHECK_NE(e.message.find("check in first (上门签到)"), std::string::npos);
  w.run("S21009110002", cmd::CheckIn{OrderId("M1"), 22.1, 113.1});
  w.run("S21009110002", cmd::CheckIn{OrderId("M1"), 22.3, 113.3});  // the latest wins
  BOOST_CHECK_EQUAL(w.order("M1").lat, 22.3);
  e = refused("S21009110002", cmd::CompleteOrder{OrderId("M1")});
  BOOST_CHECK(e.code == ErrorCode::invalid_state);
  w.run("S21009110002", cmd::CaptureUnit{OrderId("M1"), captured("I1", "O1")});
  e = refused("S21009110002", cmd::CaptureUnit{OrderId("M1"), captured("I2", "I1")});
  BOOST_CHECK(e.code == ErrorCode::invalid);
  BOOST_CHECK_EQUAL(e.field, "outdoor_barcode");
  w.run("S21009110002", cmd::CompleteOrder{OrderId("M1")});
  BOOST_CHECK(w.order("M1").status == S::pending_close);
}

BOOST_AUTO_TEST_CASE(refusal_and_reassignment) {
  create("R1");
  OrderId id("R1");
  // Not passed down yet: nothing to hand back.
  BOOST_CHECK(refused("ZHKF", cmd::RequestReassignment{id, "忙"}).code == ErrorCode::invalid_state);
  w.run("ZHKF", cmd::DispatchToUnit{{id}, UnitId("S2100911")});
  w.run("S2100911", cmd::AssignTechnicians{{id}, StaffId("S21009110002"), {}});
  w.run("S21009110002", cmd::RefuseOrder{id, "太远"});
  BOOST_CHECK(w.order("R1").status == S::pending_dispatch);
  BOOST_CHECK(!w.order("R1").primary);
  BOOST_CHECK_EQUAL(w.order("R1").holder.str(), "S2100911");

  w.run("S2100911", cmd::AssignTechnicians{{id}, StaffId("S21009110002"), {}});
  w.run("S2100911", cmd::RequestReassignment{id, "人手不足"});
  BOOST_CHECK(w.order("R1").status == S::pending_reassignment_approval);
  BOOST_CHECK(*w.order("R1").status_before_reassignment == S::to_accept);
  BOOST_CHECK(refused("GDXS", cmd::ApproveReassignment{id}).code == ErrorCode::forbidden);
  w.run("ZHKF", cmd::RejectReassignment{id, "请继续"});
  BOOST_CHECK(w.order("R1").status == S::to_accept);
  BOOST_CHECK(!w.order("R1").status_before_reassignment);

  w.run("S2100911", cmd::RequestReassignment{id, "人手不足"});
  auto events = w.run("ZHKF", cmd::ApproveReassignment{id});
  BOOST_CHECK_EQUAL(std::get<ev::ReassignmentApproved>(events[0].body).returned_to.str(), "ZHKF");
  const OrderState& o = w.order("R1");
  BOOST_CHECK(o.status == S::pending_dispatch);
  BOOST_CHECK_EQUAL(o.holder.str(), "ZHKF");
  BOOST_CHECK_EQUAL(o.path.size(), 1u);
  BOOST_CHECK(!o.primary);

  // Cancelling: creator or above the holder, before completion only.
  BOOST_CHECK(refused("S2100911", cmd::CancelOrder{id, "x"}).code == ErrorCode::forbidden);
  w.run("GDXS", cmd::CancelOrder{id, "客户退款"});
  BOOST_CHECK(w.order("R1").status == S::cancelled);
  BOOST_CHECK_EQUAL(w.order("R1").cancel_reason, "客户退款");
  Error e = refused("ZHKF", cmd::CancelOrder{id, "x"});
  BOOST_CHECK_NE(e.message.find("only before completion"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(organisation_rules) {
  // A root only by the administrator; a unit under a parent by the parent or above.
  BOOST_CHECK(
      refused("GDXS", cmd::RegisterUnit{UnitId("R"), "根", UnitKind::sales_company, std::nullopt})
          .code == ErrorCode::forbidden);
  BOOST_CHECK(w.decide("GDXS", cmd::RegisterUnit{UnitId("S2100911-09"), "新",
                                                 UnitKind::service_outlet, UnitId("S2100911")})
                  .ok());
  BOOST_CHECK(
      refused("S2100911-01", cmd::RegisterUnit{UnitId("S2100911-09"), "新",
                                               UnitKind::service_outlet, UnitId("S2100911")})
          .code == ErrorCode::forbidden);
  BOOST_CHECK(
      refused("S21009110002", cmd::RegisterStaff{StaffId("S9"), UnitId("S2100911"), "某", "1"})
          .code == ErrorCode::forbidden);
  BOOST_CHECK(refused("S2100911", cmd::RouteRegion{"广东省", "", "", UnitId("S2100911")}).code ==
              ErrorCode::forbidden);
  BOOST_CHECK(refused("admin", cmd::RouteRegion{"广东省", "", "", UnitId("NOPE")}).code ==
              ErrorCode::not_found);
  BOOST_CHECK(refused("nobody", cmd::RegisterUnit{UnitId("N"), "新", UnitKind::service_outlet,
                                                  UnitId("ZHKF")})
                  .code == ErrorCode::forbidden);
  w.run("ZHKF", cmd::RouteRegion{"广东省", "珠海市", "", UnitId("S2100911")});
  BOOST_CHECK_EQUAL(w.org.route("广东省", "珠海市", "斗门区")->str(), "S2100911");
}

// Connectors act on their own platform's orders only, and create at the routed unit.
BOOST_AUTO_TEST_CASE(connectors_create_routed_and_handle_their_own_orders) {
  w.run("ZHKF", cmd::RouteRegion{"广东省", "珠海市", "", UnitId("S2100911")});
  auto shop = [](const std::string& id, const std::string& unit, bool unrouted = false) {
    auto c = create_order(id);
    c.unit = UnitId(unit);
    c.source = Source{Platform::tmall, id, "oaid-1", true, unrouted};
    return c;
  };
  // At the routed unit: yes; elsewhere, even marked unrouted: no; without a unit: invalid.
  w.run("connector:tmall", shop("AZ-TM-1", "S2100911"));
  BOOST_CHECK(w.order("AZ-TM-1").source->needs_decrypt);
  BOOST_CHECK(refused("connector:tmall", shop("AZ-TM-2", "ZHKF", true)).code ==
              ErrorCode::forbidden);
  auto no_unit = shop("AZ-TM-3", "S2100911");
  no_unit.unit.reset();
  BOOST_CHECK(refused("connector:tmall", no_unit).code == ErrorCode::invalid);
  // Another platform's source, or none: no.
  BOOST_CHECK(refused("connector:jd", shop("AZ-TM-4", "S2100911")).code == ErrorCode::forbidden);
  // An uncovered region goes to a fallback unit only when marked unrouted.
  auto far = shop("AZ-TM-5", "ZHKF", true);
  far.customer.province = "湖南省";
  far.customer.city = "长沙市";
  w.run("connector:tmall", far);
  far.order_id = OrderId("AZ-TM-6");
  far.source->unrouted = false;
  BOOST_CHECK(refused("connector:tmall", far).code == ErrorCode::forbidden);

  // Its own order: address change, feedback, cancel. Another connector: none of them.
  Customer moved = testing::customer();
  moved.address = "凤凰北路2号";
  BOOST_CHECK(refused("connector:jd", cmd::ChangeCustomerAddress{OrderId("AZ-TM-1"), moved}).code ==
              ErrorCode::forbidden);
  w.run("connector:tmall", cmd::ChangeCustomerAddress{OrderId("AZ-TM-1"), moved});
  BOOST_CHECK(w.order("AZ-TM-1").customer == moved);
  BOOST_CHECK(refused("connector:jd", cmd::AddFeedback{OrderId("AZ-TM-1"), "x"}).code ==
              ErrorCode::forbidden);
  w.run("connector:tmall", cmd::AddFeedback{OrderId("AZ-TM-1"), "退款"});
  // Not dispatching or assigning: that is the holder's.
  BOOST_CHECK(
      refused("connector:tmall", cmd::DispatchToUnit{{OrderId("AZ-TM-1")}, UnitId("S2100911-01")})
          .code == ErrorCode::forbidden);
  // After dispatch the address is the holder's business: invalid_state (feedback instead).
  w.run("S2100911", cmd::AssignTechnicians{{OrderId("AZ-TM-1")}, StaffId("S21009110002"), {}});
  BOOST_CHECK(
      refused("connector:tmall", cmd::ChangeCustomerAddress{OrderId("AZ-TM-1"), moved}).code ==
      ErrorCode::invalid_state);
  BOOST_CHECK(refused("connector:jd", cmd::CancelOrder{OrderId("AZ-TM-1"), "退款"}).code ==
              ErrorCode::forbidden);
  w.run("connector:tmall", cmd::CancelOrder{OrderId("AZ-TM-1"), "退款"});
  BOOST_CHECK(w.order("AZ-TM-1").status == OrderStatus::cancelled);
  // An unknown account that merely looks like one: no.
  BOOST_CHECK(refused("connector:ebay", shop("AZ-TM-7", "S2100911")).code == ErrorCode::forbidden);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dispatch
