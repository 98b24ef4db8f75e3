// Test helper for tools/bench's program (dispatch_bench): runs it and checks the JSON report as a
// reader of the README's tables relies on it.
#pragma once

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/process.h"

namespace dispatch::testing {

inline std::string dispatch_bench() { return binary_dir() + "/tools/benchmark/dispatch_bench"; }

// Runs the benchmark for `orders` orders (a multiple of 4: they go in groups) with --json and
// `arguments`, and checks its report: every field issue 7 lists, the orders asked for, `log` as
// given, nothing refused, every command at least one event, a ratio that is the two rates', half
// load's latency from when commands were due, the baseline's write latency, and resident memory
// read during the load.
inline nlohmann::json run_bench(std::uint64_t orders, const std::string& arguments,
                                const std::string& log) {
  TempDir dir;
  Output o = run(dispatch_bench() + " --orders " + std::to_string(orders) + " --json --data " +
                 dir.path() + "/bench " + arguments);
  BOOST_TEST_REQUIRE(o.exit_code == 0, "dispatch_bench exited " << o.exit_code);
  auto report = nlohmann::json::parse(o.out);
  for (const char* field :
       {"orders", "events", "events_per_s", "baseline_records_per_s", "ratio", "p50_ms", "p99_ms",
        "p999_ms", "half_load_p99_ms", "rebuild_events_per_s", "folder_p99_ms", "stats_p99_ms",
        "peak_rss_mb", "bytes_per_order"}) {
    BOOST_TEST_CONTEXT("field " << field) {
      BOOST_TEST_REQUIRE(report.contains(field));
      BOOST_TEST_REQUIRE(report[field].is_number());
      BOOST_TEST(report[field].get<double>() > 0);
    }
  }
  BOOST_TEST(report["orders"] == orders);
  BOOST_TEST(report["log"] == log);
  BOOST_TEST(report["refused"] == 0);
  // Each order takes at least its eight lifecycle commands, each at least one event.
  BOOST_TEST(report["commands"].get<std::uint64_t>() >= 8 * orders);
  BOOST_TEST(report["events"].get<std::uint64_t>() >= report["commands"].get<std::uint64_t>());
  const double ratio =
      report["events_per_s"].get<double>() / report["baseline_records_per_s"].get<double>();
  BOOST_TEST(std::abs(report["ratio"].get<double>() - ratio) < 1e-9 * ratio);
  BOOST_TEST(report["p50_ms"].get<double>() <= report["p99_ms"].get<double>());
  BOOST_TEST(report["p99_ms"].get<double>() <= report["p999_ms"].get<double>());
  BOOST_TEST(report["events_per_sync"].get<std::uint64_t>() >= 1);
  // At half load, each command's latency counted from when it was due includes its latency counted
  // from when it was sent.
  BOOST_TEST(report["half_load_since_due_p99_ms"].get<double>() >=
             report["half_load_p99_ms"].get<double>());
  // The CPU's speed, read before the load and before the baseline.
  BOOST_TEST(report["cpu_reference_per_s"].get<double>() > 0);
  BOOST_TEST(report["cpu_reference_at_baseline_per_s"].get<double>() > 0);
  // The bare store's synced writes, timed one by one.
  BOOST_TEST(report["baseline_write_p50_ms"].get<double>() > 0);
  BOOST_TEST(report["baseline_write_p50_ms"].get<double>() <=
             report["baseline_write_p99_ms"].get<double>());
  // The p99 is the upper edge of a bucket 1% wide; the slowest write is exact.
  const double slowest = report["baseline_write_max_ms"].get<double>();
  BOOST_TEST(slowest * 1.01 >= report["baseline_write_p99_ms"].get<double>());
  // Stalls are the writes of 20 ms or more, so there are some exactly when the slowest is one.
  BOOST_TEST((report["baseline_stalls_per_min"].get<double>() > 0) == (slowest >= 20));
  // Resident memory read during the full load, ending with a reading at its last order; the
  // growth over the load's second half needs two readings there, which a run this short lacks.
  const auto& resident = report["load_resident_mb"];
  BOOST_TEST_REQUIRE(resident.is_array());
  BOOST_TEST_REQUIRE(!resident.empty());
  BOOST_TEST(resident.back()[0] == orders);
  BOOST_TEST(resident.back()[1].get<double>() > 0);
  BOOST_TEST(resident.back()[1].get<double>() <= report["peak_rss_mb"].get<double>() + 1);
  BOOST_TEST_REQUIRE(report.contains("resident_growth_mb_per_100k_orders"));
  if (resident.size() == 1) BOOST_TEST(report["resident_growth_mb_per_100k_orders"].is_null());
  BOOST_TEST(report["syncs"].get<std::uint64_t>() <= report["events"].get<std::uint64_t>());
  return report;
}

}  // namespace dispatch::testing
