// projections/audit.h over the in-memory store: moments parse to instants whatever the offset,
// heads parse and are checked, and the fast per-order replay gives exactly the full replay's view
// of every order at every position of the walkthrough.
#define BOOST_TEST_MODULE audit
#include "projections/audit.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "projections/queries.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch;
using namespace dispatch::audit;

namespace {
Instant instant(const std::string& text) {
  auto t = parse_instant(text);
  BOOST_TEST_REQUIRE(t.ok(), text);
  return *t;
}

// An engine over an in-memory Kv that the test keeps reading directly (the engine owns it).
struct Walkthrough {
  Walkthrough() {
    auto owned = make_memory_kv();
    kv = owned.get();
    auto opened = Engine::open(std::move(owned));
    BOOST_TEST_REQUIRE(opened.ok());
    engine = std::move(opened.value());
    std::ifstream in(testing::source_dir() + "/tools/data/walkthrough.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      auto command = parse_command_text(line);
      BOOST_TEST_REQUIRE(command.ok());
      json reply = engine->execute(command.value());
      BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    }
  }
  Kv* kv = nullptr;
  std::unique_ptr<Engine> engine;
};
}  // namespace

BOOST_AUTO_TEST_CASE(instants_compare_the_same_moment_written_with_any_offset) {
  BOOST_TEST((instant("2015-01-08T09:30:00+08:00") == instant("2015-01-08T01:30:00Z")));
  BOOST_TEST((instant("2015-01-07T20:30:00-05:00") == instant("2015-01-08T01:30:00Z")));
  BOOST_TEST((instant("2015-01-08T01:30:00.5Z") > instant("2015-01-08T09:30:00+08:00")));
  BOOST_TEST((instant("2015-01-08T00:30:00Z") < instant("2015-01-08T09:00:00+08:00")));
  BOOST_TEST(instant("1970-01-01T00:00:00Z").seconds == 0);
  BOOST_TEST(instant("2000-03-01T00:00:00Z").seconds == 951868800);
  BOOST_TEST(!parse_instant("2015-02-29T00:00:00Z").ok());
  BOOST_TEST(!parse_instant("yesterday").ok());
}

BOOST_AUTO_TEST_CASE(moments_and_heads_parse) {
  auto position = parse_moment("42");
  BOOST_TEST_REQUIRE(position.ok());
  BOOST_TEST(position->position->value() == 42u);
  auto time = parse_moment("2015-01-08T09:30:00+08:00");
  BOOST_TEST_REQUIRE(time.ok());
  BOOST_TEST(!time->position.has_value());
  const std::string hash(64, 'a');
  auto head = parse_head("7:" + hash);
  BOOST_TEST_REQUIRE(head.ok());
  BOOST_TEST(head->position.value() == 7u);
  BOOST_TEST(!parse_head("0:" + hash).ok());
  BOOST_TEST(!parse_head("7:" + std::string(64, 'A')).ok());
  BOOST_TEST(!parse_head("7").ok());
}

BOOST_AUTO_TEST_CASE(a_time_stands_for_the_prefix_of_events_that_happened_by_then) {
  Walkthrough w;
  auto at = [&](const std::string& text) {
    auto m = parse_moment(text);
    BOOST_TEST_REQUIRE(m.ok());
    auto p = resolve(*w.kv, *m);
    BOOST_TEST_REQUIRE(p.ok());
    return p->value();
  };
  BOOST_TEST(at("2015-01-08T07:59:59+08:00") == 0u);
  BOOST_TEST(at("2015-01-08T00:00:00Z") == 1u);
  BOOST_TEST(at("2015-01-08T09:30:00+08:00") == at("2015-01-08T01:30:59Z"));
  BOOST_TEST(at("2030-01-01T00:00:00Z") == 56u);
  BOOST_TEST(!resolve(*w.kv, Moment{Position(57), std::nullopt}).ok());
}

BOOST_AUTO_TEST_CASE(the_fast_order_replay_equals_the_full_replay_at_every_position) {
  Walkthrough w;
  const std::vector<std::string> orders = {"AZ20150108000001", "AZ20150108000002",
                                           "AZ20150108000003", "AZ20150108000004",
                                           "XS20150108000001", "PS20150108000001"};
  for (std::uint64_t p = 0; p <= 56; ++p) {
    auto full = replay_through(*w.kv, Position(p));
    BOOST_TEST_REQUIRE(full.ok());
    EventLog full_log(*w.kv);  // the full replay has no log: history from the live one, cut
    for (const auto& id : orders) {
      auto fast = replay_order_through(*w.kv, OrderId(id), Position(p));
      BOOST_TEST_REQUIRE(fast.ok());
      EventLog fast_log(*fast->kv);
      auto a = query_order(*fast->kv, fast_log, OrderId(id));
      auto b = query_order(*full->kv, full_log, OrderId(id));
      BOOST_TEST_REQUIRE(a.ok() == b.ok(), id << " at " << p);
      if (!a.ok()) continue;
      json history = json::array();
      for (const auto& e : (*b)["history"]) {
        if (e["position"].get<std::uint64_t>() <= p) history.push_back(e);
      }
      (*b)["history"] = history;
      BOOST_TEST(a->dump() == b->dump(), id << " at " << p);
    }
  }
}

BOOST_AUTO_TEST_CASE(check_extends_names_a_rewritten_or_missing_head) {
  Walkthrough w;
  const LogHead head = w.engine->head();
  auto same = check_extends(*w.kv, head);
  BOOST_TEST_REQUIRE(same.ok());
  BOOST_TEST(same->empty());
  auto other = check_extends(*w.kv, LogHead{Position(10), head.hash});
  BOOST_TEST_REQUIRE(other.ok());
  BOOST_TEST_REQUIRE(other->size() == 1u);
  BOOST_TEST((*other)[0].position.value() == 10u);
  auto beyond = check_extends(*w.kv, LogHead{Position(60), head.hash});
  BOOST_TEST_REQUIRE(beyond.ok());
  BOOST_TEST_REQUIRE(beyond->size() == 1u);
  BOOST_TEST((*beyond)[0].what.find("ends at position 56") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_exported_record_is_checked_against_the_log) {
  Walkthrough w;
  auto records = order_records(*w.kv, OrderId("AZ20150108000002"));
  BOOST_TEST_REQUIRE(records.ok());
  BOOST_TEST_REQUIRE(records->size() == 7u);
  auto good = check_exported(*w.kv, (*records)[2].raw);
  BOOST_TEST_REQUIRE(good.ok());
  BOOST_TEST(good->empty());
  json changed = (*records)[2].value;
  changed["actor"] = "ZHKF";
  auto bad = check_exported(*w.kv, changed.dump());
  BOOST_TEST_REQUIRE(bad.ok());
  BOOST_TEST(bad->size() == 2u);  // content vs its hash, and vs the log's record
  BOOST_TEST((order_records(*w.kv, OrderId("nope")).error().code == ErrorCode::not_found));
}
