// The hash-chained event log (log.h).
#include "engine/log.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <iterator>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "engine/event_record.h"

namespace dispatch {
namespace {
using json = nlohmann::json;

std::string at_position(std::uint64_t p) { return "position " + std::to_string(p); }

// The stored record of `event` chained after `prev_hash`, and its hash. Throws json::exception
// when a string of the event is not UTF-8.
// The record is dump() of an object: "{", its members in key order as `"key":value` joined by
// ",", "}". The members are printed once, and the record is that text with the "hash" member put
// in its place, instead of the whole document printed again (2.5% of the committer's time).
std::pair<std::string, std::string> make_record(const Event& event, const std::string& prev_hash) {
  json record = to_json(event);
  record["prev_hash"] = prev_hash;
  std::string members;  // each followed by ","
  std::size_t hash_at = std::string::npos;
  for (const auto& [key, value] : record.items()) {
    if (hash_at == std::string::npos && key > "hash") hash_at = members.size();
    members += json(key).dump();
    members += ':';
    members += value.dump();
    members += ',';
  }
  if (hash_at == std::string::npos) hash_at = members.size();
  std::string unhashed = '{' + members;
  unhashed.back() = '}';
  std::string hash = sha256_hex(unhashed);
  std::string stored =
      '{' + members.substr(0, hash_at) + "\"hash\":\"" + hash + "\"," + members.substr(hash_at);
  stored.back() = '}';
  return {std::move(stored), std::move(hash)};
}

bool valid_stream_name(std::string_view stream) {
  return !stream.empty() && stream.find('\0') == std::string_view::npos;
}

std::string encode_chain_head(const LogHead& head) {
  return encode_be64(head.position.value()) + head.hash;
}

Result<LogHead> decode_chain_head(std::uint32_t chain, std::string_view value) {
  if (value.size() != 8 + kGenesisHash.size()) {
    return make_error(ErrorCode::invalid, "The recorded head of chain " + std::to_string(chain) +
                                              " is damaged; run `dispatchctl verify`.");
  }
  return LogHead{Position(decode_be64(value.substr(0, 8))), std::string(value.substr(8))};
}

// The error when `event` is not its stream's next version after `current`.
Error version_conflict(const Event& event, Version current) {
  return make_error(ErrorCode::conflict,
                    event.stream + " changed concurrently: the " + std::string(event.type()) +
                        " event was decided as its version " +
                        std::to_string(event.version.value()) + ", but it is at version " +
                        std::to_string(current.value()) + ", so its next event is version " +
                        std::to_string(current.value() + 1) + "; retry the command.");
}
}  // namespace

std::uint32_t LogLayout::partition_of(std::string_view stream) const {
  constexpr std::string_view kOrder = "order/";
  if (!partitioned() || stream.substr(0, kOrder.size()) != kOrder) return 0;
  // FNV-1a: a partition must not change with the build, the machine or a library's version.
  std::uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : stream.substr(kOrder.size())) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return static_cast<std::uint32_t>(hash % partitions);
}

std::string partition_key(std::string_view prefix, std::uint32_t partition) {
  std::string key(prefix);
  for (int shift = 24; shift >= 0; shift -= 8) {
    key += static_cast<char>((partition >> shift) & 0xFF);
  }
  return key;
}

std::uint32_t partition_of_key(std::string_view key, std::size_t prefix_size) {
  std::uint32_t partition = 0;
  for (char c : key.substr(prefix_size))
    partition = (partition << 8) | static_cast<unsigned char>(c);
  return partition;
}

Result<LogLayout> load_log_layout(const Kv& kv) {
  auto recorded = kv.get(Space::replica, kLayoutKey);
  if (!recorded.ok()) return recorded.error();
  if (!recorded->has_value()) return LogLayout{};
  const std::string& text = **recorded;
  std::uint32_t partitions = 0;
  bool digits = !text.empty() && text.size() <= 3;
  for (char c : text) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) partitions = partitions * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (!digits || partitions == 0 || partitions > kMaxPartitions) {
    return make_error(ErrorCode::invalid,
                      "The store's recorded log layout (" + text + " partitions) is damaged.");
  }
  return LogLayout{partitions};
}

Result<Event> parse_record(std::string_view raw, std::uint64_t position, json* parsed) {
  if (parsed == nullptr) {
    // A record at another position than it says goes the general way, which words the error.
    auto event = decode_event_record(raw);
    if (event && event->position.value() == position) return std::move(*event);
  }
  json j = json::parse(raw, nullptr, false);
  if (j.is_discarded()) {
    return make_error(ErrorCode::invalid,
                      "The log record at " + at_position(position) + " is not valid JSON.");
  }
  auto event = event_from_json(j);
  if (!event.ok()) {
    return make_error(ErrorCode::invalid, "The log record at " + at_position(position) +
                                              " is not a valid event: " + event.error().message);
  }
  if (event->position.value() != position) {
    return make_error(ErrorCode::invalid, "The log record at " + at_position(position) +
                                              " says it is at position " +
                                              std::to_string(event->position.value()) + ".");
  }
  if (parsed != nullptr) *parsed = std::move(j);
  return event;
}

std::string log_key(Position position) { return encode_be64(position.value()); }

std::string stream_key(std::string_view stream, Version version) {
  std::string key(stream);
  key += '\0';
  key += encode_be64(version.value());
  return key;
}

// ---- EventLog ----

EventLog::EventLog(Kv& kv) : kv_(kv) {}

Status EventLog::open() {
  staged_versions_.clear();
  versions_.clear();
  chain_heads_.clear();
  staged_chain_heads_.clear();
  auto layout = load_log_layout(kv_);
  if (!layout.ok()) return layout.error();
  layout_ = *layout;
  auto last = kv_.last(Space::log, "");
  if (!last.ok()) return last.error();
  head_ = LogHead{};
  if (last->has_value()) {
    const auto& [key, value] = **last;
    std::uint64_t position = key.size() == 8 ? decode_be64(key) : 0;
    json j = json::parse(value, nullptr, false);
    auto hash = j.is_object() ? j.find("hash") : j.end();
    if (position == 0 || hash == j.end() || !hash->is_string()) {
      return make_error(ErrorCode::invalid,
                        "The last log record (at " + at_position(position) +
                            ") is damaged; run `dispatchctl verify` to see what is wrong.");
    }
    head_ = LogHead{Position(position), hash->get<std::string>()};
  }
  staged_head_ = head_;
  return Status::success();
}

LogHead EventLog::head() const { return head_; }

Result<Version> EventLog::current_version(const std::string& stream) {
  auto staged = staged_versions_.find(stream);
  if (staged != staged_versions_.end()) return staged->second;
  if (auto known = versions_.find(stream); known != versions_.end()) return known->second;
  const std::string prefix = stream + '\0';
  auto last = kv_.last(Space::streams, prefix);
  if (!last.ok()) return last.error();
  Version version;
  if (last->has_value()) {
    version = Version(decode_be64(std::string_view((*last)->first).substr(prefix.size())));
  }
  remember_version(stream, version);
  return version;
}

void EventLog::remember_version(const std::string& stream, Version version) {
  if (versions_.size() >= kKnownVersions && !versions_.contains(stream)) versions_.clear();
  versions_[stream] = version;
}

Status EventLog::stage(std::vector<Event>& events, WriteSet& writes,
                       std::vector<std::string>* raw) {
  // First check every version, without changing anything.
  std::map<std::string, Version, std::less<>> versions;  // this call's streams, after it
  for (const auto& event : events) {
    if (!valid_stream_name(event.stream)) {
      return make_error(ErrorCode::invalid,
                        "An event of type " + std::string(event.type()) +
                            " has an empty stream name or one holding a NUL character.",
                        "stream");
    }
    Version current;
    if (auto it = versions.find(event.stream); it != versions.end()) {
      current = it->second;
    } else {
      auto found = current_version(event.stream);
      if (!found.ok()) return found.error();
      current = *found;
    }
    if (event.version != current.next()) return version_conflict(event, current);
    versions[event.stream] = event.version;
  }

  // Then build the chained records; the events' positions are restored if that fails.
  std::vector<std::string> records;
  records.reserve(events.size());
  LogHead head = staged_head_;
  std::map<std::uint32_t, LogHead> chains;  // partitioned: the chains this call extends
  std::vector<Position> before;
  auto restore = [&] {
    for (std::size_t i = 0; i < before.size(); ++i) events[i].position = before[i];
  };
  for (auto& event : events) {
    before.push_back(event.position);
    LogHead previous = head;
    const std::uint32_t chain = layout_.partition_of(event.stream);
    if (layout_.partitioned()) {
      if (auto it = chains.find(chain); it != chains.end()) {
        previous = it->second;
      } else {
        auto found = chain_head(chain);
        if (!found.ok()) {
          restore();
          return found.error();
        }
        previous = *found;
      }
      event.position = Position((((head.position.value() >> 8) + 1) << 8) | chain);
    } else {
      event.position = head.position.next();
    }
    try {
      auto [record, hash] = make_record(event, previous.hash);
      records.push_back(std::move(record));
      head = LogHead{event.position, std::move(hash)};
      chains[chain] = head;
    } catch (const json::exception& e) {
      restore();
      return make_error(ErrorCode::invalid, "An event of type " + std::string(event.type()) +
                                                " cannot be recorded: " + e.what());
    }
  }

  for (std::size_t i = 0; i < events.size(); ++i) {
    const Event& event = events[i];
    if (raw != nullptr) raw->push_back(records[i]);
    writes.put(Space::log, log_key(event.position), std::move(records[i]));
    writes.put(Space::streams, stream_key(event.stream, event.version),
               encode_be64(event.position.value()));
  }
  for (auto& [stream, version] : versions) staged_versions_[stream] = version;
  if (layout_.partitioned()) {
    for (const auto& [chain, chain_head] : chains) stage_chain_head(chain, chain_head, writes);
  }
  staged_head_ = std::move(head);
  return Status::success();
}

std::uint64_t EventLog::records_from(Position from) const {
  const std::uint64_t first = std::max<std::uint64_t>(from.value(), 1);
  const std::uint64_t last = head_.position.value();
  if (last < first) return 0;
  if (!layout_.partitioned()) return last - first + 1;
  // Counts above first's are all at or after it; the one equal to it is, unless its chain is
  // below first's, which only reading that record would tell.
  return (last >> 8) - (first >> 8) + ((first & 0xFF) == 0 ? 1 : 0);
}

Result<LogHead> EventLog::chain_head(std::uint32_t chain) {
  if (auto it = staged_chain_heads_.find(chain); it != staged_chain_heads_.end()) {
    return it->second;
  }
  if (auto it = chain_heads_.find(chain); it != chain_heads_.end()) return it->second;
  auto recorded = kv_.get(Space::replica, chain_head_key(chain));
  if (!recorded.ok()) return recorded.error();
  LogHead head;
  if (recorded->has_value()) {
    auto decoded = decode_chain_head(chain, **recorded);
    if (!decoded.ok()) return decoded.error();
    head = *decoded;
  }
  chain_heads_[chain] = head;
  return head;
}

void EventLog::stage_chain_head(std::uint32_t chain, const LogHead& head, WriteSet& writes) {
  staged_chain_heads_[chain] = head;
  writes.put(Space::replica, chain_head_key(chain), encode_chain_head(head));
}

Result<std::optional<Event>> EventLog::stage_received(std::string_view record,
                                                      std::uint32_t partition, WriteSet& writes) {
  const std::string where = "The record received from partition " + std::to_string(partition);
  json j = json::parse(record, nullptr, false);
  auto hash = j.is_object() ? j.find("hash") : j.end();
  auto prev = j.is_object() ? j.find("prev_hash") : j.end();
  if (hash == j.end() || !hash->is_string() || prev == j.end() || !prev->is_string()) {
    return make_error(ErrorCode::invalid, where +
                                              " is not a log record (JSON with hash and "
                                              "prev_hash).");
  }
  const std::string stored_hash = hash->get<std::string>();
  const std::string prev_hash = prev->get<std::string>();
  j.erase("hash");
  if (sha256_hex(j.dump()) != stored_hash) {
    return make_error(ErrorCode::invalid, where + " does not match its hash: it was changed.");
  }
  auto event = event_from_json(j);
  if (!event.ok()) {
    return make_error(ErrorCode::invalid,
                      where + " is not a valid event: " + event.error().message);
  }
  const Position position = event->position;
  if (!layout_.partitioned() || position.value() == 0 || layout_.chain_of(position) != partition ||
      layout_.partition_of(event->stream) != partition) {
    return make_error(ErrorCode::invalid, where + " (" + event->stream + " at " +
                                              at_position(position.value()) +
                                              ") does not belong to that partition.");
  }
  auto head = chain_head(partition);
  if (!head.ok()) return head.error();
  if (position <= head->position) {
    auto held = kv_.get(Space::log, log_key(position));
    if (!held.ok()) return held.error();
    if (held->has_value() && **held == record) return std::optional<Event>();
  }
  if (prev_hash != head->hash || position <= head->position) {
    return make_error(ErrorCode::conflict,
                      where + " at " + at_position(position.value()) +
                          " does not extend the chain this store holds (its head is at " +
                          at_position(head->position.value()) +
                          "): the store and the topic disagree.");
  }
  auto current = current_version(event->stream);
  if (!current.ok()) return current.error();
  if (event->version != current->next()) return version_conflict(*event, *current);

  writes.put(Space::log, log_key(position), std::string(record));
  writes.put(Space::streams, stream_key(event->stream, event->version),
             encode_be64(position.value()));
  staged_versions_[event->stream] = event->version;
  LogHead received{position, stored_hash};
  stage_chain_head(partition, received, writes);
  if (position > staged_head_.position) staged_head_ = std::move(received);
  return std::optional<Event>(std::move(event.value()));
}

void EventLog::commit_staged() {
  head_ = staged_head_;
  for (const auto& [stream, version] : staged_versions_) remember_version(stream, version);
  staged_versions_.clear();
  for (auto& [chain, head] : staged_chain_heads_) chain_heads_[chain] = std::move(head);
  staged_chain_heads_.clear();
}

void EventLog::abort_staged() {
  staged_head_ = head_;
  staged_versions_.clear();
  staged_chain_heads_.clear();
}

Status EventLog::read(Position from,
                      const std::function<bool(Event&, std::string_view raw)>& visit) const {
  std::string after = from.value() > 1 ? log_key(Position(from.value() - 1)) : std::string();
  std::optional<Error> failure;
  Status scanned =
      kv_.scan(Space::log, "", after, [&](std::string_view key, std::string_view value) {
        if (key.size() != 8) {
          failure = make_error(ErrorCode::invalid, "The log holds a key that is not a position.");
          return false;
        }
        auto event = parse_record(value, decode_be64(key));
        if (!event.ok()) {
          failure = event.error();
          return false;
        }
        return visit(*event, value);
      });
  if (!scanned.ok()) return scanned;
  if (failure) return *failure;
  return Status::success();
}

Status EventLog::read_ahead(Position from, const std::function<bool(Event&)>& visit) const {
  // Bounded, so a slow visitor holds a few batches in memory, not the log.
  constexpr std::size_t kBatchEvents = 1024;
  constexpr std::size_t kMaxBatches = 8;
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::vector<Event>> ready;
    bool finished = false;  // the reader has handed over its last batch
    bool stop = false;      // the visitor wants no more
    Status outcome;         // the reader's, once finished
  } shared;

  auto hand_over = [&shared](std::vector<Event>& batch) {
    std::unique_lock lock(shared.mutex);
    shared.changed.wait(lock, [&] { return shared.stop || shared.ready.size() < kMaxBatches; });
    if (shared.stop) return false;
    shared.ready.push_back(std::move(batch));
    batch = {};
    batch.reserve(kBatchEvents);
    shared.changed.notify_all();
    return true;
  };
  auto reader = [&, from] {
    std::vector<Event> batch;
    batch.reserve(kBatchEvents);
    Status scanned = read(from, [&](Event& event, std::string_view) {
      batch.push_back(std::move(event));
      return batch.size() < kBatchEvents || hand_over(batch);
    });
    if (!batch.empty()) hand_over(batch);
    std::lock_guard lock(shared.mutex);
    shared.outcome = scanned;
    shared.finished = true;
    shared.changed.notify_all();
  };

  std::thread thread;
  try {
    thread = std::thread(reader);
  } catch (const std::system_error& e) {
    return make_error(ErrorCode::unavailable,
                      std::string("a thread to read the log could not be started: ") + e.what());
  }
  // Stops and joins the reader however the visit ends, a thrown exception included.
  struct Join {
    Shared& shared;
    std::thread& thread;
    ~Join() {
      {
        std::lock_guard lock(shared.mutex);
        shared.stop = true;
        shared.changed.notify_all();
      }
      thread.join();
    }
  };
  bool visiting = true;
  {
    Join join{shared, thread};
    while (visiting) {
      std::vector<Event> batch;
      {
        std::unique_lock lock(shared.mutex);
        shared.changed.wait(lock, [&] { return shared.finished || !shared.ready.empty(); });
        if (shared.ready.empty()) break;
        batch = std::move(shared.ready.front());
        shared.ready.pop_front();
        shared.changed.notify_all();
      }
      for (Event& event : batch) {
        if (!visit(event)) {
          visiting = false;
          break;
        }
      }
    }
  }
  // A visitor that stopped early has seen what it wanted; the reader's error after that is moot.
  return visiting ? shared.outcome : Status::success();
}

Result<std::vector<Event>> EventLog::read_stream(const std::string& stream) const {
  const std::string prefix = stream + '\0';
  std::vector<std::pair<Version, Position>> index;
  Status scanned =
      kv_.scan(Space::streams, prefix, "", [&](std::string_view key, std::string_view value) {
        if (key.size() == prefix.size() + 8 && value.size() == 8) {
          index.emplace_back(Version(decode_be64(key.substr(prefix.size()))),
                             Position(decode_be64(value)));
        }
        return true;
      });
  if (!scanned.ok()) return scanned.error();

  std::vector<Event> events;
  events.reserve(index.size());
  for (const auto& [version, position] : index) {
    auto record = kv_.get(Space::log, log_key(position));
    if (!record.ok()) return record.error();
    const std::string where = "version " + std::to_string(version.value()) + " of " + stream;
    if (!record->has_value()) {
      return make_error(ErrorCode::invalid, "The streams index places " + where + " at " +
                                                at_position(position.value()) +
                                                ", which the log does not have.");
    }
    auto event = parse_record(**record, position.value());
    if (!event.ok()) return event.error();
    if (event->stream != stream || event->version != version) {
      return make_error(ErrorCode::invalid, "The streams index places " + where + " at " +
                                                at_position(position.value()) +
                                                ", but the record there is another event.");
    }
    events.push_back(std::move(event.value()));
  }
  return events;
}

// ---- verify_chain ----
namespace {

constexpr std::uint64_t kProgressEvery = 10000;
// A version gap longer than this is reported rather than matched against missing records.
constexpr std::uint64_t kMaxExplainedGap = 1000;

class ChainVerifier {
 public:
  ChainVerifier(const Kv& kv, LogLayout layout) : kv_(kv), layout_(layout) {}

  Status run(const std::function<void(std::uint64_t)>& progress) {
    Status s = kv_.scan(Space::log, "", "", [&](std::string_view key, std::string_view value) {
      check_record(key, value);
      if (progress && report_.events % kProgressEvery == 0) progress(report_.events);
      return !failure_;
    });
    if (s.ok() && !failure_) s = check_index_entries();
    if (s.ok() && !failure_ && layout_.partitioned()) s = check_chain_heads();
    if (!s.ok()) return s;
    if (failure_) return *failure_;
    return Status::success();
  }

  ChainReport& report() { return report_; }

 private:
  // What the next record's prev_hash is compared with. Either hash is accepted, so that a record
  // whose content or whose hash field was changed is reported once, at its own position.
  struct Previous {
    bool linkable = false;  // present, parsed, and at its own position
    std::uint64_t position = 0;
    std::string stored;    // its "hash" field
    std::string computed;  // the hash of its content
  };

  void problem(std::uint64_t position, std::string what) {
    report_.problems.push_back(LogProblem{Position(position), std::move(what)});
  }

  // Whether the event at `position` is unknown (missing or unreadable), already reported.
  // unknown_ grows in position order, so it is sorted.
  bool unknown(std::uint64_t position) const {
    auto after =
        std::upper_bound(unknown_.begin(), unknown_.end(), position,
                         [](std::uint64_t p, const auto& range) { return p < range.first; });
    return after != unknown_.begin() && position <= std::prev(after)->second;
  }

  void check_record(std::string_view key, std::string_view value) {
    ++report_.events;
    if (key.size() != 8 || decode_be64(key) == 0) {
      problem(0, "The log holds a key of " + std::to_string(key.size()) +
                     " bytes that is not a position from 1.");
      if (!layout_.partitioned()) previous_[0] = Previous{};
      return;
    }
    const std::uint64_t p = decode_be64(key);
    const std::uint32_t chain = layout_.chain_of(Position(p));
    if (p > expected_ && !layout_.partitioned()) {
      unknown_.emplace_back(expected_, p - 1);
      const std::string next = " (the next record is at position " + std::to_string(p) + ").";
      problem(expected_,
              p - 1 == expected_
                  ? "The record at position " + std::to_string(expected_) + " is missing" + next
                  : "The records at positions " + std::to_string(expected_) + " to " +
                        std::to_string(p - 1) + " are missing" + next);
      previous_[chain] = Previous{};
    }
    expected_ = p + 1;
    report_.head = LogHead{Position(p), ""};

    json j = json::parse(value, nullptr, false);
    auto hash = j.is_object() ? j.find("hash") : j.end();
    if (hash == j.end() || !hash->is_string()) {
      problem(p, j.is_object() ? "The record has no hash." : "The record is not a JSON object.");
      unknown_.emplace_back(p, p);
      previous_[chain] = Previous{};
      return;
    }
    Previous current{false, p, hash->get<std::string>(), ""};
    report_.head.hash = current.stored;
    j.erase("hash");
    current.computed = sha256_hex(j.dump());
    if (current.computed != current.stored) {
      problem(p,
              "The record's content does not match its hash: it was changed after it was "
              "written.");
    }
    current.linkable = check_placement(j, p);
    check_link(j, p, chain);
    auto event = event_from_json(j);
    if (!event.ok()) {
      problem(p, "The record is not a valid event: " + event.error().message);
      unknown_.emplace_back(p, p);
    } else {
      check_schema_form(*event, j, p);
      check_stream(*event, p);
    }
    previous_[chain] = std::move(current);
  }

  // event_from_json ignores fields it does not know and accepts what it can read, but the event
  // schemas are closed: a record the engine wrote is exactly to_json(event) plus prev_hash and
  // hash. Comparing with that form checks the record against its schema without a validator.
  void check_schema_form(const Event& event, const json& j, std::uint64_t p) {
    json expected = to_json(event);
    if (auto prev = j.find("prev_hash"); prev != j.end()) expected["prev_hash"] = *prev;
    if (expected == j) return;
    std::string fields;
    for (const auto& [name, value] : j.items()) {
      auto want = expected.find(name);
      if (want == expected.end() || *want != value) fields += (fields.empty() ? "" : ", ") + name;
    }
    for (const auto& [name, value] : expected.items()) {
      if (!j.contains(name)) fields += (fields.empty() ? "" : ", ") + name;
    }
    problem(p, "The record does not match the schema of " + std::string(event.type()) +
                   " (fields not in its schema's form: " + fields + ").");
  }

  bool check_placement(const json& j, std::uint64_t p) {
    auto field = j.find("position");
    if (field != j.end() && field->is_number_unsigned() && field->get<std::uint64_t>() == p) {
      return true;
    }
    problem(p, "The record says it is at position " +
                   (field == j.end() ? std::string("(none)") : field->dump()) +
                   " but is stored at position " + std::to_string(p) +
                   ": records were moved or swapped.");
    return false;
  }

  void check_link(const json& j, std::uint64_t p, std::uint32_t chain) {
    auto field = j.find("prev_hash");
    if (field == j.end() || !field->is_string()) {
      problem(p, "The record has no prev_hash.");
      return;
    }
    const std::string prev = field->get<std::string>();
    auto previous = previous_.find(chain);
    const bool first = layout_.partitioned() ? previous == previous_.end() : p == 1;
    if (first) {
      if (prev != kGenesisHash) {
        problem(p, layout_.partitioned()
                       ? "The first record of partition " + std::to_string(chain) +
                             "'s chain does not start at the genesis hash: records before it "
                             "are missing."
                       : "The first record's prev_hash is not the genesis hash.");
      }
    } else if (previous != previous_.end() && previous->second.linkable &&
               prev != previous->second.stored && prev != previous->second.computed) {
      problem(p, "The record's prev_hash does not match the hash of the record at position " +
                     std::to_string(previous->second.position) +
                     (layout_.partitioned() ? ", the one before it on its chain" : "") +
                     ": that record was rewritten or removed (or this one's prev_hash was).");
    }
  }

  // A replica records each chain's last record; a chain that ends elsewhere was cut or extended
  // behind the engine's back.
  Status check_chain_heads() {
    return kv_.scan(Space::replica, "h/", "", [&](std::string_view key, std::string_view value) {
      const std::uint32_t chain = partition_of_key(key, 2);
      auto recorded = decode_chain_head(chain, value);
      auto seen = previous_.find(chain);
      const std::uint64_t last = seen == previous_.end() ? 0 : seen->second.position;
      if (!recorded.ok()) {
        problem(last, recorded.error().message);
      } else if (recorded->position.value() != last) {
        problem(last, "Partition " + std::to_string(chain) + "'s chain ends at position " +
                          std::to_string(last) + ", but its head was recorded at position " +
                          std::to_string(recorded->position.value()) +
                          ": records were removed from or added to its end.");
      } else if (seen != previous_.end() && recorded->hash != seen->second.stored) {
        problem(last, "Partition " + std::to_string(chain) +
                          "'s last record is not the one recorded as its head.");
      }
      return true;
    });
  }

  void check_stream(const Event& event, std::uint64_t p) {
    std::uint64_t& seen = versions_[event.stream];
    const std::uint64_t version = event.version.value();
    if (version != seen + 1 &&
        !(version > seen + 1 && gap_explained(event.stream, seen + 1, version))) {
      problem(p, event.stream + " has version " + std::to_string(version) + " after version " +
                     std::to_string(seen) + "; stream versions must go up by one.");
    }
    seen = std::max(seen, version);
    auto indexed = kv_.get(Space::streams, stream_key(event.stream, event.version));
    if (!indexed.ok()) {
      failure_ = indexed.error();
      return;
    }
    const std::string where = "version " + std::to_string(version) + " of " + event.stream;
    if (!indexed->has_value()) {
      problem(p, "The streams index has no entry for " + where + ".");
    } else if ((*indexed)->size() != 8 || decode_be64(**indexed) != p) {
      problem(p, "The streams index places " + where + " at position " +
                     std::to_string(decode_be64(**indexed)) + ", not at " + std::to_string(p) +
                     ".");
    }
  }

  // Whether versions [from, to) of `stream` are all indexed at positions already reported as
  // missing or unreadable.
  bool gap_explained(const std::string& stream, std::uint64_t from, std::uint64_t to) {
    if (to - from > kMaxExplainedGap) return false;
    for (std::uint64_t v = from; v < to; ++v) {
      auto indexed = kv_.get(Space::streams, stream_key(stream, Version(v)));
      if (!indexed.ok()) {
        failure_ = indexed.error();
        return true;
      }
      if (!indexed->has_value() || !unknown(decode_be64(**indexed))) return false;
    }
    return true;
  }

  // Index entries beyond every stream's last event have no record (e.g. a cut-off tail).
  Status check_index_entries() {
    return kv_.scan(Space::streams, "", "", [&](std::string_view key, std::string_view value) {
      const std::uint64_t position = value.size() == 8 ? decode_be64(value) : 0;
      if (key.size() < 9 || key[key.size() - 9] != '\0' || value.size() != 8) {
        problem(position, "The streams index holds a malformed entry.");
        return true;
      }
      const std::string stream(key.substr(0, key.size() - 9));
      const std::uint64_t version = decode_be64(key.substr(key.size() - 8));
      auto seen = versions_.find(stream);
      if (version > (seen == versions_.end() ? 0 : seen->second) && !unknown(position)) {
        problem(position, "The streams index places version " + std::to_string(version) + " of " +
                              stream + " at position " + std::to_string(position) +
                              ", but the log has no such event.");
      }
      return true;
    });
  }

  const Kv& kv_;
  LogLayout layout_;
  ChainReport report_;
  std::uint64_t expected_ = 1;
  std::map<std::uint32_t, Previous> previous_;               // per chain: its last record so far
  std::unordered_map<std::string, std::uint64_t> versions_;  // stream -> highest version seen
  // Positions reported missing or unreadable, as inclusive ranges.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> unknown_;
  std::optional<Error> failure_;  // the Kv could not be read
};

}  // namespace

Result<ChainReport> verify_chain(const Kv& kv, const std::function<void(std::uint64_t)>& progress) {
  auto layout = load_log_layout(kv);
  if (!layout.ok()) return layout.error();
  ChainVerifier verifier(kv, *layout);
  Status s = verifier.run(progress);
  if (!s.ok()) return s.error();
  return std::move(verifier.report());
}

}  // namespace dispatch
