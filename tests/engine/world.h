// A small in-memory world for tests of the pure domain: an Org and the orders, folded with
// decide() + evolve() as the engine would, without any store. Not thread-safe.
#pragma once

#include <boost/test/unit_test.hpp>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/decide.h"

namespace dispatch::testing {

inline constexpr const char* kAt = "2015-01-08T09:30:00+08:00";

struct World {
  Org org;
  std::map<OrderId, OrderState> orders;
  std::uint64_t orders_created = 0;
  std::function<bool(const OrderId&)> may_create;  // unset: any id
  std::uint64_t position = 0;
  std::uint64_t commands = 0;
  std::vector<Event> log;

  DecideContext context() const {
    return DecideContext{org,
                         [this](const OrderId& id) -> const OrderState* {
                           auto it = orders.find(id);
                           return it == orders.end() ? nullptr : &it->second;
                         },
                         orders_created, may_create};
  }

  Command command(const std::string& actor, CommandBody body, std::string at = kAt) {
    return Command{CommandId("cmd-" + std::to_string(++commands)), AccountId(actor), std::move(at),
                   std::move(body)};
  }

  // Decides without applying.
  Result<std::vector<Event>> decide(const std::string& actor, CommandBody body,
                                    std::string at = kAt) {
    return dispatch::decide(context(), command(actor, std::move(body), std::move(at)));
  }

  // Folds events into the world as the log and projections would.
  void apply(std::vector<Event> events) {
    for (auto& e : events) {
      e.position = Position(++position);
      log.push_back(e);
      if (org.apply(e)) continue;
      auto it = orders.find(e.order_id());
      std::optional<OrderState> before;
      if (it != orders.end()) before = it->second;
      if (!before) ++orders_created;
      orders[e.order_id()] = evolve(before, e, org);
    }
  }

  // Decides and applies; the command must be accepted.
  std::vector<Event> run(const std::string& actor, CommandBody body, std::string at = kAt) {
    auto decided = decide(actor, std::move(body), std::move(at));
    BOOST_REQUIRE_MESSAGE(decided.ok(),
                          "refused: " << (decided.ok() ? "" : decided.error().message));
    apply(decided.value());
    return decided.value();
  }

  const OrderState& order(const std::string& id) const { return orders.at(OrderId(id)); }
};

inline CapturedUnit captured(const std::string& indoor, const std::string& outdoor,
                             std::vector<std::string> photos = {"photo-1.jpg"}) {
  return CapturedUnit{indoor, outdoor, std::move(photos)};
}

inline Customer customer() {
  return Customer{"张三", "13800000000", "广东省", "珠海市", "香洲区", "香洲区人民路1号"};
}

inline cmd::CreateOrder create_order(std::optional<std::string> id = std::nullopt,
                                     OrderKind kind = OrderKind::installation) {
  cmd::CreateOrder c;
  if (id) c.order_id = OrderId(*id);
  c.kind = kind;
  c.customer = customer();
  c.items = {Item{"KFR-35GW", 2}};
  return c;
}

// The organisation of the manual, registered by the administrator:
//   GDXS 广东格力销售公司 (sales company)
//   ├── ZHKF 珠海客服中心 (service center)
//   │   └── S2100911 (service outlet): staff S21009110002 测试员2, S21009110001 测试员1
//   │       └── S2100911-01 (sub-outlet)
//   ├── ZSKF 中山客服中心 (service center)
//   │   └── S2200101 (service outlet): staff S22001010001 测试员3
//   └── X250001201 珠海市香洲福电电器有限公司 (sales outlet), linked to S2100911
inline void build_org(World& w) {
  auto unit = [&](const char* id, const char* name, UnitKind kind, const char* parent) {
    cmd::RegisterUnit c{UnitId(id), name, kind, std::nullopt};
    if (parent != nullptr) c.parent = UnitId(parent);
    w.run("admin", c);
  };
  unit("GDXS", "广东格力销售公司", UnitKind::sales_company, nullptr);
  unit("ZHKF", "珠海客服中心", UnitKind::service_center, "GDXS");
  unit("S2100911", "珠海香洲售后网点", UnitKind::service_outlet, "ZHKF");
  unit("S2100911-01", "珠海香洲二级网点", UnitKind::service_outlet, "S2100911");
  unit("ZSKF", "中山客服中心", UnitKind::service_center, "GDXS");
  unit("S2200101", "中山石岐售后网点", UnitKind::service_outlet, "ZSKF");
  unit("X250001201", "珠海市香洲福电电器有限公司", UnitKind::sales_outlet, "GDXS");
  w.run("admin", cmd::LinkServiceOutlet{UnitId("X250001201"), UnitId("S2100911")});
  auto staff = [&](const char* id, const char* name, const char* at) {
    w.run("admin", cmd::RegisterStaff{StaffId(id), UnitId(at), name, "13900000000"});
  };
  staff("S21009110002", "测试员2", "S2100911");
  staff("S21009110001", "测试员1", "S2100911");
  staff("S22001010001", "测试员3", "S2200101");
}

}  // namespace dispatch::testing
