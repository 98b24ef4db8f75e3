// The people's subcommands: flags in, one contract command out, applied like a line of `apply`.
// The command goes through parse_command and decide like any other, so the rules live in one place.
#include <chrono>
#include <functional>
#include <iostream>
#include <random>

#include "engine/engine.h"
#include "tools/dispatchctl/backend.h"
#include "tools/dispatchctl/output.h"
#include "tools/dispatchctl/subcommands.h"

namespace dispatch::ctl {
namespace {
using json = nlohmann::json;
using Builder = std::function<Result<json>(const Args&)>;

struct PersonCommand {
  std::string name;
  std::string type;
  std::string usage;  // after "dispatchctl NAME"
  std::string summary;
  std::set<std::string> options;
  Builder build;
};

Result<std::string> required(const Args& args, const std::string& name) {
  auto v = args.option(name);
  if (!v || v->empty()) return make_error(ErrorCode::invalid, "--" + name + " is required", name);
  return *v;
}

Result<std::string> one_order(const Args& args) {
  if (args.positionals().size() != 1) {
    return make_error(ErrorCode::invalid, "give exactly one ORDER_ID", "order_id");
  }
  return args.positionals()[0];
}

Result<json> order_ids(const Args& args) {
  if (args.positionals().empty()) {
    return make_error(ErrorCode::invalid, "give one or more ORDER_IDs", "order_ids");
  }
  return json(args.positionals());
}

// Commands about one order with optional required text fields: {"order_id", field: --flag}.
Builder single_order(std::vector<std::pair<std::string, std::string>> fields) {
  return [fields](const Args& args) -> Result<json> {
    auto id = one_order(args);
    if (!id.ok()) return id.error();
    json c{{"order_id", *id}};
    for (const auto& [field, flag] : fields) {
      auto v = required(args, flag);
      if (!v.ok()) return v.error();
      c[field] = *v;
    }
    return c;
  };
}

Result<double> number(const Args& args, const std::string& name) {
  auto v = required(args, name);
  if (!v.ok()) return v.error();
  try {
    std::size_t used = 0;
    double d = std::stod(*v, &used);
    if (used == v->size()) return d;
  } catch (const std::exception&) {
  }
  return make_error(ErrorCode::invalid, "--" + name + " takes a number", name);
}

// "--captured INDOOR,OUTDOOR,PHOTO[,PHOTO...]" as one captured unit.
Result<json> captured_unit(const std::string& spec) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = spec.find(',', start);
    parts.push_back(spec.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.size() < 2) {
    return make_error(ErrorCode::invalid,
                      "--captured takes INDOOR,OUTDOOR,PHOTO[,PHOTO...]: '" + spec + "'",
                      "captured");
  }
  return json{{"indoor_barcode", parts[0]},
              {"outdoor_barcode", parts[1]},
              {"photos", std::vector<std::string>(parts.begin() + 2, parts.end())}};
}

const std::vector<PersonCommand>& person_commands() {
  static const std::vector<PersonCommand> commands{
      {"register-unit",
       "RegisterUnit",
       "UNIT_ID --name NAME --kind KIND [--parent UNIT]",
       "register a unit (kinds: sales_company service_center service_outlet sales_center "
       "sales_outlet)",
       {"name", "kind", "parent"},
       [](const Args& a) -> Result<json> {
         if (a.positionals().size() != 1) return make_error(ErrorCode::invalid, "give UNIT_ID");
         json c{{"unit_id", a.positionals()[0]}};
         for (const char* f : {"name", "kind"}) {
           auto v = required(a, f);
           if (!v.ok()) return v.error();
           c[f] = *v;
         }
         if (auto p = a.option("parent")) c["parent"] = *p;
         return c;
       }},
      {"link",
       "LinkServiceOutlet",
       "SALES_UNIT SERVICE_OUTLET",
       "link a sales outlet to the service outlet its orders go to (有服务关系的售后网点)",
       {},
       [](const Args& a) -> Result<json> {
         if (a.positionals().size() != 2) {
           return make_error(ErrorCode::invalid, "give SALES_UNIT and SERVICE_OUTLET");
         }
         return json{{"sales_unit", a.positionals()[0]}, {"service_outlet", a.positionals()[1]}};
       }},
      {"register-staff",
       "RegisterStaff",
       "STAFF_ID --unit UNIT --name NAME --phone PHONE",
       "register a service person (服务人员) of a unit",
       {"unit", "name", "phone"},
       [](const Args& a) -> Result<json> {
         if (a.positionals().size() != 1) return make_error(ErrorCode::invalid, "give STAFF_ID");
         json c{{"staff_id", a.positionals()[0]}};
         for (const char* f : {"unit", "name", "phone"}) {
           auto v = required(a, f);
           if (!v.ok()) return v.error();
           c[f] = *v;
         }
         return c;
       }},
      {"route",
       "RouteRegion",
       "--province P [--city C] [--district D] --unit UNIT",
       "send shop orders from a region to a unit",
       {"province", "city", "district", "unit"},
       [](const Args& a) -> Result<json> {
         json c;
         for (const char* f : {"province", "unit"}) {
           auto v = required(a, f);
           if (!v.ok()) return v.error();
           c[f] = *v;
         }
         if (auto v = a.option("city")) c["city"] = *v;
         if (auto v = a.option("district")) c["district"] = *v;
         return c;
       }},
      {"create",
       "CreateOrder",
       "--kind installation|delivery --name NAME --phone PHONE --address ADDRESS "
       "--item MODEL:QUANTITY... [--province P --city C --district D] [--order-id ID] "
       "[--note TEXT] [--unit UNIT]",
       "enter an order (工单录入); it lands in the creating unit's pending folder",
       {"kind", "name", "phone", "address", "province", "city", "district", "item", "order-id",
        "note", "unit"},
       [](const Args& a) -> Result<json> {
         json customer;
         for (const char* f : {"name", "phone", "address"}) {
           auto v = required(a, f);
           if (!v.ok()) return v.error();
           customer[f] = *v;
         }
         for (const char* f : {"province", "city", "district"}) {
           if (auto v = a.option(f)) customer[f] = *v;
         }
         json items = json::array();
         for (const auto& spec : a.all("item")) {
           auto colon = spec.rfind(':');
           std::int64_t quantity = 1;
           std::string model = spec;
           if (colon != std::string::npos) {
             model = spec.substr(0, colon);
             try {
               quantity = std::stoll(spec.substr(colon + 1));
             } catch (const std::exception&) {
               return make_error(ErrorCode::invalid, "--item takes MODEL:QUANTITY: '" + spec + "'",
                                 "item");
             }
           }
           items.push_back({{"model", model}, {"quantity", quantity}});
         }
         json c{{"kind", a.option_or("kind", "installation")},
                {"customer", customer},
                {"items", items}};
         if (auto v = a.option("order-id")) c["order_id"] = *v;
         if (auto v = a.option("note")) c["note"] = *v;
         if (auto v = a.option("unit")) c["unit"] = *v;
         return c;
       }},
      {"dispatch",
       "DispatchToUnit",
       "ORDER_ID... --to UNIT",
       "pass orders to a unit below (派下级单位), or from a sales outlet to its linked outlet",
       {"to"},
       [](const Args& a) -> Result<json> {
         auto ids = order_ids(a);
         if (!ids.ok()) return ids.error();
         auto to = required(a, "to");
         if (!to.ok()) return to.error();
         return json{{"order_ids", *ids}, {"unit", *to}};
       }},
      {"assign",
       "AssignTechnicians",
       "ORDER_ID... --primary STAFF [--assistant STAFF]...",
       "assign service people (手机APP派工 / 批量指派给工人): one primary, the rest helpers",
       {"primary", "assistant"},
       [](const Args& a) -> Result<json> {
         auto ids = order_ids(a);
         if (!ids.ok()) return ids.error();
         auto primary = required(a, "primary");
         if (!primary.ok()) return primary.error();
         return json{
             {"order_ids", *ids}, {"primary", *primary}, {"assistants", a.all("assistant")}};
       }},
      {"accept",
       "AcceptOrder",
       "ORDER_ID",
       "accept an assigned order (接收工单)",
       {},
       single_order({})},
      {"refuse",
       "RefuseOrder",
       "ORDER_ID --reason TEXT",
       "refuse an assigned order (拒绝工单)",
       {"reason"},
       single_order({{"reason", "reason"}})},
      {"checkin",
       "CheckIn",
       "ORDER_ID --lat LAT --lon LON",
       "check in on site (上门签到)",
       {"lat", "lon"},
       [](const Args& a) -> Result<json> {
         auto id = one_order(a);
         if (!id.ok()) return id.error();
         auto lat = number(a, "lat");
         if (!lat.ok()) return lat.error();
         auto lon = number(a, "lon");
         if (!lon.ok()) return lon.error();
         return json{{"order_id", *id}, {"lat", *lat}, {"lon", *lon}};
       }},
      {"capture",
       "CaptureUnit",
       "ORDER_ID --indoor BARCODE --outdoor BARCODE --photo REF...",
       "capture one air conditioner's barcodes and photos (数据采集)",
       {"indoor", "outdoor", "photo"},
       [](const Args& a) -> Result<json> {
         auto id = one_order(a);
         if (!id.ok()) return id.error();
         auto indoor = required(a, "indoor");
         if (!indoor.ok()) return indoor.error();
         auto outdoor = required(a, "outdoor");
         if (!outdoor.ok()) return outdoor.error();
         return json{{"order_id", *id},
                     {"indoor_barcode", *indoor},
                     {"outdoor_barcode", *outdoor},
                     {"photos", a.all("photo")}};
       }},
      {"complete",
       "CompleteOrder",
       "ORDER_ID",
       "submit the captured order (完结工单)",
       {},
       single_order({})},
      {"report",
       "ReportCompletion",
       "ORDER_ID --captured INDOOR,OUTDOOR,PHOTO[,PHOTO...]...",
       "report completion for the technician (安装报完工); the order closes at once",
       {"captured"},
       [](const Args& a) -> Result<json> {
         auto id = one_order(a);
         if (!id.ok()) return id.error();
         json units = json::array();
         for (const auto& spec : a.all("captured")) {
           auto unit = captured_unit(spec);
           if (!unit.ok()) return unit.error();
           units.push_back(*unit);
         }
         return json{{"order_id", *id}, {"units", units}};
       }},
      {"close",
       "CloseOrder",
       "ORDER_ID",
       "close a verified order (工单关闭)",
       {},
       single_order({})},
      {"feedback",
       "AddFeedback",
       "ORDER_ID --text TEXT",
       "add process feedback (过程反馈)",
       {"text"},
       single_order({{"text", "text"}})},
      {"request-reassign",
       "RequestReassignment",
       "ORDER_ID --reason TEXT",
       "ask the superior to take an order back (申请改派)",
       {"reason"},
       single_order({{"reason", "reason"}})},
      {"approve-reassign",
       "ApproveReassignment",
       "ORDER_ID",
       "approve a subordinate's reassignment request (待审批改派)",
       {},
       single_order({})},
      {"reject-reassign",
       "RejectReassignment",
       "ORDER_ID --reason TEXT",
       "reject a reassignment request (驳回)",
       {"reason"},
       single_order({{"reason", "reason"}})},
      {"cancel",
       "CancelOrder",
       "ORDER_ID --reason TEXT",
       "cancel an order before completion",
       {"reason"},
       single_order({{"reason", "reason"}})},
  };
  return commands;
}

const PersonCommand* find(const std::string& name) {
  for (const auto& c : person_commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::string fresh_command_id() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  std::random_device random;
  return "ctl-" +
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
         std::to_string(random() % 100000);
}
}  // namespace

bool is_person_command(const std::string& name) { return find(name) != nullptr; }

void print_person_commands_help() {
  for (const auto& c : person_commands()) {
    std::cout << "  " << c.name << std::string(c.name.size() < 18 ? 18 - c.name.size() : 1, ' ')
              << c.summary << '\n';
  }
}

int print_person_command_help(const std::string& name) {
  const PersonCommand* c = find(name);
  if (!c) return kExitUsage;
  std::cout << "usage: dispatchctl " << c->name << " " << c->usage
            << " [--as ACCOUNT] [--at TIME] [--id COMMAND_ID] [--data DIR] [--json]\n\n"
            << c->summary << ".\nApplies one " << c->type
            << " command as ACCOUNT (default: admin), like a line of `dispatchctl apply`.\n";
  return kExitOk;
}

int run_person_command(const std::string& name, int argc, char** argv) {
  const PersonCommand* c = find(name);
  if (!c) return kExitUsage;
  ArgSpec spec{c->options, {"json", "help"}};
  spec.options.insert({"at", "id"});
  spec.options.insert(std::begin(kBackendOptions), std::end(kBackendOptions));
  spec.options.insert(std::begin(kKafkaOptions), std::end(kKafkaOptions));
  auto args = Args::parse(argc, argv, 2, spec);
  if (!args.ok()) {
    std::cerr << "dispatchctl " << name << ": " << args.error().message << '\n';
    return kExitUsage;
  }
  if (args->flag("help")) return print_person_command_help(name);
  auto body = c->build(*args);
  if (!body.ok()) {
    std::cerr << "dispatchctl " << name << ": " << body.error().message << "\nusage: dispatchctl "
              << c->name << " " << c->usage << '\n';
    return kExitUsage;
  }
  json command = *body;
  command["type"] = c->type;
  command["id"] = args->option_or("id", fresh_command_id());
  int exit_code = kExitOk;
  auto backend = open_backend(*args, exit_code);
  if (!backend.ok()) return exit_code;
  command["actor"] = (*backend)->actor();
  if (auto at = args->option("at")) command["at"] = *at;
  auto parsed = parse_command(command);
  if (!parsed.ok()) {
    std::cerr << "dispatchctl " << name << ": " << parsed.error().message << '\n';
    return kExitUsage;
  }
  json reply = (*backend)->submit(std::move(parsed.value())).get();
  if (args->flag("json")) {
    std::cout << json_line(reply) << '\n';
  } else if (reply.value("ok", false)) {
    std::cout << "ok";
    for (const auto& id : reply.value("order_ids", json::array())) {
      std::cout << ' ' << id.get<std::string>();
    }
    std::cout << '\n';
  } else {
    std::cerr << "refused: " << reply["error"].value("code", "") << ": "
              << reply["error"].value("message", "") << '\n';
  }
  if (reply.value("ok", false)) return kExitOk;
  return reply["error"].value("code", "") == "unavailable" ? kExitStore : kExitRefused;
}

}  // namespace dispatch::ctl
