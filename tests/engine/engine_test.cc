// The engine over the in-memory Kv and a fault-injecting wrapper: replies, duplicates, group
// commit under concurrent callers, all-or-nothing batches, and a failed write keeping nothing.
#define BOOST_TEST_MODULE engine
#include "engine/engine.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>

#include "engine/store/kv.h"
#include "tests/support/faulty_kv.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch;

namespace {
using dispatch::testing::FaultyKv;

Command command(const json& j) {
  auto c = parse_command(j);
  BOOST_TEST_REQUIRE(c.ok(), (c.ok() ? "" : c.error().message));
  return c.value();
}

struct Fixture {
  std::shared_ptr<std::atomic<bool>> fail = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<int>> writes = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<bool>> fail_sync;
  std::unique_ptr<Engine> engine;

  Fixture() {
    EngineOptions options;
    options.clock = [] { return std::string("2015-01-08T09:00:00+08:00"); };
    auto kv = std::make_unique<FaultyKv>(fail, writes);
    fail_sync = kv->fail_sync;
    auto e = Engine::open(std::move(kv), options);
    BOOST_TEST_REQUIRE(e.ok());
    engine = std::move(e.value());
    // The seed's organisation, from the walkthrough's first twelve lines.
    std::ifstream in(dispatch::testing::source_dir() + "/tools/data/walkthrough.jsonl");
    std::string line;
    for (int i = 0; i < 12 && std::getline(in, line); ++i) {
      json reply = engine->execute(command(json::parse(line)));
      BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    }
  }

  json create(const std::string& command_id, const std::string& order_id) {
    return engine->execute(
        command({{"id", command_id},
                 {"type", "CreateOrder"},
                 {"actor", "ZHKF"},
                 {"order_id", order_id},
                 {"kind", "installation"},
                 {"customer", {{"name", "王先生"}, {"phone", "139"}, {"address", "香洲"}}},
                 {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}}));
  }
  json dispatch(const std::string& command_id, std::vector<std::string> orders,
                const std::string& unit) {
    return engine->execute(command({{"id", command_id},
                                    {"type", "DispatchToUnit"},
                                    {"actor", "ZHKF"},
                                    {"order_ids", orders},
                                    {"unit", unit}}));
  }
  std::size_t total(const std::string& owner, const std::string& folder) {
    auto page = engine->folder(owner, folder, 50, "");
    BOOST_TEST_REQUIRE(page.ok());
    return (*page)["total"];
  }
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(an_accepted_command_replies_with_its_orders_and_positions, Fixture) {
  json reply = create("c1", "AZ1");
  BOOST_TEST(reply["ok"] == true);
  BOOST_TEST(reply["id"] == "c1");
  BOOST_TEST(reply["order_ids"] == json::array({"AZ1"}));
  BOOST_TEST(reply["positions"] == json::array({13}));
  BOOST_TEST(engine->head().position == Position(13));
}

BOOST_FIXTURE_TEST_CASE(a_repeated_command_id_gets_the_first_reply_marked_duplicate, Fixture) {
  json first = create("c1", "AZ1");
  json again = create("c1", "AZ-other");
  BOOST_TEST(again["duplicate"] == true);
  BOOST_TEST(again["order_ids"] == first["order_ids"]);
  BOOST_TEST(again["positions"] == first["positions"]);
  BOOST_TEST(engine->head().position == Position(13));
  BOOST_TEST(!engine->order(OrderId("AZ-other")).ok());
}

BOOST_FIXTURE_TEST_CASE(a_refused_command_is_not_recorded_and_may_be_retried, Fixture) {
  json refused = dispatch("d1", {"AZ1"}, "S2100911");
  BOOST_TEST(refused["ok"] == false);
  BOOST_TEST(refused["error"]["code"] == "not_found");
  BOOST_TEST(create("c1", "AZ1")["ok"] == true);
  BOOST_TEST(dispatch("d1", {"AZ1"}, "S2100911")["ok"] == true);
}

BOOST_FIXTURE_TEST_CASE(a_batch_applies_to_all_or_to_none, Fixture) {
  create("c1", "AZ1");
  create("c2", "AZ2");
  create("c3", "AZ3");
  dispatch("d0", {"AZ2"}, "S2100912");  // AZ2 is no longer ZHKF's to dispatch
  Position before = engine->head().position;
  json reply = dispatch("d1", {"AZ1", "AZ2", "AZ3"}, "S2100911");
  BOOST_TEST(reply["ok"] == false);
  BOOST_TEST(reply["error"]["code"] == "forbidden");
  BOOST_TEST(reply["error"]["message"].get<std::string>().find("AZ2") != std::string::npos);
  BOOST_TEST(engine->head().position == before);
  BOOST_TEST(total("S2100911", "install_pending_dispatch") == 0u);
  BOOST_TEST(total("ZHKF", "install_pending_dispatch") == 2u);
}

BOOST_FIXTURE_TEST_CASE(concurrent_callers_share_writes_and_all_get_their_reply, Fixture) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  int writes_before = *writes;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "T" + std::to_string(t) + "-" + std::to_string(i);
        if (create("c-" + id, id)["ok"] == true) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(ok == kThreads * kPerThread);
  BOOST_TEST(total("ZHKF", "install_pending_dispatch") == std::size_t{kThreads * kPerThread});
  int used = *writes - writes_before;
  BOOST_TEST_MESSAGE("1600 commands from 8 threads took " << used << " writes");
  BOOST_TEST(used < kThreads * kPerThread);  // group commit: some commands shared a write
  auto report = engine->verify();
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST((*report)["ok"] == true, report->dump());
}

BOOST_FIXTURE_TEST_CASE(a_failed_write_keeps_nothing_of_its_batch, Fixture) {
  create("c1", "AZ1");
  Position before = engine->head().position;
  *fail = true;
  json reply = dispatch("d1", {"AZ1"}, "S2100911");
  BOOST_TEST(reply["ok"] == false);
  BOOST_TEST(reply["error"]["code"] == "unavailable");
  json org_reply = engine->execute(command({{"id", "u9"},
                                            {"type", "RegisterUnit"},
                                            {"actor", "ZHKF"},
                                            {"unit_id", "S2100999"},
                                            {"name", "新网点"},
                                            {"kind", "service_outlet"},
                                            {"parent", "ZHKF"}}));
  BOOST_TEST(org_reply["error"]["code"] == "unavailable");
  *fail = false;
  BOOST_TEST(engine->head().position == before);
  BOOST_TEST(total("ZHKF", "install_pending_dispatch") == 1u);
  BOOST_TEST(engine->org().unit(UnitId("S2100999")) == nullptr);
  // Once the disk is back, the same command ids apply normally.
  BOOST_TEST(dispatch("d1", {"AZ1"}, "S2100911")["ok"] == true);
  BOOST_TEST(total("S2100911", "install_pending_dispatch") == 1u);
  auto report = engine->verify();
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST((*report)["ok"] == true, report->dump());
}

// Durable batches are written unsynced and synced by a second thread while the next batch is
// decided; a reply waits for its sync.
BOOST_FIXTURE_TEST_CASE(a_failed_sync_is_answered_unavailable_and_nothing_more_is_decided,
                        Fixture) {
  BOOST_TEST(create("c1", "AZ1")["ok"] == true);
  *fail_sync = true;
  json lost = create("c2", "AZ2");
  BOOST_TEST(lost["ok"] == false);
  BOOST_TEST(lost["error"]["code"] == "unavailable");
  BOOST_TEST(lost["error"]["message"].get<std::string>().find("not known to be durable") !=
                 std::string::npos,
             lost.dump());
  // The disk may be back, but what was written since the last good sync is in doubt until the
  // store is opened again, so no later command is decided on it.
  *fail_sync = false;
  json after = create("c3", "AZ3");
  BOOST_TEST(after["error"]["code"] == "unavailable");
  BOOST_TEST(after["error"]["message"].get<std::string>().find("restart") != std::string::npos,
             after.dump());
  json refused_too = dispatch("d1", {"AZ1"}, "S2100911");
  BOOST_TEST(refused_too["error"]["code"] == "unavailable");
}

BOOST_FIXTURE_TEST_CASE(commands_without_a_time_get_the_engines_clock, Fixture) {
  create("c1", "AZ1");
  auto order = engine->order(OrderId("AZ1"));
  BOOST_TEST_REQUIRE(order.ok());
  BOOST_TEST((*order)["created_at"] == "2015-01-08T09:00:00+08:00");
}

BOOST_FIXTURE_TEST_CASE(rebuild_gives_the_same_folders, Fixture) {
  for (int i = 0; i < 30; ++i) create("c" + std::to_string(i), "AZ" + std::to_string(i));
  dispatch("d1", {"AZ3", "AZ4", "AZ5"}, "S2100911");
  auto before = engine->folder("ZHKF", "install_pending_dispatch", 100, "");
  BOOST_TEST_REQUIRE(engine->rebuild().ok());
  auto after = engine->folder("ZHKF", "install_pending_dispatch", 100, "");
  BOOST_TEST(*before == *after);
  BOOST_TEST(total("S2100911", "install_pending_dispatch") == 3u);
}

BOOST_AUTO_TEST_CASE(listeners_hear_each_committed_batch_in_log_order) {
  EngineOptions options;
  auto opened = Engine::open(make_memory_kv(), options);
  BOOST_TEST_REQUIRE(opened.ok());
  auto& engine = *opened.value();
  std::vector<std::string> heard;
  std::vector<std::string> folders;
  engine.on_commit(
      [&](const std::vector<Event>& events, const std::vector<std::vector<Membership>>& changed) {
        BOOST_TEST_REQUIRE(changed.size() == events.size());
        for (std::size_t i = 0; i < events.size(); ++i) {
          heard.push_back(std::string(events[i].type()) + "@" +
                          std::to_string(events[i].position.value()));
          for (const auto& m : changed[i]) {
            folders.push_back(std::string(events[i].type()) + ":" + m.owner + "/" +
                              std::string(folder_info(m.folder).name));
          }
        }
      });
  json ok = engine.execute(command({{"id", "u1"},
                                    {"type", "RegisterUnit"},
                                    {"actor", "admin"},
                                    {"unit_id", "X25"},
                                    {"name", "销售公司"},
                                    {"kind", "sales_company"}}));
  BOOST_TEST(ok["ok"] == true);
  json refused = engine.execute(command({{"id", "u2"},
                                         {"type", "RegisterUnit"},
                                         {"actor", "admin"},
                                         {"unit_id", "X25"},
                                         {"name", "again"},
                                         {"kind", "sales_company"}}));
  BOOST_TEST(refused["ok"] == false);
  BOOST_TEST(heard == (std::vector<std::string>{"UnitRegistered@1"}));

  // An order's events name the folders they left and entered; organisation events none.
  for (json unit : {json{{"id", "u3"}, {"unit_id", "ZHKF"}, {"kind", "service_center"}},
                    json{{"id", "u4"}, {"unit_id", "S1"}, {"kind", "service_outlet"}}}) {
    unit["type"] = "RegisterUnit";
    unit["actor"] = "admin";
    unit["name"] = unit["unit_id"];
    unit["parent"] = unit["unit_id"] == "ZHKF" ? "X25" : "ZHKF";
    BOOST_TEST(engine.execute(command(unit))["ok"] == true);
  }
  json created = engine.execute(command(
      {{"id", "o1"},
       {"type", "CreateOrder"},
       {"actor", "ZHKF"},
       {"order_id", "AZ1"},
       {"kind", "installation"},
       {"customer",
        {{"name", "张三"}, {"phone", "139"}, {"province", "广东省"}, {"address", "人民东路1号"}}},
       {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}}));
  BOOST_TEST(created["ok"] == true, created.dump());
  json sent = engine.execute(command({{"id", "o2"},
                                      {"type", "DispatchToUnit"},
                                      {"actor", "ZHKF"},
                                      {"order_ids", {"AZ1"}},
                                      {"unit", "S1"}}));
  BOOST_TEST(sent["ok"] == true, sent.dump());
  BOOST_TEST(folders == (std::vector<std::string>{"OrderCreated:ZHKF/install_pending_dispatch",
                                                  "DispatchedToUnit:ZHKF/install_pending_dispatch",
                                                  "DispatchedToUnit:S1/install_pending_dispatch"}));
}
