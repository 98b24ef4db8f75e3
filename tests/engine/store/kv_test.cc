// The Kv contract (engine/store/kv.h), run against the in-memory twin and the RocksDB store alike;
// then what only the RocksDB store has: reopening, the directory lock, read-only opens.
#define BOOST_TEST_MODULE kv
#include "engine/store/kv.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "engine/store/rocks_kv.h"
#include "tests/support/print.h"
#include "tests/support/process.h"

using namespace dispatch;
using dispatch::testing::TempDir;

namespace {

struct MemoryBackend {
  std::unique_ptr<Kv> kv = make_memory_kv();
};

struct RocksBackend {
  TempDir dir;
  std::unique_ptr<Kv> kv;
  RocksBackend() {
    auto opened = open_rocks_kv(dir.path(), RocksOptions{});
    BOOST_TEST_REQUIRE(opened.ok(), (opened.ok() ? "" : opened.error().message));
    kv = std::move(opened.value());
  }
};

using Backends = std::tuple<MemoryBackend, RocksBackend>;

void put(Kv& kv, Space space, const std::string& key, const std::string& value) {
  WriteSet w;
  w.put(space, key, value);
  BOOST_TEST_REQUIRE(kv.write(w, true).ok());
}

std::optional<std::string> get(const Kv& kv, Space space, const std::string& key) {
  auto r = kv.get(space, key);
  BOOST_TEST_REQUIRE(r.ok());
  return *r;
}

std::vector<std::string> keys(const Kv& kv, Space space, std::string_view prefix,
                              std::string_view after = {}, std::size_t limit = SIZE_MAX) {
  std::vector<std::string> out;
  Status s = kv.scan(space, prefix, after, [&](std::string_view key, std::string_view) {
    out.emplace_back(key);
    return out.size() < limit;
  });
  BOOST_TEST_REQUIRE(s.ok());
  return out;
}

std::optional<std::string> last_key(const Kv& kv, Space space, std::string_view prefix) {
  auto r = kv.last(space, prefix);
  BOOST_TEST_REQUIRE(r.ok());
  if (!r->has_value()) return std::nullopt;
  return (*r)->first;
}

using Keys = std::vector<std::string>;
const std::string kFF = "\xff";

void fill_scan_keys(Kv& kv) {
  WriteSet w;
  for (std::string key : {"a", "b/1", "b/2", "b/3", "b0", "c", "\xff\x01", "\xff\xff"}) {
    w.put(Space::projections, key, "v:" + key);
  }
  w.put(Space::commands, "b/9", "another space");
  BOOST_TEST_REQUIRE(kv.write(w, false).ok());
}

template <class T>
std::string message(const Result<T>& r) {
  return r.ok() ? std::string("ok") : r.error().message;
}

}  // namespace

// ---- the contract, for both back ends ----

BOOST_AUTO_TEST_CASE_TEMPLATE(get_put_and_delete, Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  BOOST_TEST(!get(kv, Space::projections, "k").has_value());
  put(kv, Space::projections, "k", "v1");
  BOOST_TEST(get(kv, Space::projections, "k") == std::optional<std::string>("v1"));
  BOOST_TEST(!get(kv, Space::log, "k").has_value());  // spaces are separate
  put(kv, Space::projections, "k", "v2");
  BOOST_TEST(get(kv, Space::projections, "k") == std::optional<std::string>("v2"));
  WriteSet del;
  del.del(Space::projections, "k");
  BOOST_TEST_REQUIRE(kv.write(del, true).ok());
  BOOST_TEST(!get(kv, Space::projections, "k").has_value());

  // Keys and values are bytes: NULs and 0xFF survive.
  const std::string key("s\0\xff\x01", 4);
  const std::string value("\0\0v\xff", 4);
  put(kv, Space::streams, key, value);
  BOOST_TEST(get(kv, Space::streams, key) == std::optional<std::string>(value));
  put(kv, Space::commands, "empty", "");
  BOOST_TEST(get(kv, Space::commands, "empty") == std::optional<std::string>(""));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(scan_visits_a_prefix_in_order_after_a_key, Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  fill_scan_keys(kv);
  BOOST_TEST(keys(kv, Space::projections, "b/") == (Keys{"b/1", "b/2", "b/3"}));
  BOOST_TEST(keys(kv, Space::projections, "b/", "b/1") == (Keys{"b/2", "b/3"}));
  BOOST_TEST(keys(kv, Space::projections, "b/", "b/15") == (Keys{"b/2", "b/3"}));
  BOOST_TEST(keys(kv, Space::projections, "b/", "a") == (Keys{"b/1", "b/2", "b/3"}));
  BOOST_TEST(keys(kv, Space::projections, "b/", "b/3").empty());
  BOOST_TEST(keys(kv, Space::projections, "b/", "zzz").empty());
  BOOST_TEST(keys(kv, Space::projections, "b/", "", 2) == (Keys{"b/1", "b/2"}));  // stops
  BOOST_TEST(keys(kv, Space::projections, "b") == (Keys{"b/1", "b/2", "b/3", "b0"}));
  BOOST_TEST(keys(kv, Space::projections, kFF) == (Keys{"\xff\x01", "\xff\xff"}));
  BOOST_TEST(keys(kv, Space::projections, "", "b0") == (Keys{"c", "\xff\x01", "\xff\xff"}));
  BOOST_TEST(keys(kv, Space::projections, "").size() == 8u);
  BOOST_TEST(keys(kv, Space::projections, "nothing").empty());
  BOOST_TEST(keys(kv, Space::commands, "") == (Keys{"b/9"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(scan_of_many_keys_sees_each_once, Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  WriteSet w;
  for (std::uint64_t i = 1; i <= 1000; ++i) w.put(Space::log, encode_be64(i), "x");
  BOOST_TEST_REQUIRE(kv.write(w, false).ok());
  std::uint64_t expected = 1;
  Status s = kv.scan(Space::log, "", "", [&](std::string_view key, std::string_view) {
    BOOST_TEST(decode_be64(key) == expected);
    ++expected;
    return true;
  });
  BOOST_TEST(s.ok());
  BOOST_TEST(expected == 1001u);
  BOOST_TEST(keys(kv, Space::log, "", encode_be64(998)).size() == 2u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(last_finds_the_greatest_key_of_a_prefix, Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  BOOST_TEST(!last_key(kv, Space::projections, "").has_value());
  fill_scan_keys(kv);
  BOOST_TEST(last_key(kv, Space::projections, "b/") == std::optional<std::string>("b/3"));
  BOOST_TEST(last_key(kv, Space::projections, "b") == std::optional<std::string>("b0"));
  BOOST_TEST(last_key(kv, Space::projections, "a") == std::optional<std::string>("a"));
  BOOST_TEST(last_key(kv, Space::projections, "") == std::optional<std::string>("\xff\xff"));
  BOOST_TEST(last_key(kv, Space::projections, kFF) == std::optional<std::string>("\xff\xff"));
  BOOST_TEST(!last_key(kv, Space::projections, "b/4").has_value());
  BOOST_TEST(!last_key(kv, Space::projections, "bb").has_value());
  auto found = kv.last(Space::projections, "b/");
  BOOST_TEST_REQUIRE(found.ok());
  BOOST_TEST((*found)->second == "v:b/3");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_write_set_keeps_the_last_operation_per_key_and_applies_at_once,
                              Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  put(kv, Space::projections, "gone", "old");
  WriteSet w;
  w.put(Space::projections, "x", "1");
  w.del(Space::projections, "x");
  w.del(Space::projections, "y");
  w.put(Space::projections, "y", "2");
  w.put(Space::log, "z", "3");
  w.put(Space::log, "z", "4");
  w.del(Space::projections, "gone");
  BOOST_TEST(w.size() == 4u);  // x, y, z, gone: one operation each
  BOOST_TEST(w.bytes() == 1u + (1 + 1) + (1 + 1) + 4);
  BOOST_TEST(w.pending(Space::projections, "x") ==
             std::optional<std::optional<std::string>>(std::optional<std::string>()));
  BOOST_TEST(w.pending(Space::projections, "y") ==
             std::optional<std::optional<std::string>>(std::optional<std::string>("2")));
  BOOST_TEST(!w.pending(Space::log, "y").has_value());
  BOOST_TEST_REQUIRE(kv.write(w, true).ok());
  BOOST_TEST(!get(kv, Space::projections, "x").has_value());
  BOOST_TEST(get(kv, Space::projections, "y") == std::optional<std::string>("2"));
  BOOST_TEST(get(kv, Space::log, "z") == std::optional<std::string>("4"));
  BOOST_TEST(!get(kv, Space::projections, "gone").has_value());
  w.clear();
  BOOST_TEST(w.empty());
  BOOST_TEST(w.bytes() == 0u);
  BOOST_TEST(!w.pending(Space::log, "z").has_value());
  BOOST_TEST(kv.write(w, true).ok());  // an empty set is fine
}

// The set finds its keys by views of the keys it holds, so a copy must find them in its own
// operations, and a move or swap must keep them where they were; short keys live inside the
// operation itself (no heap buffer), which is where a stale view would show first.
BOOST_AUTO_TEST_CASE(a_write_set_copied_moved_or_swapped_finds_every_key) {
  auto key = [](int i) {
    return i % 2 ? "k" + std::to_string(i) : std::string(40, 'k') + std::to_string(i);
  };
  auto filled = [&] {
    WriteSet w;
    for (int i = 0; i < 1000; ++i) w.put(Space::projections, key(i), std::to_string(i));
    return w;
  };
  auto finds_all = [&](const WriteSet& w) {
    for (int i = 0; i < 1000; ++i) {
      if (w.pending(Space::projections, key(i)) !=
          std::optional<std::optional<std::string>>(std::optional<std::string>(std::to_string(i))))
        return false;
    }
    return w.size() == 1000u;
  };
  std::optional<WriteSet> original(filled());
  WriteSet copy(*original);
  WriteSet assigned;
  assigned.put(Space::log, "other", "x");
  assigned = *original;
  original.reset();  // the copies must not point into it
  BOOST_TEST(finds_all(copy));
  BOOST_TEST(finds_all(assigned));
  BOOST_TEST(!assigned.touches(Space::log, "other"));

  WriteSet moved(std::move(copy));
  BOOST_TEST(finds_all(moved));
  WriteSet empty;
  std::swap(moved, empty);
  BOOST_TEST(finds_all(empty));
  BOOST_TEST(moved.empty());

  // A key written again keeps one operation, in the copy as in the original.
  assigned.put(Space::projections, key(7), "again");
  assigned.del(Space::projections, key(8));
  BOOST_TEST(assigned.size() == 1000u);
  BOOST_TEST(assigned.pending(Space::projections, key(7)) ==
             std::optional<std::optional<std::string>>(std::optional<std::string>("again")));
  BOOST_TEST(assigned.pending(Space::projections, key(8)) ==
             std::optional<std::optional<std::string>>(std::optional<std::string>()));
}

// A scan never sees half of a write set: two keys written together always agree.
BOOST_AUTO_TEST_CASE_TEMPLATE(readers_never_see_half_a_write, Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      WriteSet w;
      w.put(Space::projections, "a", std::to_string(i));
      w.put(Space::projections, "b", std::to_string(i));
      if (!kv.write(w, false).ok()) break;
    }
    done = true;
  });
  int torn = 0;
  int reads = 0;
  while (!done) {
    std::string a, b_value;
    Status s = kv.scan(Space::projections, "", "", [&](std::string_view key, std::string_view v) {
      (key == "a" ? a : b_value) = std::string(v);
      return true;
    });
    if (!s.ok() || a != b_value) ++torn;
    ++reads;
  }
  writer.join();
  BOOST_TEST(torn == 0);
  BOOST_TEST_MESSAGE("consistent scans during writes: " << reads);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(clear_empties_one_space, Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  BOOST_TEST(kv.clear(Space::projections).ok());  // clearing an empty space is fine
  WriteSet w;
  for (int i = 0; i < 500; ++i) w.put(Space::projections, "p/" + std::to_string(i), "v");
  w.put(Space::projections, "", "the empty key");
  w.put(Space::projections, std::string(3, '\xff'), "a high key");
  w.put(Space::log, encode_be64(1), "kept");
  BOOST_TEST_REQUIRE(kv.write(w, true).ok());
  BOOST_TEST_REQUIRE(kv.clear(Space::projections).ok());
  BOOST_TEST(keys(kv, Space::projections, "").empty());
  BOOST_TEST(!last_key(kv, Space::projections, "").has_value());
  BOOST_TEST(get(kv, Space::log, encode_be64(1)) == std::optional<std::string>("kept"));
  put(kv, Space::projections, "p/1", "again");  // the space is usable after
  BOOST_TEST(keys(kv, Space::projections, "") == (Keys{"p/1"}));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(overlay_reads_through_pending_writes, Backend, Backends) {
  Backend b;
  Kv& kv = *b.kv;
  put(kv, Space::projections, "stored", "s");
  put(kv, Space::projections, "deleted", "d");
  WriteSet pending;
  pending.put(Space::projections, "new", "n");
  pending.del(Space::projections, "deleted");
  pending.put(Space::projections, "stored", "s2");
  OverlayReader reader(kv, pending);
  auto value = [&](const std::string& key) {
    auto r = reader.get(Space::projections, key);
    BOOST_TEST_REQUIRE(r.ok());
    return *r;
  };
  BOOST_TEST(value("new") == std::optional<std::string>("n"));
  BOOST_TEST(!value("deleted").has_value());
  BOOST_TEST(value("stored") == std::optional<std::string>("s2"));
  BOOST_TEST(!value("absent").has_value());
  pending.clear();
  BOOST_TEST(value("stored") == std::optional<std::string>("s"));
  BOOST_TEST(value("deleted") == std::optional<std::string>("d"));
}

BOOST_AUTO_TEST_CASE(big_endian_keys_sort_numerically) {
  BOOST_TEST(encode_be64(1) == std::string("\0\0\0\0\0\0\0\x01", 8));
  std::uint64_t values[] = {0, 1, 255, 256, 65535, 1ull << 40, ~0ull};
  for (std::size_t i = 0; i < std::size(values); ++i) {
    BOOST_TEST(decode_be64(encode_be64(values[i])) == values[i]);
    if (i > 0) BOOST_TEST((encode_be64(values[i - 1]) < encode_be64(values[i])));  // as bytes
  }
}

BOOST_AUTO_TEST_CASE(spaces_are_named_as_their_column_families) {
  BOOST_TEST(to_string(Space::log) == "log");
  BOOST_TEST(to_string(Space::streams) == "streams");
  BOOST_TEST(to_string(Space::commands) == "commands");
  BOOST_TEST(to_string(Space::projections) == "projections");
}

// ---- RocksDB only ----

BOOST_AUTO_TEST_CASE(reopening_keeps_the_data) {
  TempDir dir;
  {
    auto kv = open_rocks_kv(dir.path(), RocksOptions{});
    BOOST_TEST_REQUIRE(kv.ok());
    put(**kv, Space::log, encode_be64(1), "first");
    put(**kv, Space::projections, "p", "view");
    WriteSet w;
    w.put(Space::commands, "cmd-1", "reply");  // not durable: still there after a clean close
    BOOST_TEST_REQUIRE((*kv)->write(w, false).ok());
  }
  auto kv = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(kv.ok());
  BOOST_TEST(get(**kv, Space::log, encode_be64(1)) == std::optional<std::string>("first"));
  BOOST_TEST(get(**kv, Space::projections, "p") == std::optional<std::string>("view"));
  BOOST_TEST(get(**kv, Space::commands, "cmd-1") == std::optional<std::string>("reply"));
}

// Index and filter blocks live in the block cache (rocks_kv.h), partitioned: a cache far smaller
// than the store's table files evicts them all the time, and every lookup must still find what
// is there and nothing else.
BOOST_AUTO_TEST_CASE(a_store_many_times_its_cache_reads_back_every_key) {
  TempDir dir;
  const RocksOptions small{.cache_bytes = 1 << 20};
  constexpr int kFiles = 4;
  constexpr int kKeysPerFile = 20000;
  auto key_of = [](int n) { return "o/AZ" + std::to_string(1000000 + n); };
  auto value_of = [](int n) { return std::string(100, static_cast<char>('a' + n % 26)); };
  {
    auto kv = open_rocks_kv(dir.path(), small);
    BOOST_TEST_REQUIRE(kv.ok());
    for (int file = 0; file < kFiles; ++file) {
      WriteSet w;
      // Interleaved across files, so every file spans the whole key range.
      for (int i = 0; i < kKeysPerFile; ++i) {
        const int n = i * kFiles + file;
        w.put(Space::projections, key_of(n), value_of(n));
      }
      BOOST_TEST_REQUIRE((*kv)->write_unlogged(w).ok());
      BOOST_TEST_REQUIRE((*kv)->sync_unlogged().ok());  // one more table file
    }
  }
  auto kv = open_rocks_kv(dir.path(), small);
  BOOST_TEST_REQUIRE(kv.ok());
  int wrong = 0;
  for (int n = 0; n < kFiles * kKeysPerFile; ++n) {
    if (get(**kv, Space::projections, key_of(n)) != std::optional<std::string>(value_of(n)))
      ++wrong;
    if (get(**kv, Space::projections, key_of(n) + "x").has_value()) ++wrong;
  }
  BOOST_TEST(wrong == 0);
  BOOST_TEST(keys(**kv, Space::projections, "o/").size() == std::size_t{kFiles * kKeysPerFile});
}

BOOST_AUTO_TEST_CASE(a_cleared_space_stays_empty_after_reopening) {
  TempDir dir;
  {
    auto kv = open_rocks_kv(dir.path(), RocksOptions{});
    BOOST_TEST_REQUIRE(kv.ok());
    put(**kv, Space::projections, "p", "view");
    put(**kv, Space::log, encode_be64(1), "first");
    BOOST_TEST_REQUIRE((*kv)->clear(Space::projections).ok());
  }
  auto kv = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(kv.ok());
  BOOST_TEST(keys(**kv, Space::projections, "").empty());
  BOOST_TEST(get(**kv, Space::log, encode_be64(1)) == std::optional<std::string>("first"));
}

// A process that dies without closing the store keeps what sync_unlogged made durable, and of
// the unlogged writes after it, only whole ones. (The child only writes: a forked child has none
// of RocksDB's background threads, so it could not flush.)
BOOST_AUTO_TEST_CASE(unlogged_writes_are_kept_once_synced_and_whole_after_a_crash) {
  TempDir dir;
  {
    auto kv = open_rocks_kv(dir.path(), RocksOptions{});
    BOOST_TEST_REQUIRE(kv.ok());
    WriteSet synced;
    synced.put(Space::projections, "a1", "synced");
    synced.put(Space::projections, "a2", "synced");
    BOOST_TEST_REQUIRE((*kv)->write_unlogged(synced).ok());
    BOOST_TEST_REQUIRE((*kv)->sync_unlogged().ok());
  }
  pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    auto kv = open_rocks_kv(dir.path(), RocksOptions{});
    if (!kv.ok()) _exit(2);
    WriteSet later;
    later.put(Space::projections, "b1", "later");
    later.put(Space::projections, "b2", "later");
    if (!(*kv)->write_unlogged(later).ok()) _exit(3);
    _exit(0);  // no close: the memtable dies with the process
  }
  int status = 0;
  BOOST_TEST_REQUIRE(waitpid(child, &status, 0) == child);
  BOOST_TEST_REQUIRE(WIFEXITED(status));
  BOOST_TEST_REQUIRE(WEXITSTATUS(status) == 0);
  auto kv = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(kv.ok());
  BOOST_TEST(get(**kv, Space::projections, "a1") == std::optional<std::string>("synced"));
  BOOST_TEST(get(**kv, Space::projections, "a2") == std::optional<std::string>("synced"));
  BOOST_TEST(get(**kv, Space::projections, "b1") == get(**kv, Space::projections, "b2"));
}

const std::string kInUse =
    " is in use by another process (a running dispatchd or dispatchctl); stop it or use another "
    "--data directory";

BOOST_AUTO_TEST_CASE(a_second_open_in_the_same_process_is_refused) {
  TempDir dir;
  auto first = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(first.ok());
  auto second = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(!second.ok());
  BOOST_TEST(second.error().code == ErrorCode::unavailable);
  BOOST_TEST(second.error().message == "the store " + dir.path() + kInUse);
}

// The child opens the store and writes a key, then holds it until killed; this process, which
// never opened it, meets RocksDB's file lock as a separate process would. The child leaves with
// _exit (or SIGKILL), never running RocksDB's shutdown, which needs threads a forked child lacks.
BOOST_AUTO_TEST_CASE(another_process_holding_the_store_refuses_a_writer_but_not_a_reader) {
  TempDir dir;
  int ready[2];
  BOOST_TEST_REQUIRE(pipe(ready) == 0);
  pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    close(ready[0]);
    auto kv = open_rocks_kv(dir.path(), RocksOptions{});
    char status = '0';
    if (kv.ok()) {
      WriteSet w;
      w.put(Space::projections, "written", "by the child");
      if ((*kv)->write(w, true).ok()) status = '1';
    }
    if (write(ready[1], &status, 1) != 1) _exit(2);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char status = 0;
  BOOST_TEST_REQUIRE(read(ready[0], &status, 1) == 1);
  close(ready[0]);

  if (status == '1') {
    auto writer = open_rocks_kv(dir.path(), RocksOptions{});
    BOOST_TEST(!writer.ok());
    if (!writer.ok()) {
      BOOST_TEST(writer.error().code == ErrorCode::unavailable);
      BOOST_TEST(writer.error().message == "the store " + dir.path() + kInUse);
    }
    auto reader = open_rocks_kv(dir.path(), RocksOptions{.read_only = true});
    BOOST_TEST(reader.ok(), message(reader));
    if (reader.ok()) {
      BOOST_TEST(get(**reader, Space::projections, "written") ==
                 std::optional<std::string>("by the child"));
    }
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  BOOST_TEST_REQUIRE(status == '1');
  // Killed while holding it, the child left the store whole and unlocked.
  auto again = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(again.ok(), message(again));
  BOOST_TEST(get(**again, Space::projections, "written") ==
             std::optional<std::string>("by the child"));
}

BOOST_AUTO_TEST_CASE(a_read_only_open_works_beside_a_writer_and_cannot_change_anything) {
  TempDir dir;
  auto writer = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(writer.ok());
  put(**writer, Space::projections, "p", "before");
  auto reader = open_rocks_kv(dir.path(), RocksOptions{.read_only = true});
  BOOST_TEST_REQUIRE(reader.ok(), message(reader));
  BOOST_TEST(get(**reader, Space::projections, "p") == std::optional<std::string>("before"));
  BOOST_TEST(keys(**reader, Space::projections, "") == (Keys{"p"}));

  WriteSet w;
  w.put(Space::projections, "q", "x");
  Status written = (*reader)->write(w, true);
  BOOST_TEST_REQUIRE(!written.ok());
  BOOST_TEST(written.error().code == ErrorCode::unavailable);
  Status cleared = (*reader)->clear(Space::projections);
  BOOST_TEST_REQUIRE(!cleared.ok());
  BOOST_TEST(cleared.error().code == ErrorCode::unavailable);
  BOOST_TEST(!get(**writer, Space::projections, "q").has_value());
  BOOST_TEST(get(**writer, Space::projections, "p") == std::optional<std::string>("before"));
}

BOOST_AUTO_TEST_CASE(a_missing_store_is_not_found_when_it_may_not_be_created) {
  TempDir dir;
  const std::string missing = dir / "nothing-here";
  auto reader = open_rocks_kv(missing, RocksOptions{.read_only = true});
  BOOST_TEST_REQUIRE(!reader.ok());
  BOOST_TEST(reader.error().code == ErrorCode::not_found);
  BOOST_TEST(reader.error().message == "no store at " + missing);
  auto no_create = open_rocks_kv(missing, RocksOptions{.create_if_missing = false});
  BOOST_TEST_REQUIRE(!no_create.ok());
  BOOST_TEST(no_create.error().code == ErrorCode::not_found);
  BOOST_TEST(!std::filesystem::exists(missing));

  auto created = open_rocks_kv(missing, RocksOptions{});
  BOOST_TEST(created.ok(), message(created));
  auto nested = open_rocks_kv(dir / "several/levels/down", RocksOptions{});
  BOOST_TEST(nested.ok(), message(nested));
}

BOOST_AUTO_TEST_CASE(other_open_failures_are_unavailable_with_rocksdbs_message) {
  TempDir dir;
  const std::string file = dir / "a-file";
  dispatch::testing::write_file(file, "not a directory");
  auto kv = open_rocks_kv(file, RocksOptions{});
  BOOST_TEST_REQUIRE(!kv.ok());
  BOOST_TEST(kv.error().code == ErrorCode::unavailable);
  BOOST_TEST(kv.error().message.find(file) != std::string::npos, kv.error().message);
}
