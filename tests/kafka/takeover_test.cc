// Two dispatchd nodes of one Kafka topic against the real broker: the seed's walkthrough with its
// requests spread over both (a node forwards what it does not decide to the other, --peers; a
// photo uploaded to one node is shown by the other), then a load through both while a deciding
// node is killed with SIGKILL. The survivor takes over; every acknowledged command is applied
// exactly once; both nodes agree with each other and with an audit of the topic; no order is left
// half done. Once with one node deciding everything (--deciding one), once with each deciding the
// orders of its partitions (--deciding partitions).
#define BOOST_TEST_MODULE kafka_takeover
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"
#include "tests/support/walkthrough.h"

using dispatch::testing::Daemon;
using dispatch::testing::run;
using dispatch::testing::TempDir;
using dispatch::testing::WireClient;
using nlohmann::json;

namespace {

std::string brokers() { return dispatch::testing::kafka_brokers(); }

json health(const Daemon& node) {
  WireClient client(node.listen(), 5000);
  json reply = client.request({{"op", "health"}});
  BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  return reply;
}

// Waits until exactly the node `which` of `nodes` decides; fails the test after 60 s.
void wait_for_decider(const std::vector<Daemon*>& nodes, std::size_t which) {
  for (int i = 0; i < 600; ++i) {
    bool as_wanted = true;
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      if (nodes[n] == nullptr) continue;
      as_wanted = as_wanted && (health(*nodes[n])["node"]["deciding"] == (n == which));
    }
    if (as_wanted) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_FAIL("node " << which << " was not elected to decide within 60 s");
}

// The node that decides partition 0 (with --deciding one, every partition), once the group has
// settled: every node that should decide does (with --deciding partitions, all of them).
std::size_t decider(const std::vector<Daemon*>& nodes, bool per_partition) {
  for (int i = 0; i < 600; ++i) {
    std::optional<std::size_t> zero;
    std::size_t deciding = 0;
    for (std::size_t n = 0; n < nodes.size(); ++n) {
      json node = health(*nodes[n])["node"];
      deciding += node["deciding"] == true;
      for (const auto& p : node["partitions"]) {
        if (p == 0) zero = n;
      }
    }
    if (zero && deciding == (per_partition ? nodes.size() : 1)) return *zero;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_FAIL("no node was elected to decide within 60 s");
  return 0;
}

// Sessions of the walkthrough's accounts on both nodes. An account logs in with its initial
// password and changes it; only the deciding node takes the change, and the other learns the
// new password from the topic, so both are tried until each node has a session.
class Accounts {
 public:
  explicit Accounts(std::vector<Daemon*> nodes) : nodes_(std::move(nodes)) {}

  const std::string& token(std::size_t node, const std::string& account) {
    auto key = std::make_pair(node, account);
    if (auto found = tokens_.find(key); found != tokens_.end()) return found->second;
    const std::string password = account == "admin" ? admin_password() : account;
    const std::string changed = "password-" + account;
    json login, change;
    for (int attempt = 0; attempt < 300; ++attempt) {
      WireClient client(nodes_[node]->listen());
      json login = client.request({{"op", "login"}, {"account", account}, {"password", changed}});
      if (login["ok"] != true) {
        login = client.request({{"op", "login"}, {"account", account}, {"password", password}});
      }
      if (login["ok"] == true && (login["must_change_password"] != true || account == "admin")) {
        return tokens_[key] = login["token"].get<std::string>();
      }
      if (login["ok"] == true) {
        // A change is a command: another node may be the one that decides.
        for (std::size_t n = 0; n < nodes_.size(); ++n) {
          WireClient at(nodes_[n]->listen());
          json first =
              n == node
                  ? login
                  : at.request({{"op", "login"}, {"account", account}, {"password", password}});
          if (first["ok"] != true) continue;
          change = at.request({{"op", "change_password"},
                               {"token", first["token"]},
                               {"old_password", password},
                               {"new_password", changed}});
          if (change["ok"] == true) break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    BOOST_FAIL(account << " could not log in at node " << node << ": " << login.dump()
                       << "; the last password change: " << change.dump());
    return tokens_[key];
  }

  static std::string admin_password() { return "takeover-admin-secret"; }

 private:
  std::vector<Daemon*> nodes_;
  std::map<std::pair<std::size_t, std::string>, std::string> tokens_;
};

std::string ctl(const std::string& args) {
  auto out = run(dispatch::testing::dispatchctl() + " " + args);
  BOOST_TEST_REQUIRE(out.exit_code == 0, "dispatchctl " + args + "\n" + out.out);
  return out.out;
}

void take_over(bool per_partition) {
  TempDir dir;
  const std::string topic = dispatch::testing::unique_topic("test.takeover");
  const std::string deciding = per_partition ? "partitions" : "one";
  const std::string kafka =
      " --log kafka --brokers " + brokers() + " --topic " + topic + " --partitions 4";
  // Each node knows the other's endpoint before either starts, to forward commands to it.
  const std::map<std::string, std::string> endpoints{
      {"a", dispatch::testing::free_loopback_endpoint()},
      {"b", dispatch::testing::free_loopback_endpoint()}};
  const std::string key_file = dir.path() + "/cluster-key";
  std::ofstream(key_file) << "takeover-test-cluster-key-0123456789abcdef\n";
  auto start = [&](const std::string& name) {
    return std::make_unique<Daemon>(dir.path() + "/" + name,
                                    std::vector<std::string>{"--log",
                                                             "kafka",
                                                             "--brokers",
                                                             brokers(),
                                                             "--topic",
                                                             topic,
                                                             "--partitions",
                                                             "4",
                                                             "--node",
                                                             name,
                                                             "--workers",
                                                             "32",
                                                             "--listen",
                                                             endpoints.at(name),
                                                             "--peers",
                                                             endpoints.at(name == "a" ? "b" : "a"),
                                                             "--cluster-key-file",
                                                             key_file,
                                                             "--deciding",
                                                             deciding});
  };
  const std::string password_file = dir.path() + "/admin-password";
  std::ofstream(password_file) << Accounts::admin_password() << '\n';
  ctl("admin-password --data " + dir.path() + "/admin --password-file " + password_file + kafka);

  std::vector<std::unique_ptr<Daemon>> daemons;
  daemons.push_back(start("a"));
  daemons.push_back(start("b"));
  std::vector<Daemon*> nodes{daemons[0].get(), daemons[1].get()};
  // With --deciding partitions both decide; this one decides the organisation, and is killed.
  const std::size_t first_decider = decider(nodes, per_partition);
  BOOST_TEST_MESSAGE("node " << (first_decider == 0 ? "a" : "b") << " decides partition 0 first");

  // The walkthrough, each line to the node whose turn it is: a node forwards the lines it does not
  // decide to the other, so none is refused. (A client would turn to the other node after
  // `unavailable`; here that is counted, and it must not happen.)
  Accounts accounts(nodes);
  const std::size_t follower = 1 - first_decider;
  // The walkthrough's first capture names a photo the technician uploads to node a; node b shows
  // it too (it fetches the photo from its peer).
  const std::string photo = std::string("\xFF\xD8\xFF\xE0", 4) + "a photo of the indoor unit";
  std::string photo_ref;
  int turned = 0, seen_at_once = 0;
  std::size_t line_number = 0;
  int batches = 0;
  for (json line : dispatch::testing::walkthrough_lines()) {
    const std::string actor = line["actor"];
    if (line["type"] == "CaptureUnit" && photo_ref.empty()) {
      dispatch::testing::HttpReply uploaded =
          dispatch::testing::HttpClient(nodes[0]->http())
              .request("POST", "/api/photos", photo,
                       {{"Authorization", "Bearer " + accounts.token(0, actor)}});
      BOOST_TEST_REQUIRE(uploaded.status == 200, uploaded.body);
      photo_ref = uploaded.json()["photo"];
      line["photos"] = json::array({photo_ref});
    }
    json reply;
    std::size_t node = line_number++ % 2;
    for (int attempt = 0; attempt < 200; ++attempt) {
      WireClient client(nodes[node]->listen());
      reply = client.request(
          {{"op", "command"}, {"token", accounts.token(node, actor)}, {"command", line}});
      if (reply["ok"] == true || reply["error"]["code"] != "unavailable") break;
      BOOST_TEST_MESSAGE("node " << node << " answered " << reply.dump());
      ++turned;
      node = 1 - node;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    BOOST_TEST_REQUIRE(reply["ok"] == true, line.dump() << " -> " << reply.dump());
    // A batch applies to all its orders (with --deciding partitions, they lie with both nodes,
    // and one borrows the other's partitions to decide it).
    if (line.contains("order_ids") && line["order_ids"].size() > 1) {
      BOOST_TEST(reply["order_ids"] == line["order_ids"], reply.dump());
      ++batches;
    }
    BOOST_TEST(!reply.contains("duplicate"), reply.dump());
    // The follower answers a forwarded command once it has the events itself, so the actor's
    // next query there sees what the decider shows (where the actor still sees the order).
    if (!per_partition && node == follower && line.contains("order_id")) {
      json view[2];
      for (std::size_t n = 0; n < 2; ++n) {
        WireClient client(nodes[n]->listen());
        view[n] = client.request({{"op", "query"},
                                  {"token", accounts.token(n, actor)},
                                  {"query", "order"},
                                  {"order_id", line["order_id"]}});
      }
      if (view[first_decider]["ok"] == true) {
        BOOST_TEST(view[follower] == view[first_decider], line.dump());
        ++seen_at_once;
      }
    }
  }
  // At most one refusal: on a broker just started, the first transaction may wait for the
  // transaction coordinator to load longer than the Kafka timeout. Without forwarding, about half
  // the lines would be refused.
  BOOST_TEST(turned <= 1);
  BOOST_TEST(line_number > 40);
  BOOST_TEST(batches == 2);  // the walkthrough's batches, of four orders and of two
  if (!per_partition) {
    BOOST_TEST(seen_at_once > 10);
    BOOST_TEST(health(*nodes[follower])["node"]["last_decider"] == nodes[first_decider]->listen());
  }
  BOOST_TEST_REQUIRE(!photo_ref.empty());
  dispatch::testing::HttpReply shown =
      dispatch::testing::HttpClient(nodes[1]->http())
          .request("GET", "/api/photos/" + photo_ref, "",
                   {{"Authorization", "Bearer " + accounts.token(1, "ZHKF")}});
  BOOST_TEST(shown.status == 200, shown.body);
  BOOST_TEST(shown.body == photo);

  // A load through both nodes; the deciding node is killed once it has decided some of it.
  const int clients = 4, orders = 60;
  const std::string load = dispatch::testing::binary_dir() +
                           "/tools/benchmark/dispatch_wire_load --connect " + nodes[0]->listen() +
                           "," + nodes[1]->listen() + " --account ZHKF --password password-ZHKF " +
                           "--new-password password-ZHKF --clients " + std::to_string(clients) +
                           " --orders " + std::to_string(orders) + " --json";
  const std::uint64_t before = health(*nodes[first_decider])["head"]["position"];
  dispatch::testing::Output report;
  std::thread loader([&] { report = run(load); });
  for (int i = 0; i < 600; ++i) {
    if (health(*nodes[first_decider])["head"]["position"].get<std::uint64_t>() >= before + 60) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::size_t survivor = 1 - first_decider;
  daemons[first_decider]->kill_now();
  nodes[first_decider] = nullptr;
  loader.join();
  BOOST_TEST_REQUIRE(report.exit_code == 0, report.out);
  json result = json::parse(report.out);
  BOOST_TEST_MESSAGE("load with a takeover: " << result.dump());
  BOOST_TEST(result["requests"] == 2 * clients * orders);
  BOOST_TEST(result["failed_clients"] == 0);
  BOOST_TEST(result["refused"].empty(), result.dump());
  BOOST_TEST(result["retries"].get<int>() > 0);  // some went to the dead node, or waited for it
  wait_for_decider(nodes, survivor);
  BOOST_TEST(health(*nodes[survivor])["node"]["partitions"] == json::array({0, 1, 2, 3}));

  // The killed node comes back on its store and catches up; both then show the same.
  daemons[first_decider] = start(first_decider == 0 ? "a" : "b");
  nodes[first_decider] = daemons[first_decider].get();
  json heads[2];
  for (int i = 0; i < 600; ++i) {
    heads[0] = health(*nodes[0])["head"];
    heads[1] = health(*nodes[1])["head"];
    if (heads[0] == heads[1]) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(heads[0] == heads[1]);
  Accounts again(nodes);  // sessions live in a node's memory: the restarted one has none
  for (const std::string unit : {"ZHKF", "S2100911", "X25"}) {
    json seen[2];
    for (std::size_t n = 0; n < 2; ++n) {
      WireClient client(nodes[n]->listen());
      seen[n] = client.request(
          {{"op", "query"}, {"token", again.token(n, unit)}, {"query", "stats"}, {"unit", unit}});
      BOOST_TEST_REQUIRE(seen[n]["ok"] == true, seen[n].dump());
    }
    BOOST_TEST(seen[0] == seen[1], unit);
  }
  for (auto& daemon : daemons) BOOST_TEST(daemon->stop() == 0);

  // Each of the load's orders was created and dispatched exactly once: none lost, none twice,
  // none created but left undispatched.
  std::map<std::string, int> created, dispatched;
  for (const auto& text : dispatch::testing::lines(
           ctl("log --json --data " + dir.path() + "/" + (survivor == 0 ? "a" : "b")))) {
    json record = json::parse(text);
    const std::string order = record.value("order_id", "");
    if (order.rfind("AZ-WL-", 0) != 0) continue;
    if (record["type"] == "OrderCreated") ++created[order];
    if (record["type"] == "DispatchedToUnit") ++dispatched[order];
  }
  BOOST_TEST(created.size() == static_cast<std::size_t>(clients * orders));
  BOOST_TEST(dispatched.size() == created.size());
  int not_once = 0;
  for (const auto& [order, times] : created) not_once += times != 1 || dispatched[order] != 1;
  BOOST_TEST(not_once == 0);

  // Both stores are sound, and an audit of the topic ends where they do.
  const std::string head = heads[0]["hash"];
  for (const std::string name : {"a", "b"}) {
    json verified = json::parse(ctl("verify --json --data " + dir.path() + "/" + name));
    BOOST_TEST(verified["ok"] == true, verified.dump());
    BOOST_TEST(verified["head"]["hash"] == head);
  }
  json audited = json::parse(ctl("audit verify --json --data " + dir.path() + "/audit" + kafka));
  BOOST_TEST(audited["ok"] == true, audited.dump());
  BOOST_TEST(audited["head"]["hash"] == head);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_survivor_takes_over_a_killed_decider_and_applies_each_command_once) {
  take_over(/*per_partition=*/false);
}

BOOST_AUTO_TEST_CASE(deciding_per_partition_the_survivor_takes_over_the_killed_nodes_partitions) {
  take_over(/*per_partition=*/true);
}
