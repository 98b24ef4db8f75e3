#define BOOST_TEST_MODULE event_json
#include <boost/test/unit_test.hpp>
#include <set>
#include <string>

#include "engine/event.h"
#include "tests/engine/json_samples.h"

namespace dispatch {
namespace {
using json = nlohmann::json;
using testing::same;
using testing::sample_events;

// For messages: the JSON text, even when a test put invalid UTF-8 in it.
std::string show(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

const Event& sample(std::string_view type) {
  static const auto events = sample_events();
  for (const auto& e : events) {
    if (e.type() == type) return e;
  }
  BOOST_FAIL("no sample of " << type);
  return events.front();
}

void expect_invalid(const json& j, const std::string& field) {
  const auto r = event_from_json(j);
  BOOST_TEST_REQUIRE(!r.ok(), "expected a refusal naming '" << field << "' for " << show(j));
  BOOST_TEST((r.error().code == ErrorCode::invalid));
  BOOST_TEST(r.error().field == field, show(j) << ": " << r.error().message);
  BOOST_TEST(r.error().message.find(field) != std::string::npos, r.error().message);
}

BOOST_AUTO_TEST_CASE(samples_cover_every_type) {
  const auto events = sample_events();
  BOOST_TEST_REQUIRE(events.size() == std::variant_size_v<EventBody>);
  for (std::size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(events[i].body.index() == i);
    BOOST_TEST(events[i].position.value() == i + 1);
  }
}

BOOST_AUTO_TEST_CASE(every_type_round_trips_through_text) {
  for (const auto& e : sample_events()) {
    const json j = to_json(e);
    BOOST_TEST(j.at("type") == e.type());
    BOOST_TEST(j.at("stream") == e.stream);
    BOOST_TEST(j.at("actor") == e.actor.str());
    BOOST_TEST(j.at("at") == e.at);
    BOOST_TEST(j.at("command_id") == e.command_id.str());
    BOOST_TEST(j.at("version") == e.version.value());
    BOOST_TEST(j.at("position") == e.position.value());
    if (!e.order_id().empty()) BOOST_TEST(j.at("order_id") == e.order_id().str());
    const auto back = event_from_json(json::parse(j.dump()));
    BOOST_TEST_REQUIRE(back.ok(), e.type() << ": " << (back.ok() ? "" : back.error().message));
    BOOST_TEST(same(*back, e), e.type());
    BOOST_TEST(to_json(*back) == j);
  }
}

BOOST_AUTO_TEST_CASE(exact_flat_forms) {
  BOOST_TEST(to_json(sample("UnitCaptured")) == json::parse(R"({
      "type": "UnitCaptured", "stream": "order/AZ20150108001", "actor": "S21009110002",
      "at": "2015-01-08T11:10:00+08:00", "command_id": "cmd-000014", "version": 6, "position": 11,
      "order_id": "AZ20150108001", "indoor_barcode": "4A1350670053",
      "outdoor_barcode": "4A1350680047",
      "photos": ["photos/AZ20150108001/indoor-1.jpg", "photos/AZ20150108001/outdoor-1.jpg"]})"));
  BOOST_TEST(to_json(sample("CompletionReported")) == json::parse(R"({
      "type": "CompletionReported", "stream": "order/AZ20150108002", "actor": "S2100911",
      "at": "2015-01-08T16:00:00+08:00", "command_id": "cmd-000023", "version": 4, "position": 13,
      "order_id": "AZ20150108002",
      "units": [{"indoor_barcode": "4A1230670011", "outdoor_barcode": "4A1230680012",
                 "photos": ["photos/AZ20150108002/1.jpg"]},
                {"indoor_barcode": "4A7250670021", "outdoor_barcode": "4A7250680022",
                 "photos": []}]})"));
  BOOST_TEST(to_json(sample("OrderCreated")) == json::parse(R"({
      "type": "OrderCreated", "stream": "order/AZ20150108001", "actor": "admin",
      "at": "2015-01-08T09:00:00.250Z", "command_id": "cmd-000009", "version": 1, "position": 5,
      "order_id": "AZ20150108001", "kind": "installation", "unit": "ZHKF",
      "customer": {"name": "张三", "phone": "13912345678", "province": "广东省", "city": "珠海市",
                   "district": "香洲区", "address": "香洲区人民东路123号5栋801"},
      "items": [{"model": "KFR-35GW/(35592)FNhDa-A3", "quantity": 2},
                {"model": "KFR-26GW/(26592)FNhAa-A3", "quantity": 1}],
      "source": {"platform": "tmall", "platform_order_id": "1234567890123456789012"},
      "note": "客户要求上午安装"})"));
  BOOST_TEST(to_json(sample("DispatchedToUnit")) == json::parse(R"({
      "type": "DispatchedToUnit", "stream": "order/AZ20150108001", "actor": "ZHKF",
      "at": "2015-01-08T09:30:00+08:00", "command_id": "cmd-000010", "version": 2, "position": 6,
      "order_id": "AZ20150108001", "from": "ZHKF", "unit": "S2100911"})"));
}

BOOST_AUTO_TEST_CASE(absent_optionals_are_left_out) {
  // RegionRouted's sample has no district.
  const json routed = to_json(sample("RegionRouted"));
  BOOST_TEST(routed.at("city") == "珠海市");
  BOOST_TEST(!routed.contains("district"));

  Event e = sample("OrderCreated");
  auto& created = std::get<ev::OrderCreated>(e.body);
  created.source.reset();
  created.note.clear();
  created.customer.province.clear();
  const json j = to_json(e);
  BOOST_TEST(!j.contains("source"));
  BOOST_TEST(!j.contains("note"));
  BOOST_TEST(!j.at("customer").contains("province"));
  const auto back = event_from_json(j);
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(same(*back, e));

  Event root = sample("UnitRegistered");
  std::get<ev::UnitRegistered>(root.body).parent.reset();
  BOOST_TEST(!to_json(root).contains("parent"));
  const auto root_back = event_from_json(to_json(root));
  BOOST_TEST_REQUIRE(root_back.ok());
  BOOST_TEST(!std::get<ev::UnitRegistered>(root_back->body).parent.has_value());

  // Assistants are always written, even when there are none.
  Event assigned = sample("TechniciansAssigned");
  std::get<ev::TechniciansAssigned>(assigned.body).assistants.clear();
  BOOST_TEST(to_json(assigned).at("assistants") == json::array());

  // Position 0 (not yet appended) is still written.
  Event pending = sample("OrderAccepted");
  pending.position = Position();
  BOOST_TEST(to_json(pending).at("position") == 0);
}

BOOST_AUTO_TEST_CASE(hash_fields_are_ignored) {
  for (const auto& e : sample_events()) {
    json record = to_json(e);
    record["prev_hash"] = std::string(64, '0');
    record["hash"] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const auto back = event_from_json(record);
    BOOST_TEST_REQUIRE(back.ok(), e.type());
    BOOST_TEST(same(*back, e));
    BOOST_TEST(!to_json(*back).contains("hash"));
  }
}

BOOST_AUTO_TEST_CASE(every_missing_required_field_is_named) {
  const std::set<std::string> optional = {"parent", "source", "note", "city", "district"};
  int checked = 0;
  for (const auto& e : sample_events()) {
    const json full = to_json(e);
    for (const auto& [key, value] : full.items()) {
      if (optional.count(key) > 0) continue;
      json j = full;
      j.erase(key);
      expect_invalid(j, key);
      ++checked;
    }
  }
  BOOST_TEST(checked > 19 * 8);
}

BOOST_AUTO_TEST_CASE(bad_values_are_named) {
  json j = to_json(sample("OrderCreated"));
  j["customer"].erase("address");
  expect_invalid(j, "customer.address");

  j = to_json(sample("OrderCreated"));
  j["items"][1]["quantity"] = "1";
  expect_invalid(j, "items[1].quantity");

  j = to_json(sample("OrderCreated"));
  j["source"]["platform"] = "amazon";
  expect_invalid(j, "source.platform");

  j = to_json(sample("CompletionReported"));
  j["units"][0]["photos"] = "1.jpg";
  expect_invalid(j, "units[0].photos");

  j = to_json(sample("TechniciansAssigned"));
  j["assistants"][0] = 21009110003;
  expect_invalid(j, "assistants[0]");

  j = to_json(sample("CheckedIn"));
  j["lat"] = "22.271";
  expect_invalid(j, "lat");

  j = to_json(sample("OrderClosed"));
  j["version"] = "9";
  expect_invalid(j, "version");

  j = to_json(sample("OrderClosed"));
  j["position"] = -1;
  expect_invalid(j, "position");

  j = to_json(sample("OrderClosed"));
  j["position"] = 14.5;
  expect_invalid(j, "position");

  j = to_json(sample("OrderClosed"));
  j["at"] = "2015-01-08 14:05";
  expect_invalid(j, "at");

  j = to_json(sample("OrderClosed"));
  j["stream"] = "";
  expect_invalid(j, "stream");

  j = to_json(sample("OrderClosed"));
  j["type"] = "OrderShut";
  const auto r = event_from_json(j);
  BOOST_TEST_REQUIRE(!r.ok());
  BOOST_TEST(r.error().field == "type");
  BOOST_TEST(r.error().message.find("Unknown event type 'OrderShut'") == 0u, r.error().message);

  const auto not_object = event_from_json(json::array());
  BOOST_TEST_REQUIRE(!not_object.ok());
  BOOST_TEST(not_object.error().message == "An event must be a JSON object, not an array.");
}

BOOST_AUTO_TEST_CASE(large_numbers_survive) {
  Event e = sample("OrderAccepted");
  e.version = Version(4'000'000'000ULL);
  e.position = Position(18'000'000'000'000'000'000ULL);
  const auto back = event_from_json(json::parse(to_json(e).dump()));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(back->position.value() == 18'000'000'000'000'000'000ULL);
  BOOST_TEST(back->version.value() == 4'000'000'000ULL);
}

}  // namespace
}  // namespace dispatch
