// WriteSet, the in-memory Kv, OverlayReader and the big-endian key encoding (kv.h).
#include "engine/store/kv.h"

#include <array>
#include <mutex>
#include <shared_mutex>
#include <utility>

#include "engine/store/key_range.h"

namespace dispatch {

std::string_view to_string(Space space) {
  switch (space) {
    case Space::log:
      return "log";
    case Space::streams:
      return "streams";
    case Space::commands:
      return "commands";
    case Space::projections:
      return "projections";
    case Space::connectors:
      return "connectors";
    case Space::accounts:
      return "accounts";
    case Space::replica:
      return "replica";
  }
  return "unknown";
}

// ---- WriteSet ----

// A key written twice in one set keeps one operation, the last: replays write the same order
// view and folder entries many times per batch, and only the final value needs to reach the store.
void WriteSet::record(Space space, std::string key, std::optional<std::string> value) {
  // Added first, so the index's key can be a view of the stored one; taken back off when the key
  // already has an operation, which then takes the new value.
  ops_.push_back(Op{space, std::move(key), std::move(value)});
  Op& added = ops_.back();
  const std::size_t value_bytes = added.value ? added.value->size() : 0;
  auto [it, inserted] =
      index_[static_cast<std::size_t>(space)].try_emplace(added.key, ops_.size() - 1);
  if (inserted) {
    bytes_ += added.key.size() + value_bytes;
    return;
  }
  Op& earlier = ops_[it->second];
  bytes_ -= earlier.value ? earlier.value->size() : 0;
  bytes_ += value_bytes;
  earlier.value = std::move(added.value);
  ops_.pop_back();
}

WriteSet::WriteSet(const WriteSet& other) : ops_(other.ops_), bytes_(other.bytes_) {
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    index_[static_cast<std::size_t>(ops_[i].space)].emplace(ops_[i].key, i);
  }
}

WriteSet& WriteSet::operator=(const WriteSet& other) {
  if (this != &other) *this = WriteSet(other);
  return *this;
}

void WriteSet::put(Space space, std::string key, std::string value) {
  record(space, std::move(key), std::move(value));
}

void WriteSet::del(Space space, std::string key) { record(space, std::move(key), std::nullopt); }

std::optional<std::optional<std::string>> WriteSet::pending(Space space,
                                                            std::string_view key) const {
  const auto& index = index_[static_cast<std::size_t>(space)];
  auto it = index.find(key);
  if (it == index.end()) return std::nullopt;
  return ops_[it->second].value;
}

bool WriteSet::touches(Space space, std::string_view key) const {
  return index_[static_cast<std::size_t>(space)].contains(key);
}

void WriteSet::clear() {
  ops_.clear();
  for (auto& index : index_) index.clear();
  bytes_ = 0;
}

// ---- the in-memory Kv ----
namespace {

class MemoryKv final : public Kv {
 public:
  Result<std::optional<std::string>> get(Space space, std::string_view key) const override {
    std::shared_lock lock(mutex_);
    const auto& map = maps_[index(space)];
    auto it = map.find(key);
    if (it == map.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

  // Visits in chunks copied under the lock, so a visitor may call back into this Kv (even write
  // to it) without deadlocking. Like a RocksDB iterator without a snapshot, a scan sees writes
  // made while it runs to keys it has not reached yet.
  Status scan(Space space, std::string_view prefix, std::string_view after,
              const KvVisitor& visit) const override {
    constexpr std::size_t kChunk = 256;
    std::string cursor(after);
    bool first = after.empty() || after < prefix;
    std::vector<std::pair<std::string, std::string>> chunk;
    for (;;) {
      chunk.clear();
      {
        std::shared_lock lock(mutex_);
        const auto& map = maps_[index(space)];
        auto it = first ? map.lower_bound(prefix) : map.upper_bound(cursor);
        for (; it != map.end() && chunk.size() < kChunk && has_prefix(it->first, prefix); ++it) {
          chunk.emplace_back(it->first, it->second);
        }
      }
      first = false;
      for (const auto& [key, value] : chunk) {
        if (!visit(key, value)) return Status::success();
      }
      if (chunk.size() < kChunk) return Status::success();
      cursor = chunk.back().first;
    }
  }

  Result<std::optional<std::pair<std::string, std::string>>> last(
      Space space, std::string_view prefix) const override {
    using Found = std::optional<std::pair<std::string, std::string>>;
    std::shared_lock lock(mutex_);
    const auto& map = maps_[index(space)];
    std::optional<std::string> end = prefix_successor(prefix);
    auto it = end ? map.lower_bound(*end) : map.end();
    if (it == map.begin()) return Found();
    --it;
    if (!has_prefix(it->first, prefix)) return Found();
    return Found(std::pair(it->first, it->second));
  }

  Status write(const WriteSet& writes, bool /*durable*/) override {
    std::unique_lock lock(mutex_);
    for (const auto& op : writes.ops()) {
      auto& map = maps_[index(op.space)];
      if (op.value) {
        map.insert_or_assign(op.key, *op.value);
      } else {
        map.erase(op.key);
      }
    }
    return Status::success();
  }

  Status clear(Space space) override {
    std::unique_lock lock(mutex_);
    maps_[index(space)].clear();
    return Status::success();
  }

 private:
  static std::size_t index(Space space) { return static_cast<std::size_t>(space); }

  mutable std::shared_mutex mutex_;
  std::array<std::map<std::string, std::string, std::less<>>, std::size(kAllSpaces)> maps_;
};

}  // namespace

std::unique_ptr<Kv> make_memory_kv() { return std::make_unique<MemoryKv>(); }

// ---- OverlayReader ----

Result<std::optional<std::string>> OverlayReader::get(Space space, std::string_view key) const {
  auto pending = pending_.pending(space, key);
  if (pending) return std::move(*pending);
  return kv_.get(space, key);
}

// ---- keys ----

std::string encode_be64(std::uint64_t value) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

std::uint64_t decode_be64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  }
  return value;
}

}  // namespace dispatch
