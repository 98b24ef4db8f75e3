// KafkaPublisher (kafka_log.h): publishes the deciding node's batches as Kafka transactions.
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>

#include "engine/kafka/kafka_log.h"
#include "engine/kafka/librdkafka.h"

namespace dispatch::kafka {

using namespace detail;

Result<std::unique_ptr<KafkaPublisher>> KafkaPublisher::open(const KafkaOptions& options) {
  Status topic = ensure_topic(options);
  if (!topic.ok()) return topic.error();
  std::unique_ptr<KafkaPublisher> publisher(new KafkaPublisher(options));
  // An electing node has a producer only while it decides; without an election, a node of a
  // topic decided per partition decides nothing, and neither does one beside nodes that do.
  if (options.elect || options.deciding == Deciding::partitions) return publisher;
  auto other = running_deciders_of_another_mode(options);
  if (!other.ok()) return other.error();
  if (*other) {
    publisher->refusal_ = "dispatchd nodes of Kafka topic " + options.topic + " (such as " +
                          **other +
                          ") decide per partition; send commands to them, not through this node";
    return publisher;
  }
  Status started = publisher->start_producer(/*patient=*/true);
  if (!started.ok()) return started.error();
  return publisher;
}

Status KafkaPublisher::may_decide() const {
  if (!refusal_.empty()) return make_error(ErrorCode::unavailable, refusal_);
  if (!options_.elect && options_.deciding == Deciding::partitions) {
    return make_error(ErrorCode::unavailable,
                      "the nodes of Kafka topic " + options_.topic +
                          " decide per partition (--deciding partitions), and only dispatchd "
                          "nodes decide: send the command to one of them");
  }
  if (!options_.elect) return Status::success();
  const Election* election = election_;
  if (election != nullptr && election->deciding()) return Status::success();
  return make_error(ErrorCode::unavailable,
                    "node " + options_.node +
                        " does not decide commands now: another node of the group does, or one "
                        "is being elected; send the command to another node, or retry");
}

Status KafkaPublisher::may_decide_on(std::uint32_t partition) const {
  Status allowed = may_decide();
  if (!allowed.ok() || !options_.elect) return allowed;
  const Election* election = election_;
  if (election != nullptr && election->owns(partition)) return Status::success();
  return make_error(ErrorCode::unavailable,
                    "node " + options_.node + " does not decide partition " +
                        std::to_string(partition) + " of Kafka topic " + options_.topic +
                        " now: another node of the group does, or one is being chosen; send the "
                        "command to another node, or retry");
}

KafkaPublisher::~KafkaPublisher() { drop_producer(); }

// librdkafka's delivery reports reach the publisher through the opaque; they are served while
// the publishing thread flushes, under the publisher's mutex.
struct PublisherCallbacks {
  static void delivered(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* publisher = static_cast<KafkaPublisher*>(opaque);
    std::int64_t& next = publisher->delivered_[static_cast<std::uint32_t>(message->partition)];
    next = std::max(next, message->offset + 1);
  }
};

Status KafkaPublisher::start_producer(bool patient) {
  const int timeout = milliseconds(options_.timeout);
  // Deciding::one: one transactional id for the topic, so a node that starts (or starts again
  // after a failed batch) fences every other node's producer, and their next batch fails and
  // makes them catch up before deciding again. Deciding::partitions: one per node, fenced by the
  // deciders' group instead (see the header), so that several nodes may decide at once.
  const std::string transactional_id =
      options_.deciding == Deciding::one ? "dispatch." + options_.topic
                                         : "dispatch." + options_.topic + ".node." + options_.node;
  auto client = make_client(
      RD_KAFKA_PRODUCER, options_,
      {{"transactional.id", transactional_id},
       {"enable.idempotence", "true"},
       {"acks", "all"},
       {"linger.ms", "1"},
       {"message.timeout.ms", std::to_string(timeout)},
       // An unfinished transaction of a node that died holds readers back this long at most.
       {"transaction.timeout.ms", std::to_string(std::max(timeout, 10000))},
       {"allow.auto.create.topics", "false"}},
      [this](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_dr_msg_cb(conf, &PublisherCallbacks::delivered);
        rd_kafka_conf_set_opaque(conf, this);
      });
  if (!client.ok()) return client.error();
  // A broker that has just started answers "coordinator load in progress" for a while: at open
  // that is worth waiting for, a few times the timeout. Later (settle) the caller retries.
  const auto deadline = std::chrono::steady_clock::now() + (patient ? 6 : 1) * options_.timeout;
  while (rd_kafka_error_t* error = rd_kafka_init_transactions(*client, timeout)) {
    const bool again =
        rd_kafka_error_is_retriable(error) && std::chrono::steady_clock::now() < deadline;
    std::string why = take_message(error);
    if (again) continue;
    rd_kafka_destroy(*client);
    return unavailable("Kafka at " + options_.brokers + " did not start this node's producer", why);
  }
  producer_ = *client;
  return Status::success();
}

// A send_offsets_to_transaction running on a thread of its own (see offsets_call_).
struct KafkaPublisher::OffsetsCall {
  std::mutex mutex;
  std::condition_variable ended_signal;
  bool ended = false;
  std::optional<std::string> refusal;  // why the group refused the offsets, if it did
  // A producer the publisher gave up while the call ran: the call's thread destroys it.
  rd_kafka_t* orphan = nullptr;
};

namespace {
void destroy_producer(rd_kafka_t* producer) {
  rd_kafka_purge(producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_destroy(producer);
}
}  // namespace

void KafkaPublisher::drop_producer() {
  if (producer_ == nullptr) return;
  if (offsets_call_ != nullptr) {
    std::lock_guard lock(offsets_call_->mutex);
    if (!offsets_call_->ended) offsets_call_->orphan = std::exchange(producer_, nullptr);
  }
  offsets_call_.reset();
  if (producer_ != nullptr) destroy_producer(producer_);
  producer_ = nullptr;
}

Status KafkaPublisher::end_offsets_call() {
  if (offsets_call_ == nullptr) return Status::success();
  {
    std::lock_guard lock(offsets_call_->mutex);
    if (!offsets_call_->ended) {
      return make_error(ErrorCode::unavailable,
                        "node " + options_.node + "'s last transaction at Kafka topic " +
                            options_.topic +
                            " still waits for the deciders' group coordinator (is the broker "
                            "down?); retry");
    }
  }
  offsets_call_.reset();
  abandon_transaction();  // its batch was refused, so it must not be committed
  return Status::success();
}

void KafkaPublisher::abandon_transaction() {
  if (producer_ == nullptr || offsets_call_ != nullptr) return;
  if (rd_kafka_error_t* error =
          rd_kafka_abort_transaction(producer_, milliseconds(options_.timeout))) {
    rd_kafka_error_destroy(error);
    drop_producer();
  }
}

Status KafkaPublisher::settle() {
  std::lock_guard lock(mutex_);
  return settle_locked();
}

Status KafkaPublisher::settle_locked() {
  Status ended = end_offsets_call();
  if (!ended.ok()) return ended;
  if (options_.elect) {
    const Election* election = election_;
    if (election == nullptr || !election->deciding()) {
      drop_producer();  // so a node that does not decide never fences the one that does
      return Status::success();
    }
    if (producer_ != nullptr && producer_term_ != election->term()) drop_producer();
    if (producer_ == nullptr) {
      const std::uint64_t term = election->term();
      Status started = start_producer(/*patient=*/false);
      if (!started.ok()) return started;
      producer_term_ = term;
    }
    return Status::success();
  }
  if (producer_ != nullptr) return Status::success();
  return start_producer(/*patient=*/false);
}

Status KafkaPublisher::publish(const std::vector<PublishedRecord>& records) {
  if (records.empty()) return Status::success();
  Status allowed = may_decide();
  if (!allowed.ok()) return allowed;
  std::lock_guard lock(mutex_);
  Status ready = settle_locked();
  if (!ready.ok()) return ready;
  const std::string what = "the batch did not reach Kafka topic " + options_.topic;
  std::set<std::uint32_t> partitions;
  for (const auto& record : records) partitions.insert(record.partition);
  GroupMetadata group(nullptr, &rd_kafka_consumer_group_metadata_destroy);
  if (options_.deciding == Deciding::partitions) {
    const Election* election = election_;
    if (election != nullptr) group.reset(election->claim(partitions));
    if (group == nullptr) {
      return make_error(ErrorCode::unavailable,
                        "node " + options_.node + " no longer decides all of partitions " +
                            partition_list({partitions.begin(), partitions.end()}) +
                            " of Kafka topic " + options_.topic +
                            " (the group gave some to another node); retry");
    }
  }
  delivered_.clear();
  if (rd_kafka_error_t* error = rd_kafka_begin_transaction(producer_)) {
    std::string why = take_message(error);
    drop_producer();
    return unavailable(what, why);
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  for (const auto& record : records) {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(4);
    rd_kafka_header_add(headers, "type", -1, record.type.data(),
                        static_cast<ssize_t>(record.type.size()));
    rd_kafka_header_add(headers, "command_id", -1, record.command_id.data(),
                        static_cast<ssize_t>(record.command_id.size()));
    const std::string org_head = std::to_string(record.org_head);
    rd_kafka_header_add(headers, "org_head", -1, org_head.data(),
                        static_cast<ssize_t>(org_head.size()));
    if (record.password_hash) {
      rd_kafka_header_add(headers, "password_hash", -1, record.password_hash->data(),
                          static_cast<ssize_t>(record.password_hash->size()));
    }
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    for (;;) {
      err = rd_kafka_producev(
          producer_, RD_KAFKA_V_TOPIC(options_.topic.c_str()),
          RD_KAFKA_V_PARTITION(static_cast<std::int32_t>(record.partition)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
          RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(record.value.data()), record.value.size()),
          RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || std::chrono::steady_clock::now() > deadline) {
        break;
      }
      rd_kafka_poll(producer_, 10);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(headers);  // producev took them only on success
      abandon_transaction();
      return unavailable(what, rd_kafka_err2str(err));
    }
  }
  if (group != nullptr) {
    Status fenced = fence_transaction(partitions, group.release(), deadline);
    if (!fenced.ok()) {
      abandon_transaction();
      return fenced;
    }
  }
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    rd_kafka_error_t* error =
        rd_kafka_commit_transaction(producer_, std::max(1, milliseconds(left)));
    if (error == nullptr) {
      transactions_ += 1;
      records_ += records.size();
      for (const auto& record : records) bytes_ += record.value.size();
      return Status::success();
    }
    const bool again = rd_kafka_error_is_retriable(error) && left.count() > 0;
    const bool abortable = rd_kafka_error_txn_requires_abort(error);
    std::string why = take_message(error);
    if (again) continue;
    if (abortable) {
      abandon_transaction();
    } else {
      drop_producer();  // fatal, or the outcome is unknown: a new producer settles it
    }
    return unavailable(what, why);
  }
}

Status KafkaPublisher::fence_transaction(const std::set<std::uint32_t>& partitions,
                                         rd_kafka_consumer_group_metadata_t* group,
                                         std::chrono::steady_clock::time_point deadline) {
  GroupMetadata owned_group(group, &rd_kafka_consumer_group_metadata_destroy);
  auto left = [&] {
    return std::max(1, milliseconds(std::chrono::duration_cast<std::chrono::milliseconds>(
                           deadline - std::chrono::steady_clock::now())));
  };
  // First every record in its partition, so that a transaction the group lets through is there
  // before any next owner measures where the partition ends.
  rd_kafka_resp_err_t flushed = rd_kafka_flush(producer_, left());
  if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unavailable("the batch did not reach Kafka topic " + options_.topic,
                       rd_kafka_err2str(flushed));
  }
  rd_kafka_topic_partition_list_t* offsets =
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
  for (std::uint32_t p : partitions) {
    rd_kafka_topic_partition_list_add(offsets, options_.topic.c_str(), static_cast<std::int32_t>(p))
        ->offset = delivered_[p];
  }
  auto call = std::make_shared<OffsetsCall>();
  try {
    std::thread([call, producer = producer_, offsets, group = owned_group.get(), timeout = left()] {
      rd_kafka_error_t* error =
          rd_kafka_send_offsets_to_transaction(producer, offsets, group, timeout);
      rd_kafka_topic_partition_list_destroy(offsets);
      rd_kafka_consumer_group_metadata_destroy(group);
      rd_kafka_t* orphan = nullptr;
      {
        std::lock_guard lock(call->mutex);
        if (error != nullptr) call->refusal = take_message(error);
        call->ended = true;
        orphan = call->orphan;
      }
      call->ended_signal.notify_all();
      if (orphan != nullptr) destroy_producer(orphan);
    }).detach();
  } catch (const std::system_error& e) {
    rd_kafka_topic_partition_list_destroy(offsets);
    return unavailable("the batch did not reach Kafka topic " + options_.topic,
                       std::string("no thread for the group's offsets: ") + e.what());
  }
  owned_group.release();  // the thread destroys it
  std::unique_lock lock(call->mutex);
  if (!call->ended_signal.wait_until(lock, deadline, [&] { return call->ended; })) {
    offsets_call_ = call;
    return make_error(ErrorCode::unavailable,
                      "the deciders' group coordinator of Kafka topic " + options_.topic +
                          " did not answer in time (is the broker down?); retry");
  }
  if (!call->refusal) return Status::success();
  return make_error(ErrorCode::unavailable,
                    "node " + options_.node + " may no longer decide partitions " +
                        partition_list({partitions.begin(), partitions.end()}) +
                        " of Kafka topic " + options_.topic +
                        ": the deciders' group refused its batch (" + *call->refusal + "); retry");
}

}  // namespace dispatch::kafka
