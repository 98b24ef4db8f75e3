// dispatch_wire_load: commands from C concurrent clients over dispatchd's wire, each waiting for
// its reply before sending the next (as a person's screen does); prints requests per second and
// latency percentiles. Each order is created at the account's unit and dispatched down: two
// commands per order.
//
// With several endpoints (the nodes of one Kafka deployment), client c starts at endpoint c mod
// n, and a command answered `unavailable` (that node does not decide now, or is catching up), or
// not answered in 5 s (the node died), is sent again, with the same id, to the next endpoint
// until one answers otherwise or 120 s have passed. Its latency counts from the first try; the
// report counts the retries.
//
// usage: dispatch_wire_load [--connect ENDPOINT[,ENDPOINT...]] [--account A] [--password P]
//                           [--new-password P] [--to UNIT] [--clients C] [--orders N] [--json]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tools/dispatchd/client.h"

namespace {
using namespace dispatch;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string connect = "tcp://127.0.0.1:5570";
  std::string account = "ZHKF";
  std::string password = "ZHKF";
  std::string new_password = "ZHKF-bench-password";
  std::string to = "S2100911";
  int clients = 8;
  int orders = 500;  // per client
  bool json_only = false;
};

// The reply's JSON; throws when none comes, which ends that client's run.
json ask(daemon::WireClient& wire, const json& body) {
  auto reply = wire.request(body);
  if (!reply.ok()) throw std::runtime_error(reply.error().message);
  return *reply;
}

constexpr int kReplyTimeoutMs = 5000;
constexpr auto kGiveUpAfter = std::chrono::seconds(120);

std::vector<std::string> split_endpoints(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// Logs in at `endpoint` with the new password, or with the first one, changing it when asked
// to; the token. Retries for a while: only the deciding node changes a password, and one changed
// at another node reaches this one through the shared log.
std::string log_in(const std::string& endpoint, const Options& o) {
  daemon::WireClient wire(endpoint);
  json last;
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    last = ask(wire, {{"op", "login"}, {"account", o.account}, {"password", o.new_password}});
    if (last["ok"] == true) return last["token"];
    last = ask(wire, {{"op", "login"}, {"account", o.account}, {"password", o.password}});
    if (last["ok"] != true) continue;
    if (last["must_change_password"] != true) return last["token"];
    last = ask(wire, {{"op", "change_password"},
                      {"token", last["token"]},
                      {"old_password", o.password},
                      {"new_password", o.new_password}});
  }
  throw std::runtime_error("cannot log in: " + last.dump());
}

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

int usage(const std::string& message) {
  std::cerr << "dispatch_wire_load: " << message
            << "\nusage: dispatch_wire_load [--connect ENDPOINT] [--account A] [--password P] "
               "[--new-password P] [--to UNIT] [--clients C] [--orders N] [--json]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::map<std::string, std::string*> texts{{"--connect", &o.connect},
                                            {"--account", &o.account},
                                            {"--password", &o.password},
                                            {"--new-password", &o.new_password},
                                            {"--to", &o.to}};
  std::map<std::string, int*> numbers{{"--clients", &o.clients}, {"--orders", &o.orders}};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") {
      o.json_only = true;
    } else if (texts.count(arg) && i + 1 < argc) {
      *texts[arg] = argv[++i];
    } else if (numbers.count(arg) && i + 1 < argc) {
      *numbers[arg] = std::atoi(argv[++i]);
      if (*numbers[arg] <= 0) return usage(arg + " must be a positive number");
    } else {
      return usage("unknown or incomplete argument " + arg);
    }
  }

  const std::vector<std::string> endpoints = split_endpoints(o.connect);
  std::vector<std::string> tokens;  // one session per node
  for (const auto& endpoint : endpoints) {
    try {
      tokens.push_back(log_in(endpoint, o));
    } catch (const std::exception& e) {
      std::cerr << "dispatch_wire_load: " << endpoint << ": " << e.what() << '\n';
      return 1;
    }
  }

  std::string run = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::map<std::string, std::uint64_t> refused;  // error code -> count
  std::uint64_t failed_clients = 0;
  std::uint64_t retries = 0;
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      std::map<std::string, std::uint64_t> my_refused;
      std::uint64_t my_retries = 0;
      try {
        std::size_t at = static_cast<std::size_t>(c) % endpoints.size();
        auto wire = std::make_unique<daemon::WireClient>(endpoints[at], kReplyTimeoutMs);
        auto send = [&](const json& command) {
          auto t0 = Clock::now();
          json reply;
          for (;;) {
            auto answer =
                wire->request({{"op", "command"}, {"token", tokens[at]}, {"command", command}});
            if (answer.ok()) reply = std::move(*answer);
            const bool retry = !answer.ok() || (reply["ok"] != true &&
                                                reply["error"].value("code", "") == "unavailable");
            if (!retry || Clock::now() - t0 > kGiveUpAfter) break;
            ++my_retries;
            if (endpoints.size() > 1) {
              at = (at + 1) % endpoints.size();
              wire = std::make_unique<daemon::WireClient>(endpoints[at], kReplyTimeoutMs);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (reply.is_null()) throw std::runtime_error("no node answered " + command.dump());
          if (reply["ok"] != true) ++my_refused[reply["error"].value("code", "?")];
        };
        for (int i = 0; i < o.orders; ++i) {
          std::string id = "AZ-WL-" + run + "-" + std::to_string(c) + "-" + std::to_string(i);
          send({{"id", "create-" + id},
                {"type", "CreateOrder"},
                {"order_id", id},
                {"kind", "installation"},
                {"customer",
                 {{"name", "客户" + std::to_string(i)},
                  {"phone", "1380000" + std::to_string(1000 + i % 9000)},
                  {"province", "广东省"},
                  {"city", "珠海市"},
                  {"district", "香洲区"},
                  {"address", "人民东路" + std::to_string(i) + "号"}}},
                {"items", {{{"model", "KFR-35GW/(35592)FNhDa-A3"}, {"quantity", 1}}}}});
          send({{"id", "dispatch-" + id},
                {"type", "DispatchToUnit"},
                {"order_ids", {id}},
                {"unit", o.to}});
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        ++failed_clients;
        std::cerr << "dispatch_wire_load: client " << c << ": " << e.what() << '\n';
      }
      std::lock_guard lock(mutex);
      latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
      retries += my_retries;
      for (auto& [code, n] : my_refused) refused[code] += n;
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  json report{{"clients", o.clients},
              {"requests", latencies_ms.size()},
              {"seconds", seconds},
              {"requests_per_second", static_cast<double>(latencies_ms.size()) / seconds},
              {"latency_ms",
               {{"p50", percentile(latencies_ms, 0.50)},
                {"p99", percentile(latencies_ms, 0.99)},
                {"p999", percentile(latencies_ms, 0.999)},
                {"max", latencies_ms.empty() ? 0.0 : latencies_ms.back()}}},
              {"refused", refused},
              {"retries", retries},
              {"failed_clients", failed_clients}};
  if (o.json_only) {
    std::cout << report.dump() << '\n';
  } else {
    std::printf("%zu commands from %d clients in %.2f s: %.0f commands/s\n", latencies_ms.size(),
                o.clients, seconds, report["requests_per_second"].get<double>());
    std::printf(
        "latency ms: p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n",
        report["latency_ms"]["p50"].get<double>(), report["latency_ms"]["p99"].get<double>(),
        report["latency_ms"]["p999"].get<double>(), report["latency_ms"]["max"].get<double>());
    if (!refused.empty()) std::printf("refused: %s\n", json(refused).dump().c_str());
    if (retries > 0) {
      std::printf("retried %llu times on another node\n", static_cast<unsigned long long>(retries));
    }
  }
  return failed_clients == 0 && refused.empty() ? 0 : 1;
}
