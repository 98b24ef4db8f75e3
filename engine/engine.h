// The engine: decides commands against the current state and commits their events, the
// projection updates and the command-id record in one atomic, durable write.
//
// One committer thread decides and writes. Callers on any thread submit commands; the committer
// takes every command waiting (up to a batch limit), decides them in arrival order (each sees the
// effects of the ones before it), and writes the whole batch with one synced write: concurrent
// callers share one fsync (group commit), and a reply is given only once its batch is durable.
// If the write fails, every accepted command of the batch is answered `unavailable` and nothing of
// it is kept.
//
// Queries read committed state and may run on any thread concurrently with commands.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>

#include "engine/command.h"
#include "engine/log.h"
#include "engine/org.h"
#include "engine/replay.h"
#include "engine/replication.h"
#include "engine/status.h"
#include "engine/store/kv.h"
#include "engine/store/rocks_kv.h"
#include "projections/folders.h"
#include "projections/projection_cache.h"
#include "projections/search.h"

namespace dispatch {

// Gives the engine's time as RFC 3339 for commands without `at`.
using Clock = std::function<std::string()>;
Clock system_clock();  // UTC with milliseconds, e.g. 2026-11-26T23:40:00.123Z

struct EngineOptions {
  bool durable = true;          // sync every batch to stable storage before replying
  std::size_t max_batch = 512;  // commands decided and written together at most
  Clock clock = system_clock();
  // Open the store read-only: no lock is taken, so it works beside a running writer (audits);
  // commands are answered `unavailable` and rebuild refuses. Projections are used as they are.
  bool read_only = false;
  // Open(dir) creates an empty store when `dir` has none (never when read_only). Tools that only
  // read or repair a store turn this off, so a mistyped directory is an error, not a new store.
  bool create_if_missing = true;
  // A shared log (engine/replication.h) that every batch is published to before the store
  // writes it: the store is then a replica in the publisher's layout. A store once used with a
  // publisher takes commands only with one (the same shared log); without, they are `unavailable`.
  // Commands also wait (`unavailable`) until the replica has caught up with the shared log (see
  // receive and caught_up): at open, and after a publish failed.
  std::shared_ptr<LogPublisher> publisher;
  // The store's block cache, for open(dir) (RocksOptions::cache_bytes says what it bounds).
  std::size_t cache_bytes = kDefaultCacheBytes;
};

// How open(dir) opens the store for `options`; for callers that open the store themselves and
// hand the engine a view of it.
RocksOptions store_options(const EngineOptions& options);

// Told, on the committer thread after each durable batch, the batch's events in log order and,
// for each event, the folders whose contents it changed (the order's folders before and after
// it; none for organisation events). It must be quick and must not submit commands (the
// committer waits for it).
using CommitListener = std::function<void(const std::vector<Event>& events,
                                          const std::vector<std::vector<Membership>>& folders)>;

class Engine {
 public:
  // Opens the store in `dir` (created when missing, unless read-only or not create_if_missing)
  // and catches the projections up with the log. Errors: `unavailable` when the store is in use by
  // another process or cannot be read; `not_found` "no store at <dir>" when there is none and it
  // may not be created.
  static Result<std::unique_ptr<Engine>> open(const std::string& dir, EngineOptions options = {});
  // Runs over any Kv (the in-memory one in tests).
  static Result<std::unique_ptr<Engine>> open(std::unique_ptr<Kv> kv, EngineOptions options = {});

  // Finishes the commands already submitted, then stops the committer.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Decides and commits one command; returns the contract's reply object. A command whose id was
  // applied before is not applied again: its first reply comes back with "duplicate": true.
  // Thread-safe.
  std::future<nlohmann::json> submit(Command command);
  nlohmann::json execute(Command command) { return submit(std::move(command)).get(); }

  // Queries: the contract's JSON (projections/queries.h).
  Result<nlohmann::json> folder(const std::string& owner, const std::string& folder,
                                std::size_t limit, const std::string& after) const;
  Result<nlohmann::json> order(const OrderId& id) const;
  Result<nlohmann::json> stats(const UnitId& unit) const;
  // The order query as `viewer` may see it (projections/search.h).
  Result<nlohmann::json> search(const AccountId& viewer, const SearchFilter& filter,
                                std::size_t limit, const std::string& after) const;
  // The order's state as committed; nullopt when it does not exist.
  Result<std::optional<OrderState>> order_state(const OrderId& id) const;
  // The stored argon2id hash of the account's password; nullopt while it has its initial one.
  Result<std::optional<std::string>> password_hash(const AccountId& account) const;
  // Calls `read` with the organisation as of the last committed batch, under a shared lock
  // (commands that change the organisation wait meanwhile; keep it short).
  template <class Read>
  void read_org(Read&& read) const {
    std::shared_lock lock(org_mutex_);
    read(static_cast<const Org&>(org_));
  }

  // {"ok", "events", "head": {"position","hash"}, "problems": [...]}: the hash chain is whole, and
  // every projection equals a rebuild from the log. Problems name a position or a projection key.
  Result<nlohmann::json> verify(const Progress& progress = {}) const;
  // Drops every projection and replays the whole log into them. Commands wait meanwhile.
  Status rebuild(const Progress& progress = {});

  // A replica: applies records the shared log holds, in each partition's order, skipping those
  // the store holds already (published by this node) and those before the partition's next
  // offset. Each partition's next offset is kept in the same write, which is not synced (the
  // shared log keeps the records), and listeners are told of the events as of commands.
  // Returns the records that must wait for chain 0 to reach their org_head, with every later
  // record of their partitions, in order: hand them in again once more has been received.
  // Errors: `conflict` or `invalid` naming the record when the store and the shared log disagree
  // (the records before it are kept, as if they had come alone, and the replica must not go on);
  // `unavailable` when the store cannot be written (nothing of the call is kept).
  std::future<Result<std::vector<ReceivedRecord>>> receive(std::vector<ReceivedRecord> records);
  // Per partition, the offset after the last record applied from the shared log.
  Result<std::map<std::uint32_t, std::int64_t>> next_offsets() const;
  // Whether commands wait for the replica to catch up with the shared log.
  bool needs_catch_up() const { return needs_catch_up_; }
  // Makes commands wait until the replica has caught up anew (a node elected to decide must
  // first read what the previous decider wrote). Thread-safe.
  void require_catch_up() {
    ++catch_up_requests_;
    needs_catch_up_ = true;
  }
  // Like require_catch_up, and returns only once no batch decided before the call is still being
  // committed: for a node given new partitions to decide on, so that nothing it decided before
  // reaches them on state older than what the previous owner wrote. Not on the committer thread.
  void require_catch_up_after_batch() {
    require_catch_up();
    std::lock_guard wait(batch_mutex_);
  }
  // Whether this node decides `command` now: always without a publisher; with one, when it may
  // decide on every partition the command's events go to (those of its orders; partition 0 for
  // the organisation and accounts; any for a CreateOrder without an order_id). Otherwise
  // `unavailable` saying why, naming the first order it may not decide. The engine still refuses
  // what it may not decide when the command reaches it: this is for routing.
  Status may_decide(const Command& command) const;
  // The partitions of the publisher's layout that the command's events go to, which may_decide
  // checks (none for a CreateOrder without an order_id, nor without a publisher).
  std::set<std::uint32_t> partitions_of(const Command& command) const;
  // Returns once no batch is being decided or committed: one decided before the call is done.
  void wait_for_batch() { std::lock_guard wait(batch_mutex_); }
  // The position of the last record this node has committed on `chain` (0 when none).
  Position last_on_chain(std::uint32_t chain) const;
  // Which catch-up a replicator is working on: read before it measures the shared log's end.
  std::uint64_t catch_up_request() const { return catch_up_requests_; }
  // Told by the replicator when it has applied everything the shared log held when it measured
  // its end for `request`; commands wait on when a later catch-up was required meanwhile.
  void caught_up(std::uint64_t request) {
    if (request == catch_up_requests_) needs_catch_up_ = false;
  }
  const LogLayout& layout() const { return log_.layout(); }

  // Read-your-writes across nodes: waits until this node has applied the event at `position` (a
  // position from a reply, made here or on another node of the same shared log), or `timeout`
  // passed (`unavailable`, naming the position). At once when it has.
  Status wait_for(Position position, std::chrono::milliseconds timeout) const;

  // Registers a listener for committed events. Call it before submitting commands.
  void on_commit(CommitListener listener) { listeners_.push_back(std::move(listener)); }

  LogHead head() const;
  // Visits the committed log's records from `from` in order (EventLog::read).
  Status read_log(Position from,
                  const std::function<bool(const Event&, std::string_view raw)>& visit) const {
    return log_.read(from, visit);
  }
  // A copy of the organisation as of the last committed batch.
  Org org() const;

 private:
  struct Pending;
  struct Received;
  struct Unsynced;
  Engine(std::unique_ptr<Kv> kv, EngineOptions options);
  Status start();
  Status check_replica_layout();
  Result<std::vector<ReceivedRecord>> apply_received(std::vector<ReceivedRecord>& records);
  void tell_listeners(const std::vector<Event>& events,
                      const std::vector<std::vector<Membership>>& folders);
  // The syncer: makes the committer's batches durable (Kv::sync_log) while it decides the next
  // ones, then answers their commands and tells the listeners.
  void run_syncer();
  Status catch_up(const Progress& progress);
  void run_committer();
  void commit_batch(std::deque<Pending>& batch);
  nlohmann::json decide_into(Command& command, WriteSet& writes, bool& accepted);

  std::unique_ptr<Kv> kv_;
  EngineOptions options_;
  EventLog log_;
  Org org_;
  mutable std::shared_mutex org_mutex_;  // readers: queries; writer: the committer
  mutable std::mutex write_mutex_;       // the committer's batches vs rebuild and verify
  std::mutex batch_mutex_;               // held while a batch is decided and committed (see above)
  std::optional<Error> batch_error_;     // set when a batch must be abandoned
  // Order views and counters as stored, for the committer's reads; under write_mutex_.
  ProjectionCache projection_cache_;
  std::vector<Event> batch_events_;                     // the events of the batch being committed
  std::vector<std::vector<Membership>> batch_folders_;  // the folders each of them changed
  std::vector<PublishedRecord> batch_records_;          // with a publisher: what it publishes
  std::vector<CommitListener> listeners_;
  std::atomic<bool> needs_catch_up_{false};
  std::atomic<std::uint64_t> catch_up_requests_{0};
  std::map<std::uint32_t, std::int64_t> next_offsets_;  // a replica's, as committed
  // Per chain, the highest position committed: what wait_for waits on.
  mutable std::mutex applied_mutex_;
  mutable std::condition_variable applied_cv_;
  std::map<std::uint32_t, std::uint64_t> applied_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  std::deque<Received> received_;  // applied before waiting commands
  bool stopping_ = false;
  std::thread committer_;

  // Durable batches of the embedded log are written unsynced and handed here; a reply is given
  // only once a sync after its write has succeeded. After a failed sync nothing more is decided.
  std::mutex sync_mutex_;
  std::condition_variable sync_cv_;
  std::deque<Unsynced> unsynced_;
  bool syncer_stopping_ = false;
  std::optional<Error> sync_failure_;
  bool overlapped_sync_ = false;  // set before the threads start
  std::thread syncer_;
};

}  // namespace dispatch
