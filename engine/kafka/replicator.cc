// The replicator's thread (replicator.h).
#include "engine/kafka/replicator.h"

#include <iterator>
#include <set>

namespace dispatch::kafka {
namespace {
constexpr std::size_t kRecordsPerReceive = 5000;
constexpr std::size_t kMaxWaiting = 20000;
constexpr std::chrono::milliseconds kPollWait{50};
constexpr std::chrono::milliseconds kRetryPause{250};
constexpr std::chrono::seconds kProgressEvery{5};
}  // namespace

Result<std::unique_ptr<Replicator>> Replicator::start(Engine& engine, LogPublisher& publisher,
                                                      const KafkaOptions& options, Note note) {
  auto offsets = engine.next_offsets();
  if (!offsets.ok()) return offsets.error();
  auto reader = KafkaReader::open(options, *offsets);
  if (!reader.ok()) return reader.error();
  std::unique_ptr<Replicator> replicator(
      new Replicator(engine, publisher, std::move(reader.value()), std::move(note)));
  replicator->thread_ = std::thread([r = replicator.get()] { r->run(); });
  return replicator;
}

Replicator::Replicator(Engine& engine, LogPublisher& publisher, std::unique_ptr<KafkaReader> reader,
                       Note note)
    : engine_(engine), publisher_(publisher), reader_(std::move(reader)), note_(std::move(note)) {}

Replicator::~Replicator() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

Status Replicator::wait_caught_up(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return failure_ || !engine_.needs_catch_up(); });
  if (failure_) return *failure_;
  if (engine_.needs_catch_up()) {
    return make_error(ErrorCode::unavailable, "the replica has not caught up with the topic in " +
                                                  std::to_string(timeout.count()) + " ms");
  }
  return Status::success();
}

std::optional<Error> Replicator::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void Replicator::fail(Error error) {
  {
    std::lock_guard lock(mutex_);
    failure_ = std::move(error);
  }
  changed_.notify_all();
  if (note_) note_("replication stopped: " + failure_->message);
}

void Replicator::run() {
  std::optional<std::map<std::uint32_t, std::int64_t>> target;  // where the topic ended when asked
  std::uint64_t request = 0;  // the catch-up `target` serves (Engine::catch_up_request)
  std::string last_problem;
  std::uint64_t applied = 0;
  std::vector<ReceivedRecord> waiting;  // records whose org_head chain 0 has not reached yet
  auto last_note = std::chrono::steady_clock::now();
  auto retry = [&](const Error& error) {
    if (note_ && error.message != last_problem) note_("waiting for Kafka: " + error.message);
    last_problem = error.message;
    std::this_thread::sleep_for(kRetryPause);
  };
  while (!stopping_) {
    if (engine_.needs_catch_up() && !target) {
      request = engine_.catch_up_request();
      // No transaction of this node may be open while the end is measured, or a batch whose
      // commit is undecided could land after it; a node elected to decide fences the previous
      // decider here, so the end includes everything it wrote.
      Status settled = publisher_.settle();
      if (!settled.ok()) {
        retry(settled.error());
        continue;
      }
      auto ends = reader_->end_offsets();
      if (!ends.ok()) {
        retry(ends.error());
        continue;
      }
      target = std::move(ends.value());
    }
    auto polled = reader_->poll(kRecordsPerReceive, kPollWait);
    if (!polled.ok()) {
      fail(polled.error());
      return;
    }
    if (!polled->empty() || !waiting.empty()) {
      const std::size_t before = waiting.size() + polled->size();
      std::vector<ReceivedRecord> records = std::move(waiting);
      records.insert(records.end(), std::make_move_iterator(polled->begin()),
                     std::make_move_iterator(polled->end()));
      auto received = engine_.receive(std::move(records)).get();
      if (!received.ok()) {
        fail(received.error());
        return;
      }
      waiting = std::move(received.value());
      applied += before - waiting.size();
      last_problem.clear();
      // Records wait for chain 0, which is read meanwhile; past a bound their partitions pause.
      std::set<std::uint32_t> paused;
      if (waiting.size() > kMaxWaiting) {
        for (const auto& record : waiting) paused.insert(record.partition);
      }
      reader_->pause_only(paused);
    }
    if (target && waiting.empty() && reader_->reached(*target)) {
      target.reset();
      {
        std::lock_guard lock(mutex_);  // so that a waiter cannot miss the change
        engine_.caught_up(request);
      }
      changed_.notify_all();
      if (note_ && !engine_.needs_catch_up()) {
        note_("caught up with the topic (" + std::to_string(applied) + " records read)");
      }
    } else if (target && note_ && std::chrono::steady_clock::now() - last_note > kProgressEvery) {
      note_("catching up with the topic: " + std::to_string(applied) + " records read");
      last_note = std::chrono::steady_clock::now();
    }
  }
}

}  // namespace dispatch::kafka
