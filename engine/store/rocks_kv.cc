// The RocksDB Kv (rocks_kv.h). Why these options:
// - Durable writes set WriteOptions::sync. RocksDB's write path already does group commit: the
//   writer at the head of the write queue leads a group of the writers queued behind it, writes
//   their batches to the WAL at once and fsyncs once (RocksDB wiki, "WAL Performance";
//   WriteThread::EnterAsBatchGroupLeader). A sync write never joins a group led by a non-sync one,
//   and a group stops growing at max_write_batch_group_size_bytes (1 MB by default). So
//   enable_pipelined_write (overlaps the WAL and memtable writes of concurrent writers; we have one
//   committer), two_write_queues (for two-phase commit) and manual_wal_flush (would need an
//   explicit FlushWAL for durability) stay at their defaults, off.
// - Unlogged writes (rebuild, catch-up: Kv::write_unlogged) skip the WAL, whose write and CRC
//   they would not need: they are made durable at the end by flushing the memtables to table
//   files, and until then a crash loses only a tail of them, which the next open replays.
// - One LRU block cache shared by the column families; bloom filters, in the table files and in
//   the memtables, where point lookups often miss: commands (every new command id is looked up
//   before it exists) and projections (order views, counters). The log and streams spaces are
//   read by position or by prefix scans.
// - Index and filter blocks live in that cache too, in its high-priority pool (80% of it, so data
//   blocks cannot push them out), partitioned so only the parts in use take room, with the top
//   level and level 0's pinned. RocksDB's default keeps every open file's index and filter on
//   the heap, where they grow with the store (about 35 MB per GB of table files) without bound.
//   A 64 MB cache with half for them was tried and cost 15% of the durable events per second at a
//   million orders: the parts in use did not fit (README.md, "Measured").
// - Level compaction with dynamic level sizes; LZ4 when the library has it, else none; two
//   background jobs for a small machine; memtables of all spaces capped together.
// - max_open_files stays -1 (all table files opened at open), which also keeps a read-only
//   instance readable when a writer in another process compacts files away under it.
#include "engine/store/rocks_kv.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>
#include <vector>

#include "engine/store/key_range.h"

namespace dispatch {
namespace {

constexpr std::size_t kAllMemtablesBytes = 128 << 20;

rocksdb::Slice slice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view view(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

Error io_error(const std::string& what, const rocksdb::Status& s) {
  return make_error(ErrorCode::unavailable, what + ": " + s.ToString());
}

bool is_lock_error(const rocksdb::Status& s) {
  if (!s.IsIOError()) return false;
  const std::string text = s.ToString();
  // Another process: "While lock file: <dir>/LOCK: Resource temporarily unavailable".
  // This process (RocksDB keeps its own table of locked files): "lock hold by current process".
  return text.find("While lock file") != std::string::npos ||
         text.find("lock hold by current process") != std::string::npos;
}

rocksdb::DBOptions db_options(const RocksOptions& options) {
  rocksdb::DBOptions db;
  db.create_if_missing = options.create_if_missing;
  db.create_missing_column_families = true;
  db.max_background_jobs = 2;
  db.db_write_buffer_size = kAllMemtablesBytes;
  db.keep_log_file_num = 5;  // RocksDB's own info LOG files, not the WAL
  db.bytes_per_sync = 1 << 20;
  return db;
}

rocksdb::ColumnFamilyOptions cf_options(Space space, const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  cf.compaction_style = rocksdb::kCompactionStyleLevel;
  cf.level_compaction_dynamic_level_bytes = true;
  auto supported = rocksdb::GetSupportedCompressions();
  bool lz4 =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end();
  cf.compression = lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.index_type = rocksdb::BlockBasedTableOptions::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.pin_top_level_index_and_filter = true;
  if (space == Space::commands || space == Space::projections) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    cf.memtable_whole_key_filtering = true;
    cf.memtable_prefix_bloom_size_ratio = 0.02;
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

class RocksKv final : public Kv {
 public:
  RocksKv(std::string dir, bool read_only, rocksdb::DB* db,
          std::vector<rocksdb::ColumnFamilyHandle*> handles)
      : dir_(std::move(dir)), read_only_(read_only), db_(db), handles_(std::move(handles)) {
    for (auto* handle : handles_) {
      for (Space space : kAllSpaces) {
        if (handle->GetName() == to_string(space))
          spaces_[static_cast<std::size_t>(space)] = handle;
      }
    }
  }

  ~RocksKv() override {
    for (auto* handle : handles_) (void)db_->DestroyColumnFamilyHandle(handle);
    (void)db_->Close();
    delete db_;
  }

  Result<std::optional<std::string>> get(Space space, std::string_view key) const override {
    auto* cf = family(space);
    if (cf == nullptr) return std::optional<std::string>();
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf, slice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return io_error("the store " + dir_ + " could not be read", s);
    return std::optional<std::string>(std::move(value));
  }

  Status scan(Space space, std::string_view prefix, std::string_view after,
              const KvVisitor& visit) const override {
    auto* cf = family(space);
    if (cf == nullptr) return Status::success();
    rocksdb::ReadOptions read;
    // A scan of a whole space (replay, verify, export) reads each block once: kept out of the
    // cache, it would push out the index, filter and data blocks that commands and queries use,
    // and grow the cache to its limit on every rebuild.
    read.fill_cache = !prefix.empty();
    std::optional<std::string> end = prefix_successor(prefix);
    rocksdb::Slice upper;
    if (end) {
      upper = slice(*end);
      read.iterate_upper_bound = &upper;
    }
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read, cf));
    const bool from_after = !after.empty() && after >= prefix;
    it->Seek(slice(from_after ? after : prefix));
    if (from_after && it->Valid() && view(it->key()) == after) it->Next();
    for (; it->Valid() && has_prefix(view(it->key()), prefix); it->Next()) {
      if (!visit(view(it->key()), view(it->value()))) return Status::success();
    }
    if (!it->status().ok())
      return io_error("the store " + dir_ + " could not be read", it->status());
    return Status::success();
  }

  Result<std::optional<std::pair<std::string, std::string>>> last(
      Space space, std::string_view prefix) const override {
    using Found = std::optional<std::pair<std::string, std::string>>;
    auto* cf = family(space);
    if (cf == nullptr) return Found();
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
    std::optional<std::string> end = prefix_successor(prefix);
    if (end) {
      it->SeekForPrev(slice(*end));
      if (it->Valid() && view(it->key()) == *end) it->Prev();
    } else {
      it->SeekToLast();
    }
    if (!it->status().ok())
      return io_error("the store " + dir_ + " could not be read", it->status());
    if (!it->Valid() || !has_prefix(view(it->key()), prefix)) return Found();
    return Found(std::pair(it->key().ToString(), it->value().ToString()));
  }

  Status sync_log() override {
    if (read_only_) return read_only_error();
    rocksdb::Status s = db_->SyncWAL();
    if (!s.ok()) return io_error("the store " + dir_ + " could not sync its write-ahead log", s);
    return Status::success();
  }

  Status write(const WriteSet& writes, bool durable) override {
    rocksdb::WriteOptions options;
    options.sync = durable;
    return write_with(writes, options);
  }

  // Without the WAL, writes live only in memtables until a flush writes them to table files.
  // Each column family flushes its memtables oldest first, and a write is never split between
  // two memtables, so a crash keeps the unlogged writes up to some point, whole.
  Status write_unlogged(const WriteSet& writes) override {
    rocksdb::WriteOptions options;
    options.disableWAL = true;
    return write_with(writes, options);
  }

  Status sync_unlogged() override {
    if (read_only_) return read_only_error();
    rocksdb::FlushOptions options;
    options.wait = true;
    rocksdb::Status s = db_->Flush(options, handles_);
    if (!s.ok()) return io_error("the store " + dir_ + " could not be flushed", s);
    return Status::success();
  }

  // One atomic batch deletes [first key, last key] (a range tombstone plus the last key), then a
  // compaction drops the deleted data. The column family handles never change, so concurrent
  // readers and writers stay safe; a key written concurrently beyond the last key survives.
  Status clear(Space space) override {
    if (read_only_) return read_only_error();
    auto* cf = family(space);
    std::string first;
    std::string last;
    {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf));
      it->SeekToFirst();
      if (it->Valid()) first = it->key().ToString();
      it->SeekToLast();
      if (it->Valid()) last = it->key().ToString();
      if (!it->status().ok()) {
        return io_error("the store " + dir_ + " could not be read", it->status());
      }
      if (!it->Valid()) return Status::success();  // already empty
    }
    rocksdb::WriteBatch batch;
    rocksdb::Status s = batch.DeleteRange(cf, first, last);
    if (s.ok()) s = batch.Delete(cf, last);
    rocksdb::WriteOptions options;
    options.sync = true;
    if (s.ok()) s = db_->Write(options, &batch);
    if (!s.ok()) {
      return io_error("the " + std::string(to_string(space)) + " space of the store " + dir_ +
                          " could not be cleared",
                      s);
    }
    s = db_->CompactRange(rocksdb::CompactRangeOptions(), cf, nullptr, nullptr);
    if (!s.ok()) return io_error("the store " + dir_ + " could not be compacted", s);
    return Status::success();
  }

 private:
  Status write_with(const WriteSet& writes, const rocksdb::WriteOptions& options) {
    if (read_only_) return read_only_error();
    // A memtable is a skip list that remembers where the previous insert landed: keys inserted in
    // ascending order each start the search from there instead of from the top, which halves the
    // cost of large batches (rebuild's). A WriteSet holds one operation per key, so the order of
    // its operations does not change what the batch does.
    std::vector<const WriteSet::Op*> sorted;
    sorted.reserve(writes.ops().size());
    for (const auto& op : writes.ops()) sorted.push_back(&op);
    std::sort(sorted.begin(), sorted.end(), [](const WriteSet::Op* a, const WriteSet::Op* b) {
      return a->space != b->space ? a->space < b->space : a->key < b->key;
    });
    rocksdb::WriteBatch batch;
    for (const WriteSet::Op* op : sorted) {
      auto* cf = family(op->space);
      rocksdb::Status s = op->value ? batch.Put(cf, slice(op->key), slice(*op->value))
                                    : batch.Delete(cf, slice(op->key));
      if (!s.ok()) return io_error("a write to the store " + dir_ + " could not be prepared", s);
    }
    rocksdb::Status s = db_->Write(options, &batch);
    if (!s.ok()) return io_error("the store " + dir_ + " could not be written", s);
    return Status::success();
  }

  rocksdb::ColumnFamilyHandle* family(Space space) const {
    return spaces_[static_cast<std::size_t>(space)];
  }
  Error read_only_error() const {
    return make_error(ErrorCode::unavailable,
                      "the store " + dir_ + " is open read-only; it cannot be changed");
  }

  std::string dir_;
  bool read_only_;
  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // all opened, owned
  // Indexed by Space; null only in a read-only store that lacks the space (read as empty).
  rocksdb::ColumnFamilyHandle* spaces_[std::size(kAllSpaces)] = {};
};

}  // namespace

Result<std::unique_ptr<Kv>> open_rocks_kv(const std::string& dir, RocksOptions options) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool exists = fs::exists(fs::path(dir) / "CURRENT", ec);
  if (!exists && (options.read_only || !options.create_if_missing)) {
    return make_error(ErrorCode::not_found, "no store at " + dir);
  }

  if (!exists) {
    fs::create_directories(dir, ec);  // RocksDB creates only the last directory of the path
  }
  rocksdb::DBOptions db = db_options(options);
  rocksdb::LRUCacheOptions cache_options;
  cache_options.capacity = options.cache_bytes;
  cache_options.high_pri_pool_ratio = 0.8;
  auto cache = rocksdb::NewLRUCache(cache_options);
  // Every column family the store has must be opened (read-write), ours are created if missing.
  std::set<std::string> names{rocksdb::kDefaultColumnFamilyName};
  if (exists) {
    std::vector<std::string> existing;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(db, dir, &existing);
    if (!s.ok()) return io_error("the store " + dir + " could not be opened", s);
    names.insert(existing.begin(), existing.end());
  }
  if (!options.read_only) {
    for (Space space : kAllSpaces) names.insert(std::string(to_string(space)));
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (const auto& name : names) {
    Space space = Space::log;
    for (Space s : kAllSpaces) {
      if (name == to_string(s)) space = s;
    }
    families.emplace_back(name, cf_options(space, cache));
  }

  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = options.read_only
                          ? rocksdb::DB::OpenForReadOnly(db, dir, families, &handles, &raw)
                          : rocksdb::DB::Open(db, dir, families, &handles, &raw);
  if (is_lock_error(s)) {
    return make_error(ErrorCode::unavailable,
                      "the store " + dir +
                          " is in use by another process (a running dispatchd or dispatchctl); "
                          "stop it or use another --data directory");
  }
  if (!s.ok()) return io_error("the store " + dir + " could not be opened", s);
  return std::unique_ptr<Kv>(std::make_unique<RocksKv>(dir, options.read_only, raw, handles));
}

}  // namespace dispatch
