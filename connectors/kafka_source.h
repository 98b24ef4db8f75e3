// Shop-order payloads from Kafka topics, one per platform, into work orders (connectors/ingest.h)
// inside dispatchd.
//
// Each topic is read by a thread of its own, every partition from the offset stored beside the
// connector state (ConnectorStore::consumed_offsets), with isolation.level=read_committed. A batch
// of records goes through Ingestor::ingest_many; only once every effect of it is durable (the
// engine's events, the shop-order snapshots, the dead letters) are the partitions' next offsets
// written, in one synced write, which also makes the snapshots written before it durable. A crash
// in between makes the batch be read again, and that changes nothing: its commands carry
// deterministic ids and are answered as duplicates, its snapshots are not newer than the stored
// ones, and its dead letters are stored once per topic, partition and offset. So no payload is
// lost and none takes effect twice.
//
// A payload that cannot be parsed or mapped is a dead letter (source "kafka:TOPIC/PARTITION",
// line = its offset) and reading goes on. When the store or the brokers fail, the thread says
// why (status(), the note), waits a second and reads again from the stored offsets. A topic that
// does not exist yet is waited for.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "connectors/ingest.h"
#include "engine/kafka/kafka_log.h"

namespace dispatch::connectors {

struct ConnectorTopic {
  Platform platform = Platform::tmall;
  std::string topic;
};

struct KafkaSourceOptions {
  kafka::KafkaOptions kafka;  // brokers, node and timeout; `topic` and `partitions` are unused
  std::vector<ConnectorTopic> topics;
  MappingConfig mapping;
  std::size_t batch = 512;  // records handed to the ingestor at most at once
};

class KafkaSource {
 public:
  using Note = std::function<void(const std::string&)>;

  // Starts one reading thread per topic. `engine` and `store` outlive the source. `note` hears
  // of topics found and of failures (from the reading threads).
  KafkaSource(Engine& engine, ConnectorStore& store, KafkaSourceOptions options, Note note = {});
  // Stops reading; a batch being ingested is finished first.
  ~KafkaSource();
  KafkaSource(const KafkaSource&) = delete;
  KafkaSource& operator=(const KafkaSource&) = delete;

  // Per topic: {"platform", "topic", "state" ("waiting for topic", "reading", "failing"),
  // "next_offsets" {partition: offset}, "consumed" (records read and done), "lag" (records in
  // the topic not yet done, as of the last look at its end; absent before one), "counts"
  // (IngestCounts), "error" (the last failure, while failing)}.
  nlohmann::json status() const;

 private:
  struct Reader;
  void run(Reader& reader, const std::stop_token& stop);

  Engine& engine_;
  ConnectorStore& store_;
  KafkaSourceOptions options_;
  Note note_;
  mutable std::mutex mutex_;  // guards each Reader's status fields
  std::vector<std::unique_ptr<Reader>> readers_;
  std::vector<std::jthread> threads_;
};

}  // namespace dispatch::connectors
