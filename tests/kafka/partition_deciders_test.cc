// Deciding per partition (--deciding partitions), against the real broker: two nodes in one group
// each decide the orders of the partitions the group gives them, at once; neither decides what is
// the other's, and a batch across both is refused whole unless one lends the other its partition;
// both replicas, and a copy made from the topic alone, agree; when one node leaves, the other
// takes its partitions over.
#define BOOST_TEST_MODULE kafka_partition_deciders
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "engine/event.h"
#include "engine/kafka/node.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"
#include "tests/support/walkthrough.h"

using nlohmann::json;
using namespace dispatch;
using dispatch::testing::TempDir;
using dispatch::testing::walkthrough_lines;

namespace {

constexpr std::uint32_t kPartitions = 4;

// Two electing nodes of a new topic, each over a store of its own.
struct Deciders {
  TempDir dir;
  kafka::KafkaOptions options;
  std::unique_ptr<kafka::KafkaNode> nodes[2];

  Deciders() {
    options.brokers = dispatch::testing::kafka_brokers();
    options.topic = dispatch::testing::unique_topic("test.partition-deciders");
    options.partitions = kPartitions;
    options.elect = true;
    options.deciding = kafka::Deciding::partitions;
    options.timeout = std::chrono::milliseconds(2000);  // a stranded loan ends after 12 s
    for (int n = 0; n < 2; ++n) {
      kafka::KafkaOptions mine = options;
      mine.node = "decider-" + std::to_string(n);
      auto opened = kafka::KafkaNode::open(dir / mine.node, mine);
      BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
      nodes[n] = std::move(opened.value());
    }
  }

  // Waits until the live nodes' partitions are disjoint and cover the topic, each node having
  // some: the group has settled.
  void wait_settled() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
      std::multiset<std::uint32_t> owned;
      bool each_has_some = true;
      for (const auto& node : nodes) {
        if (node == nullptr) continue;
        auto mine = node->deciding_partitions();
        each_has_some = each_has_some && !mine.empty() && node->engine().may_decide(probe()).ok();
        owned.insert(mine.begin(), mine.end());
      }
      bool whole = owned.size() == kPartitions;
      for (std::uint32_t p = 0; p < kPartitions; ++p) whole = whole && owned.count(p) == 1;
      if (whole && each_has_some) return;
      BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline),
                         "the deciders' group did not settle in 60 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // A command any deciding node may decide (a CreateOrder without an id).
  static Command probe() {
    json line = walkthrough_lines()[12];
    line.erase("order_id");
    return parse_command(line).value();
  }

  std::uint32_t partition_of(const std::string& order) const {
    return LogLayout{kPartitions}.partition_of(order_stream(OrderId(order)));
  }
  // The node that decides the order's partition now.
  int owner_of_order(const std::string& order) const {
    const std::uint32_t p = partition_of(order);
    for (int n = 0; n < 2; ++n) {
      if (nodes[n] == nullptr) continue;
      auto mine = nodes[n]->deciding_partitions();
      if (std::find(mine.begin(), mine.end(), p) != mine.end()) return n;
    }
    return -1;
  }

  // Executes `line` on node `n`, retried while the node catches up (`unavailable` without
  // naming a partition), as a client does.
  json execute_on(int n, const json& line) {
    auto command = parse_command(line);
    BOOST_TEST_REQUIRE(command.ok(), line.dump());
    json reply;
    for (int attempt = 0; attempt < 200; ++attempt) {
      reply = nodes[n]->engine().execute(command.value());
      if (reply["ok"] == true || reply["error"]["code"] != "unavailable") break;
      if (std::string(reply["error"]["message"]).find("does not decide") != std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (reply["ok"] == true) remember(reply);
    return reply;
  }

  // Executes `line` on the node that decides it.
  json execute(const json& line) {
    auto command = parse_command(line);
    BOOST_TEST_REQUIRE(command.ok(), line.dump());
    for (int n = 0; n < 2; ++n) {
      if (nodes[n] != nullptr && nodes[n]->engine().may_decide(command.value()).ok()) {
        return execute_on(n, line);
      }
    }
    BOOST_FAIL("no node decides " + line.dump());
    return {};
  }

  // Waits until every live node has applied every event acknowledged so far.
  void wait_applied() {
    for (const auto& node : nodes) {
      if (node == nullptr) continue;
      for (std::uint64_t position : positions) {
        Status seen = node->engine().wait_for(Position(position), std::chrono::seconds(30));
        BOOST_TEST_REQUIRE(seen.ok(), (seen.ok() ? "" : seen.error().message));
      }
    }
  }

  void remember(const json& reply) {
    for (const auto& p : reply.value("positions", json::array())) positions.push_back(p);
  }
  std::vector<std::uint64_t> positions;
};

json order_line(const std::string& id, const std::string& order) {
  json line = walkthrough_lines()[12];  // the first CreateOrder
  BOOST_TEST_REQUIRE(line["type"] == "CreateOrder");
  line["id"] = id;
  line["order_id"] = order;
  return line;
}

json dispatch_line(const std::string& id, const std::vector<std::string>& orders) {
  json line = walkthrough_lines()[13];  // ZHKF dispatches to S2100911
  BOOST_TEST_REQUIRE(line["type"] == "DispatchToUnit");
  line["id"] = id;
  line["order_ids"] = orders;
  return line;
}

// What a user can see of the walkthrough's organisation and the orders: stats and folders of every
// unit, and every order.
json everything(Engine& engine, const std::vector<std::string>& orders) {
  json seen = json::object();
  for (const json& line : walkthrough_lines()) {
    if (line["type"] != "RegisterUnit") continue;
    const std::string unit = line["unit_id"];
    seen["stats/" + unit] = engine.stats(UnitId(unit)).value();
    for (const auto& folder : all_folders()) {
      auto page = engine.folder(unit, std::string(folder.name), 50, "");
      if (page.ok()) seen["folder/" + unit + "/" + std::string(folder.name)] = *page;
    }
  }
  for (const auto& id : orders) seen["order/" + id] = engine.order(OrderId(id)).value();
  return seen;
}

std::string message_of(const json& reply) { return reply["error"].value("message", ""); }

}  // namespace

BOOST_AUTO_TEST_CASE(two_nodes_decide_the_orders_of_their_own_partitions_and_agree) {
  Deciders d;
  d.wait_settled();
  // A node given the other mode neither joins these deciders nor decides beside them: the two
  // would write the same partitions with producers that do not fence each other.
  {
    kafka::KafkaOptions one = d.options;
    one.deciding = kafka::Deciding::one;
    one.node = "other-mode";
    auto joined = kafka::Election::start(one, [] {});
    BOOST_TEST_REQUIRE(!joined.ok());
    BOOST_TEST((joined.error().code == ErrorCode::invalid));
    BOOST_TEST(joined.error().message.find("run with --deciding partitions") != std::string::npos,
               joined.error().message);
    one.elect = false;  // as dispatchctl
    auto beside = kafka::KafkaNode::open(d.dir / "other-mode", one);
    BOOST_TEST_REQUIRE(beside.ok(), (beside.ok() ? "" : beside.error().message));
    json refused = (*beside)->engine().execute(parse_command(walkthrough_lines()[0]).value());
    BOOST_TEST(refused["error"]["code"] == "unavailable", refused.dump());
    BOOST_TEST(message_of(refused).find("decide per partition") != std::string::npos,
               refused.dump());
  }
  // The organisation: partition 0, decided by its owner, and seen by both before any order.
  for (std::size_t i = 0; i < 12; ++i) {
    json reply = d.execute(walkthrough_lines()[i]);
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  }
  d.wait_applied();

  // Orders of both nodes' partitions: each is decided by its partition's node, and refused by
  // the other, naming the partition.
  std::vector<std::string> orders;
  std::map<int, std::vector<std::string>> by_node;
  for (int i = 1; i <= 16; ++i) {
    const std::string order =
        "AZ2015010810" + std::string(i < 10 ? "000" : "00") + std::to_string(i);
    const int owner = d.owner_of_order(order);
    BOOST_TEST_REQUIRE(owner >= 0);
    json line = order_line("pd-create-" + std::to_string(i), order);
    json refused = d.nodes[1 - owner]->engine().execute(parse_command(line).value());
    BOOST_TEST(refused["error"]["code"] == "unavailable", refused.dump());
    BOOST_TEST(message_of(refused).find("does not decide partition " +
                                        std::to_string(d.partition_of(order))) != std::string::npos,
               refused.dump());
    json reply = d.execute_on(owner, line);
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    orders.push_back(order);
    by_node[owner].push_back(order);
  }
  BOOST_TEST_REQUIRE(by_node[0].size() >= 2u);
  BOOST_TEST_REQUIRE(by_node[1].size() >= 2u);

  // An order created without an id is numbered in a partition of the node that decided it.
  for (int n = 0; n < 2; ++n) {
    json line = order_line("pd-numbered-" + std::to_string(n), "");
    line.erase("order_id");
    json reply = d.execute_on(n, line);
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    const std::string order = reply["order_ids"][0];
    BOOST_TEST(d.owner_of_order(order) == n, order);
    orders.push_back(order);
  }

  // A batch across both nodes applies to all or none, and neither node may decide it all.
  const std::vector<std::string> across{by_node[0][0], by_node[1][0]};
  for (int n = 0; n < 2; ++n) {
    json reply = d.execute_on(n, dispatch_line("pd-across", across));
    BOOST_TEST(reply["error"]["code"] == "unavailable", reply.dump());
    BOOST_TEST(message_of(reply).find("does not decide partition") != std::string::npos);
  }
  // Unless one lends the other its partition (as dispatchd's nodes do, tools/dispatchd/loans.h).
  const std::set<std::uint32_t> lent_partition{d.partition_of(across[1])};
  const std::uint64_t epoch = d.nodes[0]->epoch();
  auto loan = d.nodes[1]->lend(lent_partition);
  BOOST_TEST_REQUIRE(loan.ok(), (loan.ok() ? "" : loan.error().message));
  BOOST_TEST((loan->partitions == lent_partition));
  BOOST_TEST(!d.nodes[1]->lend(lent_partition).ok());  // lent once at a time
  // The lender decides the partition no more meanwhile.
  std::string later;  // an order of the lent partition, created once it is back
  for (int i = 1; later.empty(); ++i) {
    const std::string candidate = "AZ2015010820" + std::to_string(1000 + i).substr(1);
    if (lent_partition.contains(d.partition_of(candidate))) later = candidate;
  }
  json while_lent = d.execute_on(1, order_line("pd-later", later));
  BOOST_TEST(while_lent["error"]["code"] == "unavailable", while_lent.dump());
  Status borrowed = d.nodes[0]->borrow(loan->partitions, loan->heads, epoch);
  BOOST_TEST_REQUIRE(borrowed.ok(), (borrowed.ok() ? "" : borrowed.error().message));
  json whole = d.execute_on(0, dispatch_line("pd-across", across));
  BOOST_TEST_REQUIRE(whole["ok"] == true, whole.dump());
  BOOST_TEST(whole["order_ids"].size() == 2u);
  auto heads = d.nodes[0]->give_back(loan->partitions);
  BOOST_TEST_REQUIRE(heads.has_value());
  BOOST_TEST(d.nodes[0]->engine().may_decide(parse_command(order_line("x", later)).value()).ok() ==
             false);
  d.nodes[1]->take_back(*loan, *heads);
  // Back with its lender, which has the borrower's events and decides the partition again.
  auto back = d.nodes[1]->engine().order(OrderId(across[1]));
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST((*back)["holder"] == "S2100911", back->dump());
  json after = d.execute_on(1, order_line("pd-later", later));
  BOOST_TEST_REQUIRE(after["ok"] == true, after.dump());
  orders.push_back(later);

  // Batches within one node's partitions go through, each at its node.
  for (int n = 0; n < 2; ++n) {
    const std::vector<std::string> mine(by_node[n].begin() + 1, by_node[n].end());
    json reply = d.execute_on(n, dispatch_line("pd-batch-" + std::to_string(n), mine));
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    BOOST_TEST(reply["order_ids"].size() == mine.size());
  }

  // Both replicas, and a copy made from the topic alone, show the same.
  d.wait_applied();
  const json first = everything(d.nodes[0]->engine(), orders);
  BOOST_TEST(first == everything(d.nodes[1]->engine(), orders));
  for (const auto& [node, mine] : by_node) {
    for (const auto& order : mine) {  // every order of the batches
      BOOST_TEST(first["order/" + order]["status"] == "pending_dispatch",
                 first["order/" + order].dump());
      BOOST_TEST(first["order/" + order]["holder"] == "S2100911");
    }
  }
  Status copied = kafka::copy_topic(d.dir / "copy", d.options);
  BOOST_TEST_REQUIRE(copied.ok(), (copied.ok() ? "" : copied.error().message));
  EngineOptions read_only;
  read_only.read_only = true;
  auto copy = Engine::open(d.dir / "copy", read_only);
  BOOST_TEST_REQUIRE(copy.ok(), (copy.ok() ? "" : copy.error().message));
  BOOST_TEST(everything(**copy, orders) == first);
  auto verified = (*copy)->verify();
  BOOST_TEST_REQUIRE(verified.ok());
  BOOST_TEST((*verified)["ok"] == true, verified->dump());

  // A loan that is never given back (its borrower gone, or the message lost) ends with a
  // reassignment that its lender asks for, and the partition is decided again.
  const std::set<std::uint32_t> stranded{d.partition_of(by_node[1][1])};
  BOOST_TEST_REQUIRE(d.nodes[1]->lend(stranded).ok());
  const std::string stranded_order = [&] {
    for (int i = 1;; ++i) {
      const std::string candidate = "AZ2015010830" + std::to_string(1000 + i).substr(1);
      if (stranded.contains(d.partition_of(candidate))) return candidate;
    }
  }();
  json at_once = d.execute_on(1, order_line("pd-stranded", stranded_order));
  BOOST_TEST(at_once["error"]["code"] == "unavailable", at_once.dump());
  const auto lent_at = std::chrono::steady_clock::now();
  json decided = json::object();
  while (decided.value("ok", false) != true) {
    BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() - lent_at < std::chrono::seconds(90)),
                       "the stranded partition was not decided again in 90 s: " + decided.dump());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const int owner = d.owner_of_order(stranded_order);
    if (owner >= 0) decided = d.execute_on(owner, order_line("pd-stranded", stranded_order));
  }
  BOOST_TEST_MESSAGE("a stranded loan ended after "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - lent_at)
                            .count()
                     << " ms");
  d.wait_settled();

  // One node leaves: the other takes its partitions over and decides its orders.
  d.nodes[1].reset();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (d.nodes[0]->deciding_partitions().size() < kPartitions) {
    BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline),
                       "the survivor did not take every partition over in 60 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string theirs = across[1];  // an order of the node that left
  json accepted = d.execute_on(0, json{{"id", "pd-assign-after"},
                                       {"type", "AssignTechnicians"},
                                       {"actor", "S2100911"},
                                       {"at", "2015-01-08T10:00:00+08:00"},
                                       {"order_ids", {theirs}},
                                       {"primary", "S21009110002"}});
  BOOST_TEST(accepted["ok"] == true, accepted.dump());
  auto state = d.nodes[0]->engine().order(OrderId(theirs));
  BOOST_TEST_REQUIRE(state.ok());
  BOOST_TEST((*state)["status"] == "to_accept", state->dump());
  BOOST_TEST((*state)["primary"] == "S21009110002");
}
