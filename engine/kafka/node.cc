// Opening and closing a Kafka node in order (node.h).
#include "engine/kafka/node.h"

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
  auto engine = Engine::open(dir, std::move(options));
  if (!engine.ok()) return engine.error();
  node->engine_ = std::move(engine.value());
  auto replicator = Replicator::start(*node->engine_, *node->publisher_, kafka, std::move(note));
  if (!replicator.ok()) return replicator.error();
  node->replicator_ = std::move(replicator.value());
  for (;;) {
    Status caught_up = node->replicator_->wait_caught_up(std::chrono::milliseconds(200));
    if (caught_up.ok()) return node;
    if (node->replicator_->failure()) return caught_up.error();
    if (cancel != nullptr && *cancel) {
      return make_error(ErrorCode::unavailable, "stopped before catching up with the topic");
    }
  }
}

KafkaNode::~KafkaNode() {
  replicator_.reset();  // it hands records to the engine
  engine_.reset();      // finishes what was submitted, which may publish
  publisher_.reset();
}

}  // namespace dispatch::kafka
