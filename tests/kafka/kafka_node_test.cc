// Kafka as the log, against the real broker ctest starts (tools/kafka/start, fixture `kafka`):
// the seed's walkthrough through one node; a second node made from the topic alone answers the
// same; the topic read by kcat (an independent client) holds exactly the stored records, with
// their keys and headers, each valid against schemas/; a node restarts from its offsets and goes
// on; dispatchd serves a Kafka node, and a password set through another node lets admin log in
// to it; an unreachable broker is a clear `unavailable`, not a hang.
#define BOOST_TEST_MODULE kafka_node
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "engine/kafka/node.h"
#include "tests/support/daemon.h"
#include "tests/support/kafka.h"
#include "tests/support/process.h"
#include "tests/support/walkthrough.h"

using nlohmann::json;
using namespace dispatch;
namespace fs = std::filesystem;

namespace {

std::string brokers() { return dispatch::testing::kafka_brokers(); }

// A topic of its own for every test, so runs and cases never see each other's records.
kafka::KafkaOptions options_for(const std::string& name) {
  kafka::KafkaOptions options;
  options.brokers = brokers();
  options.topic = dispatch::testing::unique_topic("test." + name);
  options.partitions = 4;
  options.node = "test-node";
  return options;
}

using dispatch::testing::TempDir;
using dispatch::testing::walkthrough_lines;

std::unique_ptr<kafka::KafkaNode> open_node(const std::string& dir,
                                            const kafka::KafkaOptions& options,
                                            const std::string& node) {
  kafka::KafkaOptions mine = options;
  mine.node = node;
  auto opened = kafka::KafkaNode::open(dir, mine);
  BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
  return std::move(opened.value());
}

// Executes the command as a client does: retried while `unavailable`, which a node answers once
// after another node's producer fenced its own (it then catches up). Counts those refusals.
json execute(Engine& engine, const json& line, int* refused = nullptr) {
  auto command = parse_command(line);
  BOOST_TEST_REQUIRE(command.ok());
  json reply;
  for (int attempt = 0; attempt < 100; ++attempt) {
    reply = engine.execute(command.value());
    if (reply["ok"] == true || reply["error"]["code"] != "unavailable") break;
    if (refused != nullptr) ++*refused;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return reply;
}

void apply_walkthrough(Engine& engine) {
  for (const json& line : walkthrough_lines()) {
    json reply = execute(engine, line);
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  }
}

// Everything a user of the walkthrough's organisation can see: every unit's stats and folders,
// every order, the log's head.
json everything(Engine& engine) {
  json seen = json::object();
  std::set<std::string> orders;
  for (const json& line : walkthrough_lines()) {
    if (line["type"] == "RegisterUnit") {
      const std::string unit = line["unit_id"];
      seen["stats/" + unit] = engine.stats(UnitId(unit)).value();
      for (const auto& folder : all_folders()) {
        auto page = engine.folder(unit, std::string(folder.name), 50, "");
        if (!page.ok()) continue;  // a staff folder asked of a unit
        seen["folder/" + unit + "/" + std::string(folder.name)] = *page;
        for (const auto& order : (*page)["orders"]) orders.insert(order["order_id"]);
      }
    }
  }
  for (const auto& id : orders) seen["order/" + id] = engine.order(OrderId(id)).value();
  LogHead head = engine.head();
  seen["head"] = json{{"position", head.position.value()}, {"hash", head.hash}};
  return seen;
}

// Reads the whole topic with kcat, one JSON envelope per record.
std::vector<json> read_with_kcat(const kafka::KafkaOptions& options, std::size_t count) {
  const std::string command = "timeout 60 kcat -C -b " + options.brokers + " -t " + options.topic +
                              " -o beginning -X isolation.level=read_committed" + " -c " +
                              std::to_string(count) + " -e -q -J";
  auto output = dispatch::testing::run(command);
  BOOST_TEST_REQUIRE(output.exit_code == 0, command);
  std::vector<json> records;
  for (const auto& line : dispatch::testing::lines(output.out))
    records.push_back(json::parse(line));
  return records;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_node_made_from_the_topic_alone_answers_as_the_node_that_wrote_it) {
  TempDir dir;
  auto options = options_for("twin");
  auto writer = open_node(dir / "writer", options, "writer");
  apply_walkthrough(writer->engine());
  auto reader = open_node(dir / "reader", options, "reader");
  json written = everything(writer->engine());
  json read = everything(reader->engine());
  BOOST_TEST(written.size() > 30u);
  BOOST_TEST(read == written);
  for (auto* node : {writer.get(), reader.get()}) {
    auto verified = node->engine().verify();
    BOOST_TEST_REQUIRE(verified.ok());
    BOOST_TEST((*verified)["ok"] == true, verified->dump());
  }
}

BOOST_AUTO_TEST_CASE(kcat_reads_the_stored_records_keyed_by_stream_with_their_headers) {
  TempDir dir;
  auto options = options_for("kcat");
  auto node = open_node(dir / "node", options, "kcat");
  apply_walkthrough(node->engine());
  const std::uint64_t events = (*node->engine().verify())["events"];

  auto records = read_with_kcat(options, events);
  BOOST_TEST_REQUIRE(records.size() == events);
  const std::string values = dir / "values.jsonl";
  std::ofstream out(values);
  std::set<std::uint64_t> positions;
  for (const json& envelope : records) {
    json value = json::parse(envelope["payload"].get<std::string>());
    out << envelope["payload"].get<std::string>() << '\n';
    BOOST_TEST(envelope["key"] == value["stream"]);
    const std::uint64_t position = value["position"];
    BOOST_TEST((position & 0xFF) == envelope["partition"].get<std::uint64_t>());
    positions.insert(position);
    // kcat -J gives the headers as a flat list: name, value, name, value, ...
    std::map<std::string, std::string> headers;
    const json& list = envelope["headers"];
    for (std::size_t i = 0; i + 1 < list.size(); i += 2) headers[list[i]] = list[i + 1];
    BOOST_TEST(headers["type"] == value["type"].get<std::string>());
    BOOST_TEST(headers["command_id"] == value["command_id"].get<std::string>());
    BOOST_TEST(headers.count("org_head") == 1u);
    // The record is exactly what the node stores: its order's history holds the same event.
    if (value["stream"].get<std::string>().rfind("order/", 0) == 0) {
      json order = node->engine().order(OrderId(value["order_id"].get<std::string>())).value();
      bool found = false;
      for (const auto& event : order["history"]) found = found || event["position"] == position;
      BOOST_TEST(found, value.dump());
    }
  }
  out.close();
  BOOST_TEST(positions.size() == events);
  const std::string validate = "/usr/bin/python3 " + dispatch::testing::source_dir() +
                               "/tests/schemas/validate.py --kind event " + values;
  BOOST_TEST(std::system(validate.c_str()) == 0, validate);
}

BOOST_AUTO_TEST_CASE(a_node_restarted_on_its_store_resumes_from_its_offsets_and_goes_on) {
  TempDir dir;
  auto options = options_for("restart");
  auto writer = open_node(dir / "a", options, "a");
  auto lines = walkthrough_lines();
  const std::size_t half = lines.size() / 2;
  for (std::size_t i = 0; i < half; ++i) {
    BOOST_TEST_REQUIRE(execute(writer->engine(), lines[i])["ok"] == true);
  }
  auto other = open_node(dir / "b", options, "b");
  const LogHead before = other->engine().head();
  other.reset();
  for (std::size_t i = half; i < lines.size(); ++i) {
    BOOST_TEST_REQUIRE(execute(writer->engine(), lines[i])["ok"] == true);
  }
  // b comes back and reads only what it missed; then it decides, and a sees that too.
  other = open_node(dir / "b", options, "b");
  BOOST_TEST(other->engine().head().position > before.position);
  BOOST_TEST((other->engine().head() == writer->engine().head()));
  json feedback = {{"id", "after-restart"},
                   {"type", "AddFeedback"},
                   {"actor", "S2100911"},
                   {"order_id", "AZ20150108000001"},
                   {"text", "重启后继续处理"}};
  json reply = execute(other->engine(), feedback);
  BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  writer.reset();
  writer = open_node(dir / "a", options, "a");
  BOOST_TEST(everything(writer->engine()) == everything(other->engine()));
  json again = execute(writer->engine(), feedback);
  BOOST_TEST(again["duplicate"] == true, again.dump());
}

BOOST_AUTO_TEST_CASE(dispatchd_serves_a_kafka_node_and_learns_passwords_set_on_another) {
  TempDir dir;
  auto options = options_for("daemon");
  dispatch::testing::Daemon daemon(
      dir / "served", {"--http", "none", "--log", "kafka", "--brokers", options.brokers, "--topic",
                       options.topic, "--partitions", "4", "--node", "served"});
  // The administrator's password, set through a node of the same topic on another store.
  const std::string password_file = dir / "password";
  std::ofstream(password_file) << "kafka-admin-secret\n";
  const std::string set_password = dispatch::testing::dispatchctl() + " admin-password --data " +
                                   (dir / "admin") + " --password-file " + password_file +
                                   " --log kafka --brokers " + options.brokers + " --topic " +
                                   options.topic + " --partitions 4";
  BOOST_TEST_REQUIRE(std::system(set_password.c_str()) == 0, set_password);

  dispatch::testing::WireClient client(daemon.listen());
  json login;
  for (int attempt = 0; attempt < 100; ++attempt) {  // the served node reads it from the topic
    login =
        client.request({{"op", "login"}, {"account", "admin"}, {"password", "kafka-admin-secret"}});
    if (login["ok"] == true) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST_REQUIRE(login["ok"] == true, login.dump());
  // The other node fenced this one's producer: its first batch is refused, and a retry after it
  // caught up goes through.
  json reply;
  for (int attempt = 0; attempt < 100; ++attempt) {
    reply = client.request(
        {{"op", "command"}, {"token", login["token"]}, {"command", walkthrough_lines().front()}});
    if (reply["ok"] == true || reply["error"]["code"] != "unavailable") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(reply["ok"] == true, reply.dump());
  BOOST_TEST(daemon.stop() == 0);
}

// Not a hang: the call returns (ctest's timeout would catch one) with the reason.
BOOST_AUTO_TEST_CASE(an_unreachable_broker_is_a_clear_unavailable_not_a_hang) {
  TempDir dir;
  auto options = options_for("unreachable");
  options.brokers = "127.0.0.1:1";
  options.timeout = std::chrono::milliseconds(1500);
  auto node = kafka::KafkaNode::open(dir / "node", options);
  BOOST_TEST_REQUIRE(!node.ok());
  BOOST_TEST((node.error().code == ErrorCode::unavailable));
  BOOST_TEST(node.error().message.find("127.0.0.1:1") != std::string::npos, node.error().message);
}

// Until partitions have owners, nodes take turns: each batch of a node whose producer another
// fenced is refused once, and succeeds when retried after it caught up. The client carries the
// positions it saw to the other node (read-your-writes), as a wire client sends "at_least". A
// node that decides a command on state older than what the client saw refuses it without
// writing anything, so it never learns that another node fenced it: the client must pass the
// highest position of every partition, not the highest position overall.
BOOST_AUTO_TEST_CASE(two_nodes_taking_commands_in_turn_apply_each_once_and_agree) {
  TempDir dir;
  auto options = options_for("turns");
  auto first = open_node(dir / "a", options, "a");
  auto second = open_node(dir / "b", options, "b");
  auto lines = walkthrough_lines();
  int refused = 0;
  std::map<std::uint32_t, std::uint64_t> seen;  // per partition, the last position the client saw
  for (std::size_t i = 0; i < lines.size(); ++i) {
    Engine& engine = ((i / 8) % 2 == 0 ? first : second)->engine();  // turns of 8 commands
    for (const auto& [partition, position] : seen) {
      BOOST_TEST_REQUIRE(engine.wait_for(Position(position), std::chrono::seconds(10)).ok());
    }
    json reply = execute(engine, lines[i], &refused);
    BOOST_TEST_REQUIRE(reply["ok"] == true, lines[i].dump() << " -> " << reply.dump());
    BOOST_TEST(!reply.contains("duplicate"), reply.dump());
    for (const auto& position : reply["positions"]) {
      auto& last = seen[engine.layout().chain_of(Position(position))];
      last = std::max<std::uint64_t>(last, position);
    }
  }
  BOOST_TEST_MESSAGE(refused << " refusals while the nodes took turns");
  // Both have read everything once the last writer's records reached the other.
  for (int wait = 0; wait < 100 && !(first->engine().head() == second->engine().head()); ++wait) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  BOOST_TEST(everything(first->engine()) == everything(second->engine()));
  for (auto* node : {first.get(), second.get()}) {
    auto verified = node->engine().verify();
    BOOST_TEST((*verified)["ok"] == true, verified->dump());
    BOOST_TEST((*verified)["events"] == 56);
  }
}

namespace {
// Runs dispatchctl with `arguments`; its stdout (and stderr, `with_errors`), and its exit code in
// `code`.
std::string dispatchctl(const std::string& arguments, int& code, bool with_errors = false) {
  auto output = dispatch::testing::run(dispatch::testing::dispatchctl() + " " + arguments +
                                       (with_errors ? " 2>&1" : ""));
  code = output.exit_code;
  return output.out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(an_audit_of_the_topic_verifies_it_and_sees_the_past_as_the_store_does) {
  TempDir dir;
  auto options = options_for("audit");
  auto node = open_node(dir / "node", options, "audited");
  apply_walkthrough(node->engine());
  const std::string topic =
      " --log kafka --brokers " + options.brokers + " --topic " + options.topic;
  int code = 0;
  json verified = json::parse(dispatchctl("audit verify --json" + topic, code));
  BOOST_TEST(code == 0);
  BOOST_TEST(verified["ok"] == true, verified.dump());
  BOOST_TEST(verified["head"]["position"] == node->engine().head().position.value());
  BOOST_TEST(verified["head"]["hash"] == node->engine().head().hash);
  // The organisation and two orders as they were at noon, from the topic and from the store.
  const std::string noon = "audit as-of 2015-01-08T12:00:00+08:00 ";
  for (const std::string what : {"stats X25", "stats S2100911", "order AZ20150108000001"}) {
    std::string from_topic = dispatchctl(noon + what + " --json" + topic, code);
    BOOST_TEST(code == 0);
    std::string from_store = dispatchctl(noon + what + " --json --data " + (dir / "node"), code);
    BOOST_TEST(code == 0);
    BOOST_TEST(json::parse(from_topic) == json::parse(from_store), what);
  }

  // A record appended behind the engine's back, by another client, is named by partition and
  // offset, and the audit fails.
  const std::string forged = dir / "forged.txt";
  std::ofstream(forged) << R"(unit/X25|{"type":"UnitRegistered","hash":"00","prev_hash":"00"})"
                        << '\n';
  const std::string produce =
      "kcat -P -b " + options.brokers + " -t " + options.topic + " -p 0 -K '|' " + forged;
  BOOST_TEST_REQUIRE(std::system(produce.c_str()) == 0);
  std::string refused = dispatchctl("audit verify" + topic, code);
  BOOST_TEST(code == 1);
  BOOST_TEST(refused.find("PROBLEMS: ") == 0, refused);
  BOOST_TEST(refused.find("(partition 0, offset ") != std::string::npos, refused);
  // A script reads the same as a verify report: the records read before the forged one, all
  // sound (among them partition 0's, which the forged one follows), and the forged one.
  json report = json::parse(dispatchctl("audit verify --json" + topic, code));
  BOOST_TEST(code == 1);
  BOOST_TEST(report["ok"] == false, report.dump());
  BOOST_TEST(report["events"].get<std::uint64_t>() > 0u);
  BOOST_TEST(report["head"] == verified["head"], report.dump());
  BOOST_TEST_REQUIRE(report["problems"].size() == 1u, report.dump());
  const std::string problem = report["problems"][0]["message"];
  BOOST_TEST(problem.find("cannot be read whole") != std::string::npos, problem);
  BOOST_TEST(problem.find("(partition 0, offset ") != std::string::npos, problem);
  // The past cannot be seen through a topic that cannot be read whole.
  json as_of = json::parse(dispatchctl(noon + "stats X25 --json" + topic, code));
  BOOST_TEST(code == 3);
  BOOST_TEST(as_of["ok"] == false, as_of.dump());
  BOOST_TEST(as_of["error"]["message"].get<std::string>().find("(partition 0, offset ") !=
                 std::string::npos,
             as_of.dump());
}
