// dispatchctl audit end to end: verify names each kind of tampering of a real store at its
// position and works beside a process holding the store; as-of reproduces what the live engine
// showed at moments during the walkthrough; export and check-export round-trip and catch a
// changed line.
#define BOOST_TEST_MODULE audit
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "engine/engine.h"
#include "engine/hash.h"
#include "engine/log.h"
#include "engine/store/rocks_kv.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch;
using namespace dispatch::testing;

namespace {
std::string walkthrough() { return source_dir() + "/tools/data/walkthrough.jsonl"; }

std::string ctl(const TempDir& dir, const std::string& args) {
  return dispatchctl() + " " + args + " --data " + dir.path();
}

// A real store, built once by the walkthrough, copied for each test so each tampers its own.
const std::string& pristine_store() {
  static TempDir dir;
  static const bool built = run(ctl(dir, "apply " + walkthrough() + " --json")).exit_code == 0;
  BOOST_TEST_REQUIRE(built);
  return dir.path();
}

struct StoreCopy {
  StoreCopy() {
    std::filesystem::copy(pristine_store(), dir.path(),
                          std::filesystem::copy_options::recursive |
                              std::filesystem::copy_options::overwrite_existing);
  }
  TempDir dir;
};

// Changes the store behind the engine's back, in one write.
void tamper(const TempDir& dir, const std::function<void(const Kv&, WriteSet&)>& change) {
  auto kv = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(kv.ok());
  WriteSet writes;
  change(*kv.value(), writes);
  BOOST_TEST_REQUIRE(kv.value()->write(writes, true).ok());
}

std::string record_at(const Kv& kv, std::uint64_t position) {
  auto value = kv.get(Space::log, log_key(Position(position)));
  BOOST_TEST_REQUIRE(value.ok());
  BOOST_TEST_REQUIRE(value->has_value());
  return **value;
}

json audit_verify(const TempDir& dir, int expected_exit, const std::string& extra = "") {
  Output o = run(ctl(dir, "audit verify --json " + extra));
  BOOST_TEST(o.exit_code == expected_exit, o.out);
  return json::parse(o.out);
}

std::set<std::uint64_t> problem_positions(const json& report) {
  std::set<std::uint64_t> positions;
  for (const auto& p : report["problems"]) positions.insert(p["position"].get<std::uint64_t>());
  return positions;
}

bool mentions(const json& report, std::uint64_t position, const std::string& words) {
  for (const auto& p : report["problems"]) {
    if (p["position"] == position &&
        p["message"].get<std::string>().find(words) != std::string::npos) {
      return true;
    }
  }
  return false;
}

using Positions = std::set<std::uint64_t>;
}  // namespace

BOOST_AUTO_TEST_SUITE(verify)

BOOST_AUTO_TEST_CASE(the_untouched_store_verifies_and_extends_its_own_head) {
  StoreCopy store;
  json report = audit_verify(store.dir, 0);
  BOOST_TEST(report["ok"] == true);
  BOOST_TEST(report["events"] == 56);
  BOOST_TEST(report["head"]["position"] == 56);
  const std::string head = "56:" + report["head"]["hash"].get<std::string>();
  BOOST_TEST(audit_verify(store.dir, 0, "--expect-head " + head)["ok"] == true);
  // An earlier head written down: the log still extends it.
  auto kv = open_rocks_kv(store.dir.path(), RocksOptions{.read_only = true});
  BOOST_TEST_REQUIRE(kv.ok());
  const std::string at20 = json::parse(record_at(*kv.value(), 20))["hash"];
  kv.value().reset();
  BOOST_TEST(audit_verify(store.dir, 0, "--expect-head 20:" + at20)["ok"] == true);
}

BOOST_AUTO_TEST_CASE(a_changed_byte_inside_an_event_is_named_at_its_position) {
  StoreCopy store;
  tamper(store.dir, [](const Kv& kv, WriteSet& w) {
    std::string record = record_at(kv, 14);
    auto at = record.find("S2100911");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    record[at + 7] = '2';  // S2100911 -> S2100912: still valid JSON, a different fact
    w.put(Space::log, log_key(Position(14)), record);
  });
  json report = audit_verify(store.dir, 1);
  BOOST_TEST(problem_positions(report) == (Positions{14}), report.dump());
  BOOST_TEST(mentions(report, 14, "does not match its hash"), report.dump());
}

BOOST_AUTO_TEST_CASE(a_removed_event_is_named_at_its_position) {
  StoreCopy store;
  tamper(store.dir, [](const Kv&, WriteSet& w) { w.del(Space::log, log_key(Position(20))); });
  json report = audit_verify(store.dir, 1);
  BOOST_TEST(problem_positions(report) == (Positions{20}), report.dump());
  BOOST_TEST(mentions(report, 20, "missing"), report.dump());
}

BOOST_AUTO_TEST_CASE(two_swapped_events_are_named_at_their_positions) {
  StoreCopy store;
  tamper(store.dir, [](const Kv& kv, WriteSet& w) {
    const std::string a = record_at(kv, 20), b = record_at(kv, 21);
    w.put(Space::log, log_key(Position(20)), b);
    w.put(Space::log, log_key(Position(21)), a);
  });
  json report = audit_verify(store.dir, 1);
  const Positions named = problem_positions(report);
  BOOST_TEST(named.count(20) == 1u, report.dump());
  BOOST_TEST(named.count(21) == 1u, report.dump());
  BOOST_TEST(mentions(report, 20, "moved or swapped"), report.dump());
  BOOST_TEST(*named.rbegin() <= 22u, report.dump());
}

BOOST_AUTO_TEST_CASE(a_truncated_tail_is_named_against_the_expected_head) {
  StoreCopy store;
  const json before = audit_verify(store.dir, 0);
  const std::string head = "56:" + before["head"]["hash"].get<std::string>();
  // Cut the last ten events and their index entries: what remains is a valid shorter chain.
  tamper(store.dir, [](const Kv& kv, WriteSet& w) {
    for (std::uint64_t p = 47; p <= 56; ++p) {
      json record = json::parse(record_at(kv, p));
      w.del(Space::log, log_key(Position(p)));
      w.del(Space::streams, stream_key(record["stream"].get<std::string>(),
                                       Version(record["version"].get<std::uint64_t>())));
    }
  });
  BOOST_TEST(audit_verify(store.dir, 0)["head"]["position"] == 46);
  json report = audit_verify(store.dir, 1, "--expect-head " + head);
  BOOST_TEST(problem_positions(report) == (Positions{56}), report.dump());
  BOOST_TEST(mentions(report, 56, "log ends at position 46"), report.dump());
}

BOOST_AUTO_TEST_CASE(a_rewritten_event_with_a_recomputed_own_hash_is_named_by_the_next_link) {
  StoreCopy store;
  tamper(store.dir, [](const Kv& kv, WriteSet& w) {
    json record = json::parse(record_at(kv, 30));
    record["actor"] = "S2100912";
    record.erase("hash");
    record["hash"] = sha256_hex(record.dump());
    w.put(Space::log, log_key(Position(30)), record.dump());
  });
  json report = audit_verify(store.dir, 1);
  BOOST_TEST(problem_positions(report) == (Positions{31}), report.dump());
  BOOST_TEST(mentions(report, 31, "position 30"), report.dump());
}

BOOST_AUTO_TEST_CASE(a_rewritten_last_event_shows_against_the_expected_head) {
  StoreCopy store;
  const json before = audit_verify(store.dir, 0);
  const std::string head = "56:" + before["head"]["hash"].get<std::string>();
  tamper(store.dir, [](const Kv& kv, WriteSet& w) {
    json record = json::parse(record_at(kv, 56));
    BOOST_TEST_REQUIRE(record["actor"] != "X25");
    record["actor"] = "X25";
    record.erase("hash");
    record["hash"] = sha256_hex(record.dump());
    w.put(Space::log, log_key(Position(56)), record.dump());
  });
  json report = audit_verify(store.dir, 1, "--expect-head " + head);
  BOOST_TEST(problem_positions(report) == (Positions{56}), report.dump());
  BOOST_TEST(mentions(report, 56, "rewritten"), report.dump());
}

BOOST_AUTO_TEST_CASE(a_record_outside_its_schema_is_named_even_with_its_hash_recomputed) {
  StoreCopy store;
  tamper(store.dir, [](const Kv& kv, WriteSet& w) {
    json record = json::parse(record_at(kv, 56));
    record["approved_by"] = "nobody";  // event schemas are closed
    record.erase("hash");
    record["hash"] = sha256_hex(record.dump());
    w.put(Space::log, log_key(Position(56)), record.dump());
  });
  json report = audit_verify(store.dir, 1);
  BOOST_TEST(problem_positions(report) == (Positions{56}), report.dump());
  BOOST_TEST(mentions(report, 56, "approved_by"), report.dump());
}

BOOST_AUTO_TEST_CASE(verify_works_while_another_process_holds_the_store_and_changes_nothing) {
  StoreCopy store;
  auto engine = Engine::open(store.dir.path());
  BOOST_TEST_REQUIRE(engine.ok());
  const LogHead head = engine.value()->head();
  json report = audit_verify(store.dir, 0);
  BOOST_TEST(report["ok"] == true, report.dump());
  BOOST_TEST(report["head"]["hash"] == head.hash);
  BOOST_TEST((engine.value()->head() == head));
}

BOOST_AUTO_TEST_CASE(a_missing_store_is_exit_3_and_a_bad_head_is_a_usage_error) {
  TempDir dir;
  BOOST_TEST(run(ctl(dir, "audit verify") + "/none").exit_code == 3);
  StoreCopy store;
  BOOST_TEST(run(ctl(store.dir, "audit verify --expect-head 12")).exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- as-of ----
namespace {
// "2015-01-08T09:30:00+08:00" -> "2015-01-08T01:30:00Z": the same instant with another offset
// (the walkthrough's times are all from 08:00 local, so the day does not change).
std::string as_utc(const std::string& local) {
  BOOST_TEST_REQUIRE(local.substr(19) == "+08:00");
  int hour = std::stoi(local.substr(11, 2)) - 8;
  BOOST_TEST_REQUIRE(hour >= 0);
  char hh[3];
  std::snprintf(hh, sizeof hh, "%02d", hour);
  return local.substr(0, 11) + hh + local.substr(13, 6) + "Z";
}

const std::vector<std::string> kQueries = {
    "folder S2100911 install_pending_dispatch",
    "folder S2100911 sales_install_pending_dispatch",
    "folder S2100911 in_progress",
    "folder S2100911 pending_close",
    "folder S2100911 closed",
    "folder ZHKF install_pending_dispatch",
    "folder ZHKF pending_reassignment_approval",
    "folder ZHKF delivery_pending_dispatch",
    "folder S21009110002 to_accept",
    "folder S21009110002 to_process",
    "folder S21009110002 completed",
    "stats ZHKF",
    "stats S2100911",
    "stats X25",
    "order AZ20150108000001",
    "order AZ20150108000002",
    "order AZ20150108000003",
    "order AZ20150108000004",
    "order AZ20150108000008",
    "order XS20150108000001",
    "order PS20150108000001",
};

struct Moment {
  std::uint64_t position = 0;
  std::string at;                              // the last applied command's time
  std::map<std::string, std::string> answers;  // query -> live --json output
};
}  // namespace

BOOST_AUTO_TEST_CASE(as_of_gives_what_the_live_engine_showed_at_each_moment) {
  TempDir dir;
  std::ifstream in(walkthrough());
  std::vector<std::string> commands;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) commands.push_back(line);
  }
  // Apply the walkthrough in chunks, recording every query's live answer after each chunk.
  constexpr std::size_t kChunk = 4;
  std::vector<Moment> moments;
  for (std::size_t first = 0; first < commands.size(); first += kChunk) {
    std::string chunk;
    Moment m;
    for (std::size_t i = first; i < std::min(first + kChunk, commands.size()); ++i) {
      chunk += commands[i] + "\n";
      m.at = json::parse(commands[i])["at"];
    }
    write_file(dir / "chunk.jsonl", chunk);
    Output applied = run(ctl(dir, "apply " + (dir / "chunk.jsonl") + " --json"));
    BOOST_TEST_REQUIRE(applied.exit_code == 0);
    for (const auto& line : lines(applied.out)) {
      json reply = json::parse(line);
      BOOST_TEST_REQUIRE(reply["ok"] == true, line);
      for (const auto& p : reply["positions"]) {
        m.position = std::max(m.position, p.get<std::uint64_t>());
      }
    }
    for (const auto& q : kQueries) m.answers[q] = run(ctl(dir, q + " --json")).out;
    moments.push_back(std::move(m));
  }
  BOOST_TEST_REQUIRE(moments.size() >= 10u);

  for (const auto& m : moments) {
    for (const auto& [q, live] : m.answers) {
      for (const std::string& when : {std::to_string(m.position), m.at, as_utc(m.at)}) {
        Output o = run(ctl(dir, "audit as-of " + when + " " + q + " --json"));
        BOOST_TEST(o.out == live,
                   "as-of " << when << " " << q << "\n got " << o.out << "\n live " << live);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(as_of_before_the_first_event_knows_nothing_and_a_bad_moment_is_usage) {
  StoreCopy store;
  Output o = run(ctl(store.dir, "audit as-of 2015-01-07T23:59:59Z stats ZHKF --json"));
  BOOST_TEST(o.exit_code == 1);
  BOOST_TEST(json::parse(o.out)["error"]["code"] == "not_found");
  BOOST_TEST(run(ctl(store.dir, "audit as-of yesterday stats ZHKF")).exit_code == 2);
  BOOST_TEST(run(ctl(store.dir, "audit as-of 57 stats ZHKF")).exit_code == 1);
}

// ---- export ----

BOOST_AUTO_TEST_CASE(an_exported_order_checks_against_the_log_and_a_changed_line_is_reported) {
  StoreCopy store;
  const std::string file = store.dir / "order.jsonl";
  Output o = run(ctl(store.dir, "audit export --order AZ20150108000002 --output " + file));
  BOOST_TEST_REQUIRE(o.exit_code == 0);
  std::ifstream in(file);
  std::vector<std::string> records;
  for (std::string line; std::getline(in, line);) records.push_back(line);
  BOOST_TEST_REQUIRE(records.size() == 7u);
  // The stored records verbatim: the same bytes as `dispatchctl log --json` prints.
  const auto logged = lines(run(ctl(store.dir, "log --json")).out);
  for (const auto& r : records) {
    const auto p = json::parse(r)["position"].get<std::size_t>();
    BOOST_TEST(logged.at(p - 1) == r);
  }
  Output checked = run(ctl(store.dir, "audit check-export " + file + " --json"));
  BOOST_TEST(checked.exit_code == 0, checked.out);
  BOOST_TEST(json::parse(checked.out)["records"] == 7);

  // One line changed (the reason of a refusal), everything else intact.
  auto at = records[3].find("\"reason\":\"");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  records[3].insert(at + 10, "X");
  std::string text;
  for (const auto& r : records) text += r + "\n";
  write_file(file, text);
  checked = run(ctl(store.dir, "audit check-export " + file + " --json"));
  BOOST_TEST(checked.exit_code == 1);
  json report = json::parse(checked.out);
  BOOST_TEST_REQUIRE(report["problems"].size() >= 1u, report.dump());
  for (const auto& p : report["problems"]) BOOST_TEST(p["line"] == 4, report.dump());
}

BOOST_AUTO_TEST_CASE(a_units_csv_export_is_excel_friendly_and_checks_against_the_log) {
  StoreCopy store;
  const std::string file = store.dir / "unit.csv";
  Output o = run(ctl(store.dir, "audit export --unit S2100911-01 --format csv --output " + file));
  BOOST_TEST_REQUIRE(o.exit_code == 0);
  std::ifstream in(file, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  BOOST_TEST(text.rfind("\xEF\xBB\xBFposition,at,type,", 0) == 0u);
  BOOST_TEST(text.find("\r\n") != std::string::npos);
  BOOST_TEST(text.find("\"\"order_id\"\":\"\"AZ20150108000003\"\"") != std::string::npos);
  BOOST_TEST(text.find("AZ20150108000001") == std::string::npos);  // never held by the sub-outlet
  Output checked = run(ctl(store.dir, "audit check-export " + file + " --json"));
  BOOST_TEST(checked.exit_code == 0, checked.out);
  // The unit's registration, its technician, and order 3's whole history (6 events).
  BOOST_TEST(json::parse(checked.out)["records"] == 8, checked.out);

  // A time range: only order 3's events from 13:10 local, before 13:30 local.
  o = run(ctl(store.dir,
              "audit export --unit S2100911-01 --from 2015-01-08T05:10:00Z "
              "--to 2015-01-08T13:30:00+08:00"));
  BOOST_TEST_REQUIRE(o.exit_code == 0);
  std::vector<std::string> types;
  for (const auto& line : lines(o.out)) types.push_back(json::parse(line)["type"]);
  BOOST_TEST(
      (types == std::vector<std::string>{"TechniciansAssigned", "OrderRefused", "FeedbackAdded"}));
}
