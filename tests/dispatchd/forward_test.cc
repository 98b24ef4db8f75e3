// Forwarding between nodes (tools/dispatchd/forward.h) over real ZeroMQ sockets on loopback: a
// follower that does not decide hands its clients' commands to the deciding peer, which trusts
// the actor only under the nodes' shared key. Two engines in memory stand in for two nodes'
// replicas (the Kafka takeover test runs the same through a broker).
#define BOOST_TEST_MODULE forward
#include "tools/dispatchd/forward.h"

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "engine/store/kv.h"
#include "tests/support/print.h"
#include "tests/support/process.h"
#include "tests/support/walkthrough.h"
#include "tools/dispatchd/config.h"
#include "tools/dispatchd/http_api.h"
#include "tools/dispatchd/photos.h"
#include "tools/dispatchd/server.h"
#include "tools/dispatchd/service.h"

using nlohmann::json;
using namespace dispatch;
using namespace dispatch::daemon;

namespace {

const std::string kKey = "a-cluster-key-of-more-than-thirty-two-bytes";

// An engine in memory with the walkthrough's organisation (its lines before the first order).
std::unique_ptr<Engine> engine_with_org() {
  EngineOptions options;
  options.durable = false;
  auto opened = Engine::open(make_memory_kv(), options);
  BOOST_TEST_REQUIRE(opened.ok());
  for (const json& line : testing::walkthrough_lines()) {
    if (line["type"] == "CreateOrder") break;
    auto command = parse_command(line);
    BOOST_TEST_REQUIRE(command.ok(), line.dump());
    json reply = (*opened)->execute(std::move(*command));
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  }
  return std::move(*opened);
}

json first_order_line() {
  for (const json& line : testing::walkthrough_lines()) {
    if (line["type"] == "CreateOrder") return line;
  }
  BOOST_FAIL("the walkthrough has no CreateOrder");
  return {};
}

// A node: its engine, its service and, when it serves peers, its sockets.
struct Node {
  std::unique_ptr<Engine> engine = engine_with_org();
  std::atomic<bool> deciding{true};
  std::unique_ptr<Service> service;
  std::unique_ptr<Server> server;
  std::atomic<bool> stop{false};
  std::thread serving;

  explicit Node(std::string key, std::function<json(const json&, const std::string&)> forward = {},
                std::string photos_dir = {}) {
    ServiceOptions options;
    options.photos_dir = std::move(photos_dir);
    options.hash_cost = accounts::HashCost::minimum;
    options.cluster_key = std::move(key);
    options.may_decide = [this](const Command&) {
      return deciding ? Status::success()
                      : Status(make_error(ErrorCode::unavailable,
                                          "this node does not decide commands now"));
    };
    options.forward = std::move(forward);
    options.see_forwarded_within = std::chrono::milliseconds(0);  // no shared log brings them
    service = std::make_unique<Service>(*engine, options);
  }
  void serve() {
    auto started = Server::start(*engine, *service,
                                 {.listen = "tcp://127.0.0.1:*", .publish = "tcp://127.0.0.1:*"});
    BOOST_TEST_REQUIRE(started.ok());
    server = std::move(*started);
    serving = std::thread([this] { server->run(stop); });
  }
  ~Node() {
    stop = true;
    if (serving.joinable()) serving.join();
  }
  std::string endpoint() const { return server->listen_endpoint(); }
  json send(const json& request) { return service->handle(request.dump()); }
  // A session of `account`, whose initial password is changed through this node.
  std::string token(const std::string& account) {
    json in = send({{"op", "login"}, {"account", account}, {"password", account}});
    BOOST_TEST_REQUIRE(in["ok"] == true, in.dump());
    json changed = send({{"op", "change_password"},
                         {"token", in["token"]},
                         {"old_password", account},
                         {"new_password", "changed-" + account}});
    BOOST_TEST_REQUIRE(changed["ok"] == true, changed.dump());
    return in["token"];
  }
  bool has_order(const std::string& id) {
    auto state = engine->order_state(OrderId(id));
    BOOST_TEST_REQUIRE(state.ok());
    return state->has_value();
  }
};

// A forwarded request as a peer sends it, signed under `key`.
json forwarded(const json& command, const std::string& key) {
  const std::string text = command.dump();
  return {{"op", "forwarded"},
          {"node", "test"},
          {"command_text", text},
          {"signature", sign_forwarded(key, text)}};
}

std::string code_of(const json& reply) {
  return reply.value("ok", false) ? "ok" : reply["error"].value("code", "(none)");
}

template <typename T>
std::string code_of_status(const Result<T>& result) {
  return result.ok() ? "ok" : std::string(to_string(result.error().code));
}

// dispatchd's settings from these flags, as its command line gives them.
Result<DaemonConfig> parse_flags(std::vector<std::string> args) {
  args.insert(args.begin(), "dispatchd");
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  return parse_config(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

// A serving decider, and a follower that does not decide and forwards to it.
struct DeciderAndFollower {
  Node decider{kKey};
  Forwarder forwarder;
  Node follower;
  DeciderAndFollower()
      : forwarder((decider.serve(), std::vector<std::string>{decider.endpoint()}), kKey,
                  "follower"),
        follower(kKey, [this](const json& c, const std::string& why) {
          return forwarder.forward(c, why);
        }) {
    follower.deciding = false;
  }
};

BOOST_FIXTURE_TEST_CASE(a_command_given_to_a_follower_is_decided_by_the_deciding_peer,
                        DeciderAndFollower) {
  BOOST_TEST(forwarder.last_decider().empty());

  // The password change of the first login is a command too: the decider stores the new hash.
  const std::string token = follower.token("ZHKF");
  BOOST_TEST(decider.engine->password_hash(AccountId("ZHKF"))->has_value());
  BOOST_TEST(!follower.engine->password_hash(AccountId("ZHKF"))->has_value());
  BOOST_TEST(forwarder.last_decider() == decider.endpoint());

  json line = first_order_line();
  const std::string order = line["order_id"];
  json reply = follower.send({{"op", "command"}, {"token", token}, {"command", line}});
  BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
  BOOST_TEST(reply["id"] == line["id"]);
  BOOST_TEST(reply["order_ids"] == json::array({order}));
  BOOST_TEST(decider.has_order(order));
  BOOST_TEST(!follower.has_order(order));  // in this test no shared log brings it back

  // A retry of the same id is the decider's duplicate, not a second order.
  const LogHead head = decider.engine->head();
  json again = follower.send({{"op", "command"}, {"token", token}, {"command", line}});
  BOOST_TEST(again["ok"] == true, again.dump());
  BOOST_TEST(again["duplicate"] == true, again.dump());
  BOOST_TEST(decider.engine->head().position == head.position);

  // A refusal by the decider reaches the client as it is.
  json twice = line;
  twice["id"] = "another-id-for-the-same-order";
  json refused = follower.send({{"op", "command"}, {"token", token}, {"command", twice}});
  BOOST_TEST(code_of(refused) == "invalid", refused.dump());
  BOOST_TEST(refused["error"]["field"] == "order_id");
  BOOST_TEST(refused["id"] == "another-id-for-the-same-order");
}

BOOST_FIXTURE_TEST_CASE(the_follower_checks_the_session_and_the_actor_before_forwarding,
                        DeciderAndFollower) {
  const std::string token = follower.token("S2100911");
  const LogHead head = decider.engine->head();

  json line = first_order_line();  // ZHKF's
  json as_other = follower.send({{"op", "command"}, {"token", token}, {"command", line}});
  BOOST_TEST(code_of(as_other) == "forbidden", as_other.dump());
  json no_session = follower.send({{"op", "command"}, {"token", "nope"}, {"command", line}});
  BOOST_TEST(code_of(no_session) == "unauthenticated", no_session.dump());
  json password = follower.send(
      {{"op", "command"},
       {"token", token},
       {"command", {{"id", "p1"}, {"type", "ResetPassword"}, {"account", "S21009110001"}}}});
  BOOST_TEST(code_of(password) == "invalid", password.dump());
  BOOST_TEST(decider.engine->head().position == head.position);
}

BOOST_FIXTURE_TEST_CASE(a_peer_decides_only_once_it_has_the_organisation_its_sender_had,
                        DeciderAndFollower) {
  json line = first_order_line();
  const std::string order = line["order_id"];
  const std::uint64_t has = decider.engine->last_on_chain(0).value();
  // The sender has seen more of the organisation than the peer has received: the peer waits for
  // it (two thirds of the forwarder's 3 s), then refuses rather than decide on less, and says so
  // before the forwarder gives up on it.
  json ahead = forwarder.forward(line, "", has + 1000);
  BOOST_TEST(code_of(ahead) == "unavailable", ahead.dump());
  BOOST_TEST(
      ahead["error"]["message"].get<std::string>().find(
          "has not yet received position " + std::to_string(has + 1000)) != std::string::npos,
      ahead.dump());
  BOOST_TEST(!decider.has_order(order));
  json level = forwarder.forward(line, "", has);
  BOOST_TEST(level["ok"] == true, level.dump());
  BOOST_TEST(decider.has_order(order));
}

BOOST_AUTO_TEST_CASE(a_forwarded_command_is_taken_only_under_the_shared_key) {
  Node decider(kKey);
  json line = first_order_line();
  const std::string order = line["order_id"];

  json wrong_key = decider.send(forwarded(line, kKey + "-but-another"));
  BOOST_TEST(code_of(wrong_key) == "unauthenticated", wrong_key.dump());

  // The actor changed after signing: the signature no longer matches.
  json signed_request = forwarded(line, kKey);
  json tampered_line = line;
  tampered_line["actor"] = "admin";
  json tampered = signed_request;
  tampered["command_text"] = tampered_line.dump();
  json tampered_reply = decider.send(tampered);
  BOOST_TEST(code_of(tampered_reply) == "unauthenticated", tampered_reply.dump());

  json unsigned_request = signed_request;
  unsigned_request.erase("signature");
  BOOST_TEST(code_of(decider.send(unsigned_request)) == "invalid");

  Node without_key("");
  json no_key = without_key.send(signed_request);
  BOOST_TEST(code_of(no_key) == "forbidden", no_key.dump());
  BOOST_TEST(!without_key.has_order(order));

  BOOST_TEST(!decider.has_order(order));
  json taken = decider.send(signed_request);
  BOOST_TEST(taken["ok"] == true, taken.dump());
  BOOST_TEST(decider.has_order(order));
}

BOOST_AUTO_TEST_CASE(when_no_peer_decides_the_command_is_unavailable_naming_each_peer) {
  Node decider(kKey);
  decider.serve();
  // A peer that is not running: nothing answers at the endpoint of a node that has stopped.
  std::string gone;
  {
    Node stopped(kKey);
    stopped.serve();
    gone = stopped.endpoint();
  }
  Forwarder forwarder({gone, decider.endpoint()}, kKey, "follower", 300);
  Node follower(kKey,
                [&](const json& c, const std::string& why) { return forwarder.forward(c, why); });
  follower.deciding = false;
  const std::string token = follower.token("ZHKF");
  json line = first_order_line();

  decider.deciding = false;  // between two deciders: nobody decides for a moment
  json reply = follower.send({{"op", "command"}, {"token", token}, {"command", line}});
  BOOST_TEST(code_of(reply) == "unavailable", reply.dump());
  BOOST_TEST(reply["id"] == line["id"]);
  const std::string message = reply["error"]["message"];
  BOOST_TEST(message.find(gone + ": no reply") != std::string::npos, message);
  // Why the follower did not decide it, then what each peer said.
  BOOST_TEST(message.starts_with("this node does not decide the command now (this node does not "
                                 "decide commands now), and no peer took it ("),
             message);
  BOOST_TEST(message.find(decider.endpoint() + ": this node does not decide") != std::string::npos,
             message);
  BOOST_TEST(!decider.has_order(line["order_id"]));

  decider.deciding = true;  // elected: the client's retry goes through
  json retried = follower.send({{"op", "command"}, {"token", token}, {"command", line}});
  BOOST_TEST(retried["ok"] == true, retried.dump());
  BOOST_TEST(decider.has_order(line["order_id"]));
  BOOST_TEST(forwarder.last_decider() == decider.endpoint());
}

BOOST_AUTO_TEST_CASE(a_cluster_key_must_be_readable_and_long_enough) {
  testing::TempDir dir;
  BOOST_TEST(code_of_status(read_cluster_key(dir.path() + "/missing")) == "invalid");
  const std::string short_file = dir.path() + "/short";
  std::ofstream(short_file) << "too-short\n";
  auto short_key = read_cluster_key(short_file);
  BOOST_TEST_REQUIRE(!short_key.ok());
  BOOST_TEST(short_key.error().message.find("at least 32") != std::string::npos);
  const std::string good_file = dir.path() + "/good";
  std::ofstream(good_file) << kKey << "\n";
  auto good = read_cluster_key(good_file);
  BOOST_TEST_REQUIRE(good.ok());
  BOOST_TEST(*good == kKey);  // without the line break
  BOOST_TEST(sign_forwarded(kKey, "text") != sign_forwarded(kKey + "x", "text"));
  BOOST_TEST(forwarded_signature_matches(kKey, "text", sign_forwarded(kKey, "text")));
  BOOST_TEST(!forwarded_signature_matches(kKey, "text", ""));
}

BOOST_AUTO_TEST_CASE(peers_need_a_kafka_log_a_cluster_key_and_tcp_endpoints) {
  testing::TempDir dir;
  const std::string key_file = dir.path() + "/key";
  std::ofstream(key_file) << kKey << "\n";
  auto message_of = [](const Result<DaemonConfig>& config) {
    return config.ok() ? std::string("ok") : config.error().message;
  };
  const std::string peer = "tcp://10.0.0.2:5570";
  auto embedded = parse_flags({"--peers", peer, "--cluster-key-file", key_file});
  BOOST_TEST(message_of(embedded).find("--log kafka") != std::string::npos, message_of(embedded));
  auto no_key = parse_flags({"--log", "kafka", "--peers", peer});
  BOOST_TEST(message_of(no_key).find("--cluster-key-file") != std::string::npos,
             message_of(no_key));
  auto wildcard = parse_flags({"--log", "kafka", "--peers", "tcp://127.0.0.1:*"});
  BOOST_TEST(message_of(wildcard).find("tcp://HOST:PORT") != std::string::npos);
  auto good = parse_flags(
      {"--log", "kafka", "--peers", peer + ",tcp://10.0.0.3:5570", "--cluster-key-file", key_file});
  BOOST_TEST_REQUIRE(good.ok(), message_of(good));
  BOOST_TEST(good->peers == (std::vector<std::string>{peer, "tcp://10.0.0.3:5570"}));
  BOOST_TEST(good->service.cluster_key == kKey);
}

BOOST_AUTO_TEST_CASE(the_store_cache_is_a_setting_in_mebibytes_within_bounds) {
  auto defaults = parse_flags({});
  BOOST_TEST_REQUIRE(defaults.ok());
  BOOST_TEST(defaults->cache_mb << 20 == kDefaultCacheBytes);
  auto set = parse_flags({"--cache-mb", "1024"});
  BOOST_TEST_REQUIRE(set.ok());
  BOOST_TEST(set->cache_mb == 1024u);
  for (const std::string bad : {"0", "4", "2000000", "lots", "-1"}) {
    auto refused = parse_flags({"--cache-mb", bad});
    BOOST_TEST_REQUIRE(!refused.ok(), bad);
    BOOST_TEST(refused.error().message.find("--cache-mb") != std::string::npos,
               refused.error().message);
  }
}

// A JPEG as far as the photo store judges (its first bytes), different for each `n`.
std::string jpeg(int n) {
  return std::string("\xFF\xD8\xFF\xE0", 4) + "photo " + std::to_string(n);
}

BOOST_AUTO_TEST_CASE(a_photo_kept_by_one_node_is_fetched_by_another_and_checked_by_its_hash) {
  testing::TempDir dir;
  Node keeper(kKey, {}, dir.path() + "/a");
  keeper.serve();
  PhotoStore kept(dir.path() + "/a");
  auto ref = kept.put(jpeg(1));
  BOOST_TEST_REQUIRE(ref.ok());

  Forwarder forwarder({keeper.endpoint()}, kKey, "other");
  auto fetched = forwarder.photo(*ref);
  BOOST_TEST_REQUIRE(fetched.ok(), (fetched.ok() ? "" : fetched.error().message));
  BOOST_TEST(*fetched == jpeg(1));

  auto missing = forwarder.photo("sha256:" + std::string(64, 'a'));
  BOOST_TEST(code_of_status(missing) == "not_found");

  // A peer whose file does not hold what its name promises is not believed.
  auto other = kept.put(jpeg(2));
  BOOST_TEST_REQUIRE(other.ok());
  const std::string other_file = dir.path() + "/a/" + other->substr(kPhotoRefPrefix.size());
  std::filesystem::remove(other_file);
  std::ofstream(other_file) << jpeg(3);
  auto forged = forwarder.photo(*other);
  BOOST_TEST(code_of_status(forged) == "unavailable");
  BOOST_TEST(forged.error().message.find("SHA-256") != std::string::npos, forged.error().message);

  // Without the key, the photo is not given: the op bypasses the HTTP API's visibility check.
  Forwarder stranger({keeper.endpoint()}, kKey + "-not-the-same", "stranger");
  auto refused = stranger.photo(*ref);
  BOOST_TEST(code_of_status(refused) == "unavailable");
  BOOST_TEST(refused.error().message.find("not signed") != std::string::npos,
             refused.error().message);
}

BOOST_AUTO_TEST_CASE(the_console_of_another_node_shows_a_photo_uploaded_to_the_first) {
  testing::TempDir dir;
  Node keeper(kKey, {}, dir.path() + "/a");
  keeper.serve();
  auto ref = PhotoStore(dir.path() + "/a").put(jpeg(4));
  BOOST_TEST_REQUIRE(ref.ok());

  // The second node's replica holds an order whose captured unit names the photo; its own photo
  // directory does not hold the photo.
  Forwarder forwarder({keeper.endpoint()}, kKey, "other");
  Node viewer(kKey, {}, dir.path() + "/b");
  for (json line : testing::walkthrough_lines()) {
    if (line["type"] == "CaptureUnit") line["photos"] = json::array({*ref});
    auto command = parse_command(line);
    BOOST_TEST_REQUIRE(command.ok(), line.dump());
    json reply = viewer.engine->execute(std::move(*command));
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    if (line["type"] == "CaptureUnit") break;
  }
  const std::string token = viewer.token("ZHKF");
  const HttpRequest get{"GET", "/api/photos/" + *ref, "Bearer " + token, ""};

  HttpApi alone(*viewer.engine, *viewer.service, dir.path() + "/b", WebRoot(""));
  BOOST_TEST(alone.handle(get).status == 404);

  HttpApi with_peers(*viewer.engine, *viewer.service, dir.path() + "/b", WebRoot(""),
                     [&](std::string_view r) { return forwarder.photo(r); });
  HttpResponse shown = with_peers.handle(get);
  BOOST_TEST(shown.status == 200, shown.body);
  BOOST_TEST(shown.body == jpeg(4));
  BOOST_TEST(shown.content_type == "image/jpeg");
  // Kept from then on: the keeper may go away.
  BOOST_TEST(PhotoStore(dir.path() + "/b").get(*ref).ok());

  // Visibility is still the viewer's: a sibling outlet does not see the order, nor its photo.
  const HttpRequest sibling{"GET", "/api/photos/" + *ref, "Bearer " + viewer.token("S2100912"), ""};
  BOOST_TEST(with_peers.handle(sibling).status == 404);
}
