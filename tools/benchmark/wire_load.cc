// dispatch_wire_load: commands from C concurrent clients over dispatchd's wire, each waiting for
// its reply before sending the next (as a person's screen does); prints requests per second and
// latency percentiles. Each order is created at the account's unit and dispatched down: two
// commands per order.
//
// usage: dispatch_wire_load [--connect ENDPOINT] [--account A] [--password P]
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

  std::string token;
  try {
    daemon::WireClient wire(o.connect);
    json login = ask(wire, {{"op", "login"}, {"account", o.account}, {"password", o.password}});
    if (login["ok"] != true) {
      login = ask(wire, {{"op", "login"}, {"account", o.account}, {"password", o.new_password}});
    }
    if (login["ok"] != true) {
      std::cerr << "dispatch_wire_load: cannot log in: " << login.dump() << '\n';
      return 1;
    }
    token = login["token"];
    if (login["must_change_password"] == true) {
      json changed = ask(wire, {{"op", "change_password"},
                                {"token", token},
                                {"old_password", o.password},
                                {"new_password", o.new_password}});
      if (changed["ok"] != true) {
        std::cerr << "dispatch_wire_load: cannot change the password: " << changed.dump() << '\n';
        return 1;
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "dispatch_wire_load: " << o.connect << ": " << e.what() << '\n';
    return 1;
  }

  std::string run = std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  std::mutex mutex;
  std::vector<double> latencies_ms;
  std::map<std::string, std::uint64_t> refused;  // error code -> count
  std::uint64_t failed_clients = 0;
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      std::map<std::string, std::uint64_t> my_refused;
      try {
        daemon::WireClient wire(o.connect);
        auto send = [&](const json& command) {
          auto t0 = Clock::now();
          json reply = ask(wire, {{"op", "command"}, {"token", token}, {"command", command}});
          mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
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
  }
  return failed_clients == 0 && refused.empty() ? 0 : 1;
}
