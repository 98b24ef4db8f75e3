#define BOOST_TEST_MODULE command_json
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/command.h"
#include "tests/engine/json_samples.h"

namespace dispatch {
namespace {
using json = nlohmann::json;
using testing::same;

// One realistic command of every type, in CommandBody's order.
const std::vector<std::string> kExamples = {
    R"({"id": "cmd-000002", "type": "RegisterUnit", "actor": "X2500", "at": "2015-01-08T08:01:00+08:00",
        "unit_id": "ZHKF", "name": "珠海客服中心", "kind": "service_center", "parent": "X2500"})",
    R"({"id": "cmd-000005", "type": "LinkServiceOutlet", "actor": "X2500",
        "sales_unit": "X250001201", "service_outlet": "S2100911"})",
    R"({"id": "cmd-000006", "type": "RegisterStaff", "actor": "S2100911", "at": "2015-01-08T08:05:00+08:00",
        "staff_id": "S21009110002", "unit": "S2100911", "name": "测试员2", "phone": "13800000002"})",
    R"({"id": "cmd-000009", "type": "CreateOrder", "actor": "admin", "at": "2015-01-08T09:00:00+08:00",
        "order_id": "PS20150108004", "kind": "delivery",
        "customer": {"name": "张三", "phone": "13912345678", "province": "广东省", "city": "珠海市",
                     "district": "香洲区", "address": "香洲区人民东路123号5栋801"},
        "items": [{"model": "KFR-35GW/(35592)FNhDa-A3", "quantity": 2},
                  {"model": "KFR-26GW/(26592)FNhAa-A3", "quantity": 1}],
        "source": {"platform": "jd", "platform_order_id": "1234567890123456789012"},
        "note": "客户要求上午安装", "unit": "ZHKF"})",
    R"({"id": "cmd-000010", "type": "DispatchToUnit", "actor": "ZHKF", "at": "2015-01-08T09:30:00+08:00",
        "order_ids": ["AZ20150108001", "AZ20150108002"], "unit": "S2100911"})",
    R"({"id": "cmd-000011", "type": "AssignTechnicians", "actor": "S2100911",
        "order_ids": ["AZ20150108001"], "primary": "S21009110002", "assistants": ["S21009110003"]})",
    R"({"id": "cmd-000012", "type": "AcceptOrder", "actor": "S21009110002", "order_id": "AZ20150108001"})",
    R"({"id": "cmd-000022", "type": "RefuseOrder", "actor": "S21009110002",
        "order_id": "AZ20150108002", "reason": "手机无法定位"})",
    R"({"id": "cmd-000013", "type": "CheckIn", "actor": "S21009110002", "at": "2015-01-08T02:30:00Z",
        "order_id": "AZ20150108001", "lat": 22.271, "lon": 113.5767})",
    R"({"id": "cmd-000014", "type": "CaptureUnit", "actor": "S21009110002", "order_id": "AZ20150108001",
        "indoor_barcode": "4A1350670053", "outdoor_barcode": "4A1350680047",
        "photos": ["photos/AZ20150108001/indoor-1.jpg", "photos/AZ20150108001/outdoor-1.jpg"]})",
    R"({"id": "cmd-000016", "type": "CompleteOrder", "actor": "S21009110002", "order_id": "AZ20150108001"})",
    R"({"id": "cmd-000023", "type": "ReportCompletion", "actor": "S2100911", "order_id": "AZ20150108002",
        "units": [{"indoor_barcode": "4A1230670011", "outdoor_barcode": "4A1230680012",
                   "photos": ["photos/AZ20150108002/1.jpg"]},
                  {"indoor_barcode": "4A7250670021", "outdoor_barcode": "4A7250680022", "photos": []}]})",
    R"({"id": "cmd-000018", "type": "CloseOrder", "actor": "S2100911", "order_id": "AZ20150108001"})",
    R"({"id": "cmd-000017", "type": "AddFeedback", "actor": "S2100911", "order_id": "AZ20150108001",
        "text": "室外机支架已加固"})",
    R"({"id": "cmd-000026", "type": "RequestReassignment", "actor": "S2100911",
        "order_id": "AZ20150108003", "reason": "不在本网点服务范围"})",
    R"({"id": "cmd-000029", "type": "ApproveReassignment", "actor": "ZHKF", "order_id": "AZ20150108003"})",
    R"({"id": "cmd-000027", "type": "RejectReassignment", "actor": "ZHKF", "order_id": "AZ20150108003",
        "reason": "请先安排上门"})",
    R"({"id": "cmd-000030", "type": "CancelOrder", "actor": "ZHKF", "order_id": "AZ20150108003",
        "reason": "客户取消安装"})",
    R"({"id": "cmd-000008", "type": "RouteRegion", "actor": "ZHKF", "province": "广东省",
        "city": "珠海市", "district": "香洲区", "unit": "S2100911"})",
    R"({"id": "tmall:1001:installation:address:0123456789abcdef", "type": "ChangeCustomerAddress",
        "actor": "connector:tmall", "at": "2015-01-08T12:00:00+08:00", "order_id": "AZ-TM-1001",
        "customer": {"name": "王**", "phone": "*******1234", "province": "广东省", "city": "珠海市",
                     "district": "香洲区", "address": "凤凰北路**号"}})",
    R"({"id": "password-1", "type": "ChangePassword", "actor": "S21009110002",
        "account": "S21009110002"})",
    R"({"id": "password-2", "type": "ResetPassword", "actor": "S2100911",
        "account": "S21009110002"})",
};

// For messages: the JSON text, even when a test put invalid UTF-8 in it.
std::string show(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Command parse_ok(const std::string& text) {
  auto r = parse_command_text(text);
  BOOST_TEST_REQUIRE(
      r.ok(), "expected to parse: " << text << "\n  got: " << (r.ok() ? "" : r.error().message));
  return std::move(r).value();
}

// Parses `j` and expects `invalid` naming `field`; returns the message.
std::string expect_invalid(const json& j, const std::string& field) {
  auto r = parse_command(j);
  BOOST_TEST_REQUIRE(!r.ok(), "expected a refusal naming '" << field << "' for " << show(j));
  BOOST_TEST((r.error().code == ErrorCode::invalid));
  BOOST_TEST(r.error().field == field);
  BOOST_TEST(!r.error().message.empty());
  return r.error().message;
}

json example(std::string_view type) {
  for (const auto& text : kExamples) {
    auto j = json::parse(text);
    if (j["type"] == type) return j;
  }
  BOOST_FAIL("no example of " << type);
  return {};
}

BOOST_AUTO_TEST_CASE(examples_cover_every_type_in_order) {
  BOOST_TEST_REQUIRE(kExamples.size() == std::variant_size_v<CommandBody>);
  for (std::size_t i = 0; i < kExamples.size(); ++i) {
    const auto c = parse_ok(kExamples[i]);
    BOOST_TEST(c.body.index() == i);
    BOOST_TEST(c.type() == command_type_name(i));
  }
}

BOOST_AUTO_TEST_CASE(every_example_round_trips_exactly) {
  for (const auto& text : kExamples) {
    const auto c = parse_ok(text);
    const json back = to_json(c);
    // The examples carry every optional field, so the JSON comes back key for key.
    BOOST_TEST(back == json::parse(text), "round trip of " << text << " gave " << back.dump());
    const auto again = parse_command(back);
    BOOST_TEST_REQUIRE(again.ok());
    BOOST_TEST(same(*again, c));
    const auto from_text = parse_command_text(back.dump());
    BOOST_TEST_REQUIRE(from_text.ok());
    BOOST_TEST(same(*from_text, c));
  }
}

BOOST_AUTO_TEST_CASE(register_unit_fields) {
  const auto c = parse_ok(kExamples[0]);
  BOOST_TEST(c.id.str() == "cmd-000002");
  BOOST_TEST(c.actor.str() == "X2500");
  BOOST_TEST(c.at == "2015-01-08T08:01:00+08:00");
  const auto& b = std::get<cmd::RegisterUnit>(c.body);
  BOOST_TEST(b.unit_id.str() == "ZHKF");
  BOOST_TEST(b.name == "珠海客服中心");
  BOOST_TEST((b.kind == UnitKind::service_center));
  BOOST_TEST_REQUIRE(b.parent.has_value());
  BOOST_TEST(b.parent->str() == "X2500");
  BOOST_TEST(c.order_ids().empty());

  auto root = json::parse(kExamples[0]);
  root.erase("parent");
  const auto r = parse_command(root);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(!std::get<cmd::RegisterUnit>(r->body).parent.has_value());
  BOOST_TEST(!to_json(*r).contains("parent"));
}

BOOST_AUTO_TEST_CASE(link_and_staff_fields) {
  const auto link = std::get<cmd::LinkServiceOutlet>(parse_ok(kExamples[1]).body);
  BOOST_TEST(link.sales_unit.str() == "X250001201");
  BOOST_TEST(link.service_outlet.str() == "S2100911");
  const auto c = parse_ok(kExamples[2]);
  const auto& staff = std::get<cmd::RegisterStaff>(c.body);
  BOOST_TEST(staff.staff_id.str() == "S21009110002");
  BOOST_TEST(staff.unit.str() == "S2100911");
  BOOST_TEST(staff.name == "测试员2");
  BOOST_TEST(staff.phone == "13800000002");
  BOOST_TEST(parse_ok(kExamples[1]).at.empty());
}

BOOST_AUTO_TEST_CASE(create_order_fields) {
  const auto c = parse_ok(kExamples[3]);
  const auto& b = std::get<cmd::CreateOrder>(c.body);
  BOOST_TEST_REQUIRE(b.order_id.has_value());
  BOOST_TEST(b.order_id->str() == "PS20150108004");
  BOOST_TEST((b.kind == OrderKind::delivery));
  BOOST_TEST(b.customer.name == "张三");
  BOOST_TEST(b.customer.phone == "13912345678");
  BOOST_TEST(b.customer.province == "广东省");
  BOOST_TEST(b.customer.city == "珠海市");
  BOOST_TEST(b.customer.district == "香洲区");
  BOOST_TEST(b.customer.address == "香洲区人民东路123号5栋801");
  BOOST_TEST_REQUIRE(b.items.size() == 2u);
  BOOST_TEST(b.items[0].model == "KFR-35GW/(35592)FNhDa-A3");
  BOOST_TEST(b.items[0].quantity == 2);
  BOOST_TEST(b.items[1].quantity == 1);
  BOOST_TEST_REQUIRE(b.source.has_value());
  BOOST_TEST((b.source->platform == Platform::jd));
  BOOST_TEST(b.source->platform_order_id == "1234567890123456789012");
  BOOST_TEST(b.note == "客户要求上午安装");
  BOOST_TEST_REQUIRE(b.unit.has_value());
  BOOST_TEST(b.unit->str() == "ZHKF");
  BOOST_TEST_REQUIRE(c.order_ids().size() == 1u);
  BOOST_TEST(c.order_ids()[0].str() == "PS20150108004");
}

BOOST_AUTO_TEST_CASE(create_order_optionals_absent) {
  auto j = example("CreateOrder");
  for (const char* key : {"order_id", "source", "note", "unit", "at"}) j.erase(key);
  j["customer"].erase("province");
  j["customer"].erase("city");
  j["customer"].erase("district");
  const auto r = parse_command(j);
  BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().message));
  const auto& b = std::get<cmd::CreateOrder>(r->body);
  BOOST_TEST(!b.order_id.has_value());
  BOOST_TEST(!b.source.has_value());
  BOOST_TEST(!b.unit.has_value());
  BOOST_TEST(b.note.empty());
  BOOST_TEST(b.customer.city.empty());
  BOOST_TEST(r->at.empty());
  BOOST_TEST(r->order_ids().empty());
  const json back = to_json(*r);
  for (const char* key : {"order_id", "source", "note", "unit", "at"}) {
    BOOST_TEST(!back.contains(key), key << " should be left out");
  }
  BOOST_TEST(!back["customer"].contains("city"));
  BOOST_TEST(back == j);
}

BOOST_AUTO_TEST_CASE(batch_and_assignment_fields) {
  const auto d = parse_ok(kExamples[4]);
  const auto& dispatch = std::get<cmd::DispatchToUnit>(d.body);
  BOOST_TEST_REQUIRE(dispatch.order_ids.size() == 2u);
  BOOST_TEST(dispatch.order_ids[1].str() == "AZ20150108002");
  BOOST_TEST(dispatch.unit.str() == "S2100911");
  BOOST_TEST(d.order_ids().size() == 2u);

  const auto a = std::get<cmd::AssignTechnicians>(parse_ok(kExamples[5]).body);
  BOOST_TEST(a.primary.str() == "S21009110002");
  BOOST_TEST_REQUIRE(a.assistants.size() == 1u);
  BOOST_TEST(a.assistants[0].str() == "S21009110003");

  auto j = example("AssignTechnicians");
  j.erase("assistants");
  const auto r = parse_command(j);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(std::get<cmd::AssignTechnicians>(r->body).assistants.empty());
  BOOST_TEST(!to_json(*r).contains("assistants"));
}

BOOST_AUTO_TEST_CASE(technician_commands_fields) {
  BOOST_TEST(std::get<cmd::AcceptOrder>(parse_ok(kExamples[6]).body).order_id.str() ==
             "AZ20150108001");
  BOOST_TEST(std::get<cmd::RefuseOrder>(parse_ok(kExamples[7]).body).reason == "手机无法定位");
  const auto check_in = parse_ok(kExamples[8]);
  BOOST_TEST(check_in.at == "2015-01-08T02:30:00Z");
  const auto& ci = std::get<cmd::CheckIn>(check_in.body);
  BOOST_TEST(ci.lat == 22.271);
  BOOST_TEST(ci.lon == 113.5767);
  const auto cap = std::get<cmd::CaptureUnit>(parse_ok(kExamples[9]).body);
  BOOST_TEST(cap.unit.indoor_barcode == "4A1350670053");
  BOOST_TEST(cap.unit.outdoor_barcode == "4A1350680047");
  BOOST_TEST_REQUIRE(cap.unit.photos.size() == 2u);
  BOOST_TEST(cap.unit.photos[1] == "photos/AZ20150108001/outdoor-1.jpg");
  BOOST_TEST(std::get<cmd::CompleteOrder>(parse_ok(kExamples[10]).body).order_id.str() ==
             "AZ20150108001");
  const auto rep = std::get<cmd::ReportCompletion>(parse_ok(kExamples[11]).body);
  BOOST_TEST_REQUIRE(rep.units.size() == 2u);
  BOOST_TEST(rep.units[1].outdoor_barcode == "4A7250680022");
  BOOST_TEST(rep.units[1].photos.empty());
  BOOST_TEST(rep.units[0].photos.at(0) == "photos/AZ20150108002/1.jpg");

  // An integer latitude is a number too.
  auto j = example("CheckIn");
  j["lat"] = 22;
  const auto r = parse_command(j);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(std::get<cmd::CheckIn>(r->body).lat == 22.0);
}

BOOST_AUTO_TEST_CASE(holder_commands_fields) {
  BOOST_TEST(std::get<cmd::CloseOrder>(parse_ok(kExamples[12]).body).order_id.str() ==
             "AZ20150108001");
  BOOST_TEST(std::get<cmd::AddFeedback>(parse_ok(kExamples[13]).body).text == "室外机支架已加固");
  BOOST_TEST(std::get<cmd::RequestReassignment>(parse_ok(kExamples[14]).body).reason ==
             "不在本网点服务范围");
  BOOST_TEST(std::get<cmd::ApproveReassignment>(parse_ok(kExamples[15]).body).order_id.str() ==
             "AZ20150108003");
  BOOST_TEST(std::get<cmd::RejectReassignment>(parse_ok(kExamples[16]).body).reason ==
             "请先安排上门");
  BOOST_TEST(std::get<cmd::CancelOrder>(parse_ok(kExamples[17]).body).reason == "客户取消安装");
  const auto route = std::get<cmd::RouteRegion>(parse_ok(kExamples[18]).body);
  BOOST_TEST(route.province == "广东省");
  BOOST_TEST(route.city == "珠海市");
  BOOST_TEST(route.district == "香洲区");
  BOOST_TEST(route.unit.str() == "S2100911");

  auto j = example("RouteRegion");
  j.erase("city");
  j.erase("district");
  const auto r = parse_command(j);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(std::get<cmd::RouteRegion>(r->body).city.empty());
  BOOST_TEST(to_json(*r) == j);
}

// Removing any required top-level field of any example is refused, naming that field.
BOOST_AUTO_TEST_CASE(every_missing_required_field_is_named) {
  const std::set<std::pair<std::string, std::string>> optional = {
      {"RegisterUnit", "parent"}, {"CreateOrder", "order_id"}, {"CreateOrder", "source"},
      {"CreateOrder", "note"},    {"CreateOrder", "unit"},     {"AssignTechnicians", "assistants"},
      {"RouteRegion", "city"},    {"RouteRegion", "district"}};
  int checked = 0;
  for (const auto& text : kExamples) {
    const auto full = json::parse(text);
    const std::string type = full["type"];
    for (const auto& [key, value] : full.items()) {
      if (key == "at" || optional.count({type, key}) > 0) continue;
      auto j = full;
      j.erase(key);
      const auto message = expect_invalid(j, key);
      BOOST_TEST(message.find(key) != std::string::npos, message);
      ++checked;
    }
  }
  BOOST_TEST(checked > 60);
}

BOOST_AUTO_TEST_CASE(nested_fields_are_named_with_their_path) {
  auto j = example("CreateOrder");
  j["customer"].erase("phone");
  auto message = expect_invalid(j, "customer.phone");
  BOOST_TEST(message == "Field 'customer.phone' is required but missing.");

  j = example("CreateOrder");
  j["items"][0]["quantity"] = "2";
  message = expect_invalid(j, "items[0].quantity");
  BOOST_TEST(message == "Field 'items[0].quantity' must be an integer, not a string.");

  j = example("CreateOrder");
  j["items"][1]["quantity"] = 1.5;
  message = expect_invalid(j, "items[1].quantity");
  BOOST_TEST(message ==
             "Field 'items[1].quantity' must be an integer, not a number with a fraction.");

  j = example("CreateOrder");
  j["items"][1]["quantity"] = 1e30;
  expect_invalid(j, "items[1].quantity");

  // As in JSON Schema, 3.0 is an integer.
  j = example("CreateOrder");
  j["items"][1]["quantity"] = 3.0;
  {
    const auto r = parse_command(j);
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(std::get<cmd::CreateOrder>(r->body).items[1].quantity == 3);
  }

  j = example("CreateOrder");
  j["items"][1].erase("model");
  expect_invalid(j, "items[1].model");

  j = example("CreateOrder");
  j["items"] = json{{"model", "KFR-35GW"}, {"quantity", 1}};
  message = expect_invalid(j, "items");
  BOOST_TEST(message == "Field 'items' must be an array of items, not an object.");

  j = example("CreateOrder");
  j["items"] = json::array();
  expect_invalid(j, "items");

  j = example("CreateOrder");
  j["items"][0] = "KFR-35GW";
  expect_invalid(j, "items[0]");

  j = example("CreateOrder");
  j["customer"] = "张三";
  expect_invalid(j, "customer");

  j = example("CreateOrder");
  j["customer"]["city"] = 756;
  expect_invalid(j, "customer.city");

  j = example("CreateOrder");
  j["source"]["platform"] = "taobao";
  message = expect_invalid(j, "source.platform");
  BOOST_TEST(message ==
             "Field 'source.platform' must be one of tmall, jd, gree_mall; 'taobao' is not.");

  j = example("CreateOrder");
  j["source"].erase("platform_order_id");
  expect_invalid(j, "source.platform_order_id");

  j = example("CreateOrder");
  j["kind"] = "repair";
  expect_invalid(j, "kind");

  j = example("CreateOrder");
  j["note"] = json::array({"a"});
  expect_invalid(j, "note");

  j = example("ReportCompletion");
  j["units"][1].erase("outdoor_barcode");
  expect_invalid(j, "units[1].outdoor_barcode");

  j = example("ReportCompletion");
  j["units"][0]["photos"][0] = 7;
  expect_invalid(j, "units[0].photos[0]");

  j = example("CaptureUnit");
  j["photos"] = "photos/1.jpg";
  expect_invalid(j, "photos");

  j = example("DispatchToUnit");
  j["order_ids"][1] = 20150108002;
  expect_invalid(j, "order_ids[1]");

  j = example("DispatchToUnit");
  j["order_ids"] = json::array();
  expect_invalid(j, "order_ids");

  j = example("DispatchToUnit");
  j["order_ids"] = "AZ20150108001";
  expect_invalid(j, "order_ids");

  j = example("AssignTechnicians");
  j["assistants"] = json::array({"S21009110003", ""});
  expect_invalid(j, "assistants[1]");

  j = example("RegisterUnit");
  j["kind"] = "shop";
  message = expect_invalid(j, "kind");
  BOOST_TEST(message.find("sales_company, service_center, service_outlet, sales_center, "
                          "sales_outlet") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_types_are_named) {
  auto j = example("CheckIn");
  j["lat"] = "22.271";
  auto message = expect_invalid(j, "lat");
  BOOST_TEST(message == "Field 'lat' must be a number, not a string.");

  j = example("CheckIn");
  j["lon"] = 181;
  expect_invalid(j, "lon");

  j = example("CheckIn");
  j["lat"] = -90.5;
  expect_invalid(j, "lat");

  // Ids are strings, never numbers: 22 digits do not fit an integer.
  j = example("AcceptOrder");
  j["order_id"] = json::parse("1234567890123456789012");
  message = expect_invalid(j, "order_id");
  BOOST_TEST(message.find("identifiers are strings") != std::string::npos);

  j = example("AcceptOrder");
  j["order_id"] = "";
  message = expect_invalid(j, "order_id");
  BOOST_TEST(message == "Field 'order_id' must not be empty.");

  j = example("RegisterUnit");
  j["parent"] = nullptr;
  message = expect_invalid(j, "parent");
  BOOST_TEST(message.find("leave it out") != std::string::npos);

  j = example("AddFeedback");
  j["text"] = true;
  expect_invalid(j, "text");

  j = example("RegisterStaff");
  j["phone"] = 13800000002;
  expect_invalid(j, "phone");

  // Invalid UTF-8 in a string built by a program (text from the wire is checked by the parser).
  j = example("AddFeedback");
  j["text"] = std::string("\xe5\xae", 2);
  message = expect_invalid(j, "text");
  BOOST_TEST(message == "Field 'text' is not valid UTF-8.");
}

BOOST_AUTO_TEST_CASE(envelope_is_checked) {
  auto j = example("CloseOrder");
  j["id"] = "";
  expect_invalid(j, "id");
  j = example("CloseOrder");
  j["id"] = 18;
  expect_invalid(j, "id");
  j = example("CloseOrder");
  j["actor"] = "";
  expect_invalid(j, "actor");
  j = example("CloseOrder");
  j.erase("actor");
  expect_invalid(j, "actor");
  j = example("CloseOrder");
  j["type"] = 3;
  expect_invalid(j, "type");

  j = example("CloseOrder");
  j["type"] = "CloseOrders";
  auto message = expect_invalid(j, "type");
  BOOST_TEST(message.find("Unknown command type 'CloseOrders'") == 0u, message);
  BOOST_TEST(message.find("RouteRegion") != std::string::npos);

  for (const char* bad : {"2015-01-08 09:30:00+08:00", "2015-01-08T09:30:00",
                          "2015-02-29T09:30:00Z", "2015-01-08T24:00:00Z", "yesterday", ""}) {
    j = example("CloseOrder");
    j["at"] = bad;
    message = expect_invalid(j, "at");
    BOOST_TEST(message.find("RFC 3339") != std::string::npos);
  }
  j = example("CloseOrder");
  j["at"] = 1420680600;
  expect_invalid(j, "at");
}

BOOST_AUTO_TEST_CASE(not_an_object_and_malformed_text) {
  auto r = parse_command(json::array({1, 2}));
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST((r.error().code == ErrorCode::invalid));
  BOOST_TEST(r.error().field == "");
  BOOST_TEST(r.error().message == "A command must be a JSON object, not an array.");

  for (const char* text : {"", "{", R"({"id": "c1", "type": "CloseOrder",})", "not json",
                           R"({"id": "c1"} trailing)", "\"\xff\""}) {
    r = parse_command_text(text);
    BOOST_TEST_REQUIRE(!r.ok(), "accepted: " << text);
    BOOST_TEST((r.error().code == ErrorCode::invalid));
    BOOST_TEST(r.error().message.find("not valid JSON") != std::string::npos, r.error().message);
  }
  r = parse_command_text("42");
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().message == "A command must be a JSON object, not an integer.");
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored) {
  auto j = example("DispatchToUnit");
  j["client"] = {{"app", "dispatch-web"}, {"version", 3}};
  j["priority"] = "high";
  const auto r = parse_command(j);
  BOOST_TEST_REQUIRE(r.ok());
  BOOST_TEST(std::get<cmd::DispatchToUnit>(r->body).unit.str() == "S2100911");
  BOOST_TEST(!to_json(*r).contains("priority"));
}

BOOST_AUTO_TEST_CASE(to_json_of_a_built_command) {
  Command c;
  c.id = CommandId("cmd-1");
  c.actor = AccountId("S21009110002");
  c.body = cmd::CaptureUnit{OrderId("AZ20150108001"), CapturedUnit{"IN1", "OUT1", {"p1.jpg"}}};
  const json expected =
      json::parse(R"({"id": "cmd-1", "type": "CaptureUnit", "actor": "S21009110002",
      "order_id": "AZ20150108001", "indoor_barcode": "IN1", "outdoor_barcode": "OUT1",
      "photos": ["p1.jpg"]})");
  BOOST_TEST(to_json(c) == expected, to_json(c).dump());
  const auto back = parse_command(to_json(c));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(same(*back, c));
}

BOOST_AUTO_TEST_CASE(rfc3339) {
  for (const char* good :
       {"2015-01-08T09:30:00+08:00", "2015-01-08T01:30:00Z", "2015-01-08t01:30:00z",
        "2015-01-08T09:30:00.123456+08:00", "2016-02-29T00:00:00-05:30", "2000-02-29T23:59:59Z",
        "2016-12-31T23:59:60Z", "2017-01-01T07:59:60+08:00", "0001-01-01T00:00:00-00:00"}) {
    BOOST_TEST(is_rfc3339(good), good);
  }
  for (const char* bad : {"",
                          "2015-01-08",
                          "2015-01-08T09:30",
                          "2015-01-08T09:30:00",
                          "2015-01-08 09:30:00Z",
                          "2015-1-08T09:30:00Z",
                          "2015-13-08T09:30:00Z",
                          "2015-00-08T09:30:00Z",
                          "2015-01-32T09:30:00Z",
                          "2015-02-29T09:30:00Z",
                          "1900-02-29T09:30:00Z",
                          "2015-04-31T09:30:00Z",
                          "2015-01-08T24:00:00Z",
                          "2015-01-08T09:60:00Z",
                          "2015-01-08T09:30:61Z",
                          "2015-01-08T09:30:60Z",
                          "2015-01-08T09:30:00.Z",
                          "2015-01-08T09:30:00+0800",
                          "2015-01-08T09:30:00+08",
                          "2015-01-08T09:30:00+24:00",
                          "2015-01-08T09:30:00+08:60",
                          "2015-01-08T09:30:00Z ",
                          " 2015-01-08T09:30:00Z",
                          "2015-01-08T09:30:00ZZ",
                          "2015/01/08T09:30:00Z",
                          "2015-01-08T09:30:00+08:00\n",
                          "２015-01-08T09:30:00Z"}) {
    BOOST_TEST(!is_rfc3339(bad), bad);
  }
}

}  // namespace
}  // namespace dispatch
