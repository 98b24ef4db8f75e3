// Apache Kafka as the shared log (engine/replication.h), through librdkafka.
//
// The topic holds one record per event: the value is the log record exactly as a store keeps it
// (schemas/README.md), the key the event's stream, the headers `type`, `command_id` and, on
// PasswordChanged only, `password_hash`. Its partitions are the chains of LogLayout: partition 0
// holds the organisation's streams, an order's stream is in LogLayout::partition_of.
//
// KafkaPublisher writes each batch in one Kafka transaction with an idempotent producer and
// acks=all, so a batch is in the topic whole or not at all, and a retried send is never written
// twice. KafkaReader reads every partition with isolation.level=read_committed, so aborted batches
// are never seen. Whatever a node commits to a partition must have been decided on everything
// committed to it before, so each partition has one writer at a time; how that is kept depends on
// KafkaOptions::deciding.
//
// Which node decides: dispatchd nodes (KafkaOptions::elect) join the consumer group
// "dispatch.<topic>.deciders", which assigns the topic's partitions among them. A node that gains
// partitions reads the topic to its end before it decides again (Election, Replicator); one that
// loses them stops deciding on them at once. When a node dies, the group gives its partitions to
// the survivors once its session expires (6 s).
//
// Deciding::one (the default): the member assigned partition 0 decides every command; the others
// serve reads and answer commands `unavailable`. All nodes' producers share one transactional id,
// so a node that starts a producer fences every other node's, whose next batch fails and makes it
// catch up. Nodes that do not elect (dispatchctl) decide whenever asked, fencing whichever node
// decided before, which then catches up and takes over again on its next batch.
//
// Deciding::partitions: each member decides the commands whose events go to the partitions it is
// assigned (an order's partition; partition 0 for the organisation and accounts), so several nodes
// decide at once. Each node's producer has a transactional id of its own, and each transaction
// also commits the deciders' group offsets of the partitions it wrote, with the group metadata
// taken when the node checked that it owns them (KIP-447): a node that lost them since is refused
// by the group's coordinator and its transaction is aborted. Its records are flushed before that
// commit, so a transaction that passes it is in the partition before the next owner measures where
// the partition ends, and that owner's read_committed reader waits for its outcome. A command
// (such as a batch) whose orders lie in partitions of different nodes is answered `unavailable`,
// naming them: a batch applies to all or none, and no one transaction can span two nodes. Nodes
// that do not elect decide nothing in this mode.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/replication.h"
#include "engine/status.h"

struct rd_kafka_s;
struct rd_kafka_consumer_group_metadata_s;

namespace dispatch::kafka {

// How the nodes of a topic share the deciding (see above). Every node of a topic must be given
// the same.
enum class Deciding { one, partitions };

struct KafkaOptions {
  std::string brokers = "127.0.0.1:9092";  // bootstrap servers, comma-separated
  std::string topic = "dispatch.events";
  // Created with this many partitions when missing; an existing topic must have as many.
  std::uint32_t partitions = 8;
  int replication_factor = 1;  // when the topic is created
  // This node's name, in its Kafka client ids; unique among the nodes.
  std::string node = "node-1";
  // How long a batch may take to reach the topic before its commands are `unavailable`.
  std::chrono::milliseconds timeout{5000};
  // Decide only while elected (see above): for long-running nodes sharing the work.
  bool elect = false;
  Deciding deciding = Deciding::one;
};

// The node name to use when none is configured: the host's name.
std::string default_node_name();

// The settings of KafkaOptions as flags and configuration keys name them (without dashes):
// brokers, topic, partitions, replication-factor, node, kafka-timeout (milliseconds), deciding
// (one or partitions).
bool is_kafka_setting(std::string_view name);
// Sets one of them from its text. `invalid` with a sentence naming the flag when the value is
// empty, not a whole number where one is needed, or out of range.
Status apply_kafka_setting(KafkaOptions& options, std::string_view name, const std::string& value);
// The help lines of those flags, for the tools that take them.
extern const char* const kKafkaSettingsHelp;

// The topic's partition count. `unavailable` when the brokers cannot be reached, `not_found`
// when there is no such topic.
Result<std::uint32_t> topic_partitions(const KafkaOptions& options);

// Creates the topic when it is missing and checks its partition count. `unavailable` when the
// brokers cannot be reached in time; `invalid` when the topic has another partition count or the
// options are out of range (partitions 1..256).
Status ensure_topic(const KafkaOptions& options);

// The name of a node deciding the topic now with the other Deciding than `options` (a member of
// the deciders' group), or nullopt. `unavailable` when Kafka cannot be asked.
Result<std::optional<std::string>> running_deciders_of_another_mode(const KafkaOptions& options);

// This node's membership of the deciders' group (see above). Thread-safe.
class Election {
 public:
  using Note = std::function<void(const std::string&)>;
  // Joins the group. `gained` runs when this node is assigned partitions to decide on, before
  // owns() turns true for them: the node must then catch up (Engine::require_catch_up). Errors:
  // `invalid` for a refused setting, or when members of the group decide with another Deciding
  // (running_deciders_of_another_mode); `unavailable` when Kafka cannot be asked.
  static Result<std::unique_ptr<Election>> start(const KafkaOptions& options,
                                                 std::function<void()> gained, Note note = {});
  // Leaves the group, so others take over at once rather than after the session timeout.
  ~Election();
  Election(const Election&) = delete;
  Election& operator=(const Election&) = delete;

  // Whether this node decides on some partition now.
  bool deciding() const { return deciding_; }
  // Whether this node decides the commands whose events go to `partition` now: with
  // Deciding::one every partition while it holds partition 0, with Deciding::partitions those the
  // group assigned it.
  bool owns(std::uint32_t partition) const;
  // The partitions owns() is true for, in order.
  std::vector<std::uint32_t> owned() const;
  // With Deciding::partitions: the group's metadata for a transaction on `partitions`, taken while
  // this node owns them all; nullptr when it does not. The caller destroys it
  // (rd_kafka_consumer_group_metadata_destroy).
  rd_kafka_consumer_group_metadata_s* claim(const std::set<std::uint32_t>& partitions) const;
  // Whether the group has assigned this node its partitions at least once (with or without
  // any to decide on): until then no node may be known to decide.
  bool settled() const { return settled_; }
  // How many times this node gained partitions: a producer of an earlier term may have been
  // fenced, so it is made anew.
  std::uint64_t term() const { return term_; }

  // Loans (Deciding::partitions), so that one node decides a batch whose orders lie in the
  // partitions of two: the lender stops deciding some of its partitions and the borrower decides
  // them until it gives them back. A reassignment by the group ends every loan, which is safe
  // because every node then catches up before it decides again.
  // Changes whenever the group assigns or revokes.
  std::uint64_t epoch() const;
  // Stops deciding `partitions`: all assigned to this node, decided by it and lent to no one.
  // False, changing nothing, otherwise. A loan not taken back within six Kafka timeouts (longer
  // than a borrower may take) makes this node leave the group and join it again, so that the
  // reassignment ends it: a borrower that is gone, or whose giving back was lost, does not keep
  // the partitions from being decided.
  bool lend(const std::set<std::uint32_t>& partitions);
  // Decides lent `partitions` again, unless the group has reassigned since `epoch` (lend's).
  void take_back(const std::set<std::uint32_t>& partitions, std::uint64_t epoch);
  // Decides `partitions`, which this node does not decide now, unless the group has reassigned
  // since `epoch` (read before the loan was asked for); false, changing nothing, then.
  bool borrow(const std::set<std::uint32_t>& partitions, std::uint64_t epoch);
  // Stops deciding borrowed `partitions` (not those assigned to it).
  void give_back(const std::set<std::uint32_t>& partitions);

 private:
  Election(KafkaOptions options, std::function<void()> gained, Note note);
  void run();
  Status subscribe();
  // Whether a loan has waited too long to be taken back (see lend).
  bool loan_overdue() const;
  void assigned(const std::vector<std::uint32_t>& partitions);
  void revoked();
  friend struct ElectionCallbacks;

  KafkaOptions options_;
  std::function<void()> gained_;
  Note note_;
  rd_kafka_s* consumer_ = nullptr;
  mutable std::mutex owned_mutex_;  // owned_ against claim()
  std::vector<bool> owned_;         // per partition: decided now
  std::vector<bool> assigned_;      // per partition: given by the group (Deciding::partitions)
  std::uint64_t epoch_ = 0;
  // Since when some partition assigned to this node has been lent.
  std::optional<std::chrono::steady_clock::time_point> lent_since_;
  std::atomic<bool> deciding_{false};
  std::atomic<bool> settled_{false};
  std::atomic<std::uint64_t> term_{0};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

class KafkaPublisher : public LogPublisher {
 public:
  // Ensures the topic and, unless options.elect, starts the transactional producer (an electing
  // node starts one only while it decides). A node that does not elect decides nothing with
  // Deciding::partitions, nor with Deciding::one while nodes deciding per partition run. Errors as
  // ensure_topic, and `unavailable` when the producer cannot be initialised in time.
  static Result<std::unique_ptr<KafkaPublisher>> open(const KafkaOptions& options);
  ~KafkaPublisher() override;

  // The election this publisher follows (options.elect): it decides only while elected. Until
  // one is set, an electing publisher decides nothing. `election` outlives the publisher's use.
  void follow(const Election* election) { election_ = election; }

  LogLayout layout() const override { return LogLayout{options_.partitions}; }
  std::string name() const override { return "kafka topic " + options_.topic; }
  Status may_decide() const override;
  Status may_decide_on(std::uint32_t partition) const override;
  Status publish(const std::vector<PublishedRecord>& records) override;
  // Ensures no transaction of this node is open: after a failed publish whose abort failed too,
  // the producer is made anew (which aborts or completes the old transaction at the broker). An
  // electing node holds a producer only while it decides, and one of its current term.
  // `unavailable` while the brokers cannot be reached.
  Status settle() override;

  // What this publisher's committed transactions carried since it opened: for benchmarks, which
  // compare a durable unit of Kafka's with one of a bare store.
  struct Committed {
    std::uint64_t transactions = 0;
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;  // of the records' values
  };
  Committed committed() const { return {transactions_.load(), records_.load(), bytes_.load()}; }

 private:
  explicit KafkaPublisher(KafkaOptions options) : options_(std::move(options)) {}
  Status settle_locked();
  // `patient`: retry a broker's passing refusals for a few timeouts, not one.
  Status start_producer(bool patient);
  // While an offsets call still runs, the producer goes to that call, which destroys it at its end.
  void drop_producer();
  // Ends a failed transaction; drops the producer when that fails too. While an offsets call
  // still runs, nothing: settle_locked ends the transaction once the call has ended.
  void abandon_transaction();
  // Deciding::partitions: flushes the transaction's records, then commits the deciders' group
  // offsets of `partitions` in it with `group` (see above), which it takes. `unavailable` when
  // the group refused, or when its coordinator has not answered by `deadline`: the call then
  // goes on without the batch (offsets_call_).
  Status fence_transaction(const std::set<std::uint32_t>& partitions,
                           rd_kafka_consumer_group_metadata_s* group,
                           std::chrono::steady_clock::time_point deadline);
  // `unavailable` while the offsets call of a refused batch still runs; once it has ended,
  // abandons that batch's transaction.
  Status end_offsets_call();
  friend struct PublisherCallbacks;
  struct OffsetsCall;

  KafkaOptions options_;
  std::atomic<const Election*> election_{nullptr};
  std::string refusal_;  // why this node may decide nothing, if it may not
  std::mutex mutex_;     // publish and settle come from different threads
  rd_kafka_s* producer_ = nullptr;
  std::uint64_t producer_term_ = 0;  // the election term the producer was made in
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> bytes_{0};
  // Per partition, the offset after the last record this producer delivered (under mutex_).
  std::map<std::uint32_t, std::int64_t> delivered_;
  // librdkafka's send_offsets_to_transaction does not keep to its timeout while the group
  // coordinator is down: it waits for it to come back (librdkafka issue 5456, in 2.0.2 and still
  // open). So the call runs on a thread of its own, and a batch whose call has not ended by its
  // deadline is refused; the call keeps the producer, and every batch is refused, until it ends.
  std::shared_ptr<OffsetsCall> offsets_call_;  // under mutex_; null when no call is left running
};

class KafkaReader {
 public:
  // Reads every partition of the topic, each from its offset in `next_offsets` (from the
  // beginning when absent). Errors as ensure_topic.
  static Result<std::unique_ptr<KafkaReader>> open(
      const KafkaOptions& options, const std::map<std::uint32_t, std::int64_t>& next_offsets);
  ~KafkaReader();

  // Up to `max` committed records in each partition's order, waiting at most `wait` for the
  // first. `unavailable` on a fatal consumer error.
  Result<std::vector<ReceivedRecord>> poll(std::size_t max, std::chrono::milliseconds wait);
  // Asks the brokers where each partition ends now. `unavailable` when they cannot be reached.
  Result<std::map<std::uint32_t, std::int64_t>> end_offsets();
  // Whether this reader has read each partition up to `ends` (as end_offsets gave them),
  // counting transaction markers that end a partition as read.
  bool reached(const std::map<std::uint32_t, std::int64_t>& ends) const;
  // Stops fetching exactly the partitions in `paused` (the others are fetched again), so that
  // records which must wait do not pile up in memory.
  void pause_only(const std::set<std::uint32_t>& paused);

 private:
  explicit KafkaReader(KafkaOptions options) : options_(std::move(options)) {}

  KafkaOptions options_;
  rd_kafka_s* consumer_ = nullptr;
  // Per partition: the offset after the last record returned, or where the consumer last found
  // the partition's end, whichever is greater.
  std::map<std::uint32_t, std::int64_t> read_to_;
  std::set<std::uint32_t> paused_;
};

}  // namespace dispatch::kafka
