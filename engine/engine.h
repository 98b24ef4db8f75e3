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

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>

#include "engine/command.h"
#include "engine/log.h"
#include "engine/org.h"
#include "engine/status.h"
#include "engine/store/kv.h"
#include "projections/folders.h"
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
};

// Told, on the committer thread after each durable batch, the batch's events in log order and,
// for each event, the folders whose contents it changed (the order's folders before and after
// it; none for organisation events). It must be quick and must not submit commands (the
// committer waits for it).
using CommitListener = std::function<void(const std::vector<Event>& events,
                                          const std::vector<std::vector<Membership>>& folders)>;

// Progress of long runs (rebuild, verify): events done of total.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

class Engine {
 public:
  // Opens the store in `dir` (created when missing, unless read-only) and catches the projections
  // up with the log. Errors: `unavailable` when the store is in use by another process or cannot
  // be read; `not_found` when read-only and there is no store.
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
  Engine(std::unique_ptr<Kv> kv, EngineOptions options);
  Status start();
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
  std::optional<Error> batch_error_;     // set when a batch must be abandoned
  std::vector<Event> batch_events_;      // the events of the batch being committed
  std::vector<std::vector<Membership>> batch_folders_;  // the folders each of them changed
  std::vector<CommitListener> listeners_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread committer_;
};

}  // namespace dispatch
