// The one narrow storage interface everything durable goes through: an ordered key-value store
// with a few separate key spaces, atomic multi-key writes, and an in-memory twin for tests.
// The RocksDB implementation (rocks_kv.h) maps each space to a column family; the key layout of
// every space is described once, in engine/store/LAYOUT.md.
//
// Thread safety: get and scan may be called from any thread; write is called by one thread at a
// time (the engine's committer), but concurrent calls are safe and serialised by the store.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/status.h"

namespace dispatch {

enum class Space : std::uint8_t {
  log,          // global position -> event record (JSON with prev_hash and hash)
  streams,      // stream id, 0x00, big-endian version -> big-endian position
  commands,     // command id -> the command's first reply (JSON)
  projections,  // order views, folders, counters, organisation, meta: all rebuildable
  connectors,   // connectors' shop-order state and dead letters (connectors/store.h); not
                // rebuildable
  accounts,     // account -> its password's argon2id hash (engine/accounts.h); not rebuildable
  replica,      // where a store that replicates a Kafka topic stands in it (engine/log.h); empty
                // for the embedded log
};
inline constexpr Space kAllSpaces[] = {Space::log,         Space::streams,    Space::commands,
                                       Space::projections, Space::connectors, Space::accounts,
                                       Space::replica};
std::string_view to_string(Space space);

// Hashes std::string keys and finds them by std::string_view too (with std::equal_to<>), so a
// lookup by a key's view builds no string.
struct StringKeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
};

// A set of puts and deletes applied atomically by Kv::write. A later operation on the same key
// replaces the earlier one, so ops() holds at most one operation per key, in no promised order.
class WriteSet {
 public:
  WriteSet() = default;
  WriteSet(const WriteSet& other);
  WriteSet& operator=(const WriteSet& other);
  // Moving keeps the operations where they are, so the index's views stay valid.
  WriteSet(WriteSet&&) = default;
  WriteSet& operator=(WriteSet&&) = default;

  void put(Space space, std::string key, std::string value);
  void del(Space space, std::string key);
  // What this set will leave at the key: a value, a deletion (nullopt inside the optional), or
  // nothing pending (outer nullopt).
  std::optional<std::optional<std::string>> pending(Space space, std::string_view key) const;
  // Whether the set writes or deletes the key.
  bool touches(Space space, std::string_view key) const;
  bool empty() const { return ops_.empty(); }
  std::size_t size() const { return ops_.size(); }
  std::size_t bytes() const { return bytes_; }
  void clear();

  struct Op {
    Space space;
    std::string key;
    std::optional<std::string> value;  // nullopt: delete
  };
  const std::deque<Op>& ops() const { return ops_; }

 private:
  void record(Space space, std::string key, std::optional<std::string> value);

  // At most one per key. A deque, because adding an operation never moves the others: the index
  // below holds views of their keys instead of copies (a batch of rebuild holds 35,000 keys, and
  // every command's batch a dozen).
  std::deque<Op> ops_;
  // Per space: key (a view of its operation's) -> the operation's place in ops_.
  std::array<std::unordered_map<std::string_view, std::size_t>, 8> index_;
  std::size_t bytes_ = 0;
};

// Visitor for scans: return false to stop.
using KvVisitor = std::function<bool(std::string_view key, std::string_view value)>;

class Kv {
 public:
  virtual ~Kv() = default;

  // The value at key, nullopt when absent. Errors are `unavailable` (I/O) with the store's message.
  virtual Result<std::optional<std::string>> get(Space space, std::string_view key) const = 0;
  // Visits, in ascending key order, the keys that start with `prefix` and are greater than
  // `after` (all of them when `after` is empty).
  virtual Status scan(Space space, std::string_view prefix, std::string_view after,
                      const KvVisitor& visit) const = 0;
  // The greatest key that starts with `prefix`, with its value; nullopt when none does.
  virtual Result<std::optional<std::pair<std::string, std::string>>> last(
      Space space, std::string_view prefix) const = 0;
  // Applies all of `writes` or none. With durable, returns only after the write is on stable
  // storage (WAL synced); concurrent durable writes may share one sync.
  virtual Status write(const WriteSet& writes, bool durable) = 0;
  // For loads that can be redone from the log (rebuild, catch-up): applies all of `writes` or
  // none, but may skip the write-ahead log, so a crash may lose it, and with it every later
  // unlogged write, until sync_unlogged returns. What survives is always whole writes, the
  // earliest ones. By default (the in-memory Kv, wrappers) the same as write(writes, false).
  virtual Status write_unlogged(const WriteSet& writes) { return write(writes, false); }
  // Makes every earlier write_unlogged durable.
  virtual Status sync_unlogged() { return Status::success(); }
  // Makes every write made before the call with durable = false as durable as a durable write:
  // a writer may go on writing while another thread syncs. By default (the in-memory Kv) a
  // success.
  virtual Status sync_log() { return Status::success(); }
  // Removes every key of a space (rebuild uses it on the projections space).
  virtual Status clear(Space space) = 0;
};

// Passes every call to another Kv: owned, or borrowed (which must outlive this one). For lending
// one store to an Engine, which owns its Kv, while something else uses it too; and a base for
// wrappers that watch or disturb writes (override write) in benchmarks and tests.
class ForwardingKv : public Kv {
 public:
  explicit ForwardingKv(Kv& borrowed) : inner_(borrowed) {}
  explicit ForwardingKv(std::unique_ptr<Kv> owned) : owned_(std::move(owned)), inner_(*owned_) {}

  Result<std::optional<std::string>> get(Space space, std::string_view key) const override {
    return inner_.get(space, key);
  }
  Status scan(Space space, std::string_view prefix, std::string_view after,
              const KvVisitor& visit) const override {
    return inner_.scan(space, prefix, after, visit);
  }
  Result<std::optional<std::pair<std::string, std::string>>> last(
      Space space, std::string_view prefix) const override {
    return inner_.last(space, prefix);
  }
  Status write(const WriteSet& writes, bool durable) override {
    return inner_.write(writes, durable);
  }
  Status clear(Space space) override { return inner_.clear(space); }
  Status sync_log() override { return inner_.sync_log(); }

 private:
  std::unique_ptr<Kv> owned_;
  Kv& inner_;
};

// The in-memory twin: same contract, nothing durable. Thread-safe.
std::unique_ptr<Kv> make_memory_kv();

// Reads through a pending WriteSet to the Kv below, so code deciding the next write sees the
// earlier writes of the same batch. get and last only; scans go to the Kv (see engine.cc for why
// that is enough).
class OverlayReader {
 public:
  OverlayReader(const Kv& kv, const WriteSet& pending) : kv_(kv), pending_(pending) {}
  Result<std::optional<std::string>> get(Space space, std::string_view key) const;
  // Whether the pending WriteSet writes or deletes the key.
  bool pending(Space space, std::string_view key) const { return pending_.touches(space, key); }

 private:
  const Kv& kv_;
  const WriteSet& pending_;
};

// Big-endian fixed-width encoding, so numeric keys sort in numeric order.
std::string encode_be64(std::uint64_t value);
std::uint64_t decode_be64(std::string_view bytes);  // precondition: bytes.size() == 8

}  // namespace dispatch
