// Opening and closing a Kafka node in order (node.h).
#include "engine/kafka/node.h"

#include <thread>

namespace dispatch::kafka {

Result<std::unique_ptr<KafkaNode>> KafkaNode::open(const std::string& dir,
                                                   const KafkaOptions& kafka, EngineOptions options,
                                                   Replicator::Note note,
                                                   const std::atomic<bool>* cancel) {
  std::unique_ptr<KafkaNode> node(new KafkaNode());
  node->timeout_ = kafka.timeout;
  node->name_ = kafka.node;
  auto publisher = KafkaPublisher::open(kafka);
  if (!publisher.ok()) return publisher.error();
  node->publisher_ = std::move(publisher.value());
  options.publisher = node->publisher_;
  // The topic holds every batch durably before the store writes it, and a store that lost its
  // last writes reads them again from the topic: syncing the store too would only add a wait.
  options.durable = false;
  auto engine = Engine::open(dir, std::move(options));
  if (!engine.ok()) return engine.error();
  node->engine_ = std::move(engine.value());
  auto replicator = Replicator::start(*node->engine_, *node->publisher_, kafka, note);
  if (!replicator.ok()) return replicator.error();
  node->replicator_ = std::move(replicator.value());
  for (;;) {
    Status caught_up = node->replicator_->wait_caught_up(std::chrono::milliseconds(200));
    if (caught_up.ok()) break;
    if (node->replicator_->failure()) return caught_up.error();
    if (cancel != nullptr && *cancel) {
      return make_error(ErrorCode::unavailable, "stopped before catching up with the topic");
    }
  }
  if (kafka.elect) {
    // Joined once caught up, so the node elected first needs little more reading to decide.
    Engine* engine = node->engine_.get();
    auto election = Election::start(
        kafka, [engine] { engine->require_catch_up_after_batch(); }, note);
    if (!election.ok()) return election.error();
    node->election_ = std::move(election.value());
    node->publisher_->follow(node->election_.get());
    // The first answers come once the group has settled who decides, for a while at most: a
    // node of a broker that is slow to form the group serves reads meanwhile.
    const auto deadline = std::chrono::steady_clock::now() + 2 * kafka.timeout;
    while (!node->election_->settled() && std::chrono::steady_clock::now() < deadline &&
           !(cancel != nullptr && *cancel)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return node;
}

namespace {
// The shared log of a copy: its layout and name, and no way to publish.
class ReadOnlyLog : public LogPublisher {
 public:
  ReadOnlyLog(LogLayout layout, std::string name) : layout_(layout), name_(std::move(name)) {}
  LogLayout layout() const override { return layout_; }
  std::string name() const override { return name_; }
  Status publish(const std::vector<PublishedRecord>&) override {
    return make_error(ErrorCode::unavailable, "a copy of the topic takes no commands");
  }

 private:
  LogLayout layout_;
  std::string name_;
};
}  // namespace

Status copy_topic(const std::string& dir, KafkaOptions options, Replicator::Note note) {
  auto partitions = topic_partitions(options);
  if (!partitions.ok()) return partitions.error();
  options.partitions = *partitions;
  auto log =
      std::make_shared<ReadOnlyLog>(LogLayout{options.partitions}, "kafka topic " + options.topic);
  EngineOptions engine_options;
  engine_options.publisher = log;
  engine_options.durable = false;  // a scratch copy: the topic keeps the records
  auto engine = Engine::open(dir, engine_options);
  if (!engine.ok()) return engine.error();
  auto replicator = Replicator::start(**engine, *log, options, std::move(note));
  if (!replicator.ok()) return replicator.error();
  for (;;) {
    Status caught_up = (*replicator)->wait_caught_up(std::chrono::milliseconds(200));
    if (caught_up.ok()) return Status::success();
    if ((*replicator)->failure()) return caught_up.error();
  }
}

KafkaNode::~KafkaNode() {
  replicator_.reset();  // it hands records to the engine
  engine_.reset();      // finishes what was submitted, which may publish
  election_.reset();    // leaves the group once nothing can ask the publisher to decide
  publisher_.reset();
}

bool KafkaNode::deciding() const {
  if (election_ != nullptr) return election_->deciding();
  return publisher_->may_decide().ok();
}

Result<KafkaNode::Loan> KafkaNode::lend(const std::set<std::uint32_t>& partitions) {
  Loan loan;
  if (election_ != nullptr) {
    for (std::uint32_t p : partitions) {
      if (election_->owns(p)) loan.partitions.insert(p);
    }
  }
  // A replica behind the topic would say its chains end too early.
  if (loan.partitions.empty() || engine_->needs_catch_up() || !election_->lend(loan.partitions)) {
    return make_error(ErrorCode::unavailable, "node " + name_ +
                                                  " cannot lend any of the partitions asked now "
                                                  "(it decides none of them, has lent them, or "
                                                  "is catching up)");
  }
  loan.epoch = election_->epoch();
  engine_->wait_for_batch();  // one it decided on them before is committed, or refused
  if (engine_->needs_catch_up()) {
    // That batch reached the topic but not this store, or its outcome is unknown.
    election_->take_back(loan.partitions, loan.epoch);
    return make_error(ErrorCode::unavailable,
                      "node " + name_ + " is catching up with the topic; retry in a moment");
  }
  for (std::uint32_t p : loan.partitions) loan.heads[p] = engine_->last_on_chain(p).value();
  return loan;
}

namespace {
// Waits until `engine` has applied each chain up to its head, for at most `timeout` in all.
bool wait_for_heads(const Engine& engine, const std::map<std::uint32_t, std::uint64_t>& heads,
                    std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& [chain, position] : heads) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (position == 0) continue;
    if (!engine.wait_for(Position(position), std::max(left, std::chrono::milliseconds(1))).ok()) {
      return false;
    }
  }
  return true;
}
}  // namespace

void KafkaNode::take_back(const Loan& loan, const std::map<std::uint32_t, std::uint64_t>& heads) {
  if (election_ == nullptr) return;
  if (!wait_for_heads(*engine_, heads, timeout_)) engine_->require_catch_up();
  election_->take_back(loan.partitions, loan.epoch);
}

Status KafkaNode::borrow(const std::set<std::uint32_t>& partitions,
                         const std::map<std::uint32_t, std::uint64_t>& heads, std::uint64_t epoch) {
  if (election_ == nullptr) {
    return make_error(ErrorCode::unavailable, "this node is not one of the deciders' group");
  }
  if (!wait_for_heads(*engine_, heads, timeout_)) {
    return make_error(ErrorCode::unavailable,
                      "this node has not yet received the records of the partitions lent to it; "
                      "retry in a moment");
  }
  if (!election_->borrow(partitions, epoch)) {
    return make_error(ErrorCode::unavailable,
                      "the deciders' group reassigned its partitions meanwhile; retry");
  }
  return Status::success();
}

std::optional<std::map<std::uint32_t, std::uint64_t>> KafkaNode::give_back(
    const std::set<std::uint32_t>& partitions) {
  std::map<std::uint32_t, std::uint64_t> heads;
  if (election_ == nullptr) return heads;
  election_->give_back(partitions);
  engine_->wait_for_batch();
  // A batch whose publish failed may yet be in the topic: the lender must not decide those
  // partitions again before this node knows (its catch-up settles the producer first).
  const auto deadline = std::chrono::steady_clock::now() + 2 * timeout_;
  while (engine_->needs_catch_up()) {
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (std::uint32_t p : partitions) heads[p] = engine_->last_on_chain(p).value();
  return heads;
}

std::uint64_t KafkaNode::epoch() const { return election_ == nullptr ? 0 : election_->epoch(); }

std::vector<std::uint32_t> KafkaNode::deciding_partitions() const {
  if (election_ != nullptr) return election_->owned();
  std::vector<std::uint32_t> all;
  if (!deciding()) return all;
  for (std::uint32_t p = 0; p < publisher_->layout().partitions; ++p) all.push_back(p);
  return all;
}

}  // namespace dispatch::kafka
