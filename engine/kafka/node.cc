// Opening and closing a Kafka node in order (node.h).
#include "engine/kafka/node.h"

#include <thread>

namespace dispatch::kafka {

Result<std::unique_ptr<KafkaNode>> KafkaNode::open(const std::string& dir,
                                                   const KafkaOptions& kafka, EngineOptions options,
                                                   Replicator::Note note,
                                                   const std::atomic<bool>* cancel) {
  std::unique_ptr<KafkaNode> node(new KafkaNode());
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

std::vector<std::uint32_t> KafkaNode::deciding_partitions() const {
  if (election_ != nullptr) return election_->owned();
  std::vector<std::uint32_t> all;
  if (!deciding()) return all;
  for (std::uint32_t p = 0; p < publisher_->layout().partitions; ++p) all.push_back(p);
  return all;
}

}  // namespace dispatch::kafka
