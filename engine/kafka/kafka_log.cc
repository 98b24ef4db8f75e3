// The Kafka shared log (kafka_log.h) on librdkafka's C API, whose admin calls have no C++ form:
// settings, the topic, the election and the reader. The publisher is in publisher.cc.
#include "engine/kafka/kafka_log.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <thread>
#include <utility>

#include "engine/kafka/librdkafka.h"

namespace dispatch::kafka {
namespace detail {

using Conf = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;

Error unavailable(const std::string& what, const std::string& why) {
  return make_error(ErrorCode::unavailable, what + ": " + why);
}

int milliseconds(std::chrono::milliseconds d) { return static_cast<int>(d.count()); }

Result<rd_kafka_t*> make_client(rd_kafka_type_t type, const KafkaOptions& options,
                                Settings settings,
                                const std::function<void(rd_kafka_conf_t*)>& customize) {
  Conf conf(rd_kafka_conf_new(), &rd_kafka_conf_destroy);
  if (customize) customize(conf.get());
  settings.insert(settings.begin(), {"bootstrap.servers", options.brokers});
  settings.insert(settings.begin(), {"client.id", "dispatchd-" + options.node});  // unless set
  char why[512];
  for (const auto& [key, value] : settings) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), why, sizeof why) !=
        RD_KAFKA_CONF_OK) {
      return make_error(ErrorCode::invalid,
                        "The Kafka setting " + key + "=" + value + " is refused: " + why);
    }
  }
  rd_kafka_t* client = rd_kafka_new(type, conf.get(), why, sizeof why);
  if (client == nullptr) {
    return make_error(ErrorCode::invalid, std::string("A Kafka client cannot be made: ") + why);
  }
  conf.release();  // the client owns it now
  return client;
}

std::string take_message(rd_kafka_error_t* error) {
  std::string message = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return message;
}

std::string partition_list(const std::vector<std::uint32_t>& partitions) {
  std::string text;
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    if (i > 0) text += i + 1 == partitions.size() ? " and " : ", ";
    text += std::to_string(partitions[i]);
  }
  return text;
}

}  // namespace detail

using namespace detail;

namespace {

Status check_options(const KafkaOptions& options) {
  if (options.brokers.empty() || options.topic.empty() || options.node.empty()) {
    return make_error(ErrorCode::invalid, "Kafka needs brokers, a topic and a node name.");
  }
  if (options.partitions < 1 || options.partitions > kMaxPartitions) {
    return make_error(ErrorCode::invalid, "A topic has 1 to " + std::to_string(kMaxPartitions) +
                                              " partitions, not " +
                                              std::to_string(options.partitions) + ".");
  }
  if (options.timeout.count() < 100) {
    return make_error(ErrorCode::invalid, "The Kafka timeout must be at least 100 ms.");
  }
  return Status::success();
}

struct ClientDeleter {
  void operator()(rd_kafka_t* client) const { rd_kafka_destroy(client); }
};
using Client = std::unique_ptr<rd_kafka_t, ClientDeleter>;

// The topic's partition count from the brokers' metadata; 0 when it does not exist.
Result<int> partition_count(rd_kafka_t* client, const KafkaOptions& options) {
  rd_kafka_topic_t* topic = rd_kafka_topic_new(client, options.topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(client, 0, topic, &metadata, milliseconds(options.timeout));
  rd_kafka_topic_destroy(topic);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unavailable("Kafka at " + options.brokers + " did not describe topic " + options.topic,
                       rd_kafka_err2str(err));
  }
  int count = 0;
  std::optional<Error> failure;
  if (metadata->topic_cnt == 1) {
    const auto& found = metadata->topics[0];
    if (found.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = found.partition_cnt;
    } else if (found.err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      failure = unavailable("Kafka topic " + options.topic, rd_kafka_err2str(found.err));
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (failure) return *failure;
  return count;
}

using AdminAnswer = std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)>;

// Sends the admin request `op` with `send` (given the request's options and the queue its answer
// comes on) and waits for the answer. `unavailable` with `what` when none comes in time or it
// carries an error of its own.
Result<AdminAnswer> admin_request(
    rd_kafka_t* client, const KafkaOptions& options, rd_kafka_admin_op_t op,
    const std::string& what,
    const std::function<void(rd_kafka_AdminOptions_t*, rd_kafka_queue_t*)>& send) {
  char why[512];
  rd_kafka_AdminOptions_t* admin = rd_kafka_AdminOptions_new(client, op);
  rd_kafka_AdminOptions_set_request_timeout(admin, milliseconds(options.timeout), why, sizeof why);
  // Refused (and so left alone) by the requests that have no operation timeout.
  rd_kafka_AdminOptions_set_operation_timeout(admin, milliseconds(options.timeout), why,
                                              sizeof why);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(client);
  send(admin, queue);
  AdminAnswer answer(rd_kafka_queue_poll(queue, milliseconds(options.timeout) + 2000),
                     &rd_kafka_event_destroy);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(admin);
  if (answer == nullptr) return unavailable(what, "no answer in time");
  if (rd_kafka_event_error(answer.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unavailable(what, rd_kafka_event_error_string(answer.get()));
  }
  return answer;
}

Status create_topic(rd_kafka_t* client, const KafkaOptions& options) {
  char why[512];
  rd_kafka_NewTopic_t* topic =
      rd_kafka_NewTopic_new(options.topic.c_str(), static_cast<int>(options.partitions),
                            options.replication_factor, why, sizeof why);
  if (topic == nullptr) return make_error(ErrorCode::invalid, "Kafka topic: " + std::string(why));
  const std::string what = "Kafka at " + options.brokers + " did not create topic " + options.topic;
  auto answer = admin_request(client, options, RD_KAFKA_ADMIN_OP_CREATETOPICS, what,
                              [&](rd_kafka_AdminOptions_t* admin, rd_kafka_queue_t* queue) {
                                rd_kafka_CreateTopics(client, &topic, 1, admin, queue);
                              });
  rd_kafka_NewTopic_destroy(topic);
  if (!answer.ok()) return answer.error();
  std::size_t count = 0;
  const rd_kafka_topic_result_t** topics = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(answer->get()), &count);
  rd_kafka_resp_err_t err =
      count == 1 ? rd_kafka_topic_result_error(topics[0]) : RD_KAFKA_RESP_ERR__FAIL;
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
    const char* message = count == 1 ? rd_kafka_topic_result_error_string(topics[0]) : nullptr;
    return unavailable(what, message != nullptr ? message : rd_kafka_err2str(err));
  }
  return Status::success();
}

Status check_partition_count(rd_kafka_t* client, const KafkaOptions& options) {
  // A topic just created shows in the brokers' metadata a moment later: until then it has none.
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  auto count = partition_count(client, options);
  while (count.ok() && *count == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    count = partition_count(client, options);
  }
  if (!count.ok()) return count.error();
  if (*count != static_cast<int>(options.partitions)) {
    return make_error(ErrorCode::invalid, "Kafka topic " + options.topic + " has " +
                                              std::to_string(*count) + " partitions, but " +
                                              std::to_string(options.partitions) +
                                              " are configured; a store's layout cannot change.");
  }
  return Status::success();
}

std::optional<std::string> header(const rd_kafka_message_t* message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  return std::string(static_cast<const char*>(value), size);
}

}  // namespace

const char* const kKafkaSettingsHelp =
    R"(  --brokers HOST:PORT,...  Kafka's bootstrap servers (default 127.0.0.1:9092)
  --topic NAME             the events topic (default dispatch.events)
  --partitions N           its partitions, when it is created (default 8; 1 to 256; an existing
                           topic must have as many)
  --replication-factor N   its replication factor, when it is created (default 1)
  --node NAME              this node's name, unique among the nodes (default: the host name)
  --kafka-timeout MS       how long a batch may take to reach Kafka before its commands are
                           answered unavailable (default 5000)
  --deciding one|partitions  how the nodes of the topic share the deciding: one node decides
                           every command (default), or each decides the orders of the partitions
                           the group gives it; every node of a topic must be given the same
)";

bool is_kafka_setting(std::string_view name) {
  return name == "brokers" || name == "topic" || name == "partitions" ||
         name == "replication-factor" || name == "node" || name == "kafka-timeout" ||
         name == "deciding";
}

Status apply_kafka_setting(KafkaOptions& options, std::string_view name, const std::string& value) {
  const std::string flag = "--" + std::string(name);
  if (value.empty()) return make_error(ErrorCode::invalid, flag + " must not be empty");
  if (name == "brokers") {
    options.brokers = value;
    return Status::success();
  }
  if (name == "topic") {
    options.topic = value;
    return Status::success();
  }
  if (name == "node") {
    options.node = value;
    return Status::success();
  }
  if (name == "deciding") {
    if (value != "one" && value != "partitions") {
      return make_error(ErrorCode::invalid,
                        flag + " must be one or partitions, not \"" + value + "\"");
    }
    options.deciding = value == "one" ? Deciding::one : Deciding::partitions;
    return Status::success();
  }
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return make_error(ErrorCode::invalid, flag + " must be a whole number, not \"" + value + "\"");
  }
  auto out_of_range = [&](std::uint64_t low, std::uint64_t high) {
    return make_error(ErrorCode::invalid, flag + " must be between " + std::to_string(low) +
                                              " and " + std::to_string(high));
  };
  if (name == "partitions") {
    if (n < 1 || n > kMaxPartitions) return out_of_range(1, kMaxPartitions);
    options.partitions = static_cast<std::uint32_t>(n);
  } else if (name == "replication-factor") {
    if (n < 1 || n > 32) return out_of_range(1, 32);
    options.replication_factor = static_cast<int>(n);
  } else if (name == "kafka-timeout") {
    if (n < 100 || n > 600000) return out_of_range(100, 600000);
    options.timeout = std::chrono::milliseconds(n);
  } else {
    return make_error(ErrorCode::invalid, "unknown setting " + flag);
  }
  return Status::success();
}

std::string default_node_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "node-1";
  return name;
}

Result<std::uint32_t> topic_partitions(const KafkaOptions& options) {
  auto client = make_client(RD_KAFKA_CONSUMER, options, {{"allow.auto.create.topics", "false"}});
  if (!client.ok()) return client.error();
  Client owner(*client);
  auto count = partition_count(owner.get(), options);
  if (!count.ok()) return count.error();
  if (*count == 0) {
    return make_error(ErrorCode::not_found,
                      "Kafka at " + options.brokers + " has no topic " + options.topic);
  }
  return static_cast<std::uint32_t>(*count);
}

Status ensure_topic(const KafkaOptions& options) {
  Status checked = check_options(options);
  if (!checked.ok()) return checked;
  auto client = make_client(RD_KAFKA_PRODUCER, options, {{"allow.auto.create.topics", "false"}});
  if (!client.ok()) return client.error();
  Client owner(*client);
  Status created = create_topic(owner.get(), options);
  if (!created.ok()) return created;
  return check_partition_count(owner.get(), options);
}

// ---- Election ----

namespace {
// The deciders' group, and the client id its members carry: their mode is in it, so that a node
// given another --deciding can tell before it decides.
std::string deciders_group(const KafkaOptions& options) {
  return "dispatch." + options.topic + ".deciders";
}
std::string mode_name(Deciding deciding) {
  return deciding == Deciding::one ? "one" : "partitions";
}
std::string member_client_id(const KafkaOptions& options) {
  return "dispatchd-" + options.node + ".deciding-" + mode_name(options.deciding);
}
}  // namespace

Result<std::optional<std::string>> running_deciders_of_another_mode(const KafkaOptions& options) {
  auto made = make_client(RD_KAFKA_PRODUCER, options, {{"allow.auto.create.topics", "false"}});
  if (!made.ok()) return made.error();
  Client client(*made);
  const std::string group = deciders_group(options);
  const char* groups[] = {group.c_str()};
  auto answer =
      admin_request(client.get(), options, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                    "Kafka at " + options.brokers + " did not describe the group " + group,
                    [&](rd_kafka_AdminOptions_t* admin, rd_kafka_queue_t* queue) {
                      rd_kafka_DescribeConsumerGroups(client.get(), groups, 1, admin, queue);
                    });
  if (!answer.ok()) return answer.error();
  const std::string other =
      ".deciding-" +
      mode_name(options.deciding == Deciding::one ? Deciding::partitions : Deciding::one);
  std::size_t count = 0;
  const rd_kafka_ConsumerGroupDescription_t** described =
      rd_kafka_DescribeConsumerGroups_result_groups(
          rd_kafka_event_DescribeConsumerGroups_result(answer->get()), &count);
  for (std::size_t g = 0; g < count; ++g) {
    if (rd_kafka_ConsumerGroupDescription_error(described[g]) != nullptr) continue;  // none
    const std::size_t members = rd_kafka_ConsumerGroupDescription_member_count(described[g]);
    for (std::size_t m = 0; m < members; ++m) {
      const std::string id = rd_kafka_MemberDescription_client_id(
          rd_kafka_ConsumerGroupDescription_member(described[g], m));
      if (id.ends_with(other))
        return std::optional<std::string>(id.substr(0, id.size() - other.size()));
    }
  }
  return std::optional<std::string>();
}

namespace {
// `invalid` when nodes of another mode decide the topic now: the two would write the same
// partitions with producers that do not fence each other.
Status check_same_mode(const KafkaOptions& options) {
  auto other = running_deciders_of_another_mode(options);
  if (!other.ok()) return other.error();
  if (!*other) return Status::success();
  const std::string theirs = options.deciding == Deciding::one ? "partitions" : "one";
  return make_error(ErrorCode::invalid,
                    "the deciders of Kafka topic " + options.topic + " (such as " + **other +
                        ") run with --deciding " + theirs +
                        ", and this node was given --deciding " + mode_name(options.deciding) +
                        "; every node of a topic must be given the same (stop them all to change "
                        "it)");
}
}  // namespace

// librdkafka's callbacks are plain functions; this one reaches the Election through the opaque.
struct ElectionCallbacks {
  static void rebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* election = static_cast<Election*>(opaque);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      rd_kafka_assign(consumer, partitions);
      // Nothing is read through this consumer: the group only tells who decides on what.
      rd_kafka_pause_partitions(consumer, partitions);
      std::vector<std::uint32_t> assigned;
      for (int i = 0; i < partitions->cnt; ++i) {
        assigned.push_back(static_cast<std::uint32_t>(partitions->elems[i].partition));
      }
      election->assigned(assigned);
    } else {
      election->revoked();  // first, so no batch is decided on a partition being given away
      rd_kafka_assign(consumer, nullptr);
    }
  }
};

Election::Election(KafkaOptions options, std::function<void()> gained, Note note)
    : options_(std::move(options)),
      gained_(std::move(gained)),
      note_(std::move(note)),
      owned_(options_.partitions, false),
      assigned_(options_.partitions, false) {
  if (!note_) note_ = [](const std::string&) {};
}

Result<std::unique_ptr<Election>> Election::start(const KafkaOptions& options,
                                                  std::function<void()> gained, Note note) {
  Status checked = check_options(options);
  if (!checked.ok()) return checked.error();
  Status same = check_same_mode(options);
  if (!same.ok()) return same.error();
  std::unique_ptr<Election> election(new Election(options, std::move(gained), std::move(note)));
  auto client = make_client(RD_KAFKA_CONSUMER, options,
                            {{"client.id", member_client_id(options)},
                             {"group.id", deciders_group(options)},
                             {"enable.auto.commit", "false"},
                             {"auto.offset.reset", "latest"},
                             // How soon a dead decider's partition 0 goes to a survivor: the
                             // broker's smallest session by default.
                             {"session.timeout.ms", "6000"},
                             {"heartbeat.interval.ms", "1000"},
                             {"partition.assignment.strategy", "range"},
                             {"allow.auto.create.topics", "false"}},
                            [&](rd_kafka_conf_t* conf) {
                              rd_kafka_conf_set_rebalance_cb(conf, &ElectionCallbacks::rebalance);
                              rd_kafka_conf_set_opaque(conf, election.get());
                            });
  if (!client.ok()) return client.error();
  election->consumer_ = *client;
  rd_kafka_poll_set_consumer(election->consumer_);
  Status subscribed = election->subscribe();
  if (!subscribed.ok()) return subscribed.error();
  election->thread_ = std::thread([e = election.get()] { e->run(); });
  return election;
}

Status Election::subscribe() {
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, options_.topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unavailable("cannot join the deciders of Kafka topic " + options_.topic,
                       rd_kafka_err2str(err));
  }
  return Status::success();
}

bool Election::loan_overdue() const {
  std::lock_guard lock(owned_mutex_);
  return lent_since_ && std::chrono::steady_clock::now() - *lent_since_ > 6 * options_.timeout;
}

Election::~Election() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_ == nullptr) return;
  rd_kafka_consumer_close(consumer_);  // leaves the group: partition 0 moves on at once
  rd_kafka_destroy(consumer_);
}

void Election::run() {
  std::string last_problem;
  while (!stopping_) {
    if (loan_overdue()) {
      note_("node " + options_.node + " lent partitions that were not given back in time; it " +
            "leaves the deciders' group and joins it again, which ends every loan");
      {
        std::lock_guard lock(owned_mutex_);
        lent_since_.reset();
      }
      rd_kafka_unsubscribe(consumer_);  // revoked() runs from the next poll
      Status again = subscribe();
      if (!again.ok()) note_(again.error().message);
    }
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, 100);
    if (message == nullptr) continue;
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
        message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      std::string problem = rd_kafka_message_errstr(message);
      if (problem != last_problem) note_("the deciders' group: " + problem);
      last_problem = std::move(problem);
    }
    rd_kafka_message_destroy(message);
  }
}

void Election::assigned(const std::vector<std::uint32_t>& partitions) {
  settled_ = true;
  std::vector<bool> owned(options_.partitions, false);
  for (std::uint32_t p : partitions) {
    if (options_.deciding == Deciding::one && p == 0) owned.assign(options_.partitions, true);
    if (options_.deciding == Deciding::partitions && p < owned.size()) owned[p] = true;
  }
  const bool any = std::find(owned.begin(), owned.end(), true) != owned.end();
  {
    std::lock_guard lock(owned_mutex_);
    if (owned == owned_ && deciding_ == any) return;
  }
  revoked();
  if (!any) return;
  gained_();  // the node catches up before it decides
  ++term_;
  {
    std::lock_guard lock(owned_mutex_);
    ++epoch_;
    if (options_.deciding == Deciding::partitions) assigned_ = owned;
    owned_ = std::move(owned);
    deciding_ = true;
  }
  if (options_.deciding == Deciding::one) {
    note_("node " + options_.node + " decides commands now (it holds partition 0 of the group " +
          "dispatch." + options_.topic + ".deciders)");
  } else {
    note_("node " + options_.node + " decides the commands of partitions " +
          partition_list(this->owned()) + " of topic " + options_.topic + " now");
  }
}

void Election::revoked() {
  bool was = false;
  {
    std::lock_guard lock(owned_mutex_);
    ++epoch_;
    owned_.assign(options_.partitions, false);
    assigned_.assign(options_.partitions, false);
    lent_since_.reset();
    was = deciding_.exchange(false);
  }
  if (was) note_("node " + options_.node + " no longer decides commands");
}

bool Election::owns(std::uint32_t partition) const {
  std::lock_guard lock(owned_mutex_);
  return partition < owned_.size() && owned_[partition];
}

std::vector<std::uint32_t> Election::owned() const {
  std::lock_guard lock(owned_mutex_);
  std::vector<std::uint32_t> partitions;
  for (std::uint32_t p = 0; p < owned_.size(); ++p) {
    if (owned_[p]) partitions.push_back(p);
  }
  return partitions;
}

std::uint64_t Election::epoch() const {
  std::lock_guard lock(owned_mutex_);
  return epoch_;
}

bool Election::lend(const std::set<std::uint32_t>& partitions) {
  std::lock_guard lock(owned_mutex_);
  for (std::uint32_t p : partitions) {
    if (p >= owned_.size() || !assigned_[p] || !owned_[p]) return false;
  }
  for (std::uint32_t p : partitions) owned_[p] = false;
  if (!lent_since_) lent_since_ = std::chrono::steady_clock::now();
  return true;
}

void Election::take_back(const std::set<std::uint32_t>& partitions, std::uint64_t epoch) {
  std::lock_guard lock(owned_mutex_);
  if (epoch != epoch_) return;
  for (std::uint32_t p : partitions) {
    if (p < owned_.size() && assigned_[p]) owned_[p] = true;
  }
  bool lent = false;
  for (std::size_t p = 0; p < owned_.size(); ++p) lent = lent || (assigned_[p] && !owned_[p]);
  if (!lent) lent_since_.reset();
}

bool Election::borrow(const std::set<std::uint32_t>& partitions, std::uint64_t epoch) {
  std::lock_guard lock(owned_mutex_);
  if (epoch != epoch_ || !deciding_) return false;
  for (std::uint32_t p : partitions) {
    if (p >= owned_.size() || owned_[p]) return false;
  }
  for (std::uint32_t p : partitions) owned_[p] = true;
  return true;
}

void Election::give_back(const std::set<std::uint32_t>& partitions) {
  std::lock_guard lock(owned_mutex_);
  for (std::uint32_t p : partitions) {
    if (p < owned_.size() && !assigned_[p]) owned_[p] = false;
  }
}

rd_kafka_consumer_group_metadata_t* Election::claim(
    const std::set<std::uint32_t>& partitions) const {
  // Under the lock revoked() takes before the consumer rejoins the group, so the metadata is of a
  // generation in which this node held them all.
  std::lock_guard lock(owned_mutex_);
  for (std::uint32_t p : partitions) {
    if (p >= owned_.size() || !owned_[p]) return nullptr;
  }
  return rd_kafka_consumer_group_metadata(consumer_);
}

// ---- KafkaReader ----

Result<std::unique_ptr<KafkaReader>> KafkaReader::open(
    const KafkaOptions& options, const std::map<std::uint32_t, std::int64_t>& next_offsets) {
  Status checked = check_options(options);
  if (!checked.ok()) return checked.error();
  std::unique_ptr<KafkaReader> reader(new KafkaReader(options));
  auto client = make_client(RD_KAFKA_CONSUMER, options,
                            {{"group.id", "dispatch." + options.topic + ".replica." + options.node},
                             {"enable.auto.commit", "false"},
                             {"enable.auto.offset.store", "false"},
                             {"isolation.level", "read_committed"},
                             {"enable.partition.eof", "true"},
                             {"auto.offset.reset", "earliest"},
                             {"allow.auto.create.topics", "false"},
                             {"fetch.wait.max.ms", "20"}});
  if (!client.ok()) return client.error();
  reader->consumer_ = *client;
  rd_kafka_poll_set_consumer(reader->consumer_);
  Status counted = check_partition_count(reader->consumer_, options);
  if (!counted.ok()) return counted.error();

  rd_kafka_topic_partition_list_t* list =
      rd_kafka_topic_partition_list_new(static_cast<int>(options.partitions));
  for (std::uint32_t p = 0; p < options.partitions; ++p) {
    auto next = next_offsets.find(p);
    const std::int64_t offset = next == next_offsets.end() ? 0 : next->second;
    reader->read_to_[p] = offset;
    rd_kafka_topic_partition_list_add(list, options.topic.c_str(), static_cast<std::int32_t>(p))
        ->offset = next == next_offsets.end() ? RD_KAFKA_OFFSET_BEGINNING : offset;
  }
  rd_kafka_resp_err_t err = rd_kafka_assign(reader->consumer_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unavailable("cannot read Kafka topic " + options.topic, rd_kafka_err2str(err));
  }
  return reader;
}

KafkaReader::~KafkaReader() {
  if (consumer_ == nullptr) return;
  rd_kafka_consumer_close(consumer_);
  rd_kafka_destroy(consumer_);
}

Result<std::vector<ReceivedRecord>> KafkaReader::poll(std::size_t max,
                                                      std::chrono::milliseconds wait) {
  std::vector<ReceivedRecord> records;
  int timeout = milliseconds(wait);
  while (records.size() < max) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer_, timeout);
    timeout = 0;  // after the first, take only what is there already
    if (message == nullptr) break;
    const auto partition = static_cast<std::uint32_t>(message->partition);
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      read_to_[partition] = std::max(read_to_[partition], message->offset);
    } else if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ReceivedRecord record;
      record.partition = partition;
      record.offset = message->offset;
      record.value.assign(static_cast<const char*>(message->payload), message->len);
      record.password_hash = header(message, "password_hash");
      if (auto org_head = header(message, "org_head")) {
        std::from_chars(org_head->data(), org_head->data() + org_head->size(), record.org_head);
      }
      read_to_[partition] = std::max(read_to_[partition], message->offset + 1);
      records.push_back(std::move(record));
    } else {
      char why[512];
      if (rd_kafka_fatal_error(consumer_, why, sizeof why) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_message_destroy(message);
        return unavailable("reading Kafka topic " + options_.topic + " failed", why);
      }
      // Anything else (a broker down for a while) librdkafka retries by itself.
    }
    rd_kafka_message_destroy(message);
  }
  return records;
}

Result<std::map<std::uint32_t, std::int64_t>> KafkaReader::end_offsets() {
  std::map<std::uint32_t, std::int64_t> ends;
  for (std::uint32_t p = 0; p < options_.partitions; ++p) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        consumer_, options_.topic.c_str(), static_cast<std::int32_t>(p), &low, &high,
        milliseconds(options_.timeout));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return unavailable("Kafka did not say where topic " + options_.topic + " ends",
                         rd_kafka_err2str(err));
    }
    ends[p] = high;
  }
  return ends;
}

bool KafkaReader::reached(const std::map<std::uint32_t, std::int64_t>& ends) const {
  return std::all_of(ends.begin(), ends.end(), [&](const auto& end) {
    auto read = read_to_.find(end.first);
    return end.second == 0 || (read != read_to_.end() && read->second >= end.second);
  });
}

}  // namespace dispatch::kafka

namespace dispatch::kafka {

void KafkaReader::pause_only(const std::set<std::uint32_t>& paused) {
  if (paused == paused_) return;
  auto change = [&](const std::set<std::uint32_t>& from, const std::set<std::uint32_t>& except,
                    bool pause) {
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    for (std::uint32_t p : from) {
      if (!except.contains(p)) {
        rd_kafka_topic_partition_list_add(list, options_.topic.c_str(),
                                          static_cast<std::int32_t>(p));
      }
    }
    if (list->cnt > 0) {
      if (pause) {
        rd_kafka_pause_partitions(consumer_, list);
      } else {
        rd_kafka_resume_partitions(consumer_, list);
      }
    }
    rd_kafka_topic_partition_list_destroy(list);
  };
  change(paused, paused_, true);
  change(paused_, paused, false);
  paused_ = paused;
}

}  // namespace dispatch::kafka
