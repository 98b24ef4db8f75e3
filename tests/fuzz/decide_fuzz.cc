// libFuzzer target: any bytes as a command line of `dispatchctl apply`, parsed and decided against
// an organisation and orders in every state. Checks that nothing crashes or trips a sanitizer,
// that commands and events survive their JSON round trip, and that accepted commands' events
// carry the command's id and consecutive versions.
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>

#include "engine/command.h"
#include "engine/decide.h"
#include "engine/event.h"
#include "engine/order.h"
#include "engine/org.h"

namespace {
using namespace dispatch;
using nlohmann::json;

struct World {
  Org org;
  std::map<OrderId, OrderState> orders;
  std::uint64_t created = 0;

  // Decides and folds a command, as the engine would; false when refused.
  bool run(const json& j) {
    auto c = parse_command(j);
    if (!c.ok()) return false;
    auto events = decide(context(), c.value());
    if (!events.ok()) return false;
    for (const auto& e : events.value()) {
      if (org.apply(e)) continue;
      auto it = orders.find(e.order_id());
      std::optional<OrderState> before;
      if (it != orders.end()) before = it->second;
      orders[e.order_id()] = evolve(before, e, org);
      if (!before) ++created;
    }
    return true;
  }
  DecideContext context() const {
    return DecideContext{org,
                         [this](const OrderId& id) -> const OrderState* {
                           auto it = orders.find(id);
                           return it == orders.end() ? nullptr : &it->second;
                         },
                         created,
                         {}};
  }
};

json cmd(const std::string& type, const std::string& actor, json fields) {
  static int n = 0;
  fields["id"] = "w" + std::to_string(++n);
  fields["type"] = type;
  fields["actor"] = actor;
  fields["at"] = "2015-01-08T09:00:00+08:00";
  return fields;
}

World make_world() {
  World w;
  w.run(cmd("RegisterUnit", "admin",
            {{"unit_id", "X25"}, {"name", "销售公司"}, {"kind", "sales_company"}}));
  w.run(cmd("RegisterUnit", "X25",
            {{"unit_id", "ZHKF"},
             {"name", "珠海客服中心"},
             {"kind", "service_center"},
             {"parent", "X25"}}));
  w.run(cmd(
      "RegisterUnit", "ZHKF",
      {{"unit_id", "S2100911"}, {"name", "网点"}, {"kind", "service_outlet"}, {"parent", "ZHKF"}}));
  w.run(cmd("RegisterUnit", "S2100911",
            {{"unit_id", "S2100911-01"},
             {"name", "分网点"},
             {"kind", "service_outlet"},
             {"parent", "S2100911"}}));
  w.run(cmd("RegisterUnit", "X25",
            {{"unit_id", "X250001201"},
             {"name", "销售网点"},
             {"kind", "sales_outlet"},
             {"parent", "X25"}}));
  w.run(cmd("LinkServiceOutlet", "X25",
            {{"sales_unit", "X250001201"}, {"service_outlet", "S2100911"}}));
  w.run(cmd(
      "RegisterStaff", "S2100911",
      {{"staff_id", "S21009110001"}, {"unit", "S2100911"}, {"name", "测试员1"}, {"phone", "1"}}));
  w.run(cmd(
      "RegisterStaff", "S2100911",
      {{"staff_id", "S21009110002"}, {"unit", "S2100911"}, {"name", "测试员2"}, {"phone", "2"}}));
  json customer{{"name", "王"}, {"phone", "1"}, {"address", "a"}};
  json items = json::array({{{"model", "M"}, {"quantity", 1}}});
  // AZ1 pending at S2100911, AZ2 to_accept, AZ3 to_process (checked in), AZ4 pending_close,
  // AZ5 closed, AZ6 pending_reassignment_approval, AZ7 cancelled.
  for (int i = 1; i <= 7; ++i) {
    std::string id = "AZ" + std::to_string(i);
    w.run(cmd(
        "CreateOrder", "ZHKF",
        {{"order_id", id}, {"kind", "installation"}, {"customer", customer}, {"items", items}}));
    w.run(cmd("DispatchToUnit", "ZHKF", {{"order_ids", {id}}, {"unit", "S2100911"}}));
    if (i == 6) w.run(cmd("RequestReassignment", "S2100911", {{"order_id", id}, {"reason", "r"}}));
    if (i == 7) w.run(cmd("CancelOrder", "ZHKF", {{"order_id", id}, {"reason", "r"}}));
    if (i < 2 || i > 5) continue;
    w.run(
        cmd("AssignTechnicians", "S2100911",
            {{"order_ids", {id}}, {"primary", "S21009110002"}, {"assistants", {"S21009110001"}}}));
    if (i < 3) continue;
    w.run(cmd("AcceptOrder", "S21009110002", {{"order_id", id}}));
    w.run(cmd("CheckIn", "S21009110002", {{"order_id", id}, {"lat", 22.27}, {"lon", 113.57}}));
    if (i < 4) continue;
    w.run(cmd("CaptureUnit", "S21009110002",
              {{"order_id", id},
               {"indoor_barcode", "N" + id},
               {"outdoor_barcode", "W" + id},
               {"photos", {"p"}}}));
    w.run(cmd("CompleteOrder", "S21009110002", {{"order_id", id}}));
    if (i == 5) w.run(cmd("CloseOrder", "S2100911", {{"order_id", id}}));
  }
  return w;
}

void check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const World world = make_world();
  auto command = parse_command_text(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!command.ok()) return 0;
  Command c = command.value();
  auto again = parse_command(to_json(c));
  check(again.ok() && to_json(again.value()) == to_json(c));
  if (c.at.empty()) c.at = "2015-01-08T10:00:00+08:00";
  auto events = decide(world.context(), c);
  if (!events.ok()) return 0;
  std::map<std::string, std::uint64_t> versions;
  for (const auto& e : events.value()) {
    check(e.command_id == c.id);
    auto [it, fresh] = versions.emplace(e.stream, e.version.value());
    if (!fresh) check(e.version.value() == ++it->second);
    auto round = event_from_json(to_json(e));
    check(round.ok() && to_json(round.value()) == to_json(e));
  }
  return 0;
}
