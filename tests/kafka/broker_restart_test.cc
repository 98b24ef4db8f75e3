// The broker restarts in the middle of a load (a broker of this test's own, so the other kafka
// tests keep theirs): commands during the outage are answered `unavailable` (not a hang, not a
// false ok), succeed when retried after it, and every acknowledged command is in the topic
// exactly once, as a node made from the topic afterwards shows. Once with the node deciding as
// the one decider (--deciding one), once deciding per partition (its transactions then also
// commit the deciders' group offsets, at a coordinator that restarts too).
#define BOOST_TEST_MODULE broker_restart
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "engine/kafka/node.h"
#include "tests/support/process.h"
#include "tests/support/walkthrough.h"

using nlohmann::json;
using namespace dispatch;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPort = "19094";
constexpr const char* kControllerPort = "19095";

int broker(const std::string& action) {
  const std::string command = "KAFKA_DIR=" + dispatch::testing::binary_dir() +
                              "/kafka-restart-broker KAFKA_PORT=" + kPort +
                              " KAFKA_CONTROLLER_PORT=" + kControllerPort + " " +
                              dispatch::testing::source_dir() + "/tools/kafka/" + action;
  return std::system(command.c_str());
}

// The broker of this test, stopped however the test ends.
struct Broker {
  Broker() { BOOST_TEST_REQUIRE(broker("start") == 0); }
  ~Broker() { broker("stop"); }
};

json new_order(int n) {
  char id[32];
  std::snprintf(id, sizeof id, "AZ20160101%06d", n);
  return json{{"id", "load-" + std::to_string(n)},
              {"type", "CreateOrder"},
              {"actor", "ZHKF"},
              {"order_id", id},
              {"kind", "installation"},
              {"customer",
               {{"name", "客户" + std::to_string(n)},
                {"phone", "139" + std::to_string(10000000 + n)},
                {"province", "广东省"},
                {"city", "珠海市"},
                {"district", "香洲区"},
                {"address", "凤凰北路" + std::to_string(n) + "号"}}},
              {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}};
}

void restart_under_load(kafka::Deciding deciding) {
  Broker running;
  dispatch::testing::TempDir dir;
  kafka::KafkaOptions options;
  options.brokers = std::string("127.0.0.1:") + kPort;
  options.topic =
      "restart." + std::to_string(::getpid()) + "." + std::to_string(std::time(nullptr));
  options.partitions = 4;
  options.node = "writer";
  options.timeout = std::chrono::milliseconds(2000);
  options.elect = true;  // as dispatchd: it decides while the deciders' group says so
  options.deciding = deciding;
  auto opened = kafka::KafkaNode::open(dir / "writer", options);
  BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  Engine& engine = (*opened)->engine();
  std::atomic<int> refused{0};
  // Executes a command as a client does: retried while `unavailable` (for 40 s at most).
  auto execute = [&](const Command& command) {
    json reply;
    for (int attempt = 0; attempt <= 2000; ++attempt) {
      reply = engine.execute(command);
      if (reply["ok"] == true || reply["error"]["code"] != "unavailable") break;
      ++refused;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return reply;
  };
  auto lines = dispatch::testing::walkthrough_lines();
  for (std::size_t i = 0; i < 12; ++i) {  // the seed's organisation
    json reply = execute(parse_command(lines[i]).value());
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  }
  refused = 0;

  // The load: 300 orders.
  constexpr int kOrders = 300;
  std::atomic<int> acknowledged{0};
  std::map<std::string, json> replies;  // of the acknowledged commands, written by the load only
  std::string failure;
  std::thread load([&] {
    for (int n = 0; n < kOrders && failure.empty(); ++n) {
      Command command = parse_command(new_order(n)).value();
      json reply = execute(command);
      if (reply["ok"] != true) {
        failure = reply.dump();
        break;
      }
      replies[command.id.str()] = reply;
      ++acknowledged;
    }
  });
  while (acknowledged < kOrders / 3 && failure.empty()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  BOOST_TEST_REQUIRE(broker("stop") == 0);
  const int before_outage = acknowledged;
  const int refused_before_outage = refused;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const int during_outage = acknowledged - before_outage;
  const int refused_during_outage = refused - refused_before_outage;
  BOOST_TEST_REQUIRE(broker("start") == 0);
  load.join();
  BOOST_TEST_REQUIRE(failure.empty(), failure);
  BOOST_TEST_MESSAGE(before_outage << " acknowledged before the outage, " << during_outage
                                   << " during it (in flight when it began), " << refused
                                   << " refusals in all");
  BOOST_TEST(acknowledged == kOrders);
  BOOST_TEST(refused_during_outage > 0);
  BOOST_TEST(during_outage <= 1);  // at most one committed just before the broker went

  // A node made from the topic alone holds every acknowledged order, once.
  options.node = "reader";
  options.elect = false;  // it only reads
  auto reader = kafka::KafkaNode::open(dir / "reader", options);
  BOOST_TEST_REQUIRE(reader.ok(), (reader.ok() ? "" : reader.error().message));
  for (const auto& [id, reply] : replies) {
    json order =
        (*reader)->engine().order(OrderId(reply["order_ids"][0].get<std::string>())).value();
    int created = 0;
    for (const auto& event : order["history"]) created += event["type"] == "OrderCreated";
    BOOST_TEST(created == 1, id);
    BOOST_TEST(order["history"][0]["position"] == reply["positions"][0], id);
  }
  BOOST_TEST(((*reader)->engine().head() == engine.head()));
  auto verified = (*reader)->engine().verify();
  BOOST_TEST((*verified)["ok"] == true, verified->dump());
  BOOST_TEST((*verified)["events"] == (*engine.verify())["events"]);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_broker_restart_loses_nothing_acknowledged_and_refuses_meanwhile) {
  restart_under_load(kafka::Deciding::one);
}

BOOST_AUTO_TEST_CASE(deciding_per_partition_a_broker_restart_loses_nothing_acknowledged) {
  restart_under_load(kafka::Deciding::partitions);
}
