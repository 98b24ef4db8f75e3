// Ingest: shop-order payloads through the engine, exactly once, nothing lost.
//
// For each payload: parse (connectors/parse.h) → for each shop message, merge with the stored
// snapshot (a TMC notice needs one) and drop it when older than what is known → plan the commands
// (connectors/mapping.h) → submit them as the connector's account and wait for their durable
// replies → store the new snapshot. A payload that cannot be parsed, whose notice has no known
// trade, or whose commands the engine refuses, is stored whole as a dead letter with its reason;
// ingest goes on with the next one. Repeats are harmless: command ids are deterministic, so the
// engine answers them as duplicates, and a re-run after a crash picks up where it stopped.
//
// Counts: `read` and `dead_lettered` count payloads; every shop order a payload carries (one for
// a Tmall trade or Gree record, one per JD search result or TMC message) counts once in
// created, updated, cancelled, duplicates, waiting or ignored.
//
// Not thread-safe: one Ingestor per thread (the engine and store below it are thread-safe).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/mapping.h"
#include "connectors/store.h"
#include "engine/engine.h"

namespace dispatch::connectors {

struct IngestCounts {
  std::uint64_t read = 0, created = 0, updated = 0, cancelled = 0, duplicates = 0, waiting = 0,
                ignored = 0, dead_lettered = 0;
  nlohmann::json to_json() const;
  IngestCounts& operator+=(const IngestCounts& more);
};

class Ingestor {
 public:
  // `clock` stamps dead letters. The organisation (routes) is read once, here.
  Ingestor(Engine& engine, ConnectorStore& store, MappingConfig config,
           Clock clock = system_clock());

  // One line of input: the payload's bytes and where they came from (for dead letters).
  struct Payload {
    std::string raw;
    std::string source;
    std::uint64_t line = 0;
    // `source` and `line` name this payload for good (a topic's partition and offset): its dead
    // letter is stored once however often it is read (ConnectorStore::add_dead_letter).
    bool once = false;
  };
  // Handles the payloads in order; a bad one becomes a dead letter (counted) and the rest go on.
  // Payloads about different shop orders are in flight together and share the engine's synced
  // writes; one about a shop order already in flight waits for it, so the effect is that of one
  // payload after another. Errors only when the store or the engine cannot be used
  // (`unavailable`); payloads before it are done, the rest are not.
  Status ingest_many(Platform platform, const std::vector<Payload>& payloads, IngestCounts& counts);

  // Runs a dead letter again: removed when it now goes through (result true), otherwise kept
  // with the new reason (false).
  Result<bool> retry(std::uint64_t id, IngestCounts& counts);

 private:
  struct Pending;
  struct Started;
  // The reason the payload failed, or nullopt when it went through; counts its shop orders.
  Result<std::optional<std::string>> process(Platform platform, std::string_view raw,
                                             IngestCounts& counts);
  // Plans the payload's shop orders and submits their commands without waiting.
  Result<Started> start(Platform platform, const Result<std::vector<ShopMessage>>& messages,
                        IngestCounts& counts);
  // Returns why the order cannot be mapped (empty when it was started); sets `fatal` when the
  // store cannot be read.
  std::string start_order(const ShopOrder& order, const std::optional<ShopOrder>& known,
                          Started& started, IngestCounts& counts, std::optional<Error>& fatal);
  // Waits for the replies, counts, stores the snapshots; the reason it failed, as process().
  Result<std::optional<std::string>> finish(Started& started, IngestCounts& counts);
  Status dead_letter(Platform platform, const Payload& payload, std::string reason,
                     IngestCounts& counts);
  Result<std::optional<WorkOrder>> find(const OrderId& id) const;

  Engine& engine_;
  ConnectorStore& store_;
  MappingConfig config_;
  Clock clock_;
  Org org_;
};

// A store opened for connectors: the engine and, beside it, the same Kv for the connector state
// (the engine owns a view of it; `kv` outlives `engine`). Errors as Engine::open.
struct ConnectorSession {
  std::unique_ptr<Kv> kv;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<ConnectorStore> store;
  ~ConnectorSession();
};
Result<std::unique_ptr<ConnectorSession>> open_connector_session(const std::string& dir,
                                                                 EngineOptions options = {});

}  // namespace dispatch::connectors
