// dispatchd's settings: defaults, then a JSON configuration file (--config FILE), then flags.
#pragma once

#include <string>
#include <vector>

#include "connectors/kafka_source.h"
#include "engine/kafka/kafka_log.h"
#include "engine/status.h"
#include "engine/store/rocks_kv.h"
#include "tools/dispatchd/http.h"
#include "tools/dispatchd/log.h"
#include "tools/dispatchd/server.h"
#include "tools/dispatchd/service.h"

namespace dispatch::daemon {

struct DaemonConfig {
  std::string data = "./var";
  std::size_t cache_mb = kDefaultCacheBytes >> 20;  // --cache-mb: the store's block cache
  ServerOptions server;
  ServiceOptions service;
  HttpOptions http;  // http.listen == kHttpNone: no HTTP server
  LogLevel log_level = LogLevel::info;
  std::string ready_file;  // written once serving; empty: none
  bool kafka_log = false;  // --log kafka: the store is a replica of a Kafka topic
  kafka::KafkaOptions kafka{.node = kafka::default_node_name()};
  // The other nodes' request endpoints (--peers), to which commands are forwarded while this node
  // does not decide (forward.h); they need a cluster key (service.cluster_key).
  std::vector<std::string> peers;
  // How long a forwarded command waits for a peer's answer before the next peer is asked. Shorter
  // than a client's own wait (dispatch_wire_load's is 5 s), so that while the decider is dead the
  // client hears `unavailable` from this node and goes on, rather than timing out here too.
  int forward_timeout_ms = 3000;
  // Shop-order topics read at --brokers (connectors/kafka_source.h); none: no connector runs.
  // The source's `kafka` options are this config's, set when it starts.
  connectors::KafkaSourceOptions connectors;
  bool help = false;
};

// The text of dispatchd --help.
std::string daemon_help();

// Reads the flags (and the file --config names). `invalid` with a sentence for an unknown flag or
// key, a missing value, or a value of the wrong kind.
Result<DaemonConfig> parse_config(int argc, char** argv);

}  // namespace dispatch::daemon
