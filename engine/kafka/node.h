// One node of a deployment whose log is a Kafka topic: the publisher, the engine over this node's
// replica store, the replicator and (for dispatchd) its election as the deciding node, opened in
// that order; the election is closed after the engine, so nothing decides once it is gone.
// dispatchd serves one; dispatchctl opens one for local work against the topic (such as
// admin-password).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/kafka/kafka_log.h"
#include "engine/kafka/replicator.h"

namespace dispatch::kafka {

// Copies the topic as it is now into a new store in `dir`, checking every record as a replica
// does, without a producer: nothing is written to the topic and no node is fenced. For audits,
// which then read the copy. The partition count is the topic's. Errors: `not_found` without the
// topic, `unavailable` when Kafka cannot be reached, and the first record refused (`invalid` or
// `conflict`, naming its partition and offset).
Status copy_topic(const std::string& dir, KafkaOptions options, Replicator::Note note = {});

class KafkaNode {
 public:
  // Opens the node over the store in `dir` and returns once the replica holds everything the
  // topic held at open, or `cancel` became true (then `unavailable`). Errors: those of
  // KafkaPublisher::open, Engine::open and Replicator::start, and the replicator's failure.
  // `options.publisher` is set here. With `kafka.elect` it joins the deciders' group once caught
  // up and waits (at most twice kafka.timeout) for the group to say whether it decides.
  static Result<std::unique_ptr<KafkaNode>> open(const std::string& dir, const KafkaOptions& kafka,
                                                 EngineOptions options = {},
                                                 Replicator::Note note = {},
                                                 const std::atomic<bool>* cancel = nullptr);
  ~KafkaNode();
  KafkaNode(const KafkaNode&) = delete;
  KafkaNode& operator=(const KafkaNode&) = delete;

  Engine& engine() { return *engine_; }
  const Replicator& replicator() const { return *replicator_; }
  const KafkaPublisher& publisher() const { return *publisher_; }
  // Whether this node decides commands now: without KafkaOptions::elect always (Deciding::one)
  // or never (Deciding::partitions), otherwise while the deciders' group gives it something to
  // decide (kafka_log.h).
  bool deciding() const;
  // The partitions whose commands this node decides now, in order.
  std::vector<std::uint32_t> deciding_partitions() const;

  // Loans of partitions between the nodes of a group deciding per partition (Election), so that
  // one node decides a batch whose orders lie with two. The heads are where each partition's
  // chain ends (Engine::last_on_chain).
  struct Loan {
    std::set<std::uint32_t> partitions;
    std::map<std::uint32_t, std::uint64_t> heads;
    std::uint64_t epoch = 0;  // the lender's Election::epoch when it lent
  };
  // Lender: stops deciding those of `partitions` this node decides (at least one), waits for the
  // batch it is deciding, and says where their chains end. `unavailable` when it decides none of
  // them, has lent them already, or must catch up with the topic first.
  Result<Loan> lend(const std::set<std::uint32_t>& partitions);
  // Lender, once the borrower gave `loan` back at `heads`: decides them again once this replica
  // has the borrower's records up to there (or, after the Kafka timeout, once it has caught up
  // with the topic anew).
  void take_back(const Loan& loan, const std::map<std::uint32_t, std::uint64_t>& heads);
  // Borrower: decides `partitions` once this replica has their records up to `heads`, unless the
  // group reassigned since `epoch` (this node's, read before the loan was asked for).
  // `unavailable` otherwise, deciding nothing more.
  Status borrow(const std::set<std::uint32_t>& partitions,
                const std::map<std::uint32_t, std::uint64_t>& heads, std::uint64_t epoch);
  // Borrower: stops deciding borrowed `partitions`, waits for the batch it is deciding and for
  // the outcome of a batch that failed to be known (the node catches up), and says where their
  // chains end; nullopt when that outcome could not be known within the Kafka timeout (the loan
  // is then left to end with the next reassignment).
  std::optional<std::map<std::uint32_t, std::uint64_t>> give_back(
      const std::set<std::uint32_t>& partitions);
  // This node's Election::epoch (0 without an election).
  std::uint64_t epoch() const;

 private:
  KafkaNode() = default;

  std::shared_ptr<KafkaPublisher> publisher_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Replicator> replicator_;
  std::unique_ptr<Election> election_;       // with KafkaOptions::elect
  std::chrono::milliseconds timeout_{5000};  // KafkaOptions::timeout
  std::string name_;                         // KafkaOptions::node
};

}  // namespace dispatch::kafka
