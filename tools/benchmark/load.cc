#include "tools/benchmark/load.h"

namespace dispatch::bench {
namespace {
using json = nlohmann::json;

// Appending piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on chained operator+.
std::string cat(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}
std::string center_id(int c) { return cat({"K", std::to_string(1000 + c)}); }
std::string outlet_id(int c, int o) {
  return cat({"S", std::to_string(1000 + c), std::to_string(100 + o)});
}
std::string sub_id(int c, int o) { return cat({outlet_id(c, o), "-01"}); }
std::string tech_id(int c, int o, int t) {
  return cat({sub_id(c, o), "-", std::to_string(1000 + t)});
}

Command parsed(const json& j) {
  auto c = parse_command(j);
  if (!c.ok()) throw std::runtime_error("benchmark built a bad command: " + c.error().message);
  return c.value();
}
}  // namespace

std::vector<Command> organisation(const Shape& shape) {
  std::vector<Command> out;
  int n = 0;
  auto add = [&](const std::string& actor, json body) {
    body["id"] = cat({"org-", std::to_string(++n)});
    body["actor"] = actor;
    out.push_back(parsed(body));
  };
  add("admin", {{"type", "RegisterUnit"},
                {"unit_id", "X25"},
                {"name", "销售公司"},
                {"kind", "sales_company"}});
  for (int c = 0; c < shape.centers; ++c) {
    add("X25", {{"type", "RegisterUnit"},
                {"unit_id", center_id(c)},
                {"name", "客服中心"},
                {"kind", "service_center"},
                {"parent", "X25"}});
    for (int o = 0; o < shape.outlets_per_center; ++o) {
      add(center_id(c), {{"type", "RegisterUnit"},
                         {"unit_id", outlet_id(c, o)},
                         {"name", "网点"},
                         {"kind", "service_outlet"},
                         {"parent", center_id(c)}});
      add(outlet_id(c, o), {{"type", "RegisterUnit"},
                            {"unit_id", sub_id(c, o)},
                            {"name", "分网点"},
                            {"kind", "service_outlet"},
                            {"parent", outlet_id(c, o)}});
      for (int t = 0; t < shape.technicians_per_sub; ++t) {
        add(sub_id(c, o), {{"type", "RegisterStaff"},
                           {"staff_id", tech_id(c, o, t)},
                           {"unit", sub_id(c, o)},
                           {"name", "师傅"},
                           {"phone", "13800000000"}});
      }
    }
  }
  return out;
}

Command Lifecycle::make(const json& body) {
  json j = body;
  j["id"] = cat({"b", std::to_string(random_()), "-", std::to_string(++next_command_)});
  return parsed(j);
}

void Lifecycle::run_group(std::uint64_t first, const std::function<void(Command)>& send) {
  std::uniform_int_distribution<int> pick_center(0, shape_.centers - 1);
  std::uniform_int_distribution<int> pick_outlet(0, shape_.outlets_per_center - 1);
  std::uniform_int_distribution<int> pick_tech(0, shape_.technicians_per_sub - 1);
  std::uniform_int_distribution<int> percent(0, 99);
  const int c = pick_center(random_);
  const int o = pick_outlet(random_);
  const std::string center = center_id(c), outlet = outlet_id(c, o), sub = sub_id(c, o);
  std::vector<std::string> ids;
  for (std::uint64_t i = first; i < first + 4; ++i) {
    ids.push_back(cat({"AZ", std::to_string(100000000000ULL + i)}));
    send(make({{"type", "CreateOrder"},
               {"actor", center},
               {"order_id", ids.back()},
               {"kind", "installation"},
               {"customer",
                {{"name", "客户"},
                 {"phone", "13900000000"},
                 {"province", "广东省"},
                 {"city", "珠海市"},
                 {"address", cat({"香洲区", std::to_string(i), "号"})}}},
               {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}}));
  }
  if (percent(random_) < 20) {
    send(make(
        {{"type", "DispatchToUnit"}, {"actor", center}, {"order_ids", ids}, {"unit", outlet}}));
  } else {
    for (const auto& id : ids) {
      send(make(
          {{"type", "DispatchToUnit"}, {"actor", center}, {"order_ids", {id}}, {"unit", outlet}}));
    }
  }
  for (const auto& id : ids) {
    send(make({{"type", "DispatchToUnit"}, {"actor", outlet}, {"order_ids", {id}}, {"unit", sub}}));
    if (percent(random_) < 2) {  // the sub-outlet cannot do it: back up, and down again
      send(make({{"type", "RequestReassignment"},
                 {"actor", sub},
                 {"order_id", id},
                 {"reason", "超出服务范围"}}));
      send(make({{"type", "ApproveReassignment"}, {"actor", outlet}, {"order_id", id}}));
      send(make(
          {{"type", "DispatchToUnit"}, {"actor", outlet}, {"order_ids", {id}}, {"unit", sub}}));
    }
    int t = pick_tech(random_);
    std::string primary = tech_id(c, o, t);
    std::string helper = tech_id(c, o, (t + 1) % shape_.technicians_per_sub);
    send(make({{"type", "AssignTechnicians"},
               {"actor", sub},
               {"order_ids", {id}},
               {"primary", primary},
               {"assistants", {helper}}}));
    if (percent(random_) < 5) {  // refused, then given to the helper
      send(make(
          {{"type", "RefuseOrder"}, {"actor", primary}, {"order_id", id}, {"reason", "没空"}}));
      std::swap(primary, helper);
      send(make({{"type", "AssignTechnicians"},
                 {"actor", sub},
                 {"order_ids", {id}},
                 {"primary", primary},
                 {"assistants", {helper}}}));
    }
    send(make({{"type", "AcceptOrder"}, {"actor", primary}, {"order_id", id}}));
    send(make({{"type", "CheckIn"},
               {"actor", primary},
               {"order_id", id},
               {"lat", 22.27},
               {"lon", 113.57}}));
    int units = 1 + percent(random_) % 3;
    for (int u = 0; u < units; ++u) {
      send(make({{"type", "CaptureUnit"},
                 {"actor", primary},
                 {"order_id", id},
                 {"indoor_barcode", cat({"N", id, "-", std::to_string(u)})},
                 {"outdoor_barcode", cat({"W", id, "-", std::to_string(u)})},
                 {"photos", {cat({"sha256-", id, "-", std::to_string(u)})}}}));
    }
    send(make({{"type", "CompleteOrder"}, {"actor", primary}, {"order_id", id}}));
    send(make({{"type", "CloseOrder"}, {"actor", sub}, {"order_id", id}}));
  }
}

}  // namespace dispatch::bench
