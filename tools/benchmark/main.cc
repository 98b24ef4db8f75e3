// dispatch_bench: drives a province-sized load through the engine in-process (or, with --via zmq,
// through dispatchd's wire: its Service and Server in this process, over loopback TCP), on the
// embedded log or (--log kafka) a Kafka topic, and reports throughput, latency, rebuild speed,
// query latency, memory and size, beside a bare RocksDB baseline measured in the same run (the
// headline is the ratio: these machines are noisy).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "engine/accounts.h"
#include "engine/engine.h"
#include "engine/hash.h"
#include "engine/kafka/node.h"
#include "engine/store/rocks_kv.h"
#include "tools/benchmark/load.h"
#include "tools/dispatchd/client.h"
#include "tools/dispatchd/server.h"
#include "tools/dispatchd/service.h"

namespace {
using namespace dispatch;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

// Counts what reaches the store, so the baseline writes the same bytes with as many events per
// sync. The engine syncs a durable write itself, or several unsynced ones at once (sync_log):
// either is one sync.
class CountingKv : public ForwardingKv {
 public:
  explicit CountingKv(std::unique_ptr<Kv> inner) : ForwardingKv(std::move(inner)) {}
  Status write(const WriteSet& w, bool durable) override {
    writes += 1;
    syncs += durable ? 1 : 0;
    bytes += w.bytes();
    return ForwardingKv::write(w, durable);
  }
  Status sync_log() override {
    syncs += 1;
    return ForwardingKv::sync_log();
  }

  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> syncs{0};
  std::atomic<std::uint64_t> bytes{0};
};

struct Options {
  std::uint64_t orders = 200000;
  int clients = 8;
  bool json_only = false;
  std::string data;
  bool keep = false;
  std::size_t cache_mb = kDefaultCacheBytes >> 20;  // the store's block cache, as dispatchd's
  std::string via = "engine";                       // or "zmq": through dispatchd's wire
  bool kafka_log = false;
  kafka::KafkaOptions kafka;
};

// What has been made durable so far, in the units the baseline repeats: a synced write (or a
// sync of several) of the embedded store, or a committed transaction of Kafka.
struct Durable {
  std::uint64_t events = 0;
  std::uint64_t writes = 0;
  std::uint64_t syncs = 0;
  std::uint64_t bytes = 0;
};

// How one client sends a command and gets its reply.
using Sender = std::function<json(Command)>;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }
double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}

// Command latencies in buckets 1% wide (from 1 µs up to about 20 minutes), so a run of ten million
// commands costs 16 KB per client rather than 80 MB that would grow with the orders and count
// toward the peak memory the report gives. A percentile is the upper edge of its bucket.
class Latencies {
 public:
  void add(double ms) {
    const double us = std::max(ms * 1000, 1.0);
    const auto i = static_cast<std::size_t>(std::log(us) / std::log(kGrowth));
    ++counts_[std::min(i, counts_.size() - 1)];
    ++total_;
  }
  void merge(const Latencies& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  std::uint64_t count() const { return total_; }
  double percentile(double p) const {
    if (total_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(total_));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > rank) return std::pow(kGrowth, static_cast<double>(i + 1)) / 1000;
    }
    return std::pow(kGrowth, static_cast<double>(counts_.size())) / 1000;
  }

 private:
  static constexpr double kGrowth = 1.01;
  std::array<std::uint64_t, 2100> counts_{};  // 1.01^2100 µs: about 20 minutes
  std::uint64_t total_ = 0;
};

// The process's resident memory now, in MiB (0 where /proc/self/statm cannot be read).
double resident_mb() {
  std::FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) return 0;
  unsigned long size = 0;
  unsigned long resident = 0;
  const int read = std::fscanf(statm, "%lu %lu", &size, &resident);
  std::fclose(statm);
  if (read != 2) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

// Resident memory against the orders a load had started when it was read.
struct Resident {
  std::uint64_t orders;
  double mb;
};

struct Phase {
  Latencies latencies;  // from sending each command to its reply
  // With a rate: from the instant each command was due by its client's schedule to its reply, so
  // also the time it waited behind its client's previous command (after a stall, say), as a user
  // arriving then would have. Empty without a rate.
  Latencies since_due;
  std::uint64_t commands = 0;
  std::uint64_t refused = 0;
  double seconds = 0;
  std::vector<Resident> resident;  // every 10 s and at the end
};

// MiB of resident memory gained per 100,000 orders over the second half of a load, once caches
// have filled: from the first reading at or past half the orders to the last. nullopt when the
// load was too short to read it twice in its second half.
std::optional<double> growth_per_100k_orders(const std::vector<Resident>& resident) {
  if (resident.empty()) return std::nullopt;
  const std::uint64_t half = resident.back().orders / 2;
  auto from = std::find_if(resident.begin(), resident.end(),
                           [&](const Resident& r) { return r.orders >= half; });
  const Resident& last = resident.back();
  if (from == resident.end() || from->orders == last.orders) return std::nullopt;
  return (last.mb - from->mb) * 100000 / static_cast<double>(last.orders - from->orders);
}

// Runs order groups [first_group, first_group + groups) from `clients` threads. With a rate
// (commands per second over all clients), each client sends its commands at the instants of a
// Poisson process of its share of the rate, as independent users arrive: clients pacing to one
// clock would send together in bursts of C, and evenly spaced sends leave group commit nothing to
// group (README.md, "Measured", has the three side by side). Every 10 s `progress` gets a line
// saying how far the phase is (a full run takes most of an hour) and the resident memory, which
// the phase's `resident` keeps.
Phase run_load(const std::function<Sender(int client)>& sender_of, const bench::Shape& shape,
               std::uint64_t first_group, std::uint64_t groups, int clients, double rate,
               const std::function<void(const std::string&)>& progress) {
  Phase phase;
  std::mutex merge;
  std::atomic<std::uint64_t> next{first_group};
  std::atomic<std::uint64_t> commands{0};
  auto start = Clock::now();
  std::jthread reporter([&](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any wake;
    for (;;) {
      std::unique_lock lock(m);
      wake.wait_for(lock, stop, std::chrono::seconds(10), [] { return false; });
      if (stop.stop_requested()) return;
      const std::uint64_t done = std::min(next.load(), first_group + groups) - first_group;
      const double elapsed = seconds(Clock::now() - start);
      const double per_s = commands.load() / elapsed;
      const double left = done > 0 ? elapsed * (groups - done) / done : 0;
      const double mb = resident_mb();
      phase.resident.push_back({done * 4, mb});
      progress(std::to_string(done * 4) + " of " + std::to_string(groups * 4) +
               " orders started, " + std::to_string(static_cast<long>(per_s)) +
               " commands/s, about " + std::to_string(static_cast<long>(left)) + " s left, " +
               std::to_string(static_cast<long>(mb)) + " MiB resident");
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    threads.emplace_back([&, t] {
      const std::uint64_t seed = 1000003ULL * (first_group + 1) + t;
      bench::Lifecycle life(shape, seed);
      Sender send = sender_of(t);
      Latencies mine;
      std::uint64_t refused = 0;
      Latencies since_due;
      std::mt19937_64 random(seed);
      std::exponential_distribution<double> gap_s(rate > 0 ? rate / clients : 1.0);
      auto due = Clock::now();
      for (;;) {
        std::uint64_t g = next.fetch_add(1);
        if (g >= first_group + groups) break;
        life.run_group(g * 4, [&](Command c) {
          if (rate > 0) {
            due += std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(gap_s(random)));
            std::this_thread::sleep_until(due);
          }
          auto sent = Clock::now();
          json reply = send(std::move(c));
          const auto replied = Clock::now();
          mine.add(ms(replied - sent));
          if (rate > 0) since_due.add(ms(replied - due));
          commands.fetch_add(1, std::memory_order_relaxed);
          if (!reply.value("ok", false)) ++refused;
        });
      }
      std::lock_guard lock(merge);
      phase.latencies.merge(mine);
      phase.since_due.merge(since_due);
      phase.refused += refused;
    });
  }
  for (auto& t : threads) t.join();
  reporter.request_stop();
  reporter.join();  // it writes phase.resident
  phase.seconds = seconds(Clock::now() - start);
  phase.resident.push_back({groups * 4, resident_mb()});
  phase.commands = phase.latencies.count();
  return phase;
}

std::uint64_t directory_bytes(const std::string& dir) {
  std::uint64_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

// A synced write at least this slow is a stall of the disk: on these machines a bare fdatasync
// loop, with nothing else running, stalls for 20 to 150 ms tens of times a minute, and every
// durable command in flight waits it out (README.md, "Measured"). The help text says 20 ms too.
constexpr double kStallMs = 20;

// What the bare store did: its rate, and the latency of each synced write, which bounds from below
// what a durable command can take on this disk in this sitting, and its stalls (kStallMs).
struct Baseline {
  double records_per_s = 0;
  Latencies writes;
  double slowest_write_ms = 0;
  double stalls_per_min = 0;
};

// The bare store: `records` records of `record_bytes` each, in synced batches of `group`, written
// one after another from one thread.
Baseline baseline(const std::string& dir, std::uint64_t records, std::uint64_t record_bytes,
                  std::uint64_t group) {
  Baseline out;
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(options, dir, &raw);
  if (!opened.ok()) throw std::runtime_error("baseline store " + dir + ": " + opened.ToString());
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string value(record_bytes, 'x');
  rocksdb::WriteOptions sync;
  sync.sync = true;
  auto start = Clock::now();
  std::uint64_t written = 0;
  std::uint64_t stalls = 0;
  while (written < records) {
    rocksdb::WriteBatch batch;
    for (std::uint64_t i = 0; i < group && written < records; ++i, ++written) {
      batch.Put(encode_be64(written), value);
    }
    auto t = Clock::now();
    rocksdb::Status wrote = db->Write(sync, &batch);
    if (!wrote.ok()) throw std::runtime_error("baseline store " + dir + ": " + wrote.ToString());
    const double took = ms(Clock::now() - t);
    out.writes.add(took);
    out.slowest_write_ms = std::max(out.slowest_write_ms, took);
    if (took >= kStallMs) ++stalls;
  }
  const double took_s = seconds(Clock::now() - start);
  out.records_per_s = static_cast<double>(records) / took_s;
  out.stalls_per_min = static_cast<double>(stalls) * 60 / took_s;
  return out;
}

// The machine's speed at a committer's kind of work, on one thread: building a small record's JSON,
// printing it, reading it back and hashing it, per second. The baseline measures the disk; this
// says how fast the CPU was in the same run, since the engine's rate follows the CPU (its
// committer) and the baseline's the disk's syncs, and a shared machine can slow one alone.
double cpu_reference_per_s() {
  constexpr int kRecords = 100000;
  std::size_t kept = 0;  // so the work cannot be optimised away
  auto start = Clock::now();
  for (int i = 0; i < kRecords; ++i) {
    json record{{"position", i},
                {"type", "OrderDispatched"},
                {"order_id", "AZ" + std::to_string(100000000000ULL + i)},
                {"unit", "S1000100"},
                {"customer", {{"name", "客户"}, {"address", "香洲区" + std::to_string(i) + "号"}}}};
    const std::string text = record.dump();
    kept += json::parse(text).size() + sha256_hex(text).size();
  }
  const double s = seconds(Clock::now() - start);
  return kept > 0 ? kRecords / s : 0;
}

template <class F>
std::vector<double> time_each(int n, F&& f) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    auto t = Clock::now();
    f(i);
    out.push_back(ms(Clock::now() - t));
  }
  return out;
}

void say(const Options& o, const std::string& line) {
  if (!o.json_only || isatty(STDERR_FILENO)) std::cerr << "bench: " << line << std::endl;
}

// --via zmq: dispatchd's Service and Server over this engine, on a loopback port, with a session
// for every account of the organisation (logged in before the load, so logins are not timed and
// password changes are not counted as the load's events).
class Wire {
 public:
  static constexpr std::string_view kPassword = "bench-password";

  Wire(Engine& engine, const bench::Shape& shape, int clients) {
    daemon::ServiceOptions service_options;
    service_options.hash_cost = accounts::HashCost::minimum;
    service_ = std::make_unique<daemon::Service>(engine, service_options);
    daemon::ServerOptions server_options{.listen = "tcp://127.0.0.1:*",
                                         .publish = "tcp://127.0.0.1:*",
                                         .workers = static_cast<std::size_t>(clients) * 2};
    auto server = daemon::Server::start(engine, *service_, server_options);
    if (!server.ok()) throw std::runtime_error(server.error().message);
    server_ = std::move(*server);
    serving_ = std::thread([this] { server_->run(stop_); });

    auto hash = accounts::hash_password(kPassword, accounts::HashCost::minimum);
    if (!hash.ok()) throw std::runtime_error(hash.error().message);
    std::vector<std::string> accounts;
    for (const Command& c : bench::organisation(shape)) {
      if (const auto* unit = std::get_if<cmd::RegisterUnit>(&c.body)) {
        accounts.push_back(unit->unit_id.str());
      } else if (const auto* staff = std::get_if<cmd::RegisterStaff>(&c.body)) {
        accounts.push_back(staff->staff_id.str());
      }
    }
    std::vector<std::future<json>> changed;
    for (const std::string& account : accounts) {
      changed.push_back(
          engine.submit(Command{CommandId("bench-password-" + account), AccountId(account), "",
                                cmd::ChangePassword{AccountId(account), *hash}}));
    }
    for (auto& reply : changed) {
      json r = reply.get();
      if (!r.value("ok", false)) throw std::runtime_error("password: " + r.dump());
    }
    daemon::WireClient client(endpoint());
    for (const std::string& account : accounts) {
      auto in = client.request(
          {{"op", "login"}, {"account", account}, {"password", std::string(kPassword)}});
      if (!in.ok() || !(*in).value("ok", false)) {
        throw std::runtime_error("login of " + account + ": " +
                                 (in.ok() ? in->dump() : in.error().message));
      }
      tokens_[account] = (*in)["token"];
    }
  }
  ~Wire() {
    stop_ = true;
    serving_.join();
  }

  const std::string& endpoint() const { return server_->listen_endpoint(); }

  // A client of its own: one DEALER socket, as each of dispatchd's clients has.
  Sender sender() {
    auto client = std::make_shared<daemon::WireClient>(endpoint());
    return [this, client](Command c) {
      json request{
          {"op", "command"}, {"token", tokens_.at(c.actor.str())}, {"command", to_json(c)}};
      auto reply = client->request(request);
      if (!reply.ok()) return json{{"ok", false}, {"error", to_json(reply.error())}};
      return *reply;
    };
  }

 private:
  std::unique_ptr<daemon::Service> service_;
  std::unique_ptr<daemon::Server> server_;
  std::atomic<bool> stop_{false};
  std::thread serving_;
  std::unordered_map<std::string, std::string> tokens_;  // read-only once the load starts
};

int run(const Options& o) {
  const bench::Shape shape;
  std::string dir =
      o.data.empty()
          ? (fs::temp_directory_path() / ("dispatch-bench-" + std::to_string(getpid()))).string()
          : o.data;
  fs::remove_all(dir);
  std::unique_ptr<kafka::KafkaNode> node;
  std::unique_ptr<Engine> embedded;
  std::function<Durable()> durable;
  if (o.kafka_log) {
    say(o, "the log is Kafka topic " + o.kafka.topic + " at " + o.kafka.brokers);
    EngineOptions options;
    options.cache_bytes = o.cache_mb << 20;
    auto opened = kafka::KafkaNode::open(dir + "/store", o.kafka, options);
    if (!opened.ok()) {
      std::cerr << "bench: " << opened.error().message << '\n';
      return 3;
    }
    node = std::move(opened.value());
    durable = [&node] {
      auto c = node->publisher().committed();
      return Durable{c.records, c.transactions, c.transactions, c.bytes};
    };
  } else {
    auto kv = open_rocks_kv(dir + "/store", RocksOptions{.cache_bytes = o.cache_mb << 20});
    if (!kv.ok()) {
      std::cerr << "bench: " << kv.error().message << '\n';
      return 3;
    }
    auto* counting = new CountingKv(std::move(kv.value()));
    auto opened = Engine::open(std::unique_ptr<Kv>(counting));
    if (!opened.ok()) {
      std::cerr << "bench: " << opened.error().message << '\n';
      return 3;
    }
    embedded = std::move(opened.value());
    durable = [counting, &embedded] {
      // The embedded log's positions count its events.
      return Durable{embedded->head().position.value(), counting->writes.load(),
                     counting->syncs.load(), counting->bytes.load()};
    };
  }
  Engine& engine = node ? node->engine() : *embedded;

  say(o, "organisation: " + std::to_string(shape.units()) + " outlet units, " +
             std::to_string(shape.technicians()) + " technicians");
  {
    std::vector<std::future<json>> replies;
    for (auto& c : bench::organisation(shape)) replies.push_back(engine.submit(std::move(c)));
    for (auto& r : replies) {
      json reply = r.get();
      if (!reply.value("ok", false)) {
        std::cerr << "bench: organisation refused: " << reply.dump() << '\n';
        return 1;
      }
    }
  }

  std::unique_ptr<Wire> wire;
  std::function<Sender(int)> sender_of = [&](int) -> Sender {
    return [&](Command c) { return engine.execute(std::move(c)); };
  };
  if (o.via == "zmq") {
    say(o, "sessions for every account, through dispatchd's wire");
    wire = std::make_unique<Wire>(engine, shape, o.clients);
    sender_of = [&](int) { return wire->sender(); };
  }

  const std::uint64_t groups = std::max<std::uint64_t>(1, o.orders / 4);
  say(o, "full load: " + std::to_string(groups * 4) + " orders from " + std::to_string(o.clients) +
             " clients");
  const double cpu_before_load = cpu_reference_per_s();
  const Durable durable_before = durable();
  Phase full = run_load(sender_of, shape, 0, groups, o.clients, 0,
                        [&](const std::string& line) { say(o, "full load: " + line); });
  const Durable durable_after = durable();
  std::uint64_t events = durable_after.events - durable_before.events;
  std::uint64_t writes = durable_after.writes - durable_before.writes;
  std::uint64_t syncs = durable_after.syncs - durable_before.syncs;
  std::uint64_t bytes = durable_after.bytes - durable_before.bytes;
  double events_per_s = events / full.seconds;
  double commands_per_s = full.commands / full.seconds;

  const std::uint64_t half_groups = std::max<std::uint64_t>(o.clients * 10, groups / 10);
  say(o, "half load: " + std::to_string(half_groups * 4) + " orders at " +
             std::to_string(static_cast<int>(commands_per_s / 2)) + " commands/s");
  Phase half = run_load(sender_of, shape, groups, half_groups, o.clients, commands_per_s / 2,
                        [&](const std::string& line) { say(o, "half load: " + line); });

  wire.reset();  // queries and the rebuild are in-process either way
  say(o, "queries");
  std::mt19937 random(7);
  auto sub = [&](int i) {
    std::string id = "S";
    id += std::to_string(1000 + i % shape.centers);
    id += std::to_string(100 + (i / shape.centers) % shape.outlets_per_center);
    id += "-01";
    return id;
  };
  auto folder_first = time_each(1000, [&](int) {
    auto page = engine.folder(sub(static_cast<int>(random() % 1000)), "closed", 50, "");
    (void)page;
  });
  // A deep cursor: the page that starts half way down a folder.
  std::vector<double> folder_deep;
  for (int i = 0; i < 200; ++i) {
    std::string owner = sub(i * 7);
    auto first = engine.folder(owner, "closed", 1000, "");
    if (!first.ok() || (*first)["orders"].size() < 2) continue;
    std::size_t middle = (*first)["orders"].size() / 2;
    auto cursor_page = engine.folder(owner, "closed", middle, "");
    if (!cursor_page.ok() || (*cursor_page)["next"].is_null()) continue;
    std::string cursor = (*cursor_page)["next"];
    auto t = Clock::now();
    auto page = engine.folder(owner, "closed", 50, cursor);
    folder_deep.push_back(ms(Clock::now() - t));
  }
  auto stats = time_each(1000, [&](int i) {
    std::string center = "K";
    center += std::to_string(1000 + i % shape.centers);
    auto s = engine.stats(UnitId(center));
    (void)s;
  });

  say(o, "rebuild");
  auto rebuild_start = Clock::now();
  std::uint64_t total_events = 0;  // as the rebuild counts them: a Kafka replica's positions do not
  Status rebuilt = engine.rebuild([&](std::uint64_t done, std::uint64_t) { total_events = done; });
  double rebuild_seconds = seconds(Clock::now() - rebuild_start);
  if (!rebuilt.ok()) {
    std::cerr << "bench: rebuild failed: " << rebuilt.error().message << '\n';
    return 1;
  }
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  double peak_rss_mb = usage.ru_maxrss / 1024.0;
  node.reset();
  embedded.reset();
  std::uint64_t orders_total = (groups + half_groups) * 4;
  double bytes_per_order = static_cast<double>(directory_bytes(dir + "/store")) / orders_total;

  const std::uint64_t group =
      std::max<std::uint64_t>(1, events / std::max<std::uint64_t>(1, syncs));
  const std::uint64_t record_bytes =
      std::max<std::uint64_t>(1, bytes / std::max<std::uint64_t>(1, events));
  say(o, "baseline: " + std::to_string(events) + " records of " + std::to_string(record_bytes) +
             " bytes in synced batches of " + std::to_string(group));
  const double cpu_before_baseline = cpu_reference_per_s();
  const Baseline bare = baseline(dir + "/baseline", events, record_bytes, group);
  if (!o.keep) fs::remove_all(dir);

  json resident_samples = json::array();
  for (const auto& r : full.resident) resident_samples.push_back({r.orders, r.mb});
  const std::optional<double> growth = growth_per_100k_orders(full.resident);
  json report{{"orders", groups * 4},
              {"via", o.via},
              {"log", o.kafka_log ? "kafka" : "embedded"},
              {"events", events},
              {"commands", full.commands},
              {"clients", o.clients},
              {"cache_mb", o.cache_mb},
              {"refused", full.refused + half.refused},
              {"seconds", full.seconds},
              {"commands_per_s", commands_per_s},
              {"events_per_s", events_per_s},
              {"writes", writes},
              {"events_per_write", events / std::max<std::uint64_t>(1, writes)},
              {"events_per_sync", group},
              {"syncs", syncs},
              {"bytes_per_event", record_bytes},
              {"baseline_records_per_s", bare.records_per_s},
              {"baseline_write_p50_ms", bare.writes.percentile(0.5)},
              {"baseline_write_p99_ms", bare.writes.percentile(0.99)},
              {"baseline_write_max_ms", bare.slowest_write_ms},
              {"baseline_stalls_per_min", bare.stalls_per_min},
              {"cpu_reference_per_s", cpu_before_load},
              {"cpu_reference_at_baseline_per_s", cpu_before_baseline},
              {"ratio", bare.records_per_s > 0 ? events_per_s / bare.records_per_s : 0.0},
              {"p50_ms", full.latencies.percentile(0.5)},
              {"p99_ms", full.latencies.percentile(0.99)},
              {"p999_ms", full.latencies.percentile(0.999)},
              {"half_load_p50_ms", half.latencies.percentile(0.5)},
              {"half_load_p99_ms", half.latencies.percentile(0.99)},
              {"half_load_since_due_p50_ms", half.since_due.percentile(0.5)},
              {"half_load_since_due_p99_ms", half.since_due.percentile(0.99)},
              {"rebuild_events_per_s", total_events / rebuild_seconds},
              {"folder_p50_ms", percentile(folder_first, 0.5)},
              {"folder_p99_ms", percentile(folder_first, 0.99)},
              {"folder_deep_p99_ms", percentile(folder_deep, 0.99)},
              {"stats_p50_ms", percentile(stats, 0.5)},
              {"stats_p99_ms", percentile(stats, 0.99)},
              {"peak_rss_mb", peak_rss_mb},
              {"load_resident_mb", resident_samples},
              {"resident_growth_mb_per_100k_orders", growth ? json(*growth) : json(nullptr)},
              {"bytes_per_order", bytes_per_order},
              {"cores", std::thread::hardware_concurrency()}};
  if (!o.json_only) {
    std::printf("%-36s %14s\n", "measure", "value");
    for (const auto& [key, value] : report.items()) {
      // The memory readings, a pair every 10 s, are for the JSON; the table gives the last.
      const std::string shown = value.is_array() && !value.empty()
                                    ? value.back()[1].dump() + " MiB at " + value.back()[0].dump() +
                                          " orders (" + std::to_string(value.size()) +
                                          (value.size() == 1 ? " reading)" : " readings)")
                                    : value.dump();
      std::printf("%-36s %14s\n", key.c_str(), shown.c_str());
    }
  }
  std::cout << report.dump() << std::endl;
  return full.refused + half.refused == 0 ? 0 : 1;
}
}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool kafka_flags = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "bench: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    // A whole number of at least `least`, or the run stops here saying what the flag takes.
    auto count = [&](std::uint64_t least, std::uint64_t most) -> std::uint64_t {
      const std::string text = value();
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (ec != std::errc() || end != text.data() + text.size() || n < least || n > most) {
        std::cerr << "bench: " << a << " takes a whole number from " << least << " to " << most
                  << ", not " << text << '\n';
        std::exit(2);
      }
      return n;
    };
    if (a == "--orders") {
      o.orders = count(4, 100'000'000);
      if (o.orders % 4 != 0) {
        std::cerr << "bench: --orders takes a multiple of 4 (the load drives orders in groups "
                     "of four), not "
                  << o.orders << '\n';
        return 2;
      }
    } else if (a == "--clients") {
      o.clients = static_cast<int>(count(1, 1024));
    } else if (a == "--json") {
      o.json_only = true;
    } else if (a == "--data") {
      o.data = value();
    } else if (a == "--cache-mb") {
      o.cache_mb = count(kMinCacheMb, kMaxCacheMb);
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--via") {
      o.via = value();
      if (o.via != "engine" && o.via != "zmq") {
        std::cerr << "bench: --via takes engine (default) or zmq, not " << o.via << '\n';
        return 2;
      }
    } else if (a == "--log") {
      const std::string log = value();
      if (log != "embedded" && log != "kafka") {
        std::cerr << "bench: --log takes embedded (default) or kafka, not " << log << '\n';
        return 2;
      }
      o.kafka_log = log == "kafka";
    } else if (a.rfind("--", 0) == 0 && kafka::is_kafka_setting(a.substr(2))) {
      kafka_flags = true;
      Status applied = kafka::apply_kafka_setting(o.kafka, a.substr(2), value());
      if (!applied.ok()) {
        std::cerr << "bench: " << applied.error().message << '\n';
        return 2;
      }
    } else if (a == "--help") {
      std::cout
          << "usage: tools/bench [--orders N] [--clients C] [--via engine|zmq] [--json]\n"
             "                   [--data DIR] [--keep] [--cache-mb N]\n"
             "                   [--log embedded|kafka [KAFKA FLAGS]]\n"
             "Drives N orders (default 200000) through their whole lifecycle from C clients\n"
             "(default 8) in-process, then a half-rate run, queries, a rebuild, and a bare\n"
             "RocksDB baseline writing the same bytes in synced batches of the same size,\n"
             "one after another (its write latency is the least a durable command can take;\n"
             "baseline_stalls_per_min counts its writes of 20 ms or more, the disk's stalls).\n"
             "cpu_reference_per_s times one thread's JSON and hashing work before the load and\n"
             "before the baseline: the engine's rate follows the CPU, the baseline's the disk.\n"
             "--cache-mb sets the store's block cache, as dispatchd's flag does (default 128).\n"
             "With --via zmq the commands go through dispatchd's wire (its service and\n"
             "sockets in this process, over loopback TCP), each client with its own socket\n"
             "and the sessions of the accounts it acts as.\n"
             "With --log kafka the log is a Kafka topic (start a broker with tools/kafka/start)\n"
             "and one node decides every command, as dispatchd does; the baseline then writes\n"
             "as many events per synced batch as a transaction carried. The topic is a new\n"
             "one, dispatch.bench.PID, unless --topic names it; it is left on the broker.\n"
             "Kafka flags:\n"
          << kafka::kKafkaSettingsHelp;
      return 0;
    } else {
      std::cerr << "bench: unknown argument " << a << " (see --help)\n";
      return 2;
    }
  }
  if (kafka_flags && !o.kafka_log) {
    std::cerr << "bench: Kafka flags need --log kafka\n";
    return 2;
  }
  if (o.kafka.deciding == kafka::Deciding::partitions) {
    std::cerr << "bench: one node decides every command here; measure --deciding partitions with "
                 "tools/bench-wire --log kafka --nodes K --deciding partitions\n";
    return 2;
  }
  if (o.kafka_log) {
    auto given = [&](const char* flag) {
      return std::find(argv + 1, argv + argc, std::string(flag)) != argv + argc;
    };
    if (!given("--node")) o.kafka.node = "bench-" + std::to_string(getpid());
    if (!given("--topic")) o.kafka.topic = "dispatch.bench." + std::to_string(getpid());
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::cerr << "bench: " << e.what() << '\n';
    return 1;
  }
}
