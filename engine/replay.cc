#include "engine/replay.h"

#include <future>
#include <optional>
#include <system_error>
#include <utility>

#include "projections/projector.h"

namespace dispatch {
namespace {

// Events projected per write: large enough to amortise the write, small enough that the pending
// WriteSets stay a few tens of megabytes.
constexpr std::uint64_t kReplayChunk = 20000;

// Writes each chunk of projections on a thread of its own while the next chunk is projected.
// The projector reads through view(): the chunk being written, then the target, so it sees every
// chunk handed over whether or not its write has ended. At most one write runs at a time, so
// chunks reach the target in order.
class ChunkWriter {
 public:
  explicit ChunkWriter(Kv& target) : target_(target), view_(target, writing_) {}
  ChunkWriter(const ChunkWriter&) = delete;
  ChunkWriter& operator=(const ChunkWriter&) = delete;
  // A write still running reads writing_, so it must end first; its outcome was not asked for,
  // so an error came after another error, which is what the caller reports.
  ~ChunkWriter() { (void)wait(); }

  const Kv& view() const { return view_; }

  // Waits for the previous chunk's write, then starts writing `chunk`, which is left empty.
  // Errors: the previous write's.
  Status write(WriteSet& chunk) {
    Status previous = wait();
    if (!previous.ok()) return previous;
    std::swap(writing_, chunk);
    chunk.clear();
    try {
      running_ =
          std::async(std::launch::async, [this] { return target_.write_unlogged(writing_); });
    } catch (const std::system_error&) {
      return target_.write_unlogged(writing_);  // no thread to be had: write it here
    }
    return Status::success();
  }

  // Waits for the write in progress, if any, and returns its outcome.
  Status wait() {
    if (!running_.valid()) return Status::success();
    return running_.get();
  }

 private:
  // Gets read the chunk being written before the target; everything else goes to the target.
  class View final : public ForwardingKv {
   public:
    View(Kv& target, const WriteSet& writing) : ForwardingKv(target), writing_(writing) {}
    Result<std::optional<std::string>> get(Space space, std::string_view key) const override {
      auto pending = writing_.pending(space, key);
      if (pending) return std::move(*pending);
      return ForwardingKv::get(space, key);
    }

   private:
    const WriteSet& writing_;
  };

  Kv& target_;
  WriteSet writing_;
  View view_;
  std::future<Status> running_;
};

}  // namespace

Status replay(const EventLog& log, Kv& target, Org& org, Position from, const Progress& progress) {
  Projector projector(org);
  ChunkWriter writer(target);
  WriteSet writes;
  std::uint64_t done = 0;
  const std::uint64_t total = log.records_from(from);
  std::optional<Error> failure;
  Status read = log.read_ahead(from, [&](const Event& event) {
    Status s = projector.stage(event, writer.view(), writes);
    if (s.ok() && ++done % kReplayChunk == 0) {
      s = projector.flush(writer.view(), writes);
      if (s.ok()) s = writer.write(writes);
      if (s.ok() && progress) progress(done, total);
    }
    if (!s.ok()) failure = s.error();
    return s.ok();
  });
  if (!read.ok()) return read;
  if (failure) return *failure;
  Status s = projector.flush(writer.view(), writes);
  if (s.ok()) s = writer.write(writes);
  if (s.ok()) s = writer.wait();
  if (s.ok()) s = target.sync_unlogged();
  if (!s.ok()) return s;
  if (progress) progress(done, total);
  return Status::success();
}

}  // namespace dispatch
