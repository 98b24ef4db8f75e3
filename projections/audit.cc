// Auditors' reads of the log (audit.h).
#include "projections/audit.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/command.h"
#include "engine/hash.h"
#include "projections/projector.h"

namespace dispatch::audit {
namespace {
using json = nlohmann::json;

// Events replayed per write: the same trade-off as the engine's rebuild.
constexpr std::uint64_t kReplayChunk = 20000;
constexpr std::uint64_t kProgressEvery = 10000;

std::string at_position(std::uint64_t p) { return "position " + std::to_string(p); }

// 'text', built by appending: GCC 12 at -O3 warns falsely (-Wrestrict) on "'" + std::string.
std::string quoted(std::string_view text) {
  std::string out = "'";
  out.append(text);
  return out += '\'';
}

int digits(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) v = v * 10 + (s[at + i] - '0');
  return v;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Result<Instant> event_instant(const Event& event) {
  auto t = parse_instant(event.at);
  if (!t.ok()) {
    return make_error(ErrorCode::invalid, "The log record at " +
                                              at_position(event.position.value()) +
                                              " has a bad time: " + t.error().message);
  }
  return t;
}

// The `at` of a stored record. Records are canonical dumps (keys sorted, every quote inside a
// string escaped), and no key before "at" holds an object, so the first `"at":"` is the
// top-level field: reading it there is several times faster than parsing the record, which
// matters when a time is resolved over a million records. Anything else is parsed in full.
Result<Instant> record_instant(std::string_view raw, std::uint64_t position) {
  constexpr std::string_view kField = "\"at\":\"";
  if (auto start = raw.find(kField); start != std::string_view::npos) {
    start += kField.size();
    if (auto end = raw.find('"', start); end != std::string_view::npos) {
      if (auto t = parse_instant(raw.substr(start, end - start)); t.ok()) return t;
    }
  }
  auto event = parse_record(raw, position);
  if (!event.ok()) return event.error();
  event->position = Position(position);
  return event_instant(*event);
}

// The positions of every streams index entry under `prefix`, in key order.
Status index_positions(const Kv& kv, std::string_view prefix, std::vector<std::uint64_t>& out) {
  return kv.scan(Space::streams, prefix, "", [&](std::string_view, std::string_view value) {
    if (value.size() == 8) out.push_back(decode_be64(value));
    return true;
  });
}

// Replays events into a fresh in-memory Kv through the Projector (staged: each order's
// projections are written once per chunk), writing in chunks.
class Replayer {
 public:
  Replayer() : kv_(make_memory_kv()), projector_(org_) {}

  Status apply(const Event& event) {
    Status s = projector_.stage(event, *kv_, writes_);
    if (!s.ok()) return s;
    through_ = event.position;
    if (++applied_ % kReplayChunk == 0) return flush();
    return Status::success();
  }
  WriteSet& writes() { return writes_; }
  Status flush() {
    Status s = projector_.flush(*kv_, writes_);
    if (!s.ok()) return s;
    s = kv_->write(writes_, false);
    writes_.clear();
    return s;
  }
  Result<Replayed> finish() {
    Status s = flush();
    if (!s.ok()) return s.error();
    return Replayed{std::move(kv_), std::move(org_), through_};
  }

 private:
  std::unique_ptr<Kv> kv_;
  Org org_;
  Projector projector_;
  WriteSet writes_;
  Position through_;
  std::uint64_t applied_ = 0;
};

// The units named by an organisation event.
std::vector<UnitId> org_event_units(const Event& event) {
  if (const auto* e = std::get_if<ev::UnitRegistered>(&event.body)) return {e->unit_id};
  if (const auto* e = std::get_if<ev::ServiceOutletLinked>(&event.body)) {
    return {e->sales_unit, e->service_outlet};
  }
  if (const auto* e = std::get_if<ev::StaffRegistered>(&event.body)) return {e->unit};
  if (const auto* e = std::get_if<ev::RegionRouted>(&event.body)) return {e->unit};
  return {};
}

// The unit an order event makes its holder, if it does.
std::optional<UnitId> new_holder(const Event& event) {
  if (const auto* e = std::get_if<ev::OrderCreated>(&event.body)) return e->unit;
  if (const auto* e = std::get_if<ev::DispatchedToUnit>(&event.body)) return e->unit;
  if (const auto* e = std::get_if<ev::ReassignmentApproved>(&event.body)) return e->returned_to;
  return std::nullopt;
}
}  // namespace

Result<Instant> parse_instant(std::string_view s) {
  if (!is_rfc3339(s)) {
    return make_error(ErrorCode::invalid, quoted(s) +
                                              " is not an RFC 3339 date-time such as "
                                              "2015-01-08T09:30:00+08:00.");
  }
  // is_rfc3339 has checked the shape: YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM).
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2);
  const int second = std::min(digits(s, 17, 2), 59);
  std::size_t i = 19;
  std::uint32_t nanos = 0;
  if (i < s.size() && s[i] == '.') {
    std::uint32_t scale = 100000000;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      nanos += static_cast<std::uint32_t>(s[i] - '0') * scale;
      scale /= 10;
    }
  }
  std::int64_t offset = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    offset = (digits(s, i + 1, 2) * 60 + digits(s, i + 4, 2)) * 60;
    if (s[i] == '-') offset = -offset;
  }
  const std::int64_t local =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second;
  return Instant{local - offset, nanos};
}

Result<LogHead> parse_head(std::string_view text) {
  const auto colon = text.find(':');
  const auto bad = [&] {
    return make_error(ErrorCode::invalid, quoted(text) +
                                              " is not a head POSITION:HASH (a position from 1 "
                                              "and 64 lowercase hexadecimal digits).");
  };
  if (colon == std::string_view::npos || colon == 0 || colon > 19) return bad();
  std::uint64_t position = 0;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') return bad();
    position = position * 10 + static_cast<std::uint64_t>(c - '0');
  }
  std::string_view hash = text.substr(colon + 1);
  if (position == 0 || hash.size() != 64 ||
      hash.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    return bad();
  }
  return LogHead{Position(position), std::string(hash)};
}

Result<std::vector<LogProblem>> check_extends(const Kv& kv, const LogHead& expected) {
  std::vector<LogProblem> problems;
  const std::uint64_t p = expected.position.value();
  auto record = kv.get(Space::log, log_key(expected.position));
  if (!record.ok()) return record.error();
  if (!record->has_value()) {
    auto last = last_position(kv);
    if (!last.ok()) return last.error();
    problems.push_back(LogProblem{
        expected.position, "The expected head is at " + at_position(p) + ", but the log ends at " +
                               at_position(last->value()) +
                               ": records after it were removed (the tail was cut off)."});
    return problems;
  }
  json j = json::parse(**record, nullptr, false);
  auto hash = j.is_object() ? j.find("hash") : j.end();
  if (hash == j.end() || !hash->is_string()) {
    problems.push_back(
        LogProblem{expected.position, "The record at the expected head has no hash."});
  } else if (hash->get<std::string>() != expected.hash) {
    problems.push_back(LogProblem{
        expected.position, "The record at the expected head " + at_position(p) + " has hash " +
                               hash->get<std::string>() + ", not the expected " + expected.hash +
                               ": the log up to that head was rewritten."});
  }
  return problems;
}

Result<Position> last_position(const Kv& kv) {
  auto last = kv.last(Space::log, "");
  if (!last.ok()) return last.error();
  if (!last->has_value() || (*last)->first.size() != 8) return Position();
  return Position(decode_be64((*last)->first));
}

Result<Moment> parse_moment(std::string_view text) {
  if (!text.empty() && text.size() <= 19 &&
      text.find_first_not_of("0123456789") == std::string_view::npos) {
    return Moment{Position(std::stoull(std::string(text))), std::nullopt};
  }
  auto t = parse_instant(text);
  if (!t.ok()) {
    return make_error(ErrorCode::invalid,
                      quoted(text) +
                          " is neither a log position (a number) nor an "
                          "RFC 3339 date-time such as 2015-01-08T09:30:00+08:00.");
  }
  return Moment{std::nullopt, *t};
}

Result<Position> resolve(const Kv& kv, const Moment& moment, const Progress& progress) {
  auto last = last_position(kv);
  if (!last.ok()) return last.error();
  if (moment.position) {
    if (*moment.position > *last) {
      return make_error(ErrorCode::invalid, "The log has no " +
                                                at_position(moment.position->value()) +
                                                "; it ends at " + at_position(last->value()) + ".");
    }
    return *moment.position;
  }
  Position through;
  std::optional<Error> failure;
  std::uint64_t done = 0;
  Status s = kv.scan(Space::log, "", "", [&](std::string_view key, std::string_view value) {
    const std::uint64_t p = key.size() == 8 ? decode_be64(key) : 0;
    auto at = record_instant(value, p);
    if (!at.ok()) {
      failure = at.error();
      return false;
    }
    if (*at > *moment.time) return false;
    through = Position(p);
    if (progress && ++done % kProgressEvery == 0) progress(done, last->value());
    return true;
  });
  if (!s.ok()) return s.error();
  if (failure) return *failure;
  return through;
}

Result<Replayed> replay_through(const Kv& kv, Position through, const Progress& progress) {
  Replayer replayer;
  std::optional<Error> failure;
  std::uint64_t done = 0;
  Status s = kv.scan(Space::log, "", "", [&](std::string_view key, std::string_view value) {
    const std::uint64_t p = key.size() == 8 ? decode_be64(key) : 0;
    if (p > through.value()) return false;
    auto event = parse_record(value, p);
    if (!event.ok()) {
      failure = event.error();
      return false;
    }
    event->position = Position(p);
    Status applied = replayer.apply(*event);
    if (!applied.ok()) {
      failure = applied.error();
      return false;
    }
    if (progress && ++done % kProgressEvery == 0) progress(done, through.value());
    return true;
  });
  if (!s.ok()) return s.error();
  if (failure) return *failure;
  if (progress) progress(through.value(), through.value());
  return replayer.finish();
}

Result<Replayed> replay_order_through(const Kv& kv, const OrderId& id, Position through) {
  std::vector<std::uint64_t> org_positions, order_positions;
  for (std::string_view prefix : {"unit/", "staff/"}) {
    Status s = index_positions(kv, prefix, org_positions);
    if (!s.ok()) return s.error();
  }
  Status s = index_positions(kv, order_stream(id) + '\0', order_positions);
  if (!s.ok()) return s.error();
  std::unordered_set<std::uint64_t> own(order_positions.begin(), order_positions.end());
  std::vector<std::uint64_t> positions = std::move(org_positions);
  positions.insert(positions.end(), order_positions.begin(), order_positions.end());
  std::sort(positions.begin(), positions.end());
  positions.erase(std::unique(positions.begin(), positions.end()), positions.end());

  Replayer replayer;
  for (std::uint64_t p : positions) {
    if (p > through.value()) break;
    auto record = kv.get(Space::log, log_key(Position(p)));
    if (!record.ok()) return record.error();
    if (!record->has_value()) {
      return make_error(ErrorCode::invalid, "The streams index names " + at_position(p) +
                                                ", which the log does not have.");
    }
    auto event = parse_record(**record, p);
    if (!event.ok()) return event.error();
    event->position = Position(p);
    if (own.count(p) != 0) {
      // The order's history, as query_order reads it, ends at `through` too.
      replayer.writes().put(Space::log, log_key(Position(p)), **record);
      replayer.writes().put(Space::streams, stream_key(event->stream, event->version),
                            encode_be64(p));
    }
    Status applied = replayer.apply(*event);
    if (!applied.ok()) return applied.error();
  }
  auto replayed = replayer.finish();
  if (replayed.ok()) replayed->through = through;
  return replayed;
}

Result<std::vector<Record>> order_records(const Kv& kv, const OrderId& id) {
  std::vector<std::uint64_t> positions;
  Status s = index_positions(kv, order_stream(id) + '\0', positions);
  if (!s.ok()) return s.error();
  if (positions.empty()) {
    return make_error(ErrorCode::not_found, "no order '" + id.str() + "' in the log", "order_id");
  }
  std::vector<Record> records;
  for (std::uint64_t p : positions) {
    auto raw = kv.get(Space::log, log_key(Position(p)));
    if (!raw.ok()) return raw.error();
    if (!raw->has_value()) {
      return make_error(ErrorCode::invalid, "The streams index names " + at_position(p) +
                                                ", which the log does not have.");
    }
    json j = json::parse(**raw, nullptr, false);
    if (j.is_discarded()) {
      return make_error(ErrorCode::invalid,
                        "The log record at " + at_position(p) + " is not valid JSON.");
    }
    records.push_back(Record{Position(p), std::move(**raw), std::move(j)});
  }
  return records;
}

Status unit_records(const Kv& kv, const UnitId& unit, const std::optional<Instant>& from,
                    const std::optional<Instant>& to,
                    const std::function<void(const Record&)>& visit) {
  // Pass 1: the organisation, and every unit that held each order.
  Org org;
  std::unordered_map<std::string, std::vector<UnitId>> holders;  // order id -> units
  std::optional<Error> failure;
  auto each_event = [&](const std::function<void(const Event&, std::string_view, json&)>& f) {
    return kv.scan(Space::log, "", "", [&](std::string_view key, std::string_view value) {
      const std::uint64_t p = key.size() == 8 ? decode_be64(key) : 0;
      json j;
      auto event = parse_record(value, p, &j);
      if (!event.ok()) {
        failure = event.error();
        return false;
      }
      event->position = Position(p);
      f(*event, value, j);
      return !failure;
    });
  };
  Status s = each_event([&](const Event& e, std::string_view, json&) {
    if (org.apply(e)) return;
    if (auto holder = new_holder(e)) holders[e.order_id().str()].push_back(*holder);
  });
  if (!s.ok()) return s;
  if (failure) return *failure;
  if (org.unit(unit) == nullptr) {
    return make_error(ErrorCode::not_found, "no unit '" + unit.str() + "' in the log", "unit");
  }
  auto in_subtree = [&](const UnitId& u) { return u == unit || org.is_ancestor(unit, u); };
  std::unordered_set<std::string> orders;
  for (const auto& [order, units] : holders) {
    if (std::any_of(units.begin(), units.end(), in_subtree)) orders.insert(order);
  }
  holders.clear();

  // Pass 2: the records concerning the subtree, in the time range.
  s = each_event([&](const Event& e, std::string_view raw, json& j) {
    const OrderId order = e.order_id();
    bool concerns = false;
    if (order.empty()) {
      auto units = org_event_units(e);
      concerns = std::any_of(units.begin(), units.end(), in_subtree);
    } else {
      concerns = orders.count(order.str()) != 0;
    }
    if (!concerns) return;
    if (from || to) {
      auto at = event_instant(e);
      if (!at.ok()) {
        failure = at.error();
        return;
      }
      if ((from && *at < *from) || (to && *at >= *to)) return;
    }
    visit(Record{e.position, std::string(raw), std::move(j)});
  });
  if (!s.ok()) return s;
  if (failure) return *failure;
  return Status::success();
}

Result<std::vector<std::string>> check_exported(const Kv& kv, std::string_view record_text) {
  std::vector<std::string> problems;
  json j = json::parse(record_text, nullptr, false);
  if (!j.is_object()) return std::vector<std::string>{"the record is not a JSON object"};
  auto hash = j.find("hash");
  auto position = j.find("position");
  if (hash == j.end() || !hash->is_string()) problems.push_back("the record has no hash");
  if (position == j.end() || !position->is_number_unsigned() || *position == 0) {
    problems.push_back("the record has no position");
  }
  if (!problems.empty()) return problems;
  const std::string stored_hash = hash->get<std::string>();
  const std::uint64_t p = position->get<std::uint64_t>();
  json content = j;
  content.erase("hash");
  if (sha256_hex(content.dump()) != stored_hash) {
    problems.push_back("its content does not hash to its hash " + stored_hash +
                       ": it was changed after it was exported");
  }
  auto logged = kv.get(Space::log, log_key(Position(p)));
  if (!logged.ok()) return logged.error();
  if (!logged->has_value()) {
    problems.push_back("the log has no record at " + at_position(p));
    return problems;
  }
  json in_log = json::parse(**logged, nullptr, false);
  const bool log_hash_ok =
      in_log.is_object() && in_log.contains("hash") && in_log["hash"].is_string();
  if (!log_hash_ok || in_log["hash"].get<std::string>() != stored_hash) {
    problems.push_back("the log's record at " + at_position(p) + " has hash " +
                       (log_hash_ok ? in_log["hash"].get<std::string>() : std::string("(none)")) +
                       ", not " + stored_hash);
  } else if (in_log != j) {
    problems.push_back("the log's record at " + at_position(p) +
                       " has the same hash but other content");
  }
  return problems;
}

}  // namespace dispatch::audit
