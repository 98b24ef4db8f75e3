// dispatchctl audit (audit.h): a thin command line over verify_chain and projections/audit.h.
#include "tools/dispatchctl/audit.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "engine/command.h"
#include "engine/kafka/node.h"
#include "engine/store/rocks_kv.h"
#include "projections/audit.h"
#include "projections/queries.h"
#include "tools/dispatchctl/backend.h"
#include "tools/dispatchctl/output.h"
#include "tools/dispatchctl/subcommands.h"

namespace dispatch::ctl {
namespace {
using json = nlohmann::json;

// Excel opens a UTF-8 CSV as UTF-8 only when it starts with a byte order mark.
constexpr std::string_view kBom = "\xEF\xBB\xBF";
const char* const kCsvColumns[] = {"position",  "at",    "type",       "stream",
                                   "order_id",  "actor", "command_id", "version",
                                   "prev_hash", "hash",  "record"};

int usage(const std::string& message) {
  std::cerr << "dispatchctl audit: " << message << " (see dispatchctl audit --help)\n";
  return kExitUsage;
}

// With --log kafka: a scratch copy of the topic, removed when the audit ends.
struct TopicCopy {
  std::string dir;
  // The record the copy refused (a changed, forged or misplaced record); the copy then holds the
  // records before it. `audit verify` reports it as a problem; the other audits cannot run.
  std::optional<Error> refused;
  ~TopicCopy() {
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
};

// Copies the topic --topic names into a new scratch directory (engine/kafka/node.h) and returns
// the copy's store; "" after reporting why there is none.
std::string copy_topic(const Args& args, TopicCopy& copy) {
  auto options = kafka_options(args);
  if (!options.ok()) return "";
  const std::string topic = "the Kafka topic " + options->topic;
  std::string scratch = (std::filesystem::temp_directory_path() / "dispatch-audit-XXXXXX").string();
  if (::mkdtemp(scratch.data()) == nullptr) {
    print_store_error(
        args, topic,
        make_error(ErrorCode::unavailable, "no scratch directory can be made in " +
                                               std::filesystem::temp_directory_path().string()));
    return "";
  }
  copy.dir = scratch;
  ProgressBar bar("audit: reading Kafka topic " + options->topic);
  Status copied = kafka::copy_topic(scratch + "/store", *options);
  if (copied.ok()) return scratch + "/store";
  const Error& e = copied.error();
  if (e.code == ErrorCode::invalid || e.code == ErrorCode::conflict) {
    copy.refused = make_error(e.code, topic + " cannot be read whole: " + e.message);
    return scratch + "/store";
  }
  print_store_error(args, topic, e);
  return "";
}

// Read-only: no lock is taken, so this works beside a running writer and cannot change the store.
// With --log kafka, the store is a copy of the topic made for this audit.
std::unique_ptr<Kv> open_store(const Args& args, TopicCopy& copy) {
  std::string dir = args.option_or("data", "./var");
  if (args.option_or("log", "embedded") == "kafka") {
    dir = copy_topic(args, copy);
    if (dir.empty()) return nullptr;
  }
  auto kv = open_rocks_kv(dir, RocksOptions{.read_only = true, .create_if_missing = false});
  if (!kv.ok()) {
    print_store_error(args, "the store " + dir, kv.error());
    return nullptr;
  }
  return std::move(kv.value());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// `refused`: the record of a Kafka topic its copy stopped at (TopicCopy). The report then covers
// the records the copy holds, and the refusal is its last problem.
int run_verify(const Args& args, const Kv& kv, const std::optional<Error>& refused) {
  std::optional<LogHead> expected;
  if (auto text = args.option("expect-head")) {
    auto head = audit::parse_head(*text);
    if (!head.ok()) return usage(head.error().message);
    expected = *head;
  }
  auto last = audit::last_position(kv);
  if (!last.ok()) return print_error(args, last.error());
  const auto started = std::chrono::steady_clock::now();
  Result<ChainReport> chain = Error{};
  {
    ProgressBar bar("audit verify");
    chain = verify_chain(kv, [&](std::uint64_t done) { bar.update(done, last->value()); });
  }
  if (!chain.ok()) return print_error(args, chain.error());
  std::vector<LogProblem> problems = chain->problems;
  if (expected) {
    auto extends = audit::check_extends(kv, *expected);
    if (!extends.ok()) return print_error(args, extends.error());
    problems.insert(problems.end(), extends->begin(), extends->end());
  }
  const bool ok = problems.empty() && !refused;
  json report{{"ok", ok},
              {"events", chain->events},
              {"head", {{"position", chain->head.position}, {"hash", chain->head.hash}}},
              {"problems", json::array()},
              {"seconds", seconds_since(started)}};
  if (expected) {
    report["expected_head"] = {{"position", expected->position}, {"hash", expected->hash}};
  }
  for (const auto& p : problems) {
    report["problems"].push_back(
        json{{"where", "log"}, {"position", p.position}, {"message", p.what}});
  }
  if (refused) {
    report["problems"].push_back(
        json{{"where", "log"},
             {"message", refused->message +
                             "; the audit stops there: the records read after it are not in "
                             "this report"}});
  }
  if (args.flag("json")) {
    std::cout << json_line(report) << '\n';
  } else {
    print_verify(std::cout, report);
    if (expected && ok) {
      std::cout << "The log extends the expected head " << expected->position.value() << ':'
                << expected->hash << ".\n";
    }
  }
  return ok ? kExitOk : kExitRefused;
}

int run_as_of(const Args& args, const Kv& kv) {
  const auto& pos = args.positionals();
  if (pos.size() < 3)
    return usage("as-of takes TIME|POSITION and order ID, folder OWNER FOLDER or stats UNIT");
  const std::string& what = pos[2];
  const std::size_t want = what == "folder" ? 5 : 4;
  if ((what != "order" && what != "folder" && what != "stats") || pos.size() != want) {
    return usage("as-of takes TIME|POSITION and order ID, folder OWNER FOLDER or stats UNIT");
  }
  auto limit_option = args.count_or("limit", kDefaultFolderLimit);
  if (!limit_option) return usage("--limit takes a number");
  std::size_t limit = *limit_option;
  auto moment = audit::parse_moment(pos[1]);
  if (!moment.ok()) return usage(moment.error().message);

  const auto started = std::chrono::steady_clock::now();
  Result<audit::Replayed> replayed = Error{};
  {
    ProgressBar bar("audit as-of");
    auto progress = [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
    auto through = audit::resolve(kv, *moment, progress);
    if (!through.ok()) return print_error(args, through.error());
    replayed = what == "order" ? audit::replay_order_through(kv, OrderId(pos[3]), *through)
                               : audit::replay_through(kv, *through, progress);
  }
  if (!replayed.ok()) return print_error(args, replayed.error());
  Result<json> answer = Error{};
  if (what == "order") {
    EventLog history(*replayed->kv);
    answer = query_order(*replayed->kv, history, OrderId(pos[3]));
  } else if (what == "folder") {
    answer = query_folder(*replayed->kv, replayed->org, pos[3], pos[4], limit,
                          args.option_or("after", ""));
  } else {
    answer = query_stats(*replayed->kv, replayed->org, UnitId(pos[3]));
  }
  // Where the moment fell goes to standard error, so the JSON stays the live query's exactly.
  std::cerr << "as of log position " << replayed->through.value() << " (replayed in "
            << seconds_since(started) << " s)\n";
  if (!answer.ok()) return print_error(args, answer.error());
  if (args.flag("json")) {
    std::cout << json_line(*answer) << '\n';
  } else if (what == "order") {
    print_order(std::cout, *answer);
  } else if (what == "folder") {
    print_folder(std::cout, *answer);
  } else {
    print_stats(std::cout, *answer);
  }
  return kExitOk;
}

// A CSV field, always quoted (quotes doubled). Text that Excel would run as a formula gets a
// leading apostrophe; the `record` column, which check-export reads, is left verbatim (it is a
// JSON object, starting with '{').
std::string csv_field(const std::string& text, bool guard_formula) {
  std::string out = "\"";
  if (guard_formula && !text.empty() &&
      std::string_view("=+-@").find(text[0]) != std::string_view::npos) {
    out += '\'';
  }
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv_row(const audit::Record& r) {
  auto text = [&](const char* name) {
    auto it = r.value.find(name);
    if (it == r.value.end()) return std::string();
    return it->is_string() ? it->get<std::string>() : it->dump();
  };
  // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "," + std::string.
  std::string row = std::to_string(r.position.value());
  for (const char* name : {"at", "type", "stream", "order_id", "actor", "command_id"}) {
    row += ',';
    row += csv_field(text(name), true);
  }
  row += ',';
  row += text("version");
  for (const char* name : {"prev_hash", "hash"}) {
    row += ',';
    row += csv_field(text(name), true);
  }
  row += ',';
  row += csv_field(r.raw, false);
  return row + "\r\n";
}

int run_export(const Args& args, const Kv& kv) {
  if (args.positionals().size() != 1) return usage("export takes no positional arguments");
  const auto order = args.option("order");
  const auto unit = args.option("unit");
  if (order.has_value() == unit.has_value()) return usage("export takes --order ID or --unit UNIT");
  if (order && (args.option("from") || args.option("to"))) {
    return usage("--from and --to go with --unit");
  }
  const std::string format = args.option_or("format", "jsonl");
  if (format != "jsonl" && format != "csv") return usage("--format is jsonl or csv");
  std::optional<audit::Instant> from, to;
  for (auto [name, slot] : {std::pair{"from", &from}, std::pair{"to", &to}}) {
    if (auto text = args.option(name)) {
      auto t = audit::parse_instant(*text);
      if (!t.ok())
        return usage(std::string("--").append(name).append(": ").append(t.error().message));
      *slot = *t;
    }
  }
  std::ofstream file;
  if (auto path = args.option("output")) {
    file.open(*path, std::ios::binary | std::ios::trunc);
    if (!file) return usage("cannot write " + *path);
  }
  std::ostream& out = args.option("output") ? file : std::cout;
  if (format == "csv") {
    out << kBom;
    for (std::size_t i = 0; i < std::size(kCsvColumns); ++i)
      out << (i ? "," : "") << kCsvColumns[i];
    out << "\r\n";
  }
  std::uint64_t written = 0;
  auto emit = [&](const audit::Record& r) {
    // JSONL holds the stored records verbatim, so each line hashes exactly as the log does.
    if (format == "csv") {
      out << csv_row(r);
    } else {
      out << r.raw << '\n';
    }
    ++written;
  };
  if (order) {
    auto records = audit::order_records(kv, OrderId(*order));
    if (!records.ok()) return print_error(args, records.error());
    for (const auto& r : *records) emit(r);
  } else {
    Status s = audit::unit_records(kv, UnitId(*unit), from, to, emit);
    if (!s.ok()) return print_error(args, s.error());
  }
  out.flush();
  if (!out)
    return print_error(args, make_error(ErrorCode::unavailable, "the export could not be written"));
  std::cerr << "exported " << written << " records\n";
  return kExitOk;
}

// Splits one CSV line (as written by csv_row: no line break inside a field) into fields.
std::vector<std::string> csv_fields(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

int run_check_export(const Args& args, const Kv& kv) {
  if (args.positionals().size() != 2) return usage("check-export takes FILE");
  std::ifstream in(args.positionals()[1], std::ios::binary);
  if (!in) return usage("cannot read " + args.positionals()[1]);
  json problems = json::array();
  std::uint64_t records = 0;
  bool csv = false;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (number == 1 && line.rfind(kBom, 0) == 0) {
      csv = true;
      continue;  // the header
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::string record = line;
    if (csv) {
      auto fields = csv_fields(line);
      if (fields.size() != std::size(kCsvColumns)) {
        problems.push_back(
            {{"line", number}, {"message", "the line does not have the export's columns"}});
        continue;
      }
      record = fields.back();
    }
    ++records;
    auto found = audit::check_exported(kv, record);
    if (!found.ok()) return print_error(args, found.error());
    json parsed = json::parse(record, nullptr, false);
    for (const auto& message : *found) {
      json p{{"line", number}, {"message", message}};
      if (parsed.is_object() && parsed.contains("position")) p["position"] = parsed["position"];
      problems.push_back(std::move(p));
    }
  }
  json report{{"ok", problems.empty()}, {"records", records}, {"problems", problems}};
  if (args.flag("json")) {
    std::cout << json_line(report) << '\n';
  } else {
    std::cout << (problems.empty() ? "OK: " : "PROBLEMS: ") << records
              << " exported records checked against the log\n";
    for (const auto& p : problems) {
      std::cout << "  line " << p["line"].get<std::uint64_t>();
      if (p.contains("position")) std::cout << " (position " << p["position"].dump() << ")";
      std::cout << ": " << p["message"].get<std::string>() << '\n';
    }
  }
  return problems.empty() ? kExitOk : kExitRefused;
}
}  // namespace

int run_audit(const Args& args) {
  if (args.positionals().empty()) {
    return usage("audit takes verify, as-of, export or check-export");
  }
  const std::string& sub = args.positionals()[0];
  if (sub != "verify" && sub != "as-of" && sub != "export" && sub != "check-export") {
    return usage("unknown audit subcommand '" + sub + "'");
  }
  if (sub == "verify" && args.positionals().size() != 1) return usage("verify takes no arguments");
  TopicCopy copy;
  auto kv = open_store(args, copy);
  if (!kv) return kExitStore;
  if (sub == "verify") return run_verify(args, *kv, copy.refused);
  if (copy.refused) {
    print_error(args, *copy.refused);
    return kExitStore;
  }
  if (sub == "as-of") return run_as_of(args, *kv);
  if (sub == "export") return run_export(args, *kv);
  return run_check_export(args, *kv);
}

}  // namespace dispatch::ctl
