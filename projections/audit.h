// What auditors need beside verify_chain (engine/log.h): moments of the log (an instant or a
// position), the state as it was at a moment, replayed from the log into a fresh in-memory store,
// the records of an order or of a unit's subtree for export, and checking an exported record
// against the log.
//
// Contract: every function here only reads the Kv it is given (typically a store opened
// read-only beside a running writer) and never writes to it; replays go into a new in-memory Kv.
// Errors are values: `unavailable` when the Kv cannot be read, `invalid` for a bad argument or a
// record that does not parse (naming its position), `not_found` for an unknown order or unit.
// Not thread-safe per call; different calls may run on different threads.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ids.h"
#include "engine/log.h"
#include "engine/org.h"
#include "engine/status.h"
#include "engine/store/kv.h"

namespace dispatch::audit {

// A point on the UTC time line. Events' `at` carry any offset; instants compare them.
struct Instant {
  std::int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  std::uint32_t nanos = 0;   // fraction digits beyond nanoseconds are dropped
  friend auto operator<=>(const Instant&, const Instant&) = default;
};
// `invalid` when `text` is not an RFC 3339 date-time (is_rfc3339). A leap second counts as :59.
Result<Instant> parse_instant(std::string_view text);

// "POSITION:HASH", e.g. as written down from an earlier `audit verify`. `invalid` otherwise.
Result<LogHead> parse_head(std::string_view text);

// Whether the log still extends `expected`: the record at expected.position exists and its stored
// hash is expected.hash (verify_chain proves the chain up to the head links to it). Returns the
// problems found (empty: it extends it), each at expected.position.
Result<std::vector<LogProblem>> check_extends(const Kv& kv, const LogHead& expected);

// The last record's position in the log space (0 when empty).
Result<Position> last_position(const Kv& kv);

// A moment of the log: all digits is a position, anything else an RFC 3339 instant.
struct Moment {
  std::optional<Position> position;
  std::optional<Instant> time;
};
Result<Moment> parse_moment(std::string_view text);

using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// The position a moment stands for. A position is itself (`invalid` beyond the log's head). An
// instant stands for the longest prefix of the log whose events all happened (`at`) by then: the
// log, not the clock, orders the facts, so an event recorded later but dated earlier (a
// back-dated command) was not yet known and is not included. 0 when the first event is later.
Result<Position> resolve(const Kv& kv, const Moment& moment, const Progress& progress = {});

// The state after the log's records 1..through, replayed by the Projector into a fresh Kv.
struct Replayed {
  std::unique_ptr<Kv> kv;  // its projections space; for only_order also that order's log records
  Org org;
  Position through;
};

// Replays every record up to `through` into a new in-memory Kv (what the live projections held
// right after that record was committed).
Result<Replayed> replay_through(const Kv& kv, Position through, const Progress& progress = {});

// The faster replay for one order: only the organisation's events and that order's own events up
// to `through` (found through the streams index), which is all an order's view depends on. Its
// folders and counters are not complete; only query_order on it is meaningful. The order's log
// records and streams entries up to `through` are copied, so its history stops there too.
Result<Replayed> replay_order_through(const Kv& kv, const OrderId& id, Position through);

// One stored record, as the log holds it.
struct Record {
  Position position;
  std::string raw;       // the stored text, verbatim
  nlohmann::json value;  // raw, parsed
};

// The stored records of one order's stream, oldest first; `not_found` when it has none.
Result<std::vector<Record>> order_records(const Kv& kv, const OrderId& id);

// Visits, in log order, every record concerning `unit`'s subtree (the unit and every unit below
// it) whose `at` is in [from, to): the events of every order that some unit of the subtree held
// at some point (created, dispatched to, returned to), and the organisation events naming a unit
// of the subtree. Two passes over the log. `not_found` when no UnitRegistered names `unit`.
Status unit_records(const Kv& kv, const UnitId& unit, const std::optional<Instant>& from,
                    const std::optional<Instant>& to,
                    const std::function<void(const Record&)>& visit);

// Checks one exported record (its JSON text) against the log: it parses, its content hashes to its
// `hash`, and the log holds the same record at its `position`. Returns a sentence per mismatch.
Result<std::vector<std::string>> check_exported(const Kv& kv, std::string_view record_text);

}  // namespace dispatch::audit
