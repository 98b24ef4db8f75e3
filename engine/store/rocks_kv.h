// The durable Kv: one RocksDB database in a directory, one column family per Space (named as
// to_string(Space) gives: "log", "streams", "commands", "projections"; the default column family
// is unused). The key layout of each space is in engine/store/LAYOUT.md.
//
// Thread safety: as Kv. Durability: write(…, durable = true) returns after the RocksDB WAL is
// fsynced (WriteOptions::sync); concurrent synced writers share one fsync through RocksDB's write
// group. write(…, false) survives a crash of the process but not of the machine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/status.h"
#include "engine/store/kv.h"

namespace dispatch {

// The block cache a store gets unless told otherwise: about what the data blocks' cache and the
// index and filter blocks outside it took together at a million orders of tools/bench (a 6 GB
// store), where it keeps the rate of commands (README.md, "Measured").
inline constexpr std::size_t kDefaultCacheBytes = std::size_t{128} << 20;
// The block cache sizes the tools accept, in MiB: below 8 the index and filter blocks of even a
// small store do not fit; above a tebibyte the number is a typing mistake, not a machine.
inline constexpr std::uint64_t kMinCacheMb = 8;
inline constexpr std::uint64_t kMaxCacheMb = std::uint64_t{1} << 20;

struct RocksOptions {
  // Opens with DB::OpenForReadOnly: works while another process has the store open, sees the
  // store as it was when opened, and refuses write and clear with `unavailable`. RocksDB calls a
  // read-only instance beside a live writer undefined behaviour (the writer may compact files
  // away); since every table file is opened at open (max_open_files = -1), on Linux it keeps
  // reading what it opened, but keep such opens short (one query), not long-lived.
  bool read_only = false;
  // Creates the directory and an empty store when there is none (ignored when read_only).
  bool create_if_missing = true;
  // The block cache every space shares. It holds the table files' data blocks and also their
  // index and bloom filter blocks (kept ahead of data blocks), so the store's memory stays near
  // this plus its memtables (128 MB) however many orders it holds. When the index and filters of
  // the files in use do not fit, lookups read them from disk again and commands slow down.
  std::size_t cache_bytes = kDefaultCacheBytes;
};

// Opens the store in `dir`. Errors, all with a sentence naming `dir`:
// - `unavailable` "the store <dir> is in use by another process (a running dispatchd or
//   dispatchctl); stop it or use another --data directory" when another process (or another
//   open in this process) holds it;
// - `not_found` "no store at <dir>" when there is none and read_only or !create_if_missing;
// - `unavailable` with RocksDB's message for any other failure (permissions, corruption, I/O).
Result<std::unique_ptr<Kv>> open_rocks_kv(const std::string& dir, RocksOptions options);

}  // namespace dispatch
