#define BOOST_TEST_MODULE org
#include "engine/org.h"

#include <boost/test/unit_test.hpp>

namespace dispatch {
namespace {

Event event(std::string stream, std::uint64_t version, EventBody body) {
  Event e;
  e.stream = std::move(stream);
  e.actor = kAdmin;
  e.at = "2015-01-08T09:00:00+08:00";
  e.version = Version(version);
  e.body = std::move(body);
  return e;
}

struct Tree {
  Org org;
  Tree() {
    unit("GDXS", UnitKind::sales_company, nullptr);
    unit("ZHKF", UnitKind::service_center, "GDXS");
    unit("S2100911", UnitKind::service_outlet, "ZHKF");
    unit("S2100911-01", UnitKind::service_outlet, "S2100911");
    unit("S2100911-01-A", UnitKind::service_outlet, "S2100911-01");
    unit("ZSKF", UnitKind::service_center, "GDXS");
    unit("S2200101", UnitKind::service_outlet, "ZSKF");
    unit("X250001201", UnitKind::sales_outlet, "GDXS");
  }
  void unit(const char* id, UnitKind kind, const char* parent) {
    std::optional<UnitId> p;
    if (parent != nullptr) p = UnitId(parent);
    BOOST_REQUIRE(
        org.apply(event(unit_stream(UnitId(id)), 1,
                        ev::UnitRegistered{UnitId(id), std::string("名") + id, kind, p})));
  }
  std::vector<std::string> ancestors(const char* id) const {
    std::vector<std::string> out;
    for (const auto& u : org.ancestors(UnitId(id))) out.push_back(u.str());
    return out;
  }
  bool above(const char* a, const char* b) const { return org.is_ancestor(UnitId(a), UnitId(b)); }
};

BOOST_FIXTURE_TEST_SUITE(org, Tree)

BOOST_AUTO_TEST_CASE(ancestors_parent_first) {
  BOOST_CHECK((ancestors("S2100911-01-A") ==
               std::vector<std::string>{"S2100911-01", "S2100911", "ZHKF", "GDXS"}));
  BOOST_CHECK(ancestors("GDXS").empty());
  BOOST_CHECK(ancestors("NOPE").empty());
  BOOST_CHECK_EQUAL(org.unit_count(), 8u);
  const UnitInfo* zhkf = org.unit(UnitId("ZHKF"));
  BOOST_REQUIRE(zhkf != nullptr);
  BOOST_CHECK_EQUAL(zhkf->name, "名ZHKF");
  BOOST_CHECK(zhkf->kind == UnitKind::service_center);
  BOOST_CHECK_EQUAL(zhkf->parent->str(), "GDXS");
  const UnitInfo* gdxs = org.unit(UnitId("GDXS"));
  BOOST_CHECK((gdxs->children ==
               std::vector<UnitId>{UnitId("ZHKF"), UnitId("ZSKF"), UnitId("X250001201")}));
  BOOST_CHECK(!gdxs->parent);
}

BOOST_AUTO_TEST_CASE(is_ancestor_is_strict_and_vertical) {
  BOOST_CHECK(above("GDXS", "S2100911-01-A"));
  BOOST_CHECK(above("ZHKF", "S2100911"));
  BOOST_CHECK(above("S2100911", "S2100911-01"));
  BOOST_CHECK(!above("S2100911", "S2100911"));     // not itself
  BOOST_CHECK(!above("S2100911-01", "S2100911"));  // not upwards
  BOOST_CHECK(!above("ZSKF", "S2100911"));         // not sideways
  BOOST_CHECK(!above("S2200101", "S2100911-01"));
  BOOST_CHECK(!above("NOPE", "S2100911"));
  BOOST_CHECK(!above("GDXS", "NOPE"));
}

BOOST_AUTO_TEST_CASE(links_staff_roles_and_versions) {
  BOOST_CHECK(!org.is_linked(UnitId("X250001201"), UnitId("S2100911")));
  BOOST_CHECK(org.apply(event(unit_stream(UnitId("X250001201")), 2,
                              ev::ServiceOutletLinked{UnitId("X250001201"), UnitId("S2100911")})));
  BOOST_CHECK(org.is_linked(UnitId("X250001201"), UnitId("S2100911")));
  BOOST_CHECK(!org.is_linked(UnitId("X250001201"), UnitId("S2200101")));
  BOOST_CHECK(!org.is_linked(UnitId("NOPE"), UnitId("S2100911")));
  BOOST_CHECK_EQUAL(org.unit(UnitId("X250001201"))->linked_outlets.size(), 1u);
  BOOST_CHECK_EQUAL(org.stream_version("unit/X250001201").value(), 2u);
  BOOST_CHECK_EQUAL(org.stream_version("unit/S2100911").value(), 1u);
  BOOST_CHECK_EQUAL(org.stream_version("unit/NOPE").value(), 0u);

  BOOST_CHECK(org.apply(
      event(staff_stream(StaffId("S21009110002")), 1,
            ev::StaffRegistered{StaffId("S21009110002"), UnitId("S2100911"), "测试员2", "139"})));
  const StaffInfo* s = org.staff(StaffId("S21009110002"));
  BOOST_REQUIRE(s != nullptr);
  BOOST_CHECK_EQUAL(s->unit.str(), "S2100911");
  BOOST_CHECK_EQUAL(s->name, "测试员2");
  BOOST_CHECK_EQUAL(org.staff_count(), 1u);
  BOOST_CHECK_EQUAL(org.stream_version("staff/S21009110002").value(), 1u);
  BOOST_CHECK(org.staff(StaffId("S2100911")) == nullptr);

  BOOST_CHECK(org.role_of(kAdmin) == ActorRole::admin);
  BOOST_CHECK(org.role_of(AccountId("S2100911")) == ActorRole::unit);
  BOOST_CHECK(org.role_of(AccountId("S21009110002")) == ActorRole::staff);
  BOOST_CHECK(org.role_of(AccountId("S21009110009")) == ActorRole::unknown);

  Event order = event("order/A1", 1, ev::OrderAccepted{OrderId("A1")});
  BOOST_CHECK(!org.apply(order));
  BOOST_CHECK_EQUAL(org.stream_version("order/A1").value(), 0u);
}

BOOST_AUTO_TEST_CASE(the_most_specific_route_wins) {
  BOOST_CHECK(!org.route("广东省", "珠海市", "香洲区"));
  auto route = [&](const char* p, const char* c, const char* d, const char* unit, int v) {
    BOOST_CHECK(
        org.apply(event(unit_stream(UnitId(unit)), v, ev::RegionRouted{p, c, d, UnitId(unit)})));
  };
  route("广东省", "", "", "ZHKF", 2);
  route("广东省", "珠海市", "", "S2100911", 2);
  route("广东省", "珠海市", "香洲区", "S2100911-01", 2);
  auto at = [&](const char* p, const char* c, const char* d) {
    auto u = org.route(p, c, d);
    return u ? u->str() : std::string("none");
  };
  BOOST_CHECK_EQUAL(at("广东省", "珠海市", "香洲区"), "S2100911-01");
  BOOST_CHECK_EQUAL(at("广东省", "珠海市", "斗门区"), "S2100911");
  BOOST_CHECK_EQUAL(at("广东省", "珠海市", ""), "S2100911");
  BOOST_CHECK_EQUAL(at("广东省", "中山市", "石岐区"), "ZHKF");
  BOOST_CHECK_EQUAL(at("广东省", "", ""), "ZHKF");
  BOOST_CHECK_EQUAL(at("湖南省", "长沙市", "岳麓区"), "none");
  BOOST_CHECK_EQUAL(at("", "", ""), "none");
  // A later route for the same region replaces the earlier one.
  route("广东省", "珠海市", "", "S2200101", 2);
  BOOST_CHECK_EQUAL(at("广东省", "珠海市", "斗门区"), "S2200101");
  BOOST_CHECK_EQUAL(org.stream_version("unit/S2100911-01").value(), 2u);
}

BOOST_AUTO_TEST_CASE(events_without_a_version_count_as_the_next) {
  BOOST_CHECK(org.apply(event(unit_stream(UnitId("S2100911")), 0,
                              ev::RegionRouted{"广东省", "", "", UnitId("S2100911")})));
  BOOST_CHECK_EQUAL(org.stream_version("unit/S2100911").value(), 2u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace dispatch
