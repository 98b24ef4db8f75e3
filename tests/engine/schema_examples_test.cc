// The example commands in tests/data/commands_examples.jsonl parse, and they, the serializer's
// output and one event of every type pass the JSON Schemas in schemas/ (checked by
// tests/schemas/validate.py with /usr/bin/python3 and its jsonschema module). Bad lines fail.
#define BOOST_TEST_MODULE schema_examples
#include <sys/wait.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/event.h"
#include "tests/engine/json_samples.h"

namespace dispatch {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

fs::path source_dir() {
  const char* dir = std::getenv("DISPATCH_SOURCE_DIR");
  BOOST_TEST_REQUIRE(dir != nullptr, "DISPATCH_SOURCE_DIR is not set; run this test through ctest");
  return fs::path(dir);
}

std::vector<std::string> read_lines(const fs::path& path) {
  std::ifstream in(path);
  BOOST_TEST_REQUIRE(in.good(), "cannot read " << path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& line : lines) out << line << '\n';
  BOOST_TEST_REQUIRE(out.good(), "cannot write " << path);
}

// A JSON text written over several source lines, as one JSONL line.
std::string one_line(std::string_view text) { return json::parse(text).dump(); }

struct Run {
  int exit_code = -1;
  std::string output;
};

// Runs validate.py on `file`; the path has no characters a shell would interpret.
Run validate(const std::string& kind, const fs::path& file) {
  const std::string command = "/usr/bin/python3 '" +
                              (source_dir() / "tests/schemas/validate.py").string() + "' --kind " +
                              kind + " '" + file.string() + "' 2>&1";
  Run run;
  FILE* pipe = ::popen(command.c_str(), "r");
  BOOST_TEST_REQUIRE(pipe != nullptr, "cannot run " << command);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) run.output.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  BOOST_TEST_MESSAGE(command << "\n" << run.output);
  return run;
}

struct TempDir {
  fs::path path =
      fs::temp_directory_path() / ("dispatch_schema_examples_" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

const fs::path kExamples = "tests/data/commands_examples.jsonl";

BOOST_AUTO_TEST_CASE(every_example_parses_and_round_trips) {
  const auto lines = read_lines(source_dir() / kExamples);
  BOOST_TEST(lines.size() == 34u);
  std::set<std::string> types;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto r = parse_command_text(lines[i]);
    BOOST_TEST_REQUIRE(r.ok(), "line " << i + 1 << ": " << (r.ok() ? "" : r.error().message));
    types.insert(std::string(r->type()));
    ids.insert(r->id.str());
    BOOST_TEST(!r->at.empty(), "line " << i + 1 << " has no at");
    const auto again = parse_command(to_json(*r));
    BOOST_TEST_REQUIRE(again.ok());
    BOOST_TEST(testing::same(*again, *r), "line " << i + 1);
  }
  BOOST_TEST(ids.size() == lines.size(), "command ids must be unique");
  for (std::size_t i = 0; i < std::variant_size_v<CommandBody>; ++i) {
    BOOST_TEST(types.count(std::string(command_type_name(i))) == 1u,
               "no example of " << command_type_name(i));
  }
}

BOOST_AUTO_TEST_CASE(examples_and_their_serialization_pass_the_command_schema) {
  const auto run = validate("command", source_dir() / kExamples);
  BOOST_TEST(run.exit_code == 0, run.output);
  BOOST_TEST(run.output.find("34 passed, 0 failed") != std::string::npos, run.output);

  TempDir dir;
  std::vector<std::string> serialized;
  for (const auto& line : read_lines(source_dir() / kExamples)) {
    const auto r = parse_command_text(line);
    BOOST_TEST_REQUIRE(r.ok());
    serialized.push_back(to_json(*r).dump());
  }
  write_lines(dir.path / "serialized.jsonl", serialized);
  const auto again = validate("command", dir.path / "serialized.jsonl");
  BOOST_TEST(again.exit_code == 0, again.output);
  BOOST_TEST(again.output.find("34 passed, 0 failed") != std::string::npos, again.output);
}

BOOST_AUTO_TEST_CASE(one_event_of_every_type_passes_the_event_schema) {
  TempDir dir;
  std::vector<std::string> lines;
  std::string prev(64, '0');
  for (const auto& e : testing::sample_events()) {
    json record = to_json(e);
    BOOST_TEST_REQUIRE(event_from_json(record).ok());
    // Stored records carry the log's hash chain; the values only need the right shape here.
    if (e.position.value() % 2 == 0) {
      record["prev_hash"] = prev;
      prev = std::string(63, 'a') + std::to_string(e.position.value() % 10);
      record["hash"] = prev;
    }
    lines.push_back(record.dump());
  }
  write_lines(dir.path / "events.jsonl", lines);
  const auto run = validate("event", dir.path / "events.jsonl");
  BOOST_TEST(run.exit_code == 0, run.output);
  BOOST_TEST(run.output.find("22 passed, 0 failed") != std::string::npos, run.output);
}

BOOST_AUTO_TEST_CASE(bad_lines_fail_the_schemas) {
  TempDir dir;
  write_lines(
      dir.path / "bad_commands.jsonl",
      {
          // customer.phone missing
          one_line(R"({"id": "c1", "type": "CreateOrder", "actor": "ZHKF", "kind": "installation",
                      "customer": {"name": "张三", "address": "香洲区"},
                      "items": [{"model": "KFR-35GW", "quantity": 1}]})"),
          // a numeric order id
          one_line(R"({"id": "c2", "type": "AcceptOrder", "actor": "S21009110002",
                      "order_id": 1234567890123456789012})"),
          // not RFC 3339
          one_line(R"({"id": "c3", "type": "CloseOrder", "actor": "S2100911", "order_id": "A1",
                      "at": "2015-01-08 14:05:00"})"),
          one_line(R"({"id": "c4", "type": "ShipOrder", "actor": "S2100911"})"),
          "{not json",
      });
  auto run = validate("command", dir.path / "bad_commands.jsonl");
  BOOST_TEST(run.exit_code == 1, run.output);
  BOOST_TEST(run.output.find("0 passed, 5 failed") != std::string::npos, run.output);
  BOOST_TEST(
      run.output.find("line 1: customer: 'phone' is a required property") != std::string::npos,
      run.output);
  BOOST_TEST(run.output.find("line 2: order_id:") != std::string::npos, run.output);
  BOOST_TEST(run.output.find("line 3: at:") != std::string::npos, run.output);

  const auto events = testing::sample_events();
  json extra = to_json(events[4]);
  extra["surprise"] = 1;  // events are closed: no field outside the schema
  json wrong_stream = to_json(events[10]);
  wrong_stream["stream"] = "unit/S2100911";
  json version_zero = to_json(events[7]);
  version_zero["version"] = 0;
  json short_hash = to_json(events[13]);
  short_hash["hash"] = "abc";
  json no_order = to_json(events[18]);
  no_order.erase("order_id");
  write_lines(
      dir.path / "bad_events.jsonl",
      {extra.dump(), wrong_stream.dump(), version_zero.dump(), short_hash.dump(), no_order.dump()});
  run = validate("event", dir.path / "bad_events.jsonl");
  BOOST_TEST(run.exit_code == 1, run.output);
  BOOST_TEST(run.output.find("0 passed, 5 failed") != std::string::npos, run.output);
}

}  // namespace
}  // namespace dispatch
