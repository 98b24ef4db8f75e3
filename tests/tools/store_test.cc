// The store as an operator meets it: tampering is reported by `verify`, a second process gets a
// clear refusal, a `kill -9` under load loses no acknowledged command, and `rebuild` reproduces
// the projections exactly.
#define BOOST_TEST_MODULE store
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/store/rocks_kv.h"
#include "projections/projector.h"
#include "tests/support/print.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch;
using namespace dispatch::testing;

namespace {
std::string walkthrough() { return source_dir() + "/tools/data/walkthrough.jsonl"; }

void apply_walkthrough(const TempDir& dir) {
  Output o = run(dispatchctl() + " apply " + walkthrough() + " --data " + dir.path() + " --json");
  BOOST_TEST_REQUIRE(o.exit_code == 0);
}

json verify(const TempDir& dir, int expected_exit) {
  Output o = run(dispatchctl() + " verify --json --data " + dir.path());
  BOOST_TEST(o.exit_code == expected_exit);
  return json::parse(o.out);
}

// Rewrites one stored value behind the engine's back.
void tamper(const TempDir& dir, Space space, const std::string& key,
            const std::function<std::string(std::string)>& change) {
  auto kv = open_rocks_kv(dir.path(), RocksOptions{});
  BOOST_TEST_REQUIRE(kv.ok());
  auto value = kv.value()->get(space, key);
  BOOST_TEST_REQUIRE(value.ok());
  BOOST_TEST_REQUIRE(value->has_value());
  WriteSet writes;
  writes.put(space, key, change(**value));
  BOOST_TEST_REQUIRE(kv.value()->write(writes, true).ok());
}

// One command per line: orders created at ZHKF and dispatched to S2100911, after the walkthrough.
std::string load_file(const TempDir& dir, int orders) {
  std::string text;
  for (int i = 0; i < orders; ++i) {
    std::string id = "LD" + std::to_string(100000 + i);
    text += json{{"id", "load-c-" + std::to_string(i)},
                 {"type", "CreateOrder"},
                 {"actor", "ZHKF"},
                 {"order_id", id},
                 {"kind", "installation"},
                 {"customer", {{"name", "客户"}, {"phone", "13000000000"}, {"address", "香洲"}}},
                 {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}}
                .dump() +
            "\n";
    text += json{{"id", "load-d-" + std::to_string(i)},
                 {"type", "DispatchToUnit"},
                 {"actor", "ZHKF"},
                 {"order_ids", {id}},
                 {"unit", "S2100911"}}
                .dump() +
            "\n";
  }
  std::string path = dir / "load.jsonl";
  write_file(path, text);
  return path;
}
}  // namespace

BOOST_AUTO_TEST_CASE(an_untouched_store_verifies) {
  TempDir dir;
  apply_walkthrough(dir);
  json report = verify(dir, 0);
  BOOST_TEST(report["ok"] == true);
  BOOST_TEST(report["events"] == 56);
  BOOST_TEST(report["problems"].empty());
  BOOST_TEST(report["head"]["hash"].get<std::string>().size() == 64u);
}

BOOST_AUTO_TEST_CASE(verify_names_the_position_of_a_changed_byte_in_an_event) {
  TempDir dir;
  apply_walkthrough(dir);
  tamper(dir, Space::log, encode_be64(14), [](std::string record) {
    auto at = record.find("S2100911");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    record[at + 7] = '2';  // S2100911 -> S2100912: still valid JSON, a different fact
    return record;
  });
  json report = verify(dir, 1);
  BOOST_TEST(report["ok"] == false);
  bool named = false;
  for (const auto& p : report["problems"]) {
    if (p["where"] == "log" && p["position"] == 14) named = true;
  }
  BOOST_TEST(named, report.dump());
}

BOOST_AUTO_TEST_CASE(verify_reports_a_projection_changed_behind_the_engines_back) {
  TempDir dir;
  apply_walkthrough(dir);
  std::string key = keys::own_count(OwnerKind::unit, "S2100911", Folder::install_pending_dispatch);
  tamper(dir, Space::projections, key, [](std::string) { return std::string("7"); });
  json report = verify(dir, 1);
  BOOST_TEST(report["ok"] == false);
  BOOST_TEST_REQUIRE(report["problems"].size() == 1u, report.dump());
  BOOST_TEST(report["problems"][0]["where"] == "projections");
  BOOST_TEST(report["problems"][0]["key"].get<std::string>().find("S2100911") != std::string::npos);
  // The folder a person sees is repaired by a rebuild.
  Output rebuilt = run(dispatchctl() + " rebuild --data " + dir.path());
  BOOST_TEST(rebuilt.exit_code == 0);
  BOOST_TEST(verify(dir, 0)["ok"] == true);
}

BOOST_AUTO_TEST_CASE(a_second_process_is_refused_with_a_clear_error) {
  TempDir dir;
  apply_walkthrough(dir);
  auto engine = Engine::open(dir.path());
  BOOST_TEST_REQUIRE(engine.ok());
  Output o = run(dispatchctl() + " folder S2100911 closed --data " + dir.path() + " 2>&1");
  BOOST_TEST(o.exit_code == 3);
  BOOST_TEST(o.out.find("in use by another process") != std::string::npos, o.out);
}

BOOST_AUTO_TEST_CASE(rebuild_reproduces_every_projection) {
  TempDir dir;
  apply_walkthrough(dir);
  auto snapshot = [&] {
    std::string all;
    for (const char* q :
         {"folder S2100911 closed", "folder S2100911 in_progress", "folder S21009110002 completed",
          "stats ZHKF", "stats S2100911", "order AZ20150108000001"}) {
      all += run(dispatchctl() + " " + q + " --json --data " + dir.path()).out;
    }
    return all;
  };
  std::string before = snapshot();
  Output o = run(dispatchctl() + " rebuild --json --data " + dir.path());
  BOOST_TEST(o.exit_code == 0);
  BOOST_TEST(json::parse(o.out)["events"] == 56);
  BOOST_TEST(snapshot() == before);
}

BOOST_AUTO_TEST_CASE(kill_9_under_load_loses_no_acknowledged_command) {
  TempDir dir;
  apply_walkthrough(dir);
  std::string file = load_file(dir, 3000);

  int out[2];
  BOOST_TEST_REQUIRE(pipe(out) == 0);
  pid_t child = fork();
  BOOST_TEST_REQUIRE(child >= 0);
  if (child == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    std::string ctl = dispatchctl();
    std::string data = dir.path();
    execl(ctl.c_str(), ctl.c_str(), "apply", file.c_str(), "--data", data.c_str(), "--json",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  // Read acknowledgements until a good part of the load is through, then kill without warning.
  std::vector<std::string> acknowledged;
  std::string buffer;
  char chunk[4096];
  while (acknowledged.size() < 1500) {
    ssize_t n = read(out[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    std::size_t newline;
    while ((newline = buffer.find('\n')) != std::string::npos) {
      json reply = json::parse(buffer.substr(0, newline));
      buffer.erase(0, newline + 1);
      BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
      acknowledged.push_back(reply["id"]);
    }
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  close(out[0]);
  BOOST_TEST_MESSAGE("acknowledged before kill -9: " << acknowledged.size());
  BOOST_TEST_REQUIRE(acknowledged.size() >= 1500u);

  // Every acknowledged command is there: applying the whole file again answers them as duplicates.
  Output again = run(dispatchctl() + " apply " + file + " --json --data " + dir.path());
  BOOST_TEST_REQUIRE(again.exit_code == 0);
  std::map<std::string, json> replies;
  for (const auto& line : lines(again.out)) {
    json r = json::parse(line);
    replies[r["id"]] = r;
  }
  for (const auto& id : acknowledged) {
    BOOST_TEST(replies[id]["duplicate"] == true, id);
  }
  for (const auto& [id, r] : replies) BOOST_TEST(r["ok"] == true, r.dump());
  json report = verify(dir, 0);
  BOOST_TEST(report["ok"] == true, report.dump());
  json stats = json::parse(run(dispatchctl() + " stats S2100911 --json --data " + dir.path()).out);
  BOOST_TEST(stats["own"]["install_pending_dispatch"] == 3002);
}

BOOST_AUTO_TEST_CASE(a_read_only_engine_reads_beside_a_running_writer_and_refuses_commands) {
  TempDir dir;
  apply_walkthrough(dir);
  auto writer = Engine::open(dir.path());
  BOOST_TEST_REQUIRE(writer.ok());
  EngineOptions options;
  options.read_only = true;
  auto reader = Engine::open(dir.path(), options);
  BOOST_TEST_REQUIRE(reader.ok(), (reader.ok() ? "" : reader.error().message));
  auto page = reader.value()->folder("S2100911", "closed", 10, "");
  BOOST_TEST_REQUIRE(page.ok());
  BOOST_TEST((*page)["total"] == 2);
  auto c = parse_command(json{{"id", "x"},
                              {"type", "CloseOrder"},
                              {"actor", "S2100911"},
                              {"order_id", "AZ20150108000001"}});
  BOOST_TEST_REQUIRE(c.ok());
  json reply = reader.value()->execute(c.value());
  BOOST_TEST(reply["error"]["code"] == "unavailable");
  BOOST_TEST(!reader.value()->rebuild().ok());
  EngineOptions missing = options;
  BOOST_TEST(Engine::open(dir / "nothing-here", missing).error().code == ErrorCode::not_found);
}

// A script asking for --json reads why on stdout, as the contract's JSON error, like every other
// error: not an empty stdout and a sentence on stderr.
BOOST_AUTO_TEST_CASE(with_json_a_store_that_cannot_be_used_is_a_json_error_on_stdout) {
  TempDir dir;
  const std::string mistyped = dir / "stroe";
  for (const std::string subcommand :
       {"verify", "folder S2100911 closed", "order AZ20150108000001", "stats S2100911",
        "search --phone 13912345678", "audit verify"}) {
    BOOST_TEST_CONTEXT(subcommand) {
      Output o =
          run(dispatchctl() + " " + subcommand + " --json --data " + mistyped + " 2>/dev/null");
      BOOST_TEST(o.exit_code == 3);
      json reply = json::parse(o.out, nullptr, false);
      BOOST_TEST_REQUIRE(reply.is_object(), o.out);
      BOOST_TEST(reply["ok"] == false);
      BOOST_TEST(reply["error"]["code"] == "not_found");
      BOOST_TEST(reply["error"]["message"].get<std::string>().find("no store at " + mistyped) !=
                     std::string::npos,
                 o.out);
      BOOST_TEST(!std::filesystem::exists(mistyped));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_directory_without_a_store_is_refused_by_reads_and_repairs_and_left_alone) {
  TempDir dir;
  const std::string mistyped = dir / "stroe";
  for (const std::string subcommand :
       {"verify", "rebuild", "log", "folder S2100911 closed", "order AZ20150108000001",
        "stats S2100911", "search --phone 13912345678"}) {
    BOOST_TEST_CONTEXT(subcommand) {
      Output o = run(dispatchctl() + " " + subcommand + " --data " + mistyped + " 2>&1");
      BOOST_TEST(o.exit_code == 3);
      BOOST_TEST(o.out.find("no store at " + mistyped) != std::string::npos, o.out);
      BOOST_TEST(o.out.find("dispatchctl apply") != std::string::npos, o.out);
      BOOST_TEST(!std::filesystem::exists(mistyped));
    }
  }
  // The first apply still starts a store there.
  Output applied = run(dispatchctl() + " apply " + walkthrough() + " --data " + mistyped);
  BOOST_TEST(applied.exit_code == 0);
  BOOST_TEST(run(dispatchctl() + " verify --data " + mistyped).exit_code == 0);
}
