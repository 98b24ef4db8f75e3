// The replay's shortcuts past nlohmann::json must agree with it exactly: decode_event_record with
// json::parse + event_from_json (event_record.h), dump_order with to_json(order).dump(), and the
// projector's folder entries with folder_entry(order).dump().
#define BOOST_TEST_MODULE replay_text
#include <boost/test/unit_test.hpp>
#include <map>
#include <string>
#include <vector>

#include "engine/event_record.h"
#include "engine/order.h"
#include "engine/org.h"
#include "projections/projector.h"
#include "tests/engine/json_samples.h"

namespace dispatch {
namespace {
using json = nlohmann::json;

// A record as the log stores it (schemas/README.md); the hashes need not be right here.
std::string record_of(const json& event) {
  json record = event;
  record["prev_hash"] = std::string(64, '0');
  record["hash"] = std::string(64, 'a');
  return record.dump();
}

// What the general reader makes of `text`, as JSON text to compare; nullopt when it refuses.
std::optional<std::string> general(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  auto event = event_from_json(j);
  if (!event.ok()) return std::nullopt;
  return to_json(*event).dump();
}

// The fast reader either declines or agrees with the general one.
void expect_agrees(const std::string& text) {
  auto fast = decode_event_record(text);
  if (!fast) return;
  auto slow = general(text);
  BOOST_TEST_REQUIRE(slow.has_value(), "decoded a record the general reader refuses: " << text);
  BOOST_TEST(to_json(*fast).dump() == *slow, text);
}

std::vector<Event> plain_order_events() {
  std::vector<Event> events;
  for (auto e : testing::sample_events()) {
    if (e.order_id().empty()) continue;
    if (auto* created = std::get_if<ev::OrderCreated>(&e.body)) created->source.reset();
    events.push_back(std::move(e));
  }
  return events;
}

BOOST_AUTO_TEST_CASE(decodes_every_order_event_as_the_general_reader_does) {
  for (const auto& e : plain_order_events()) {
    const std::string text = record_of(to_json(e));
    auto fast = decode_event_record(text);
    BOOST_TEST_REQUIRE(fast.has_value(), text);
    BOOST_TEST(to_json(*fast).dump() == *general(text), text);
  }
}

BOOST_AUTO_TEST_CASE(leaves_other_records_to_the_general_reader) {
  for (const auto& e : testing::sample_events()) {
    const bool organisation = e.order_id().empty();
    const bool with_source = std::holds_alternative<ev::OrderCreated>(e.body);
    if (organisation || with_source) {
      BOOST_TEST(!decode_event_record(record_of(to_json(e))).has_value(), e.type());
    }
  }
  const json accepted = to_json(plain_order_events().at(3));
  BOOST_TEST_REQUIRE(accepted.at("type") == "OrderAccepted");
  const std::string text = record_of(accepted);
  std::vector<std::string> declined = {
      json::parse(text).dump(1),  // whitespace
      text + " ",                 // trailing text
      "[" + text + "]",           // not an object
      [&] {                       // an escaped string
        json j = accepted;
        j["actor"] = "S2100911\"";
        return record_of(j);
      }(),
      [&] {  // an unknown field
        json j = accepted;
        j["zzz"] = 1;
        return record_of(j);
      }(),
      [&] {  // a missing field
        json j = accepted;
        j.erase("command_id");
        return record_of(j);
      }(),
      [&] {  // an empty identifier
        json j = accepted;
        j["order_id"] = "";
        return record_of(j);
      }(),
      [&] {  // not a time
        json j = accepted;
        j["at"] = "yesterday";
        return record_of(j);
      }(),
      [&] {  // a version written as 2.0
        json j = accepted;
        j["version"] = 2.0;
        return record_of(j);
      }(),
  };
  std::string unsorted = text;
  const auto actor = unsorted.find("\"actor\"");
  unsorted.replace(actor, 7, "\"zctor\"");
  declined.push_back(unsorted);
  std::string invalid_utf8 = text;
  invalid_utf8.replace(invalid_utf8.find("S21009110002"), 1, "\xC3");
  declined.push_back(invalid_utf8);
  for (const auto& d : declined) {
    BOOST_TEST(!decode_event_record(d).has_value(), d);
  }
}

BOOST_AUTO_TEST_CASE(numbers_and_text_read_as_the_general_reader_reads_them) {
  const json checked_in = to_json(plain_order_events().at(5));
  BOOST_TEST_REQUIRE(checked_in.at("type") == "CheckedIn");
  for (const char* lat : {"22", "-0", "-0.0", "1e1", "2.5E-3", "89.999999999999999", "-90",
                          "90.0000000001", "01", "1.", ".5", "1e", "-", "1e999"}) {
    std::string text = record_of(checked_in);
    const auto at = text.find("\"lat\":") + 6;
    text.replace(at, text.find(',', at) - at, lat);
    expect_agrees(text);
  }
  json created = to_json(plain_order_events().at(0));
  created["customer"]["name"] = "王先生 \x7f ü 😀";
  created["items"][0]["quantity"] = -3;
  created["note"] = "";
  expect_agrees(record_of(created));
  BOOST_TEST(decode_event_record(record_of(created)).has_value());
}

// Every record one byte away from a real one: the fast reader never accepts what the general one
// refuses or reads otherwise.
BOOST_AUTO_TEST_CASE(agrees_on_every_one_byte_change) {
  const std::string replacements = "\"\\{}[]:,0189-.eE aZ\x01\x7f\xc3\xa9";
  for (const auto& e : plain_order_events()) {
    const std::string text = record_of(to_json(e));
    for (std::size_t i = 0; i < text.size(); ++i) {
      for (char c : replacements) {
        std::string changed = text;
        changed[i] = c;
        expect_agrees(changed);
      }
      expect_agrees(text.substr(0, i) + text.substr(i + 1));
    }
  }
}

BOOST_AUTO_TEST_CASE(dump_order_is_to_json_dumped) {
  std::vector<OrderState> states;
  std::optional<OrderState> state;
  for (const auto& e : testing::sample_events()) {
    if (e.order_id().empty()) continue;
    if (std::holds_alternative<ev::OrderCreated>(e.body)) state.reset();
    state = evolve(state, e);
    states.push_back(*state);
  }
  OrderState odd = states.front();
  odd.customer.name = "quote \" backslash \\ controls \b\f\n\r\t\x01\x1f del \x7f 中文";
  odd.customer.city.clear();
  odd.lat = -0.0;
  odd.lon = 1e-7;
  odd.source = Source{Platform::jd, "J1", "oaid-1", true, true};
  odd.status_before_reassignment = OrderStatus::to_process;
  odd.feedback.push_back(Feedback{AccountId("S2100911"), "2015-01-08T10:00:00Z", "好"});
  states.push_back(odd);
  for (const auto& s : states) BOOST_TEST(dump_order(s) == to_json(s).dump());

  OrderState bad = states.front();
  bad.note = "\xff";
  BOOST_CHECK_THROW(dump_order(bad), json::exception);
}

// The projector writes folder entries directly too: each must be folder_entry(order).dump().
BOOST_AUTO_TEST_CASE(folder_entries_are_folder_entry_dumped) {
  auto kv = make_memory_kv();
  Org org;
  Projector projector(org);
  // The organisation's events and those of the one sample order that is created.
  const OrderId order_id("AZ20150108001");
  for (auto e : testing::sample_events()) {
    if (!e.order_id().empty() && e.order_id() != order_id) continue;
    if (auto* created = std::get_if<ev::OrderCreated>(&e.body)) {
      created->customer.name = "quote \" newline \n \x01 中文";
    }
    WriteSet writes;
    BOOST_TEST_REQUIRE(projector.apply(e, *kv, writes).ok());
    BOOST_TEST_REQUIRE(kv->write(writes, false).ok());
  }
  std::size_t entries = 0;
  WriteSet none;
  Status scanned =
      kv->scan(Space::projections, "f/", "", [&](std::string_view key, std::string_view value) {
        ++entries;
        const OrderId id(json::parse(value).at("order_id").get<std::string>());
        auto order = load_order(OverlayReader(*kv, none), id);
        BOOST_TEST_REQUIRE(order.ok());
        BOOST_TEST_REQUIRE(order->has_value());
        BOOST_TEST(std::string(value) == folder_entry(**order).dump(), key);
        return true;
      });
  BOOST_TEST(scanned.ok());
  BOOST_TEST(entries > 0);
}

// Every key of the projections space, with its value.
std::map<std::string, std::string> projections_of(const Kv& kv) {
  std::map<std::string, std::string> all;
  Status scanned = kv.scan(Space::projections, "", "", [&](std::string_view k, std::string_view v) {
    all.emplace(k, v);
    return true;
  });
  BOOST_TEST_REQUIRE(scanned.ok());
  return all;
}

// Staging events and flushing every few of them (a replay's chunks) leaves the projections that
// applying them one at a time leaves, the position applied included, whether the last event
// before a flush is an organisation event or an order event.
BOOST_AUTO_TEST_CASE(staged_and_flushed_in_any_chunks_equals_applied_one_by_one) {
  const OrderId order_id("AZ20150108001");
  std::vector<Event> events;
  for (const auto& e : testing::sample_events()) {
    if (e.order_id().empty() || e.order_id() == order_id) events.push_back(e);
  }
  // An organisation event after the order's: it ends the run, and some chunks.
  Event staff = events.at(2);
  BOOST_TEST_REQUIRE(std::holds_alternative<ev::StaffRegistered>(staff.body));
  std::get<ev::StaffRegistered>(staff.body).staff_id = StaffId("S21009110009");
  staff.stream = "staff/S21009110009";
  events.push_back(staff);
  for (std::size_t i = 0; i < events.size(); ++i) events[i].position = Position(i + 1);

  // The run ends with an order's event, then with the organisation's.
  for (std::size_t count : {events.size() - 1, events.size()}) {
    auto one_by_one = make_memory_kv();
    Org org;
    Projector applying(org);
    for (std::size_t i = 0; i < count; ++i) {
      WriteSet writes;
      BOOST_TEST_REQUIRE(applying.apply(events[i], *one_by_one, writes).ok());
      BOOST_TEST_REQUIRE(one_by_one->write(writes, false).ok());
    }
    const auto expected = projections_of(*one_by_one);
    BOOST_TEST(expected.at(std::string(keys::kApplied)) == encode_be64(count));

    for (std::size_t chunk = 1; chunk <= count; ++chunk) {
      auto staged_kv = make_memory_kv();
      Org staged_org;
      Projector staging(staged_org);
      WriteSet writes;
      for (std::size_t i = 0; i < count; ++i) {
        BOOST_TEST_REQUIRE(staging.stage(events[i], *staged_kv, writes).ok());
        if ((i + 1) % chunk == 0 || i + 1 == count) {
          BOOST_TEST_REQUIRE(staging.flush(*staged_kv, writes).ok());
          BOOST_TEST_REQUIRE(staged_kv->write(writes, false).ok());
          writes.clear();
        }
      }
      BOOST_TEST((projections_of(*staged_kv) == expected),
                 count << " events in chunks of " << chunk);
    }
  }
}

}  // namespace
}  // namespace dispatch
