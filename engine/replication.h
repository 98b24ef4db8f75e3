// The seam between the engine and a shared log that outlives any one node (Apache Kafka, in
// engine/kafka/). The engine decides a batch and stages its records as for the embedded log
// (engine/log.h, partitioned layout); a LogPublisher makes them durable in the shared log, all or
// none, before the engine writes them to its own store. Records that other nodes published come
// back to every node as ReceivedRecords, which Engine::receive applies in partition order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/log.h"
#include "engine/status.h"

namespace dispatch {

// One event's record as the shared log holds it: its value is exactly the record the store keeps
// in Space::log (the event's JSON with prev_hash and hash), its key the event's stream, and its
// headers name the event type and the command that made it, and where the organisation's chain
// (chain 0) stood when it was decided.
//
// Why org_head: an order's projections depend on the organisation (a unit's ancestors count its
// orders), and partitions reach a replica each at its own pace. A replica applies a record only
// once its chain 0 has reached the record's org_head, so every node sees the organisation a
// decision saw before it sees the decision.
struct PublishedRecord {
  std::uint32_t partition = 0;
  std::string key;    // the stream id
  std::string value;  // the log record
  std::string type;   // the event type
  std::string command_id;
  std::uint64_t org_head = 0;  // the position of chain 0's last record when it was decided
  // Only on PasswordChanged: the new password's argon2id hash, which the event's JSON never holds
  // (engine/accounts.h) but every node needs to check a login.
  std::optional<std::string> password_hash;
};

struct ReceivedRecord {
  std::uint32_t partition = 0;
  std::int64_t offset = 0;  // in its partition
  std::string value;
  std::uint64_t org_head = 0;
  std::optional<std::string> password_hash;
};

class LogPublisher {
 public:
  virtual ~LogPublisher() = default;

  // The layout of positions and chains of the shared log; fixed for the life of a store.
  virtual LogLayout layout() const = 0;
  // What the shared log is (e.g. "kafka topic dispatch.events"): recorded in a store the first time
  // it is used, and a store that recorded another is refused.
  virtual std::string name() const = 0;
  // Whether this node may decide commands now (a Kafka node decides only while elected, see
  // engine/kafka/kafka_log.h); `unavailable`, saying why, when it may not.
  virtual Status may_decide() const { return Status::success(); }
  // Whether this node may decide commands whose events go to `partition` of the layout now
  // (several Kafka nodes may each decide on some partitions); `unavailable`, saying why, when it
  // may not. Implies may_decide().
  virtual Status may_decide_on(std::uint32_t) const { return may_decide(); }
  // Makes `records` durable in the shared log, all of them or none, and returns only then.
  // `unavailable` when that could not be done in time; the outcome may then be unknown (a commit
  // that timed out), so the caller must catch up with the shared log before deciding again.
  virtual Status publish(const std::vector<PublishedRecord>& records) = 0;
  // Ensures nothing this node published earlier is still undecided in the shared log, so that
  // its end, measured next, includes every batch this node will ever see acknowledged.
  // `unavailable` while that cannot be done.
  virtual Status settle() { return Status::success(); }
};

}  // namespace dispatch
