// The connectors' durable state in the store's `connectors` space (engine/store/LAYOUT.md): the
// last snapshot of each shop order, and the dead letters. Thread safety: as Kv.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "connectors/shop_order.h"
#include "engine/store/kv.h"

namespace dispatch::connectors {

struct DeadLetter {
  std::uint64_t id = 0;  // 1, 2, 3, … in the order they were stored
  Platform platform = Platform::tmall;
  std::string source;  // the file it came from ("-" for standard input)
  std::uint64_t line = 0;
  std::string reason;
  std::string at;   // when it was stored, RFC 3339
  std::string raw;  // the payload's bytes exactly as read
};

class ConnectorStore {
 public:
  explicit ConnectorStore(Kv& kv) : kv_(kv) {}

  Result<std::optional<ShopOrder>> shop_order(Platform platform, const std::string& id) const;
  // Written without a sync: a crash of the machine (not the process) may lose it, and the next
  // full snapshot of the order restores it.
  Status put_shop_order(const ShopOrder& order);

  // Stored durably; returns the dead letter's id. `once`: `source` and `line` name the payload
  // for good (a Kafka topic's partition and offset), and a dead letter already stored for them
  // is kept instead, its id returned, so a payload read again after a crash is stored once.
  Result<std::uint64_t> add_dead_letter(DeadLetter letter, bool once = false);
  Result<std::vector<DeadLetter>> dead_letters() const;
  Result<std::optional<DeadLetter>> dead_letter(std::uint64_t id) const;
  Status remove_dead_letter(std::uint64_t id);
  Status replace_dead_letter(const DeadLetter& letter);  // same id, new reason and time

  // Where a Kafka connector goes on reading `topic`: each partition's next offset (partitions
  // never read are absent).
  Result<std::map<std::uint32_t, std::int64_t>> consumed_offsets(const std::string& topic) const;
  // Stored durably, and with it every write made before (RocksDB syncs its log in order).
  Status put_consumed_offsets(const std::string& topic,
                              const std::map<std::uint32_t, std::int64_t>& next);

 private:
  Kv& kv_;
};

nlohmann::json to_json(const DeadLetter& letter);  // raw as text (bytes not UTF-8 become U+FFFD)

}  // namespace dispatch::connectors
