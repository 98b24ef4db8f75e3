// Replicas (engine/replication.h) over an in-memory shared log: a store made from the log holds
// what its writer holds, whatever order the partitions arrive in; a node's own records coming
// back change nothing; a command whose local write failed after it was published is applied once;
// a tampered record is refused; and the partitioned log's verify names removed records.
#define BOOST_TEST_MODULE replication
#include "engine/replication.h"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>

#include "engine/accounts.h"
#include "engine/engine.h"
#include "tests/support/faulty_kv.h"
#include "tests/support/walkthrough.h"

using nlohmann::json;
using namespace dispatch;
using dispatch::testing::FaultyKv;

namespace {

constexpr std::uint32_t kPartitions = 4;

// The shared log, in memory: each partition a list of records, offsets from 0.
class MemoryLog : public LogPublisher {
 public:
  LogLayout layout() const override { return LogLayout{kPartitions}; }
  std::string name() const override { return "memory log"; }
  Status publish(const std::vector<PublishedRecord>& records) override {
    if (fail) return make_error(ErrorCode::unavailable, "the shared log is down (injected)");
    for (const auto& r : records) {
      auto& partition = partitions[r.partition];
      partition.push_back(ReceivedRecord{r.partition, static_cast<std::int64_t>(partition.size()),
                                         r.value, r.org_head, r.password_hash});
    }
    return Status::success();
  }
  // Every record, the partitions in `order`.
  std::vector<ReceivedRecord> records(const std::vector<std::uint32_t>& order) const {
    std::vector<ReceivedRecord> all;
    for (std::uint32_t p : order) {
      auto it = partitions.find(p);
      if (it != partitions.end()) all.insert(all.end(), it->second.begin(), it->second.end());
    }
    return all;
  }

  std::map<std::uint32_t, std::vector<ReceivedRecord>> partitions;
  bool fail = false;
};

struct Node {
  std::shared_ptr<std::atomic<bool>> fail_writes = std::make_shared<std::atomic<bool>>(false);
  Kv* kv = nullptr;  // owned by the engine
  std::unique_ptr<Engine> engine;

  explicit Node(std::shared_ptr<MemoryLog> log) {
    auto owned = std::make_unique<FaultyKv>(fail_writes);
    kv = owned.get();
    EngineOptions options;
    options.publisher = std::move(log);
    options.clock = [] { return std::string("2015-01-08T09:00:00+08:00"); };
    auto opened = Engine::open(std::move(owned), options);
    BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
    engine = std::move(opened.value());
  }

  // Hands `records` to the engine until none waits; requires that none is refused.
  void receive(std::vector<ReceivedRecord> records) {
    for (int round = 0; round < 10 && !records.empty(); ++round) {
      auto waiting = engine->receive(std::move(records)).get();
      BOOST_TEST_REQUIRE(waiting.ok(), (waiting.ok() ? "" : waiting.error().message));
      records = std::move(waiting.value());
    }
    BOOST_TEST_REQUIRE(records.empty(), records.size() << " records still wait");
    engine->caught_up(engine->catch_up_request());
  }

  std::map<std::string, std::string> space(Space space) const {
    std::map<std::string, std::string> all;
    Status s = kv->scan(space, "", "", [&](std::string_view k, std::string_view v) {
      all.emplace(k, v);
      return true;
    });
    BOOST_TEST_REQUIRE(s.ok());
    return all;
  }
};

Command command(const json& j) {
  auto c = parse_command(j);
  BOOST_TEST_REQUIRE(c.ok(), (c.ok() ? "" : c.error().message));
  return c.value();
}

// A reply with its lists sorted: a replica learns a batch's positions partition by partition.
json sorted_reply(const std::string& text) {
  json reply = json::parse(text);
  for (const char* list : {"positions", "order_ids"}) {
    std::sort(reply[list].begin(), reply[list].end());
  }
  return reply;
}

struct Fixture {
  std::shared_ptr<MemoryLog> log = std::make_shared<MemoryLog>();
  Node writer{log};

  Fixture() {
    writer.engine->caught_up(
        writer.engine->catch_up_request());  // the log is empty: nothing to read first
    for (const json& line : dispatch::testing::walkthrough_lines()) {
      json reply = writer.engine->execute(command(line));
      BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    }
    // A password change, whose hash travels beside the event, never in it.
    json reply = writer.engine->execute(
        Command{CommandId("pw-1"), AccountId("S2100911"), "",
                cmd::ChangePassword{AccountId("S2100911"), "$argon2id$v=19$test"}});
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(replicas, Fixture)

BOOST_AUTO_TEST_CASE(the_events_are_spread_over_the_partitions_with_the_organisation_in_the_first) {
  BOOST_TEST(log->partitions.size() == kPartitions);
  for (const auto& record : log->partitions[0]) {
    std::string stream = json::parse(record.value)["stream"];
    BOOST_TEST((stream.rfind("order/", 0) == 0 || stream.find('/') != std::string::npos));
  }
  for (const auto& [partition, records] : log->partitions) {
    for (const auto& record : records) {
      json value = json::parse(record.value);
      std::uint64_t position = value["position"];
      BOOST_TEST((position & 0xFF) == partition);
      BOOST_TEST(LogLayout{kPartitions}.partition_of(value["stream"].get<std::string>()) ==
                 partition);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_replica_made_from_the_log_holds_what_its_writer_holds_in_any_arrival_order) {
  // The organisation's partition last: every order record must wait for it.
  Node replica{std::make_shared<MemoryLog>()};
  replica.receive(log->records({3, 2, 1, 0}));

  for (Space space : {Space::log, Space::streams, Space::projections, Space::accounts}) {
    BOOST_TEST((replica.space(space) == writer.space(space)), "space " << to_string(space));
  }
  auto theirs = writer.space(Space::commands);
  auto mine = replica.space(Space::commands);
  BOOST_TEST_REQUIRE(mine.size() == theirs.size());
  for (const auto& [id, reply] : theirs) {
    BOOST_TEST(sorted_reply(mine[id]) == sorted_reply(reply), id);
  }
  BOOST_TEST((replica.engine->head() == writer.engine->head()));
  auto verified = replica.engine->verify();
  BOOST_TEST_REQUIRE(verified.ok());
  BOOST_TEST((*verified)["ok"] == true, verified->dump());
  BOOST_TEST(replica.engine->password_hash(AccountId("S2100911"))->value_or("") ==
             "$argon2id$v=19$test");
}

BOOST_AUTO_TEST_CASE(a_node_s_own_records_coming_back_change_nothing_but_the_offsets) {
  auto before = writer.space(Space::log);
  auto projections = writer.space(Space::projections);
  writer.receive(log->records({0, 1, 2, 3}));
  BOOST_TEST((writer.space(Space::log) == before));
  BOOST_TEST((writer.space(Space::projections) == projections));
  auto offsets = writer.engine->next_offsets();
  BOOST_TEST_REQUIRE(offsets.ok());
  for (const auto& [partition, records] : log->partitions) {
    BOOST_TEST((*offsets)[partition] == static_cast<std::int64_t>(records.size()));
  }
}

BOOST_AUTO_TEST_CASE(a_command_published_but_not_stored_is_applied_once_when_retried) {
  json feedback = {{"id", "fb-lost"},
                   {"type", "AddFeedback"},
                   {"actor", "S2100911"},
                   {"order_id", "AZ20150108000001"},
                   {"text", "客户来电催促"}};
  *writer.fail_writes = true;
  json lost = writer.engine->execute(command(feedback));
  *writer.fail_writes = false;
  BOOST_TEST(lost["ok"] == false);
  BOOST_TEST(lost["error"]["code"] == "unavailable");
  BOOST_TEST(lost["error"]["message"].get<std::string>().find("shared log") != std::string::npos);
  // Until it has read the log, the node decides nothing.
  BOOST_TEST(writer.engine->needs_catch_up());
  json other = feedback;
  other["id"] = "fb-other";
  json meanwhile = writer.engine->execute(command(other));
  BOOST_TEST(meanwhile["error"]["code"] == "unavailable");

  writer.receive(log->records({0, 1, 2, 3}));
  json retried = writer.engine->execute(command(feedback));
  BOOST_TEST(retried["ok"] == true, retried.dump());
  BOOST_TEST(retried["duplicate"] == true);
  auto order = writer.engine->order(OrderId("AZ20150108000001"));
  BOOST_TEST_REQUIRE(order.ok());
  int seen = 0;
  for (const auto& event : (*order)["history"]) seen += event["command_id"] == "fb-lost";
  BOOST_TEST(seen == 1);
  auto verified = writer.engine->verify();
  BOOST_TEST((*verified)["ok"] == true, verified->dump());
}

BOOST_AUTO_TEST_CASE(a_batch_the_log_refused_leaves_nothing_and_succeeds_when_retried) {
  const LogHead head = writer.engine->head();
  json feedback = {{"id", "fb-down"},
                   {"type", "AddFeedback"},
                   {"actor", "S2100911"},
                   {"order_id", "AZ20150108000001"},
                   {"text", "已联系客户"}};
  log->fail = true;
  json refused = writer.engine->execute(command(feedback));
  BOOST_TEST(refused["error"]["code"] == "unavailable");
  BOOST_TEST((writer.engine->head() == head));
  log->fail = false;
  writer.receive({});
  json retried = writer.engine->execute(command(feedback));
  BOOST_TEST(retried["ok"] == true, retried.dump());
  BOOST_TEST(!retried.contains("duplicate"));
}

BOOST_AUTO_TEST_CASE(a_record_changed_in_the_log_is_refused_and_the_records_before_it_are_kept) {
  auto records = log->records({0, 1, 2, 3});
  const std::size_t before = records.size() / 2;
  auto& victim = records[before];
  auto at = victim.value.find("\"at\":\"2015");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  victim.value[at + 9] = '6';  // 2015 -> 2016
  Node replica{std::make_shared<MemoryLog>()};
  auto result = replica.engine->receive(records).get();
  BOOST_TEST_REQUIRE(!result.ok());
  BOOST_TEST((result.error().code == ErrorCode::invalid));
  BOOST_TEST(result.error().message.find("does not match its hash") != std::string::npos,
             result.error().message);
  // As if they had come alone: the records before it, each as the log holds it, and no other.
  auto kept = replica.space(Space::log);
  BOOST_TEST(kept.size() == before);
  for (std::size_t i = 0; i < before; ++i) {
    const std::uint64_t position = json::parse(records[i].value)["position"];
    BOOST_TEST(kept[log_key(Position(position))] == records[i].value);
  }
  // The replica takes the records after it once they come unchanged.
  std::vector<ReceivedRecord> rest(records.begin() + static_cast<std::ptrdiff_t>(before),
                                   records.end());
  rest.front() = log->records({0, 1, 2, 3})[before];
  replica.receive(std::move(rest));
  BOOST_TEST(replica.space(Space::log) == writer.space(Space::log));
}

BOOST_AUTO_TEST_CASE(verify_names_a_record_removed_from_inside_a_chain_and_a_cut_chain_end) {
  // Remove the second record of partition 1, and the last of partition 2, from the store.
  auto remove = [&](const ReceivedRecord& record) {
    json value = json::parse(record.value);
    WriteSet writes;
    writes.del(Space::log, log_key(Position(value["position"].get<std::uint64_t>())));
    writes.del(Space::streams, stream_key(value["stream"].get<std::string>(),
                                          Version(value["version"].get<std::uint64_t>())));
    BOOST_TEST_REQUIRE(writer.kv->write(writes, false).ok());
    return value["position"].get<std::uint64_t>();
  };
  BOOST_TEST_REQUIRE(log->partitions[1].size() >= 3u);
  const std::uint64_t inside = remove(log->partitions[1][1]);
  const std::uint64_t last = remove(log->partitions[2].back());
  auto report = verify_chain(*writer.kv);
  BOOST_TEST_REQUIRE(report.ok());
  bool link = false;
  bool cut = false;
  for (const auto& p : report->problems) {
    link = link || p.what.find("prev_hash does not match") != std::string::npos;
    cut = cut ||
          p.what.find("head was recorded at position " + std::to_string(last)) != std::string::npos;
  }
  BOOST_TEST(link, "removed " << inside);
  BOOST_TEST(cut);
}

BOOST_AUTO_TEST_CASE(progress_totals_count_the_records_of_a_partitioned_log) {
  std::vector<std::uint64_t> positions;
  for (const auto& record : log->records({0, 1, 2, 3})) {
    positions.push_back(json::parse(record.value)["position"].get<std::uint64_t>());
  }
  const std::uint64_t records = positions.size();
  // Positions are a chain's count shifted past the chain: far more than the records.
  BOOST_TEST_REQUIRE(writer.engine->head().position.value() > 2 * records);

  std::pair<std::uint64_t, std::uint64_t> last{0, 0};
  auto remember = [&](std::uint64_t done, std::uint64_t total) { last = {done, total}; };
  BOOST_TEST_REQUIRE(writer.engine->rebuild(remember).ok());
  BOOST_TEST(last.first == records);
  BOOST_TEST(last.second == records);
  BOOST_TEST_REQUIRE(writer.engine->verify(remember).ok());
  BOOST_TEST(last.first == 2 * records);
  BOOST_TEST(last.second == 2 * records);

  // From any position, as a catch-up replays: the records at it or after, give or take the one
  // whose count is the position's (its chain is not known without reading it).
  EventLog reader(*writer.kv);
  BOOST_TEST_REQUIRE(reader.open().ok());
  std::sort(positions.begin(), positions.end());
  for (std::uint64_t from : {std::uint64_t{1}, positions[1], positions[1] + 1, positions[7] - 1,
                             positions.back(), positions.back() + 1, positions.back() + 300}) {
    const std::uint64_t counted = reader.records_from(Position(from));
    const auto expected = static_cast<std::uint64_t>(
        positions.end() - std::lower_bound(positions.begin(), positions.end(), from));
    BOOST_TEST((counted == expected || counted + 1 == expected),
               "from " << from << ": " << counted << " for " << expected);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(a_store_with_an_embedded_log_does_not_become_a_replica) {
  auto store = make_memory_kv();
  {
    auto embedded = Engine::open(std::make_unique<ForwardingKv>(*store));
    BOOST_TEST_REQUIRE(embedded.ok());
    json reply = (*embedded)->execute(command(dispatch::testing::walkthrough_lines().front()));
    BOOST_TEST_REQUIRE(reply["ok"] == true);
  }
  EngineOptions options;
  options.publisher = std::make_shared<MemoryLog>();
  auto replica = Engine::open(std::make_unique<ForwardingKv>(*store), options);
  BOOST_TEST_REQUIRE(!replica.ok());
  BOOST_TEST(replica.error().message.find("embedded log") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_replica_opened_without_its_log_answers_queries_but_takes_no_commands) {
  auto store = make_memory_kv();
  {
    EngineOptions options;
    options.publisher = std::make_shared<MemoryLog>();
    auto replica = Engine::open(std::make_unique<ForwardingKv>(*store), options);
    BOOST_TEST_REQUIRE(replica.ok());
    (*replica)->caught_up((*replica)->catch_up_request());
    BOOST_TEST_REQUIRE(
        (*replica)->execute(command(dispatch::testing::walkthrough_lines().front()))["ok"] == true);
  }
  auto alone = Engine::open(std::make_unique<ForwardingKv>(*store));
  BOOST_TEST_REQUIRE(alone.ok());
  BOOST_TEST((*alone)->stats(UnitId("X25")).ok());
  json refused = (*alone)->execute(command(dispatch::testing::walkthrough_lines()[1]));
  BOOST_TEST(refused["error"]["code"] == "unavailable");
  BOOST_TEST(refused["error"]["message"].get<std::string>().find("--log kafka") !=
             std::string::npos);
}
