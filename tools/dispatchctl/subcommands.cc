#include "tools/dispatchctl/subcommands.h"

#include <chrono>
#include <deque>
#include <fstream>
#include <future>
#include <iostream>

#include "engine/engine.h"
#include "projections/queries.h"
#include "tools/dispatchctl/backend.h"
#include "tools/dispatchctl/output.h"

namespace dispatch::ctl {
namespace {
using json = nlohmann::json;

// Commands in flight during apply: enough to fill the committer's batches, so lines share fsyncs,
// while each line is still decided after the lines before it.
constexpr std::size_t kApplyWindow = 2048;

// The store verify, rebuild and log work on: one that exists.
std::unique_ptr<Engine> open_engine(const Args& args) {
  auto engine = open_local_engine(args, MissingStore::refuse);
  return engine.ok() ? std::move(engine.value()) : nullptr;
}

int usage(const std::string& message) {
  std::cerr << "dispatchctl: " << message << " (see dispatchctl --help)\n";
  return kExitUsage;
}

// A reply for a line that is not a command: `invalid`, naming the line, with the id when the
// line was JSON that had one.
json bad_line_reply(std::size_t line_number, const std::string& line, const Error& error) {
  json id = nullptr;
  json parsed = json::parse(line, nullptr, false);
  if (parsed.is_object() && parsed.contains("id") && parsed["id"].is_string()) id = parsed["id"];
  Error numbered = error;
  numbered.message = "line " + std::to_string(line_number) + ": " + error.message;
  return json{{"ok", false}, {"id", id}, {"error", to_json(numbered)}};
}
}  // namespace

int print_error(const Args& args, const Error& e) {
  if (args.flag("json")) {
    std::cout << json_line(json{{"ok", false}, {"error", to_json(e)}}) << '\n';
  } else {
    std::cerr << "dispatchctl: " << e.message << '\n';
  }
  return e.code == ErrorCode::unavailable ? kExitStore : kExitRefused;
}

int print_store_error(const Args& args, const std::string& store, Error e) {
  e.message = "cannot use " + store + ": " + e.message;
  if (e.code == ErrorCode::not_found) {
    e.message +=
        " (give --data the directory of an existing store; `dispatchctl apply` or dispatchd "
        "starts a new one)";
  }
  print_error(args, e);
  return kExitStore;
}

int run_apply(const Args& args) {
  if (args.positionals().size() != 1) return usage("apply takes one FILE, or - for standard input");
  const std::string& path = args.positionals()[0];
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) {
      std::cerr << "dispatchctl: cannot read " << path << '\n';
      return kExitUsage;
    }
  }
  std::istream& in = path == "-" ? std::cin : file;
  int exit_code = kExitOk;
  auto backend = open_backend(args, exit_code);
  if (!backend.ok()) return exit_code;

  struct InFlight {
    std::size_t line;
    std::future<json> reply;
  };
  std::deque<InFlight> in_flight;
  std::size_t accepted = 0, refused = 0, duplicates = 0, lines = 0;
  bool store_failed = false;
  auto finish_one = [&] {
    InFlight f = std::move(in_flight.front());
    in_flight.pop_front();
    json reply = f.reply.get();
    reply["line"] = f.line;
    if (reply.value("ok", false)) {
      ++accepted;
      if (reply.value("duplicate", false)) ++duplicates;
    } else {
      ++refused;
      if (reply["error"].value("code", "") == "unavailable") store_failed = true;
    }
    if (args.flag("json")) {
      std::cout << json_line(reply) << '\n';
    } else {
      print_reply(std::cout, f.line, reply);
    }
  };
  auto started = std::chrono::steady_clock::now();
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    ++lines;
    auto command = parse_command_text(line);
    std::promise<json> ready;
    InFlight f{line_number, {}};
    if (command.ok()) {
      f.reply = (*backend)->submit(std::move(command.value()));
    } else {
      ready.set_value(bad_line_reply(line_number, line, command.error()));
      f.reply = ready.get_future();
    }
    in_flight.push_back(std::move(f));
    if (in_flight.size() >= kApplyWindow) finish_one();
  }
  while (!in_flight.empty()) finish_one();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cerr << "applied " << lines << " commands in " << seconds << " s: " << accepted
            << " accepted (" << duplicates << " duplicates), " << refused << " refused\n";
  return store_failed ? kExitStore : kExitOk;
}

int run_folder(const Args& args) {
  if (args.positionals().size() != 2) return usage("folder takes OWNER and FOLDER");
  auto limit_option = args.count_or("limit", kDefaultFolderLimit);
  if (!limit_option) return usage("--limit takes a number");
  std::size_t limit = *limit_option;
  int exit_code = kExitOk;
  auto backend = open_backend(args, exit_code, MissingStore::refuse);
  if (!backend.ok()) return exit_code;
  auto page = (*backend)->folder(args.positionals()[0], args.positionals()[1], limit,
                                 args.option_or("after", ""));
  if (!page.ok()) return print_error(args, page.error());
  if (args.flag("json")) {
    std::cout << json_line(*page) << '\n';
  } else {
    print_folder(std::cout, *page);
  }
  return kExitOk;
}

int run_order(const Args& args) {
  if (args.positionals().size() != 1) return usage("order takes ORDER_ID");
  int exit_code = kExitOk;
  auto backend = open_backend(args, exit_code, MissingStore::refuse);
  if (!backend.ok()) return exit_code;
  auto order = (*backend)->order(args.positionals()[0]);
  if (!order.ok()) return print_error(args, order.error());
  if (args.flag("json")) {
    std::cout << json_line(*order) << '\n';
  } else {
    print_order(std::cout, *order);
  }
  return kExitOk;
}

int run_stats(const Args& args) {
  if (args.positionals().size() != 1) return usage("stats takes UNIT");
  int exit_code = kExitOk;
  auto backend = open_backend(args, exit_code, MissingStore::refuse);
  if (!backend.ok()) return exit_code;
  auto stats = (*backend)->stats(args.positionals()[0]);
  if (!stats.ok()) return print_error(args, stats.error());
  if (args.flag("json")) {
    std::cout << json_line(*stats) << '\n';
  } else {
    print_stats(std::cout, *stats);
  }
  return kExitOk;
}

int run_verify(const Args& args) {
  if (!args.positionals().empty()) return usage("verify takes no arguments");
  auto engine = open_engine(args);
  if (!engine) return kExitStore;
  json report;
  {
    ProgressBar bar("verify");
    auto r =
        engine->verify([&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
    if (!r.ok()) return print_error(args, r.error());
    report = std::move(r.value());
  }
  if (args.flag("json")) {
    std::cout << json_line(report) << '\n';
  } else {
    print_verify(std::cout, report);
  }
  return report.value("ok", false) ? kExitOk : kExitRefused;
}

int run_rebuild(const Args& args) {
  if (!args.positionals().empty()) return usage("rebuild takes no arguments");
  auto engine = open_engine(args);
  if (!engine) return kExitStore;
  auto started = std::chrono::steady_clock::now();
  Status s;
  {
    ProgressBar bar("rebuild");
    s = engine->rebuild([&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
  }
  if (!s.ok()) return print_error(args, s.error());
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::uint64_t events = engine->head().position.value();
  if (args.flag("json")) {
    std::cout << json{{"ok", true}, {"events", events}, {"seconds", seconds}}.dump() << '\n';
  } else {
    std::cout << "rebuilt the projections from " << events << " events in " << seconds << " s\n";
  }
  return kExitOk;
}

int run_log(const Args& args) {
  if (!args.positionals().empty()) return usage("log takes no arguments");
  std::uint64_t from = 1;
  std::uint64_t limit = UINT64_MAX;
  try {
    if (auto f = args.option("from")) from = std::stoull(*f);
    if (auto l = args.option("limit")) limit = std::stoull(*l);
  } catch (const std::exception&) {
    return usage("--from and --limit take numbers");
  }
  auto engine = open_engine(args);
  if (!engine) return kExitStore;
  std::uint64_t shown = 0;
  Status s = engine->read_log(Position(from), [&](const Event& event, std::string_view raw) {
    if (shown++ == limit) return false;
    if (args.flag("json")) {
      std::cout << raw << '\n';
    } else {
      std::cout << event.position.value() << "  " << event.at << "  " << event.type() << "  "
                << event.stream << "  " << event.actor.str() << '\n';
    }
    return true;
  });
  if (!s.ok()) return print_error(args, s.error());
  return kExitOk;
}

}  // namespace dispatch::ctl
