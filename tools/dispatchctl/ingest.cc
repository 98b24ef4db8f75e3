// dispatchctl ingest and dispatchctl connectors: shop-order payloads into work orders
// (connectors/ingest.h), and the dead letters of those that could not be.
#include "connectors/ingest.h"

#include <chrono>
#include <fstream>
#include <iostream>

#include "tools/dispatchctl/output.h"
#include "tools/dispatchctl/subcommands.h"

namespace dispatch::ctl {
namespace {
using json = nlohmann::json;
using connectors::ConnectorSession;
using connectors::IngestCounts;
using connectors::Ingestor;
using connectors::MappingConfig;

// Payloads read ahead and handed to the ingestor together: enough for the engine's batches to
// share syncs, small enough that a pipe's payloads are not held back long.
constexpr std::size_t kIngestBatch = 1024;

std::unique_ptr<ConnectorSession> open_session(const Args& args) {
  std::string dir = args.option_or("data", "./var");
  auto session = connectors::open_connector_session(dir);
  if (!session.ok()) {
    print_store_error(args, "the store " + dir, session.error());
    return nullptr;
  }
  return std::move(session.value());
}

MappingConfig mapping_config(const Args& args) {
  MappingConfig config;
  if (auto unit = args.option("fallback-unit")) config.fallback_unit = UnitId(*unit);
  return config;
}

void print_counts(const Args& args, const IngestCounts& counts) {
  if (args.flag("json")) {
    std::cout << json_line(counts.to_json()) << '\n';
    return;
  }
  std::vector<std::vector<std::string>> rows;
  const json all = counts.to_json();
  for (const auto& [key, value] : all.items()) {
    rows.push_back({key, std::to_string(value.get<std::uint64_t>())});
  }
  print_table(std::cout, {"payloads", "count"}, rows);
}

int usage(const std::string& message) {
  std::cerr << "dispatchctl: " << message << " (see dispatchctl --help)\n";
  return kExitUsage;
}

int list_dead_letters(const Args& args, connectors::ConnectorStore& store) {
  auto letters = store.dead_letters();
  if (!letters.ok()) {
    std::cerr << "dispatchctl: " << letters.error().message << '\n';
    return kExitStore;
  }
  if (args.flag("json")) {
    json list = json::array();
    for (const auto& d : *letters) list.push_back(to_json(d));
    std::cout << json_line(json{{"dead_letters", list}}) << '\n';
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *letters) {
    rows.push_back({std::to_string(d.id), std::string(to_string(d.platform)),
                    d.source + ":" + std::to_string(d.line), d.at, d.reason});
  }
  print_table(std::cout, {"id", "platform", "from", "at", "reason"}, rows);
  return kExitOk;
}

int retry_dead_letters(const Args& args, ConnectorSession& session) {
  const auto& pos = args.positionals();
  std::vector<std::uint64_t> ids;
  if (args.flag("all")) {
    if (pos.size() != 1) return usage("connectors retry takes an ID or --all, not both");
    auto letters = session.store->dead_letters();
    if (!letters.ok()) return kExitStore;
    for (const auto& d : *letters) ids.push_back(d.id);
  } else {
    if (pos.size() != 2) return usage("connectors retry takes a dead letter's ID, or --all");
    try {
      ids.push_back(std::stoull(pos[1]));
    } catch (const std::exception&) {
      return usage("a dead letter's ID is a number");
    }
  }
  Ingestor ingestor(*session.engine, *session.store, mapping_config(args));
  IngestCounts counts;
  for (std::uint64_t id : ids) {
    auto done = ingestor.retry(id, counts);
    if (!done.ok()) {
      std::cerr << "dispatchctl: dead letter " << id << ": " << done.error().message << '\n';
      return done.error().code == ErrorCode::not_found ? kExitRefused : kExitStore;
    }
  }
  print_counts(args, counts);
  return kExitOk;
}
}  // namespace

int run_ingest(const Args& args) {
  if (args.positionals().size() != 1)
    return usage("ingest takes one FILE, or - for standard input");
  auto platform_name = args.option("platform");
  if (!platform_name) return usage("ingest needs --platform tmall|jd|gree_mall");
  auto platform = parse_platform(*platform_name);
  if (!platform) return usage("--platform is tmall, jd or gree_mall, not " + *platform_name);
  const std::string& path = args.positionals()[0];
  std::ifstream file;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) {
      std::cerr << "dispatchctl: cannot read " << path << '\n';
      return kExitUsage;
    }
  }
  std::istream& in = path == "-" ? std::cin : file;
  auto session = open_session(args);
  if (!session) return kExitStore;
  Ingestor ingestor(*session->engine, *session->store, mapping_config(args));
  IngestCounts counts;
  auto started = std::chrono::steady_clock::now();
  std::string line;
  std::uint64_t line_number = 0;
  std::vector<Ingestor::Payload> batch;
  auto flush = [&] {
    Status s = ingestor.ingest_many(*platform, batch, counts);
    batch.clear();
    if (s.ok()) return true;
    std::cerr << "dispatchctl: " << s.error().message << '\n';
    print_counts(args, counts);
    return false;
  };
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    batch.push_back(Ingestor::Payload{std::move(line), path, line_number});
    if (batch.size() >= kIngestBatch && !flush()) return kExitStore;
  }
  if (!flush()) return kExitStore;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << "ingested " << counts.read << " payloads in " << seconds << " s\n";
  print_counts(args, counts);
  return kExitOk;
}

int run_connectors(int argc, char** argv) {
  ArgSpec spec{{"data", "fallback-unit"}, {"json", "help", "all"}};
  auto args = Args::parse(argc, argv, 2, spec);
  if (!args.ok()) return usage(args.error().message);
  const auto& pos = args->positionals();
  if (args->flag("help") || pos.empty()) {
    std::cout << "usage: dispatchctl connectors dead-letters [--data DIR] [--json]\n"
                 "       dispatchctl connectors retry ID|--all [--fallback-unit UNIT] [--data DIR] "
                 "[--json]\n\n"
                 "List the shop-order payloads that could not be parsed or mapped, or run them "
                 "again after a fix\n(a retried payload that goes through is removed).\n";
    return pos.empty() && !args->flag("help") ? kExitUsage : kExitOk;
  }
  auto session = open_session(*args);
  if (!session) return kExitStore;
  if (pos[0] == "dead-letters") {
    if (pos.size() != 1) return usage("connectors dead-letters takes no arguments");
    return list_dead_letters(*args, *session->store);
  }
  if (pos[0] == "retry") return retry_dead_letters(*args, *session);
  return usage("unknown connectors subcommand " + pos[0]);
}

}  // namespace dispatch::ctl
