// The event log: every accepted event, in global position order, hash-chained so that a changed,
// removed or reordered record is found by verify_chain. It lives in a Kv (kv.h); the record format
// and key layout are described in engine/store/LAYOUT.md and schemas/README.md:
//
//   Space::log      encode_be64(position) -> record.dump(), where record is to_json(event) plus
//                   "prev_hash" (the previous record's "hash"; kGenesisHash at position 1) and
//                   "hash" = sha256_hex(dump() of the record without "hash"). nlohmann::json
//                   objects keep their keys sorted, so dump() is canonical.
//   Space::streams  stream + '\0' + encode_be64(version) -> encode_be64(position)
//
// An EventLog only adds records to a WriteSet; the caller writes that set (with whatever else the
// batch changes, such as projections) in one Kv::write and then tells the log how it went.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/event.h"
#include "engine/hash.h"
#include "engine/ids.h"
#include "engine/status.h"
#include "engine/store/kv.h"

namespace dispatch {

// The last record of the log: its position (0 for an empty log) and its hash (kGenesisHash for
// an empty log).
struct LogHead {
  Position position;
  std::string hash{kGenesisHash};
  friend bool operator==(const LogHead&, const LogHead&) = default;
};

// Keys of the two spaces the log writes (see the header comment).
std::string log_key(Position position);
std::string stream_key(std::string_view stream, Version version);

// Not thread-safe for staging: one committer thread calls open, stage, commit_staged,
// abort_staged and head. read and read_stream touch only the Kv, so any thread may call them
// at any time; they see what the Kv holds, which is the committed log (staged records reach the
// Kv only with the write that commits them).
class EventLog {
 public:
  explicit EventLog(Kv& kv);

  // Reads the head (the last record) from the Kv and forgets anything staged. `invalid` naming the
  // position when the last record does not parse; `unavailable` when the Kv cannot be read.
  Status open();

  // The committed head (not including staged events).
  LogHead head() const;

  // Stages a batch of events after everything already staged: checks that each event's version is
  // its stream's current version + 1, counting committed events (read from the Kv) and staged
  // ones, earlier events of this call included. On success fills each event's position, chains
  // its record to the staged head, and adds the log and streams records to `writes`; when `raw`
  // is given, appends the records (the values put in Space::log) to it.
  // Errors, after which nothing of this call is staged, `writes` and `raw` are unchanged and the
  // events' positions are as they were:
  // - `conflict` when a version is not the next one, naming the stream and both versions;
  // - `invalid` when a stream name is empty or holds a NUL, or an event cannot be serialised
  //   (e.g. a string that is not UTF-8);
  // - `unavailable` when the Kv cannot be read.
  Status stage(std::vector<Event>& events, WriteSet& writes,
               std::vector<std::string>* raw = nullptr);

  // After the Kv write of the staged records succeeded: the staged head becomes the head.
  void commit_staged();
  // After it failed (or the batch was abandoned): forgets everything staged since the last
  // commit_staged.
  void abort_staged();

  // Visits the events in the Kv from position `from` (inclusive; 0 and 1 both mean the start) in
  // position order, with each record as stored; the visitor returns false to stop. A record that
  // does not parse as an event is an `invalid` error naming its position (the visitor has seen
  // every earlier one); `unavailable` when the Kv cannot be read.
  Status read(Position from,
              const std::function<bool(const Event&, std::string_view raw)>& visit) const;

  // The events of one stream, oldest first (empty when the stream has none). `invalid` when the
  // streams index points at a missing record or one that does not parse or belongs to another
  // stream; `unavailable` when the Kv cannot be read.
  Result<std::vector<Event>> read_stream(const std::string& stream) const;

 private:
  Result<Version> current_version(const std::string& stream) const;

  Kv& kv_;
  LogHead head_;
  LogHead staged_head_;
  std::map<std::string, Version, std::less<>> staged_versions_;  // streams with staged events
};

// A problem verify_chain found, at the position of the record it concerns (0 when none applies,
// e.g. a log key that is not a position).
struct LogProblem {
  Position position;
  std::string what;  // a sentence for a person
};

struct ChainReport {
  std::uint64_t events = 0;          // records in the log space
  LogHead head;                      // the last record's position and stored hash
  std::vector<LogProblem> problems;  // empty when the log is whole and untampered
};

// Parses the record stored at `position`: `invalid`, naming the position, when it is not JSON, not
// an event, or says it is at another position. With `parsed`, the record's JSON is kept there.
Result<Event> parse_record(std::string_view raw, std::uint64_t position,
                           nlohmann::json* parsed = nullptr);

// Walks the whole log: positions are contiguous from 1, each record parses as an event and is
// exactly its schema's form (to_json of that event plus prev_hash and hash: no unknown field, no
// field spelled or typed otherwise than the engine writes it), its hash
// matches its content, its prev_hash equals the previous record's hash, its `position` field
// equals its key, stream versions are contiguous from 1 per stream, the streams index points at
// each record, and every streams index entry has its record. Reports every problem with its
// position and does not stop at the first; it avoids repeating one tampering at its neighbours
// (after a missing or misplaced record, the next record's prev_hash is not checked).
// Removing the last records (and their index entries) leaves a valid shorter chain: only a
// remembered head, compared with `head`, shows it. `progress(done)` is called every 10,000
// records when given. Errors: `unavailable` when the Kv cannot be read; problems are not errors.
Result<ChainReport> verify_chain(const Kv& kv,
                                 const std::function<void(std::uint64_t)>& progress = {});

}  // namespace dispatch
