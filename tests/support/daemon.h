// Test helpers for dispatchd: start the built daemon on free loopback ports, and a small DEALER
// client that sends one JSON request and waits for its reply.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "tests/support/process.h"
#include "tools/dispatchd/client.h"

namespace dispatch::testing {

inline std::string dispatchd() { return binary_dir() + "/tools/dispatchd/dispatchd"; }

// "tcp://127.0.0.1:PORT" with a port that was free a moment ago, for nodes that must know each
// other's endpoints before they start (--peers). Another process could take it in between; on a
// test machine that is rare enough.
inline std::string free_loopback_endpoint() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return "tcp://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

// A running dispatchd over `data`, on ports the system picked (HTTP included); stopped with SIGTERM
// (and waited for) when the object goes. Its stderr goes to `data`/../dispatchd.log.
class Daemon {
 public:
  explicit Daemon(const std::string& data, std::vector<std::string> extra = {}) {
    ready_ = data + ".ready.json";
    log_ = data + ".dispatchd.log";
    std::filesystem::remove(ready_);
    std::vector<std::string> args{dispatchd(),
                                  "--data",
                                  data,
                                  "--listen",
                                  "tcp://127.0.0.1:*",
                                  "--publish",
                                  "tcp://127.0.0.1:*",
                                  "--password-hashing",
                                  "minimum",
                                  "--http",
                                  "127.0.0.1:0",
                                  "--ready-file",
                                  ready_};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = fork();
    if (pid_ == 0) {
      std::FILE* log = std::fopen(log_.c_str(), "w");
      if (log) dup2(fileno(log), 2);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    // Wait for the ready file (the daemon writes it once both endpoints are bound).
    for (int i = 0; i < 600 && !std::filesystem::exists(ready_); ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("dispatchd exited at start; see " + log_);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream in(ready_);
    nlohmann::json ready = nlohmann::json::parse(in, nullptr, false);
    if (ready.is_discarded()) throw std::runtime_error("dispatchd did not start; see " + log_);
    listen_ = ready["listen"];
    publish_ = ready["publish"];
    http_ = ready.value("http", "");
  }
  ~Daemon() { stop(); }

  // SIGTERM, then waits; the exit code (-1 when it did not exit normally).
  int stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }
  // SIGKILL, as a crash: nothing is finished or flushed. Waits for the process to go.
  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  const std::string& listen() const { return listen_; }
  const std::string& publish() const { return publish_; }
  // The HTTP server's URL ("http://127.0.0.1:PORT"); empty when `extra` turned it off.
  const std::string& http() const { return http_; }
  const std::string& log_path() const { return log_; }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string ready_, log_, listen_, publish_, http_;
};

// One DEALER connection; throws when no reply comes, so a test stops at the first silence.
class WireClient {
 public:
  explicit WireClient(const std::string& endpoint, int timeout_ms = 30000)
      : client_(endpoint, timeout_ms) {}
  std::string request_raw(const std::string& bytes) {
    auto reply = client_.request_raw(bytes);
    if (!reply.ok()) throw std::runtime_error(reply.error().message);
    return *reply;
  }
  nlohmann::json request(const nlohmann::json& body) {
    return nlohmann::json::parse(request_raw(body.dump()));
  }

 private:
  daemon::WireClient client_;
};

}  // namespace dispatch::testing
