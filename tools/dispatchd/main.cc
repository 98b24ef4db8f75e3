// dispatchd: the engine as a service. See `dispatchd --help` and README.md ("dispatchd").
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "connectors/ingest.h"
#include "connectors/kafka_source.h"
#include "engine/kafka/node.h"
#include "tools/dispatchd/config.h"
#include "tools/dispatchd/forward.h"
#include "tools/dispatchd/http.h"
#include "tools/dispatchd/loans.h"
#include "tools/dispatchd/log.h"
#include "tools/dispatchd/server.h"
#include "tools/dispatchd/service.h"

namespace {
using namespace dispatch;
using namespace dispatch::daemon;

std::atomic<bool> g_stop{false};

// Writes {"listen", "publish", "http", "pid"} once every endpoint is bound, for scripts and tests
// that start the daemon on free ports ("tcp://127.0.0.1:*", "127.0.0.1:0"); "http" is the URL of
// the HTTP server, absent when it is off.
bool write_ready_file(const std::string& path, const Server& server, const HttpServer* http) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    nlohmann::json ready{{"listen", server.listen_endpoint()},
                         {"publish", server.publish_endpoint()},
                         {"pid", ::getpid()}};
    if (http != nullptr) ready["http"] = http->url();
    out << ready.dump() << '\n';
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto config = parse_config(argc, argv);
  if (!config.ok()) {
    std::cerr << "dispatchd: " << config.error().message << " (see dispatchd --help)\n";
    return 2;
  }
  if (config->help) {
    std::cout << daemon_help();
    return 0;
  }
  set_log_level(config->log_level);

  // Signals are taken by one thread with sigwait, so no other thread is interrupted mid-call.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread waiter([&signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    log(LogLevel::info,
        std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + "; shutting down");
    g_stop = true;
  });
  waiter.detach();

  // With --log kafka the engine belongs to a Kafka node, which opens only once its replica has
  // caught up with the topic, so the first answers are current.
  std::unique_ptr<kafka::KafkaNode> node;
  std::unique_ptr<Engine> embedded;
  // With connector topics, the embedded engine shares its store with the connectors' state.
  std::unique_ptr<connectors::ConnectorSession> with_connectors;
  const bool has_connectors = !config->connectors.topics.empty();
  EngineOptions engine_options;
  engine_options.cache_bytes = config->cache_mb << 20;
  if (has_connectors && config->kafka_log) {
    log(LogLevel::error,
        "connector topics need the embedded log: the connectors' state (the shop orders seen, "
        "the dead letters) is kept in one node's store, which a Kafka log does not replicate");
    return 2;
  }
  if (config->kafka_log) {
    log(LogLevel::info, "the log is Kafka topic " + config->kafka.topic + " at " +
                            config->kafka.brokers + "; this is node " + config->kafka.node);
    config->kafka.elect = true;  // the nodes of the group elect the one that decides
    auto opened = kafka::KafkaNode::open(
        config->data, config->kafka, engine_options,
        [](const std::string& note) { log(LogLevel::info, note); }, &g_stop);
    if (!opened.ok()) {
      log(LogLevel::error, "cannot serve " + config->data + " as a node of Kafka topic " +
                               config->kafka.topic + ": " + opened.error().message);
      return 1;
    }
    node = std::move(opened.value());
  } else if (has_connectors) {
    auto opened = connectors::open_connector_session(config->data, engine_options);
    if (!opened.ok()) {
      log(LogLevel::error, "cannot use the store " + config->data + ": " + opened.error().message);
      return 1;
    }
    with_connectors = std::move(opened.value());
  } else {
    auto opened = Engine::open(config->data, engine_options);
    if (!opened.ok()) {
      log(LogLevel::error, "cannot use the store " + config->data + ": " + opened.error().message);
      return 1;
    }
    embedded = std::move(opened.value());
  }
  Engine& engine = node ? node->engine() : with_connectors ? *with_connectors->engine : *embedded;
  // Started once serving, so its progress shows in `health` from the first answer.
  std::unique_ptr<connectors::KafkaSource> source;
  std::unique_ptr<Forwarder> forwarder;
  std::unique_ptr<Loans> loans;  // with --deciding partitions and --peers
  if (node) {
    config->service.may_decide = [&node](const Command& command) {
      return node->engine().may_decide(command);
    };
    if (!config->peers.empty()) {
      forwarder = std::make_unique<Forwarder>(config->peers, config->service.cluster_key,
                                              config->kafka.node, config->forward_timeout_ms);
      config->service.forward = [&forwarder, &node](const nlohmann::json& command,
                                                    const std::string& why) {
        return forwarder->forward(command, why, node->engine().last_on_chain(0).value());
      };
      config->http.photo_from_peers = [&forwarder](std::string_view ref) {
        return forwarder->photo(ref);
      };
      if (config->kafka.deciding == kafka::Deciding::partitions) {
        loans = std::make_unique<Loans>(*node, *forwarder);
        config->service.borrow_and_execute = [&loans](const Command& command) {
          return loans->execute(command);
        };
        config->service.lend = [&loans](const nlohmann::json& loan) { return loans->lend(loan); };
        config->service.take_back = [&loans](const nlohmann::json& loan) {
          return loans->take_back(loan);
        };
      }
    }
  }
  config->service.photos_dir = config->data + "/photos";
  config->service.health_details = [&] {
    nlohmann::json details = nlohmann::json::object();
    if (node) {
      details["node"] = {{"name", config->kafka.node},
                         {"deciding", node->deciding()},
                         {"partitions", node->deciding_partitions()}};
      if (forwarder) details["node"]["last_decider"] = forwarder->last_decider();
    }
    if (has_connectors) {
      details["connectors"] = source ? source->status() : nlohmann::json::array();
    }
    return details;
  };
  std::atomic<int> code{0};
  // A node whose replica stopped following the topic must not answer as if it did.
  std::jthread watchdog([&](std::stop_token stop) {
    while (node && !g_stop && !stop.stop_requested()) {
      if (auto failure = node->replicator().failure()) {
        log(LogLevel::error, "stopping: " + failure->message);
        code = 1;
        g_stop = true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  });
  {
    Service service(engine, config->service);
    auto server = Server::start(engine, service, config->server);
    if (!server.ok()) {
      log(LogLevel::error, server.error().message);
      return 1;
    }
    std::unique_ptr<HttpServer> http;
    if (config->http.listen != kHttpNone) {
      auto started = HttpServer::start(engine, service, config->http, config->data);
      if (!started.ok()) {
        log(LogLevel::error, started.error().message);
        return 1;
      }
      http = std::move(*started);
      log(LogLevel::info, "http on " + http->url());
    }
    if (has_connectors) {
      auto options = config->connectors;
      options.kafka = config->kafka;
      source = std::make_unique<connectors::KafkaSource>(
          engine, *with_connectors->store, std::move(options),
          [](const std::string& note) { log(LogLevel::info, note); });
    }
    LogHead head = engine.head();
    log(LogLevel::info, "serving " + config->data + " (log at position " +
                            std::to_string(head.position.value()) + ") on " +
                            (*server)->listen_endpoint() + ", notices on " +
                            (*server)->publish_endpoint());
    if (!config->ready_file.empty() &&
        !write_ready_file(config->ready_file, **server, http.get())) {
      log(LogLevel::error, "cannot write " + config->ready_file);
      code = 1;
      g_stop = true;
    }
    (*server)->run(g_stop);
    source.reset();  // finishes the batch in hand, whose offsets are then stored
  }
  watchdog.request_stop();
  watchdog.join();
  node.reset();  // each finishes what was submitted; everything acknowledged is durable
  embedded.reset();
  with_connectors.reset();
  log(LogLevel::info, "stopped");
  return code;
}
