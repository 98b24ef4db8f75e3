// The hash-chained event log (log.h).
#include "engine/log.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <unordered_map>
#include <utility>

namespace dispatch {
namespace {
using json = nlohmann::json;

std::string at_position(std::uint64_t p) { return "position " + std::to_string(p); }

// The stored record of `event` chained after `prev_hash`, and its hash. Throws json::exception
// when a string of the event is not UTF-8.
std::pair<std::string, std::string> make_record(const Event& event, const std::string& prev_hash) {
  json record = to_json(event);
  record["prev_hash"] = prev_hash;
  std::string hash = sha256_hex(record.dump());
  record["hash"] = hash;
  return {record.dump(), std::move(hash)};
}

bool valid_stream_name(std::string_view stream) {
  return !stream.empty() && stream.find('\0') == std::string_view::npos;
}
}  // namespace

Result<Event> parse_record(std::string_view raw, std::uint64_t position, json* parsed) {
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

Result<Version> EventLog::current_version(const std::string& stream) const {
  auto staged = staged_versions_.find(stream);
  if (staged != staged_versions_.end()) return staged->second;
  const std::string prefix = stream + '\0';
  auto last = kv_.last(Space::streams, prefix);
  if (!last.ok()) return last.error();
  if (!last->has_value()) return Version();
  return Version(decode_be64(std::string_view((*last)->first).substr(prefix.size())));
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
    if (event.version != current.next()) {
      return make_error(ErrorCode::conflict,
                        event.stream + " changed concurrently: the " + std::string(event.type()) +
                            " event was decided as its version " +
                            std::to_string(event.version.value()) + ", but it is at version " +
                            std::to_string(current.value()) + ", so its next event is version " +
                            std::to_string(current.value() + 1) + "; retry the command.");
    }
    versions[event.stream] = event.version;
  }

  // Then build the chained records; the events' positions are restored if that fails.
  std::vector<std::string> records;
  records.reserve(events.size());
  LogHead head = staged_head_;
  std::vector<Position> before;
  for (auto& event : events) {
    before.push_back(event.position);
    event.position = head.position.next();
    try {
      auto [record, hash] = make_record(event, head.hash);
      records.push_back(std::move(record));
      head = LogHead{event.position, std::move(hash)};
    } catch (const json::exception& e) {
      for (std::size_t i = 0; i < before.size(); ++i) events[i].position = before[i];
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
  staged_head_ = std::move(head);
  return Status::success();
}

void EventLog::commit_staged() {
  head_ = staged_head_;
  staged_versions_.clear();
}

void EventLog::abort_staged() {
  staged_head_ = head_;
  staged_versions_.clear();
}

Status EventLog::read(Position from,
                      const std::function<bool(const Event&, std::string_view raw)>& visit) const {
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
  explicit ChainVerifier(const Kv& kv) : kv_(kv) {}

  Status run(const std::function<void(std::uint64_t)>& progress) {
    Status s = kv_.scan(Space::log, "", "", [&](std::string_view key, std::string_view value) {
      check_record(key, value);
      if (progress && report_.events % kProgressEvery == 0) progress(report_.events);
      return !failure_;
    });
    if (s.ok() && !failure_) s = check_index_entries();
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
    std::string stored;     // its "hash" field
    std::string computed;   // the hash of its content
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
      previous_ = Previous{};
      return;
    }
    const std::uint64_t p = decode_be64(key);
    if (p > expected_) {
      unknown_.emplace_back(expected_, p - 1);
      const std::string next = " (the next record is at position " + std::to_string(p) + ").";
      problem(expected_,
              p - 1 == expected_
                  ? "The record at position " + std::to_string(expected_) + " is missing" + next
                  : "The records at positions " + std::to_string(expected_) + " to " +
                        std::to_string(p - 1) + " are missing" + next);
      previous_ = Previous{};
    }
    expected_ = p + 1;
    report_.head = LogHead{Position(p), ""};

    json j = json::parse(value, nullptr, false);
    auto hash = j.is_object() ? j.find("hash") : j.end();
    if (hash == j.end() || !hash->is_string()) {
      problem(p, j.is_object() ? "The record has no hash." : "The record is not a JSON object.");
      unknown_.emplace_back(p, p);
      previous_ = Previous{};
      return;
    }
    Previous current{false, hash->get<std::string>(), ""};
    report_.head.hash = current.stored;
    j.erase("hash");
    current.computed = sha256_hex(j.dump());
    if (current.computed != current.stored) {
      problem(p,
              "The record's content does not match its hash: it was changed after it was "
              "written.");
    }
    current.linkable = check_placement(j, p);
    check_link(j, p);
    auto event = event_from_json(j);
    if (!event.ok()) {
      problem(p, "The record is not a valid event: " + event.error().message);
      unknown_.emplace_back(p, p);
    } else {
      check_schema_form(*event, j, p);
      check_stream(*event, p);
    }
    previous_ = std::move(current);
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

  void check_link(const json& j, std::uint64_t p) {
    auto field = j.find("prev_hash");
    if (field == j.end() || !field->is_string()) {
      problem(p, "The record has no prev_hash.");
      return;
    }
    const std::string prev = field->get<std::string>();
    if (p == 1) {
      if (prev != kGenesisHash) problem(p, "The first record's prev_hash is not the genesis hash.");
    } else if (previous_.linkable && prev != previous_.stored && prev != previous_.computed) {
      problem(p, "The record's prev_hash does not match the hash of the record at position " +
                     std::to_string(p - 1) + ": that record was rewritten (or this one's " +
                     "prev_hash was).");
    }
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
  ChainReport report_;
  std::uint64_t expected_ = 1;
  Previous previous_;
  std::unordered_map<std::string, std::uint64_t> versions_;  // stream -> highest version seen
  // Positions reported missing or unreadable, as inclusive ranges.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> unknown_;
  std::optional<Error> failure_;  // the Kv could not be read
};

}  // namespace

Result<ChainReport> verify_chain(const Kv& kv, const std::function<void(std::uint64_t)>& progress) {
  ChainVerifier verifier(kv);
  Status s = verifier.run(progress);
  if (!s.ok()) return s.error();
  return std::move(verifier.report());
}

}  // namespace dispatch
