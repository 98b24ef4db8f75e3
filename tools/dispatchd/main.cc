// dispatchd: the engine as a service. See `dispatchd --help` and README.md ("dispatchd").
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "tools/dispatchd/config.h"
#include "tools/dispatchd/log.h"
#include "tools/dispatchd/server.h"
#include "tools/dispatchd/service.h"

namespace {
using namespace dispatch;
using namespace dispatch::daemon;

std::atomic<bool> g_stop{false};

// Writes {"listen", "publish", "pid"} once both endpoints are bound, for scripts and tests that
// start the daemon on free ports ("tcp://127.0.0.1:*").
bool write_ready_file(const std::string& path, const Server& server) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << nlohmann::json{{"listen", server.listen_endpoint()},
                          {"publish", server.publish_endpoint()},
                          {"pid", ::getpid()}}
               .dump()
        << '\n';
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto config = parse_config(argc, argv);
  if (!config.ok()) {
    std::cerr << "dispatchd: " << config.error().message << " (see dispatchd --help)\n";
    return 2;
  }
  if (config->help) {
    std::cout << kDaemonHelp;
    return 0;
  }
  set_log_level(config->log_level);

  // Signals are taken by one thread with sigwait, so no other thread is interrupted mid-call.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread waiter([&signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    log(LogLevel::info,
        std::string("received ") + (signal == SIGINT ? "SIGINT" : "SIGTERM") + "; shutting down");
    g_stop = true;
  });
  waiter.detach();

  auto engine = Engine::open(config->data);
  if (!engine.ok()) {
    log(LogLevel::error, "cannot use the store " + config->data + ": " + engine.error().message);
    return 1;
  }
  int code = 0;
  {
    Service service(**engine, config->service);
    auto server = Server::start(**engine, service, config->server);
    if (!server.ok()) {
      log(LogLevel::error, server.error().message);
      return 1;
    }
    LogHead head = (*engine)->head();
    log(LogLevel::info, "serving " + config->data + " (log at position " +
                            std::to_string(head.position.value()) + ") on " +
                            (*server)->listen_endpoint() + ", notices on " +
                            (*server)->publish_endpoint());
    if (!config->ready_file.empty() && !write_ready_file(config->ready_file, **server)) {
      log(LogLevel::error, "cannot write " + config->ready_file);
      code = 1;
      g_stop = true;
    }
    (*server)->run(g_stop);
  }
  engine->reset();  // finishes what was submitted; everything acknowledged is durable
  log(LogLevel::info, "stopped");
  return code;
}
