// Keeps a replica (an Engine with a KafkaPublisher) up to date with the topic: one thread reads
// every partition from the offsets the store has applied and hands the records to
// Engine::receive. Whenever the engine needs to catch up (at start, and after a publish failed),
// it settles the publisher, asks the brokers where each partition ends, reads up to there and
// then lets the engine decide again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "engine/kafka/kafka_log.h"

namespace dispatch::kafka {

class Replicator {
 public:
  // Told what the replicator does, for the daemon's log: progress while catching up, retries.
  using Note = std::function<void(const std::string&)>;

  // Starts reading. Errors as KafkaReader::open.
  static Result<std::unique_ptr<Replicator>> start(Engine& engine, LogPublisher& publisher,
                                                   const KafkaOptions& options, Note note = {});
  // Stops the thread (the engine must outlive the replicator).
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Waits until the engine no longer needs to catch up, or the replicator failed, or `timeout`
  // passed. The failure when it failed; `unavailable` when the time ran out.
  Status wait_caught_up(std::chrono::milliseconds timeout);
  // Why the replicator stopped (the store and the topic disagree, or the topic cannot be read);
  // nullopt while it runs. A node whose replicator stopped must stop serving.
  std::optional<Error> failure() const;

 private:
  Replicator(Engine& engine, LogPublisher& publisher, std::unique_ptr<KafkaReader> reader,
             Note note);
  void run();
  void fail(Error error);

  Engine& engine_;
  LogPublisher& publisher_;
  std::unique_ptr<KafkaReader> reader_;
  Note note_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Error> failure_;
  std::thread thread_;
};

}  // namespace dispatch::kafka
