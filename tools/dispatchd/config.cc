#include "tools/dispatchd/config.h"

#include <charconv>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/dispatchd/forward.h"

namespace dispatch::daemon {

namespace {
const char* const kHelp =
    R"(usage: dispatchd [--config FILE] [options]

Serves the store to many clients: requests on a ZeroMQ ROUTER endpoint (JSON, one frame each:
login, change_password, reset_password, logout, health, command, query) and change notices on a
PUB endpoint (two frames: "unit/ID" or "staff/ID", then a JSON notice). Over HTTP the same
requests are a JSON API under /api/ (the token in "Authorization: Bearer TOKEN"), notices come on
the WebSocket /api/live, photos are uploaded to /api/photos, and other paths serve the web
console (README.md, "HTTP"). Stops cleanly on SIGTERM or SIGINT: requests already read are
answered, and everything acknowledged is durable.

options (each also a key of the JSON configuration file, with _ for -):
  --data DIR               the store (default ./var; created when missing)
  --cache-mb N             the store's block cache in MiB (default 128): the store's memory stays
                           near this plus 128 MiB of memtables however large it grows; a cache
                           too small for the index and filters in use slows commands down
  --listen ENDPOINT        requests (default tcp://127.0.0.1:5570; tcp://127.0.0.1:* for any port)
  --publish ENDPOINT       notices (default tcp://127.0.0.1:5571)
  --log-level LEVEL        error, warn, info (default) or debug; the log goes to stderr
  --workers N              requests handled at once (default 16)
  --session-ttl SECONDS    how long a login lasts (default 43200: 12 hours)
  --password-hashing COST  interactive (default: argon2id, 64 MiB) or minimum (for tests only)
  --http ENDPOINT          HTTP API, WebSocket and web console (default 127.0.0.1:8080; port 0
                           for any free one; none to turn it off)
  --web-root DIR           the web console's built files (default: a page saying it is not built)
  --log BACKEND            where the event log lives: embedded (default: in the store) or kafka
                           (an Apache Kafka topic shared by several nodes; the store is then
                           this node's replica of it, and starts empty); with kafka:
%KAFKA%
  --peers ENDPOINT,...     the other nodes' request endpoints (tcp://HOST:PORT): while another
                           node decides, commands given to this one are forwarded to it, so
                           clients may use any node; photos uploaded to another node are
                           fetched from it (default: none; commands are then answered
                           unavailable by a node that does not decide)
  --forward-timeout MS     how long a forwarded command waits for a peer before the next is
                           asked (default 3000)
  --cluster-key-file PATH  the secret the nodes share to trust each other's forwarded commands (at
                           least 32 bytes, the same file on every node; needed with --peers, and
                           to take forwarded commands)
Shop orders from Kafka (connectors, with the embedded log): each topic carries one platform's
payloads, one per record, as `dispatchctl ingest` reads them; they become work orders exactly once
(README.md, "Connectors"), read at --brokers:
  --tmall-topic NAME       Tmall / Taobao trades and TMC messages
  --jd-topic NAME          JD order search pages
  --gree-mall-topic NAME   the Gree mall feed
  --fallback-unit UNIT     where orders go that no RouteRegion covers (default: none; such
                           orders are dead letters)

  --ready-file PATH        once serving, write {"listen","publish","http","pid"} there
  --config FILE            read these settings from a JSON object first; flags override it
  --help                   this text

Accounts: a unit's or technician's number, with that number as the initial password, which must
be changed (change_password) before anything else; "admin" is the bootstrap administrator.
)";
}  // namespace

std::string daemon_help() {
  std::string help = kHelp;
  const std::string_view marker = "%KAFKA%";
  help.replace(help.find(marker), marker.size(), kafka::kKafkaSettingsHelp);
  return help;
}

namespace {
using json = nlohmann::json;

Error bad(std::string message) { return make_error(ErrorCode::invalid, std::move(message)); }

Result<std::uint64_t> number(const std::string& name, const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return bad("--" + name + " must be a whole number, not \"" + text + "\"");
  }
  return value;
}

// Applies one setting, named as a flag without its dashes ("log-level").
Status apply(DaemonConfig& c, const std::string& name, const std::string& value) {
  if (name == "data") {
    c.data = value;
  } else if (name == "cache-mb") {
    auto n = number(name, value);
    if (!n.ok()) return n.error();
    if (*n < kMinCacheMb || *n > kMaxCacheMb) {
      return bad("--cache-mb must be between " + std::to_string(kMinCacheMb) + " and " +
                 std::to_string(kMaxCacheMb) + " (MiB)");
    }
    c.cache_mb = *n;
  } else if (name == "listen") {
    c.server.listen = value;
  } else if (name == "publish") {
    c.server.publish = value;
  } else if (name == "http") {
    if (value != kHttpNone) {
      Status s = check_http_listen(value);
      if (!s.ok()) return s;
    }
    c.http.listen = value;
  } else if (name == "web-root") {
    c.http.web_root = value;
  } else if (name == "ready-file") {
    c.ready_file = value;
  } else if (name == "log") {
    if (value != "embedded" && value != "kafka") {
      return bad("--log must be embedded or kafka, not \"" + value + "\"");
    }
    c.kafka_log = value == "kafka";
  } else if (name == "tmall-topic" || name == "jd-topic" || name == "gree-mall-topic") {
    if (value.empty()) return bad("--" + name + " needs a topic name");
    const std::string platform_name = name.substr(0, name.size() - std::string("-topic").size());
    auto platform = parse_platform(platform_name == "gree-mall" ? "gree_mall" : platform_name);
    auto& topics = c.connectors.topics;
    std::erase_if(topics, [&](const auto& t) { return t.platform == *platform; });
    topics.push_back({*platform, value});
  } else if (name == "fallback-unit") {
    if (value.empty()) return bad("--fallback-unit needs a unit's number");
    c.connectors.mapping.fallback_unit = UnitId(value);
  } else if (name == "peers") {
    c.peers.clear();
    std::stringstream list(value);
    for (std::string endpoint; std::getline(list, endpoint, ',');) {
      if (endpoint.rfind("tcp://", 0) != 0 || endpoint.find('*') != std::string::npos) {
        return bad("--peers takes the nodes' request endpoints as tcp://HOST:PORT, not \"" +
                   endpoint + "\"");
      }
      c.peers.push_back(endpoint);
    }
    if (c.peers.empty()) return bad("--peers needs at least one endpoint");
  } else if (name == "forward-timeout") {
    auto n = number(name, value);
    if (!n.ok()) return n.error();
    if (*n < 100 || *n > 600000) return bad("--forward-timeout must be between 100 and 600000 ms");
    c.forward_timeout_ms = static_cast<int>(*n);
  } else if (name == "cluster-key-file") {
    auto key = read_cluster_key(value);
    if (!key.ok()) return bad(key.error().message);
    c.service.cluster_key = std::move(*key);
  } else if (kafka::is_kafka_setting(name)) {
    return kafka::apply_kafka_setting(c.kafka, name, value);
  } else if (name == "log-level") {
    auto level = parse_log_level(value);
    if (!level) return bad("--log-level must be error, warn, info or debug, not \"" + value + "\"");
    c.log_level = *level;
  } else if (name == "workers") {
    auto n = number(name, value);
    if (!n.ok()) return n.error();
    if (*n == 0 || *n > 1024) return bad("--workers must be between 1 and 1024");
    c.server.workers = *n;
  } else if (name == "session-ttl") {
    auto n = number(name, value);
    if (!n.ok()) return n.error();
    if (*n == 0) return bad("--session-ttl must be at least 1 second");
    c.service.session_ttl = std::chrono::seconds(*n);
  } else if (name == "password-hashing") {
    if (value == "interactive") {
      c.service.hash_cost = accounts::HashCost::interactive;
    } else if (value == "minimum") {
      c.service.hash_cost = accounts::HashCost::minimum;
    } else {
      return bad("--password-hashing must be interactive or minimum, not \"" + value + "\"");
    }
  } else {
    return bad("unknown setting \"" + name + "\"");
  }
  return Status::success();
}

Status read_file(DaemonConfig& c, const std::string& path) {
  std::ifstream in(path);
  if (!in) return bad("cannot read the configuration file " + path);
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return bad("the configuration file " + path + " is not a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    std::string name = key;
    for (char& ch : name) {
      if (ch == '_') ch = '-';
    }
    if (name == "config" || name == "help") return bad(path + ": \"" + key + "\" is a flag only");
    std::string text_value;
    if (value.is_string()) {
      text_value = value.get<std::string>();
    } else if (value.is_number_unsigned()) {
      text_value = std::to_string(value.get<std::uint64_t>());
    } else {
      return bad(path + ": \"" + key + "\" must be a string or a whole number");
    }
    Status s = apply(c, name, text_value);
    if (!s.ok()) return bad(path + ": " + s.error().message);
  }
  return Status::success();
}

}  // namespace

Result<DaemonConfig> parse_config(int argc, char** argv) {
  // Flags as (name, value) pairs, in order; --config is read first so flags override it.
  std::vector<std::pair<std::string, std::string>> flags;
  DaemonConfig c;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      c.help = true;
      return c;
    }
    if (arg.rfind("--", 0) != 0) return bad("unexpected argument \"" + arg + "\"");
    std::string name = arg.substr(2), value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return bad("--" + name + " needs a value");
    }
    flags.emplace_back(name, value);
  }
  for (const auto& [name, value] : flags) {
    if (name != "config") continue;
    Status s = read_file(c, value);
    if (!s.ok()) return s.error();
  }
  for (const auto& [name, value] : flags) {
    if (name == "config") continue;
    Status s = apply(c, name, value);
    if (!s.ok()) return s.error();
  }
  if (!c.peers.empty() && !c.kafka_log) {
    return bad(
        "--peers is for the nodes of a shared log (--log kafka); an embedded store has "
        "one node");
  }
  if (!c.peers.empty() && c.service.cluster_key.empty()) {
    return bad(
        "--peers needs --cluster-key-file: peers take forwarded commands only when signed "
        "with the key they share");
  }
  return c;
}

}  // namespace dispatch::daemon
