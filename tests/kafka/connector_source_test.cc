// dispatchd reading shop orders from a Kafka topic (connectors/kafka_source.h) against the real
// broker: killed with SIGKILL midway through the topic and started again, it leaves every shop
// order in the store exactly once, and every bad payload as one dead letter.
#define BOOST_TEST_MODULE kafka_connector_source
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "engine/kafka/kafka_log.h"
#include "tests/support/daemon.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch;
using dispatch::testing::Daemon;
using dispatch::testing::run;
using dispatch::testing::TempDir;
using dispatch::testing::WireClient;

namespace {

std::string brokers() { return dispatch::testing::kafka_brokers(); }

// The connector's progress as `health` reports it.
json connector_status(const Daemon& daemon) {
  WireClient client(daemon.listen());
  json health = client.request(json{{"op", "health"}});
  BOOST_TEST_REQUIRE(health["ok"] == true, health.dump());
  BOOST_TEST_REQUIRE(health["connectors"].size() == 1u, health.dump());
  return health["connectors"][0];
}

std::string ctl(const std::string& args) {
  auto out = run(dispatch::testing::dispatchctl() + " " + args);
  BOOST_TEST_REQUIRE(out.exit_code == 0, "dispatchctl " + args);
  return out.out;
}

// A store in `dir` holding the connectors' test organisation (tests/data/connectors/org.jsonl,
// whose routes cover 珠海); its path.
std::string store_with_org(const TempDir& dir) {
  const std::string data = dir.path() + "/store";
  ctl("apply " + dispatch::testing::source_dir() + "/tests/data/connectors/org.jsonl --data " +
      data + " --json > /dev/null");
  return data;
}

// A topic of its own with `partitions` partitions, created at the test broker.
kafka::KafkaOptions new_topic(const std::string& prefix, std::uint32_t partitions) {
  kafka::KafkaOptions topic;
  topic.brokers = brokers();
  topic.topic = dispatch::testing::unique_topic(prefix);
  topic.partitions = partitions;
  BOOST_TEST_REQUIRE(kafka::ensure_topic(topic).ok());
  return topic;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_connector_killed_midway_through_its_topic_leaves_each_order_once) {
  TempDir dir;
  const std::string data = store_with_org(dir);

  // The topic: two bad payloads, then paid Tmall trades, over three partitions.
  const kafka::KafkaOptions topic = new_topic("test.shop.tmall", 3);
  constexpr int kTrades = 6000;
  const std::string trades = dir.path() + "/trades.jsonl";
  {
    std::ofstream bad(trades);
    bad << "{this is not json\n"
        << R"({"trade_fullinfo_get_response":{"trade":{"status":"WAIT_SELLER_SEND_GOODS"}}})"
        << '\n';
  }
  BOOST_TEST_REQUIRE(run(dispatch::testing::source_dir() + "/tools/gen-tmall-trades " +
                         std::to_string(kTrades) + " >> " + trades)
                         .exit_code == 0);
  const int records = kTrades + 2;
  // Keyed by line (a tab never stands raw in JSON), so the records spread over the partitions.
  BOOST_TEST_REQUIRE(run("awk '{print NR \"\\t\" $0}' " + trades +
                         " | timeout 120 kcat -P -K '\t' -b " + topic.brokers + " -t " +
                         topic.topic)
                         .exit_code == 0);

  const std::vector<std::string> flags{"--tmall-topic", topic.topic, "--brokers", topic.brokers};
  int killed_at = 0;
  {
    Daemon daemon(data, flags);
    // Kill it once some batches are done and before the topic is.
    json status;
    for (int i = 0; i < 2400; ++i) {
      status = connector_status(daemon);
      if (status["consumed"].get<int>() > 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    daemon.kill_now();
    killed_at = status["consumed"].get<int>();
    BOOST_TEST_MESSAGE("killed after " << status["consumed"] << " of " << records << " records");
    BOOST_TEST_REQUIRE(status["consumed"].get<int>() > 0, status.dump());
    BOOST_TEST_REQUIRE(status["consumed"].get<int>() < records, status.dump());
  }
  json status;
  {
    Daemon daemon(data, flags);
    for (int i = 0; i < 2400; ++i) {
      status = connector_status(daemon);
      if (status["consumed"].get<int>() == records && status.value("lag", -1) == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_TEST(daemon.stop() == 0);
  }
  BOOST_TEST_REQUIRE(status["consumed"].get<int>() == records, status.dump());
  BOOST_TEST(status["state"] == "reading");
  BOOST_TEST(status["lag"] == 0);
  BOOST_TEST(status["next_offsets"].size() == 3u);
  // It went on from the offsets stored before the kill, not from the beginning.
  BOOST_TEST(status["counts"]["read"].get<int>() <= records - killed_at);

  // Every trade made its delivery and installation order exactly once.
  std::map<std::string, int> created;
  for (const auto& line : dispatch::testing::lines(ctl("log --json --data " + data))) {
    json record = json::parse(line);
    if (record["type"] == "OrderCreated") ++created[record["order_id"].get<std::string>()];
  }
  BOOST_TEST(created.size() == 2u * kTrades);
  int twice = 0;
  for (const auto& [order, times] : created) twice += times != 1;
  BOOST_TEST(twice == 0);

  // The two bad payloads are one dead letter each, named by partition and offset.
  json letters = json::parse(ctl("connectors dead-letters --json --data " + data))["dead_letters"];
  BOOST_TEST_REQUIRE(letters.size() == 2u, letters.dump());
  std::set<std::string> raws;
  for (const auto& letter : letters) {
    raws.insert(letter["raw"].get<std::string>());
    BOOST_TEST(letter["source"].get<std::string>().rfind("kafka:" + topic.topic + "/", 0) == 0u);
  }
  BOOST_TEST(raws.count("{this is not json") == 1u);
  BOOST_TEST(ctl("verify --data " + data + " --json").find("\"ok\":true") != std::string::npos);
}

// A route added while dispatchd runs is used for the payloads read after it: an order of a region
// no route covered is a dead letter, and one of the same region read after the RouteRegion goes
// to the routed unit.
BOOST_AUTO_TEST_CASE(a_route_added_while_the_connector_runs_is_used_for_what_comes_after) {
  TempDir dir;
  const std::string data = store_with_org(dir);
  const std::string password_file = dir.path() + "/admin-password";
  std::ofstream(password_file) << "connector-admin-secret\n";
  ctl("admin-password --data " + data + " --password-file " + password_file);

  const kafka::KafkaOptions topic = new_topic("test.shop.routes", 1);
  // Two trades of 广州 (no route covers it): the first before the route, the second after.
  std::vector<std::string> trades;
  for (const auto& line : dispatch::testing::lines(
           run(dispatch::testing::source_dir() + "/tools/gen-tmall-trades 2").out)) {
    json trade = json::parse(line);
    auto& t = trade["trade_fullinfo_get_response"]["trade"];
    t["receiver_city"] = "广州市";
    t["receiver_district"] = "天河区";
    trades.push_back(trade.dump());
  }
  BOOST_TEST_REQUIRE(trades.size() == 2u);
  auto produce = [&](const std::string& payload) {
    const std::string file = dir.path() + "/payload.json";
    std::ofstream(file) << payload << '\n';
    BOOST_TEST_REQUIRE(
        run("timeout 60 kcat -P -b " + topic.brokers + " -t " + topic.topic + " -l " + file)
            .exit_code == 0);
  };
  auto wait_consumed = [&](const Daemon& daemon, int records) {
    json status;
    for (int i = 0; i < 600; ++i) {
      status = connector_status(daemon);
      if (status["consumed"].get<int>() >= records) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    BOOST_FAIL("the connector did not read " << records << " records: " << status.dump());
    return status;
  };

  Daemon daemon(data, {"--tmall-topic", topic.topic, "--brokers", topic.brokers});
  produce(trades[0]);
  json status = wait_consumed(daemon, 1);
  BOOST_TEST(status["counts"]["dead_lettered"] == 1, status.dump());

  WireClient client(daemon.listen());
  json login = client.request(
      {{"op", "login"}, {"account", "admin"}, {"password", "connector-admin-secret"}});
  BOOST_TEST_REQUIRE(login["ok"] == true, login.dump());
  json routed = client.request({{"op", "command"},
                                {"token", login["token"]},
                                {"command",
                                 {{"id", "route-guangzhou"},
                                  {"type", "RouteRegion"},
                                  {"province", "广东省"},
                                  {"city", "广州市"},
                                  {"unit", "GDKF"}}}});
  BOOST_TEST_REQUIRE(routed["ok"] == true, routed.dump());

  produce(trades[1]);
  status = wait_consumed(daemon, 2);
  BOOST_TEST(status["counts"]["created"] == 1, status.dump());
  BOOST_TEST(status["counts"]["dead_lettered"] == 1, status.dump());
  BOOST_TEST(daemon.stop() == 0);
}
