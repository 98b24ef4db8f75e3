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
//
// A store that replicates a Kafka topic (engine/kafka/) keeps the same two spaces, laid out as
// LogLayout describes, plus its chain heads in Space::replica.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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

inline constexpr std::uint32_t kMaxPartitions = 256;

// How positions and hash chains are laid out.
// - The embedded log (partitions == 0): one chain, positions 1, 2, 3, … with no gap.
// - A log replicated through a Kafka topic of N partitions (1 <= N <= kMaxPartitions): one chain
//   per partition. The organisation's streams (unit/, staff/, account/) are in partition 0, an
//   order's stream in partition_of(). An event's position is (seq << 8) | partition, where seq is
//   one more than the highest seq its deciding node had applied (a Lamport clock): positions are
//   unique, grow along every chain, and exceed the position of every event the node had applied
//   when it decided, so replaying in position order respects what each decision saw. Positions
//   of different chains interleave with gaps.
struct LogLayout {
  std::uint32_t partitions = 0;

  bool partitioned() const { return partitions > 0; }
  std::uint32_t partition_of(std::string_view stream) const;
  std::uint32_t chain_of(Position position) const {
    return partitioned() ? static_cast<std::uint32_t>(position.value() & 0xFF) : 0;
  }
  friend bool operator==(const LogLayout&, const LogLayout&) = default;
};

// Space::replica keys: "m/partitions" (the layout, as decimal text; absent for the embedded log),
// "h/" + BE32(chain) -> BE64(position) + hash of the chain's last record.
inline constexpr std::string_view kLayoutKey = "m/partitions";
// `prefix` + BE32(partition): the keys of Space::replica that are per partition (or chain).
std::string partition_key(std::string_view prefix, std::uint32_t partition);
// The partition of such a key whose prefix is `prefix_size` bytes long.
std::uint32_t partition_of_key(std::string_view key, std::size_t prefix_size);
inline std::string chain_head_key(std::uint32_t chain) { return partition_key("h/", chain); }

// The layout the store records; the embedded layout when it records none. `invalid` when the
// record is damaged, `unavailable` when the Kv cannot be read.
Result<LogLayout> load_log_layout(const Kv& kv);

// Not thread-safe for staging: one committer thread calls open, stage, commit_staged,
// abort_staged and head. read and read_stream touch only the Kv, so any thread may call them
// at any time; they see what the Kv holds, which is the committed log (staged records reach the
// Kv only with the write that commits them).
class EventLog {
 public:
  explicit EventLog(Kv& kv);

  // Reads the layout and the head (the last record) from the Kv and forgets anything staged.
  // `invalid` naming the position when the last record does not parse; `unavailable` when the Kv
  // cannot be read.
  Status open();

  // The committed head (not including staged events): the record at the highest position.
  LogHead head() const;
  const LogLayout& layout() const { return layout_; }
  // The last record of `chain`, staged or committed (position 0 and the genesis hash for an
  // empty chain). `invalid` when its recorded head is damaged, `unavailable` when the Kv cannot be
  // read.
  Result<LogHead> chain_head(std::uint32_t chain);
  // How many committed records are at `from` or after, for the totals of progress reports. The
  // embedded log's positions count its records. A partitioned log's position is a count shifted
  // past the chain's number, the count one more than the record's before it on any chain; that
  // holds while one node decides at a time, and the answer may then miss the record at `from`.
  std::uint64_t records_from(Position from) const;

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

  // Stages one record that a replica received from the shared log (engine/replication.h): checks
  // that it is an event, that its hash matches its content, that it is on `partition`'s chain,
  // that its prev_hash is that chain's head and that its version is its stream's next one; then
  // adds it to `writes` as it is. nullopt, staging nothing, when the store already holds this very
  // record (one this node published itself). Errors (nothing staged): `invalid` for a record that
  // is not a whole, untampered event of that partition; `conflict` when it does not extend the
  // chain or the stream (the replica and the shared log disagree); `unavailable` when the Kv
  // cannot be read.
  Result<std::optional<Event>> stage_received(std::string_view record, std::uint32_t partition,
                                              WriteSet& writes);

  // After the Kv write of the staged records succeeded: the staged head becomes the head.
  void commit_staged();
  // After it failed (or the batch was abandoned): forgets everything staged since the last
  // commit_staged.
  void abort_staged();

  // Visits the events in the Kv from position `from` (inclusive; 0 and 1 both mean the start) in
  // position order, with each record as stored; the visitor returns false to stop. A record that
  // does not parse as an event is an `invalid` error naming its position (the visitor has seen
  // every earlier one); `unavailable` when the Kv cannot be read. The visitor may move from the
  // event.
  Status read(Position from, const std::function<bool(Event&, std::string_view raw)>& visit) const;
  // The same visit for replays: records are read and decoded on a thread of its own, a few
  // thousand events ahead of `visit`, which runs on the calling thread and may move from the
  // event. Decoding a record costs about as much as projecting it, so on two cores the two
  // overlap. The raw record is not kept. Errors as read's, reported once the visitor has seen
  // every earlier event; `unavailable` when the thread cannot be started.
  Status read_ahead(Position from, const std::function<bool(Event&)>& visit) const;

  // The events of one stream, oldest first (empty when the stream has none). `invalid` when the
  // streams index points at a missing record or one that does not parse or belongs to another
  // stream; `unavailable` when the Kv cannot be read.
  Result<std::vector<Event>> read_stream(const std::string& stream) const;

 private:
  Result<Version> current_version(const std::string& stream);
  void remember_version(const std::string& stream, Version version);
  void stage_chain_head(std::uint32_t chain, const LogHead& head, WriteSet& writes);

  Kv& kv_;
  LogLayout layout_;
  LogHead head_;
  LogHead staged_head_;
  std::map<std::string, Version, std::less<>> staged_versions_;  // streams with staged events
  // Streams' committed versions, as read or committed so far: a command's order was nearly always
  // touched a few commands before, and this saves a seek in the streams space. Only this class
  // writes that space, so it stays true; forgotten whole when it grows past kKnownVersions.
  static constexpr std::size_t kKnownVersions = 1 << 16;
  std::unordered_map<std::string, Version> versions_;
  std::map<std::uint32_t, LogHead> chain_heads_;         // partitioned: committed, as read so far
  std::map<std::uint32_t, LogHead> staged_chain_heads_;  // partitioned: with staged events
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

// Walks the whole log in the store's layout (LogLayout). Each record parses as an event and is
// exactly its schema's form (to_json of that event plus prev_hash and hash: no unknown field, no
// field spelled or typed otherwise than the engine writes it); its hash matches its content; its
// prev_hash equals the hash of the previous record of its chain (the genesis hash for a chain's
// first); its `position` field equals its key; stream versions are contiguous from 1 per stream;
// the streams index points at each record, and every streams index entry has its record. In the
// embedded log positions are contiguous from 1; in a replica every chain ends at the head
// recorded for it. Reports every problem with its position and does not stop at the first; it
// avoids repeating one tampering at its neighbours (after a missing or misplaced record, the next
// record's prev_hash is not checked). Removing the last records of the embedded log (and their
// index entries) leaves a valid shorter chain: only a remembered head, compared with `head`,
// shows it. `progress(done)` is called every 10,000 records when given. Errors: `unavailable`
// when the Kv cannot be read; problems are not errors.
Result<ChainReport> verify_chain(const Kv& kv,
                                 const std::function<void(std::uint64_t)>& progress = {});

}  // namespace dispatch
