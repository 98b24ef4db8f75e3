#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <set>

#include "engine/decide.h"
#include "engine/replay.h"
#include "engine/store/rocks_kv.h"
#include "projections/projector.h"
#include "projections/queries.h"

namespace dispatch {
namespace {
using json = nlohmann::json;

json error_reply(const Command& command, const Error& error) {
  return json{{"ok", false}, {"id", command.id}, {"error", to_json(error)}};
}

json accepted_reply(const Command& command, const std::vector<Event>& events) {
  json order_ids = json::array();
  json positions = json::array();
  for (const auto& e : events) {
    positions.push_back(e.position);
    OrderId id = e.order_id();
    if (!id.empty() && (order_ids.empty() || order_ids.back() != id.str())) {
      order_ids.push_back(id);
    }
  }
  return json{{"ok", true}, {"id", command.id}, {"order_ids", order_ids}, {"positions", positions}};
}

// Projection keys hold NULs and big-endian numbers; problems show them readably: printable ASCII
// and whole UTF-8 sequences (Chinese names) as they are, every other byte as \xNN.
std::string printable_key(std::string_view key) {
  std::string out;
  auto escape = [&](unsigned char c) {
    char buf[5];
    std::snprintf(buf, sizeof buf, "\\x%02x", c);
    out += buf;
  };
  for (std::size_t i = 0; i < key.size();) {
    auto c = static_cast<unsigned char>(key[i]);
    std::size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
    if (c < 0x80) {
      if (c >= 0x20 && c < 0x7F && c != '\\') {
        out += static_cast<char>(c);
      } else {
        escape(c);
      }
      ++i;
      continue;
    }
    bool whole = len > 1 && i + len <= key.size();
    for (std::size_t k = 1; whole && k < len; ++k) {
      whole = (static_cast<unsigned char>(key[i + k]) & 0xC0) == 0x80;
    }
    if (whole) {
      out.append(key.substr(i, len));
      i += len;
    } else {
      escape(c);
      ++i;
    }
  }
  return out;
}

}  // namespace

Clock system_clock() {
  return [] {
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms.count()));
    return std::string(buf);
  };
}

struct Engine::Pending {
  Command command;
  std::promise<json> reply;
};

// A batch written without a sync: its commands' replies wait for the syncer.
struct Engine::Unsynced {
  std::deque<Pending> batch;
  std::vector<json> replies;  // one per command of the batch
  std::vector<Event> events;
  std::vector<std::vector<Membership>> folders;
};

struct Engine::Received {
  std::vector<ReceivedRecord> records;
  std::promise<Result<std::vector<ReceivedRecord>>> done;
};

namespace {
// Space::replica: where a replica resumes reading each partition of the shared log.
std::string next_offset_key(std::uint32_t partition) { return partition_key("o/", partition); }
constexpr std::string_view kLogNameKey = "m/log";

// Adds `event` to the reply recorded for its command: a replica learns a command's reply from
// its events, which may reach it from several partitions.
Status record_reply_part(const OverlayReader& reader, WriteSet& writes, const Event& event) {
  const std::string key = event.command_id.str();
  auto prior = reader.get(Space::commands, key);
  if (!prior.ok()) return prior.error();
  json reply = prior->has_value() ? json::parse(**prior, nullptr, false) : json();
  if (!reply.is_object()) {
    reply =
        json{{"ok", true}, {"id", key}, {"order_ids", json::array()}, {"positions", json::array()}};
  }
  reply["positions"].push_back(event.position);
  if (OrderId id = event.order_id(); !id.empty()) {
    json& ids = reply["order_ids"];
    if (std::find(ids.begin(), ids.end(), json(id.str())) == ids.end()) ids.push_back(id.str());
  }
  writes.put(Space::commands, key, reply.dump());
  return Status::success();
}
}  // namespace

Engine::Engine(std::unique_ptr<Kv> kv, EngineOptions options)
    : kv_(std::move(kv)), options_(std::move(options)), log_(*kv_) {}

RocksOptions store_options(const EngineOptions& options) {
  return RocksOptions{.read_only = options.read_only,
                      .create_if_missing = options.create_if_missing && !options.read_only,
                      .cache_bytes = options.cache_bytes};
}

Result<std::unique_ptr<Engine>> Engine::open(const std::string& dir, EngineOptions options) {
  auto kv = open_rocks_kv(dir, store_options(options));
  if (!kv.ok()) return kv.error();
  return open(std::move(kv.value()), std::move(options));
}

Result<std::unique_ptr<Engine>> Engine::open(std::unique_ptr<Kv> kv, EngineOptions options) {
  std::unique_ptr<Engine> engine(new Engine(std::move(kv), std::move(options)));
  Status s = engine->start();
  if (!s.ok()) return s.error();
  return engine;
}

Status Engine::start() {
  if (options_.publisher) {
    Status checked = check_replica_layout();
    if (!checked.ok()) return checked;
    require_catch_up();  // until the replicator has read the shared log to its end
  }
  Status s = log_.open();
  if (!s.ok()) return s;
  applied_[0] = log_.head().position.value();
  if (log_.layout().partitioned()) {
    for (std::uint32_t chain = 0; chain < log_.layout().partitions; ++chain) {
      auto head = log_.chain_head(chain);
      if (!head.ok()) return head.error();
      applied_[chain] = head->position.value();
    }
    Status scanned =
        kv_->scan(Space::replica, "o/", "", [&](std::string_view key, std::string_view value) {
          if (value.size() == 8) {
            next_offsets_[partition_of_key(key, 2)] = static_cast<std::int64_t>(decode_be64(value));
          }
          return true;
        });
    if (!scanned.ok()) return scanned;
  }
  auto org = load_org(*kv_);
  if (!org.ok()) return org.error();
  org_ = std::move(org.value());
  if (options_.read_only) return Status::success();
  s = catch_up({});
  if (!s.ok()) return s;
  overlapped_sync_ = options_.durable && !options_.publisher;
  if (overlapped_sync_) syncer_ = std::thread([this] { run_syncer(); });
  committer_ = std::thread([this] { run_committer(); });
  return Status::success();
}

// A store becomes a replica of one shared log on first use, and only while its log is empty: an
// embedded log cannot be merged into a shared one, nor a replica moved to another.
Status Engine::check_replica_layout() {
  const LogLayout wanted = options_.publisher->layout();
  const std::string name = options_.publisher->name();
  auto layout = load_log_layout(*kv_);
  if (!layout.ok()) return layout.error();
  auto recorded = kv_->get(Space::replica, kLogNameKey);
  if (!recorded.ok()) return recorded.error();
  if (layout->partitioned()) {
    if (*layout != wanted || !recorded->has_value() || **recorded != name) {
      return make_error(ErrorCode::invalid,
                        "This store replicates " + recorded->value_or("another log") + " (" +
                            std::to_string(layout->partitions) + " partitions), not " + name +
                            " (" + std::to_string(wanted.partitions) +
                            " partitions); use another --data directory.");
    }
    return Status::success();
  }
  if (options_.read_only) return make_error(ErrorCode::unavailable, "the store is read-only");
  auto last = kv_->last(Space::log, "");
  if (!last.ok()) return last.error();
  if (last->has_value()) {
    return make_error(ErrorCode::invalid, "This store holds an embedded log; a replica of " + name +
                                              " needs an empty --data directory.");
  }
  WriteSet writes;
  writes.put(Space::replica, std::string(kLayoutKey), std::to_string(wanted.partitions));
  writes.put(Space::replica, std::string(kLogNameKey), name);
  return kv_->write(writes, true);
}

// Projections normally move with the log in the same write; they lag only after an interrupted
// rebuild. Then the missing tail is replayed.
Status Engine::catch_up(const Progress& progress) {
  auto applied = kv_->get(Space::projections, keys::kApplied);
  if (!applied.ok()) return applied.error();
  Position from(applied->has_value() ? decode_be64(**applied) + 1 : 1);
  if (from > log_.head().position) return Status::success();
  std::unique_lock lock(org_mutex_);
  projection_cache_.clear();
  return replay(log_, *kv_, org_, from, progress);
}

Engine::~Engine() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
  {
    std::lock_guard lock(sync_mutex_);
    syncer_stopping_ = true;
  }
  sync_cv_.notify_all();
  if (syncer_.joinable()) syncer_.join();  // answers every batch the committer handed over
}

std::future<json> Engine::submit(Command command) {
  std::promise<json> promise;
  std::future<json> future = promise.get_future();
  {
    std::lock_guard lock(queue_mutex_);
    const bool replica_without_log = log_.layout().partitioned() && !options_.publisher;
    if (stopping_ || options_.read_only || replica_without_log) {
      promise.set_value(error_reply(
          command, make_error(ErrorCode::unavailable,
                              options_.read_only    ? "the store is open read-only"
                              : replica_without_log ? "this store replicates a shared log; send "
                                                      "commands to dispatchd --log kafka"
                                                    : "the engine is shutting down")));
      return future;
    }
    queue_.push_back(Pending{std::move(command), std::move(promise)});
  }
  queue_cv_.notify_one();
  return future;
}

std::future<Result<std::vector<ReceivedRecord>>> Engine::receive(
    std::vector<ReceivedRecord> records) {
  std::promise<Result<std::vector<ReceivedRecord>>> promise;
  auto future = promise.get_future();
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_ || !log_.layout().partitioned()) {
      promise.set_value(make_error(ErrorCode::unavailable, stopping_
                                                               ? "the engine is shutting down"
                                                               : "this store is not a replica"));
      return future;
    }
    received_.push_back(Received{std::move(records), std::move(promise)});
  }
  queue_cv_.notify_one();
  return future;
}

Result<std::map<std::uint32_t, std::int64_t>> Engine::next_offsets() const {
  std::lock_guard lock(write_mutex_);
  return next_offsets_;
}

void Engine::run_committer() {
  for (;;) {
    std::deque<Pending> batch;
    std::optional<Received> received;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty() || !received_.empty(); });
      if (queue_.empty() && received_.empty()) return;  // stopping, and everything is answered
      if (!received_.empty()) {
        received.emplace(std::move(received_.front()));
        received_.pop_front();
      } else {
        while (!queue_.empty() && batch.size() < options_.max_batch) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    if (received) {
      received->done.set_value(apply_received(received->records));
    } else {
      commit_batch(batch);
    }
  }
}

Result<std::vector<ReceivedRecord>> Engine::apply_received(std::vector<ReceivedRecord>& records) {
  std::lock_guard write_lock(write_mutex_);
  WriteSet writes;
  batch_events_.clear();
  batch_folders_.clear();
  std::map<std::uint32_t, std::int64_t> offsets = next_offsets_;
  Projector projector(org_, &projection_cache_);
  Status s = Status::success();
  // A record the log refuses: the records before it are kept, so an audit's copy of the topic
  // holds, and verifies, everything up to it.
  std::optional<Error> refused;
  std::vector<ReceivedRecord> waiting;
  std::set<std::uint32_t> held_back;  // partitions whose next record waits for chain 0
  for (auto& record : records) {
    auto next = offsets.find(record.partition);
    if (next != offsets.end() && record.offset < next->second) continue;
    if (!held_back.contains(record.partition) && record.org_head > 0) {
      auto org = log_.chain_head(0);
      if (!org.ok()) {
        s = org.error();
        break;
      }
      if (org->position.value() < record.org_head) held_back.insert(record.partition);
    }
    if (held_back.contains(record.partition)) {
      waiting.push_back(std::move(record));
      continue;
    }
    auto staged = log_.stage_received(record.value, record.partition, writes);
    if (!staged.ok()) {
      Error e = make_error(staged.error().code, staged.error().message + " (partition " +
                                                    std::to_string(record.partition) + ", offset " +
                                                    std::to_string(record.offset) + ")");
      if (e.code == ErrorCode::unavailable) {
        s = std::move(e);
      } else {
        refused = std::move(e);
      }
      break;
    }
    offsets[record.partition] = record.offset + 1;
    writes.put(Space::replica, next_offset_key(record.partition),
               encode_be64(static_cast<std::uint64_t>(record.offset + 1)));
    if (!staged->has_value()) continue;  // published by this node, which holds it already
    const Event& event = **staged;
    std::unique_lock<std::shared_mutex> lock(org_mutex_, std::defer_lock);
    if (is_organisation_event(event)) lock.lock();
    std::vector<Membership> folders;
    s = projector.apply(event, *kv_, writes, listeners_.empty() ? nullptr : &folders);
    if (s.ok()) s = record_reply_part(OverlayReader(*kv_, writes), writes, event);
    if (!s.ok()) break;
    if (std::holds_alternative<ev::PasswordChanged>(event.body) && record.password_hash) {
      writes.put(Space::accounts, event.stream.substr(std::string_view("account/").size()),
                 *record.password_hash);
    } else if (std::holds_alternative<ev::PasswordReset>(event.body)) {
      writes.del(Space::accounts, event.stream.substr(std::string_view("account/").size()));
    }
    batch_events_.push_back(event);
    batch_folders_.push_back(std::move(folders));
  }
  if (s.ok() && !batch_events_.empty()) {
    // The projector marks each event as the last applied, but records arrive in partition order,
    // not in position order: what catch-up needs is the highest position applied.
    Position highest = log_.head().position;
    for (const auto& event : batch_events_) highest = std::max(highest, event.position);
    writes.put(Space::projections, std::string(keys::kApplied), encode_be64(highest.value()));
  }
  if (s.ok() && !writes.empty()) s = kv_->write(writes, false);
  if (!s.ok()) {
    projection_cache_.clear();
    log_.abort_staged();
    auto org = load_org(*kv_);
    std::unique_lock lock(org_mutex_);
    if (org.ok()) org_ = std::move(org.value());
    return s.error();
  }
  log_.commit_staged();
  projection_cache_.commit(writes);
  next_offsets_ = std::move(offsets);
  tell_listeners(batch_events_, batch_folders_);
  if (refused) return *refused;
  return waiting;
}

Status Engine::wait_for(Position position, std::chrono::milliseconds timeout) const {
  const std::uint32_t chain = log_.layout().chain_of(position);
  std::unique_lock lock(applied_mutex_);
  bool seen = applied_cv_.wait_for(lock, timeout, [&] {
    auto it = applied_.find(chain);
    return it != applied_.end() && it->second >= position.value();
  });
  if (seen) return Status::success();
  return make_error(ErrorCode::unavailable, "this node has not yet received position " +
                                                std::to_string(position.value()) +
                                                " of the log; retry in a moment");
}

// After a committed batch (decided or received): the listeners and wait_for learn of it.
void Engine::tell_listeners(const std::vector<Event>& events,
                            const std::vector<std::vector<Membership>>& folders) {
  {
    std::lock_guard lock(applied_mutex_);
    for (const auto& event : events) {
      auto& highest = applied_[log_.layout().chain_of(event.position)];
      highest = std::max(highest, event.position.value());
    }
  }
  applied_cv_.notify_all();
  if (events.empty()) return;
  for (const auto& listener : listeners_) listener(events, folders);
}

void Engine::run_syncer() {
  for (;;) {
    std::deque<Unsynced> taken;
    {
      std::unique_lock lock(sync_mutex_);
      sync_cv_.wait(lock, [this] { return syncer_stopping_ || !unsynced_.empty(); });
      if (unsynced_.empty()) return;  // stopping, and everything is answered
      taken.swap(unsynced_);
    }
    // One sync for every batch written before it: the committer meanwhile decides and writes
    // the next ones, which wait for the following sync.
    Status synced = kv_->sync_log();
    if (!synced.ok()) {
      std::lock_guard lock(sync_mutex_);
      if (!sync_failure_) sync_failure_ = synced.error();
    }
    for (Unsynced& done : taken) {
      if (synced.ok()) tell_listeners(done.events, done.folders);
      for (std::size_t i = 0; i < done.batch.size(); ++i) {
        if (synced.ok()) {
          done.batch[i].reply.set_value(std::move(done.replies[i]));
        } else {
          // Written but perhaps not durable, and decided on state that may be lost: no answer
          // but unavailable. A retry after a restart is a duplicate if the write survived.
          Error e = synced.error();
          e.message = "not known to be durable: " + e.message +
                      "; restart dispatchd, then retry with the same id";
          done.batch[i].reply.set_value(error_reply(done.batch[i].command, e));
        }
      }
    }
  }
}

void Engine::commit_batch(std::deque<Pending>& batch) {
  std::vector<json> replies;
  std::vector<bool> accepted(batch.size(), false);
  replies.reserve(batch.size());
  // Before the check, so that require_catch_up_after_batch either waits for this batch or is seen.
  std::lock_guard batch_lock(batch_mutex_);
  if (needs_catch_up_) {
    const Error waiting = make_error(ErrorCode::unavailable,
                                     "this node is catching up with the shared log; retry in a "
                                     "moment");
    for (auto& pending : batch) pending.reply.set_value(error_reply(pending.command, waiting));
    return;
  }
  if (options_.publisher) {
    Status allowed = options_.publisher->may_decide();
    if (!allowed.ok()) {
      for (auto& pending : batch) {
        pending.reply.set_value(error_reply(pending.command, allowed.error()));
      }
      return;
    }
  }
  // The embedded log's durable batches are synced by the syncer while the next one is decided.
  const bool overlapped = overlapped_sync_;
  if (overlapped) {
    std::optional<Error> failed;
    {
      std::lock_guard lock(sync_mutex_);
      failed = sync_failure_;
    }
    if (failed) {
      failed->message = "the store could not make earlier writes durable (" + failed->message +
                        "); restart dispatchd";
      for (auto& pending : batch) pending.reply.set_value(error_reply(pending.command, *failed));
      return;
    }
  }
  std::lock_guard write_lock(write_mutex_);
  WriteSet writes;
  batch_error_.reset();
  batch_events_.clear();
  batch_folders_.clear();
  batch_records_.clear();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    bool ok = false;
    replies.push_back(decide_into(batch[i].command, writes, ok));
    accepted[i] = ok;
    if (batch_error_) break;
  }
  Status written = batch_error_ ? Status(*batch_error_) : Status::success();
  bool published = false;  // the batch is in the shared log, whatever happens here next
  if (written.ok() && options_.publisher && !batch_records_.empty()) {
    // The shared log first: a record in the store but not in the shared log would be seen by
    // this node only. After a failure the outcome may be unknown, so this node decides nothing
    // more until it has read the shared log to its end.
    written = options_.publisher->publish(batch_records_);
    published = written.ok();
    if (!published) require_catch_up();
  }
  if (written.ok() && !writes.empty()) {
    written = kv_->write(writes, options_.durable && !overlapped);
    if (!written.ok() && published) {
      require_catch_up();
      written = make_error(ErrorCode::unavailable,
                           "the command is in the shared log, but this node could not store it (" +
                               written.error().message +
                               "); a retry is answered as a duplicate once it has caught up");
    }
  }
  if (written.ok()) {
    projection_cache_.commit(writes);
  } else {
    projection_cache_.clear();
  }
  if (written.ok() && overlapped) {
    log_.commit_staged();
    // Even refusals wait: they were decided on state that is durable only once synced.
    {
      std::lock_guard lock(sync_mutex_);
      unsynced_.push_back(Unsynced{std::move(batch), std::move(replies), std::move(batch_events_),
                                   std::move(batch_folders_)});
    }
    sync_cv_.notify_one();
    batch_events_.clear();
    batch_folders_.clear();
    return;
  }
  if (written.ok()) {
    log_.commit_staged();
    tell_listeners(batch_events_, batch_folders_);
  } else {
    // Nothing of the batch is kept: forget staged positions and rebuild the organisation as it
    // is on disk, since organisation events of the batch were already applied in memory.
    log_.abort_staged();
    auto org = load_org(*kv_);
    std::unique_lock lock(org_mutex_);
    if (org.ok()) org_ = std::move(org.value());
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i >= replies.size() || (accepted[i] && !written.ok())) {
      Error e = written.ok() ? make_error(ErrorCode::unavailable, "not applied") : written.error();
      e.code = ErrorCode::unavailable;
      if (!published) e.message = "not applied: " + e.message;
      batch[i].reply.set_value(error_reply(batch[i].command, e));
    } else {
      batch[i].reply.set_value(std::move(replies[i]));
    }
  }
}

json Engine::decide_into(Command& command, WriteSet& writes, bool& accepted) {
  accepted = false;
  OverlayReader reader(*kv_, writes);
  auto prior = reader.get(Space::commands, command.id.str());
  if (!prior.ok()) return error_reply(command, prior.error());
  if (prior->has_value()) {
    json first = json::parse(**prior, nullptr, false);
    if (!first.is_discarded()) {
      first["duplicate"] = true;
      return first;
    }
  }
  if (command.at.empty()) command.at = options_.clock();

  std::deque<OrderState> loaded;  // keeps looked-up states alive while decide runs
  std::optional<Error> lookup_error;
  auto lookup = [&](const OrderId& id) -> const OrderState* {
    auto order = projection_cache_.order(reader, id);
    if (!order.ok()) {
      lookup_error = order.error();
      return nullptr;
    }
    if (!order->has_value()) return nullptr;
    loaded.push_back(std::move(**order));
    return &loaded.back();
  };
  auto created = projection_cache_.counter(reader, keys::kOrdersCreated);
  if (!created.ok()) return error_reply(command, created.error());

  DecideContext context{org_, lookup, *created, {}};
  if (options_.publisher) {
    context.may_create = [this, layout = log_.layout()](const OrderId& id) {
      return options_.publisher->may_decide_on(layout.partition_of(order_stream(id))).ok();
    };
  }
  auto decided = decide(context, command);
  if (lookup_error) return error_reply(command, *lookup_error);
  if (!decided.ok()) return error_reply(command, decided.error());
  std::vector<Event> events = std::move(decided.value());

  // The organisation as this decision saw it: chain 0 before the command's own events.
  LogHead org_head;
  if (options_.publisher) {
    // Only the node that decides a partition may extend its chain.
    for (const auto& event : events) {
      Status allowed = options_.publisher->may_decide_on(log_.layout().partition_of(event.stream));
      if (!allowed.ok()) {
        Error e = allowed.error();
        if (event.stream.starts_with("order/")) {
          e.message = "order " + event.stream.substr(6) + ": " + e.message;
        }
        return error_reply(command, e);
      }
    }
    auto head = log_.chain_head(0);
    if (!head.ok()) return error_reply(command, head.error());
    org_head = std::move(head.value());
  }
  std::vector<std::string> records;
  Status staged = log_.stage(events, writes, options_.publisher ? &records : nullptr);
  if (!staged.ok()) return error_reply(command, staged.error());
  Projector projector(org_, &projection_cache_);
  for (const auto& event : events) {
    std::unique_lock<std::shared_mutex> lock(org_mutex_, std::defer_lock);
    if (is_organisation_event(event)) lock.lock();
    std::vector<Membership> folders;
    Status s = projector.apply(event, *kv_, writes, listeners_.empty() ? nullptr : &folders);
    batch_folders_.push_back(std::move(folders));
    if (!s.ok()) {
      // The batch's writes are now half-made: the whole batch is abandoned.
      batch_error_ = s.error();
      return error_reply(command, s.error());
    }
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const Event& event = events[i];
    std::optional<std::string> password_hash;
    if (const auto* change = std::get_if<cmd::ChangePassword>(&command.body);
        change != nullptr && std::holds_alternative<ev::PasswordChanged>(event.body)) {
      password_hash = change->password_hash;
    }
    batch_records_.push_back(PublishedRecord{log_.layout().chain_of(event.position), event.stream,
                                             std::move(records[i]), std::string(event.type()),
                                             command.id.str(), org_head.position.value(),
                                             std::move(password_hash)});
  }
  json reply = accepted_reply(command, events);
  writes.put(Space::commands, command.id.str(), reply.dump());
  // Passwords live beside the log, never in it, and change in the same write as their event.
  if (const auto* change = std::get_if<cmd::ChangePassword>(&command.body)) {
    writes.put(Space::accounts, change->account.str(), change->password_hash);
  } else if (const auto* reset = std::get_if<cmd::ResetPassword>(&command.body)) {
    writes.del(Space::accounts, reset->account.str());
  }
  batch_events_.insert(batch_events_.end(), std::make_move_iterator(events.begin()),
                       std::make_move_iterator(events.end()));
  accepted = true;
  return reply;
}

Result<json> Engine::folder(const std::string& owner, const std::string& folder, std::size_t limit,
                            const std::string& after) const {
  std::shared_lock lock(org_mutex_);
  return query_folder(*kv_, org_, owner, folder, limit, after);
}

Status Engine::may_decide(const Command& command) const {
  if (!options_.publisher) return Status::success();
  const LogPublisher& publisher = *options_.publisher;
  Status allowed = publisher.may_decide();
  if (!allowed.ok()) return allowed;
  for (std::uint32_t partition : partitions_of(command)) {
    allowed = publisher.may_decide_on(partition);
    if (allowed.ok()) continue;
    Error e = allowed.error();
    for (const OrderId& id : command.order_ids()) {  // name the order, when it is one
      if (log_.layout().partition_of(order_stream(id)) == partition) {
        e.message = "order " + id.str() + ": " + e.message;
        break;
      }
    }
    return e;
  }
  return Status::success();
}

std::set<std::uint32_t> Engine::partitions_of(const Command& command) const {
  std::set<std::uint32_t> partitions;
  if (!options_.publisher) return partitions;
  const std::vector<OrderId> orders = command.order_ids();
  if (orders.empty() && !std::holds_alternative<cmd::CreateOrder>(command.body)) {
    partitions.insert(0);
  }
  for (const OrderId& id : orders) partitions.insert(log_.layout().partition_of(order_stream(id)));
  return partitions;
}

Position Engine::last_on_chain(std::uint32_t chain) const {
  std::lock_guard lock(applied_mutex_);
  auto it = applied_.find(chain);
  return Position(it == applied_.end() ? 0 : it->second);
}

Result<json> Engine::order(const OrderId& id) const { return query_order(*kv_, log_, id); }

Result<json> Engine::search(const AccountId& viewer, const SearchFilter& filter, std::size_t limit,
                            const std::string& after) const {
  std::shared_lock lock(org_mutex_);
  return query_search(*kv_, org_, viewer, filter, limit, after);
}

Result<std::optional<OrderState>> Engine::order_state(const OrderId& id) const {
  WriteSet none;
  return load_order(OverlayReader(*kv_, none), id);
}

Result<std::optional<std::string>> Engine::password_hash(const AccountId& account) const {
  return kv_->get(Space::accounts, account.str());
}

Result<json> Engine::stats(const UnitId& unit) const {
  std::shared_lock lock(org_mutex_);
  return query_stats(*kv_, org_, unit);
}

LogHead Engine::head() const {
  std::lock_guard lock(write_mutex_);
  return log_.head();
}

Org Engine::org() const {
  std::shared_lock lock(org_mutex_);
  return org_;
}

Status Engine::rebuild(const Progress& progress) {
  if (options_.read_only) {
    return make_error(ErrorCode::unavailable,
                      "the store is open read-only; rebuild needs it whole");
  }
  std::lock_guard write_lock(write_mutex_);
  projection_cache_.clear();
  Status s = kv_->clear(Space::projections);
  if (!s.ok()) return s;
  Org org;
  s = replay(log_, *kv_, org, Position(1), progress);
  std::unique_lock lock(org_mutex_);
  if (s.ok()) {
    org_ = std::move(org);
  } else {
    auto reloaded = load_org(*kv_);
    if (reloaded.ok()) org_ = std::move(reloaded.value());
  }
  return s;
}

Result<json> Engine::verify(const Progress& progress) const {
  std::lock_guard write_lock(write_mutex_);
  // Two passes over the log: the chain, then the replay. Only for the progress report.
  const std::uint64_t records = log_.records_from(Position(1));
  auto chain = verify_chain(*kv_, [&](std::uint64_t done) {
    if (progress) progress(done, records * 2);
  });
  if (!chain.ok()) return chain.error();
  json problems = json::array();
  for (const auto& p : chain->problems) {
    problems.push_back(json{{"where", "log"}, {"position", p.position}, {"message", p.what}});
  }

  // Rebuild the projections in memory from the log and compare them with the stored ones.
  auto rebuilt = make_memory_kv();
  Org org;
  Status s = replay(log_, *rebuilt, org, Position(1), [&](std::uint64_t done, std::uint64_t) {
    if (progress) progress(records + done, records * 2);
  });
  if (!s.ok()) {
    problems.push_back(json{{"where", "projections"},
                            {"message", "the log could not be replayed: " + s.error().message}});
  } else {
    constexpr std::size_t kMaxReported = 100;
    std::size_t matched = 0;
    std::size_t reported = 0;
    auto report = [&](std::string_view key, std::string message) {
      if (++reported <= kMaxReported) {
        problems.push_back(json{{"where", "projections"},
                                {"key", printable_key(key)},
                                {"message", std::move(message)}});
      }
    };
    Status scanned =
        kv_->scan(Space::projections, "", "", [&](std::string_view key, std::string_view value) {
          auto expected = rebuilt->get(Space::projections, key);
          if (!expected.ok() || !expected->has_value()) {
            report(key, "stored but not produced by a rebuild from the log");
          } else if (**expected != value) {
            report(key, "differs from a rebuild from the log");
            ++matched;
          } else {
            ++matched;
          }
          return true;
        });
    if (!scanned.ok()) return scanned.error();
    std::size_t rebuilt_keys = 0;
    (void)rebuilt->scan(Space::projections, "", "", [&](std::string_view, std::string_view) {
      ++rebuilt_keys;
      return true;
    });
    if (rebuilt_keys != matched) {
      Status missing =
          rebuilt->scan(Space::projections, "", "", [&](std::string_view key, std::string_view) {
            auto stored = kv_->get(Space::projections, key);
            if (stored.ok() && !stored->has_value()) {
              report(key, "missing: a rebuild from the log has it");
            }
            return true;
          });
      if (!missing.ok()) return missing.error();
    }
    if (reported > kMaxReported) {
      problems.push_back(
          json{{"where", "projections"},
               {"message", std::to_string(reported - kMaxReported) + " more problems not listed"}});
    }
  }
  return json{{"ok", problems.empty()},
              {"events", chain->events},
              {"head", {{"position", chain->head.position}, {"hash", chain->head.hash}}},
              {"problems", std::move(problems)}};
}

}  // namespace dispatch
