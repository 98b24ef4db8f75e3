#include "tools/dispatchd/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "tools/dispatchd/sessions.h"

namespace dispatch::daemon {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};
std::mutex g_mutex;
constexpr const char* kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kNames[i]) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

void set_log_level(LogLevel level) { g_level = level; }
bool log_enabled(LogLevel level) { return level <= g_level.load(); }

void log(LogLevel level, const std::string& message) {
  if (!log_enabled(level)) return;
  std::string line = to_rfc3339(std::chrono::system_clock::now()) + " " +
                     kNames[static_cast<int>(level)] + " " + message + "\n";
  std::lock_guard lock(g_mutex);
  std::fputs(line.c_str(), stderr);
}

}  // namespace dispatch::daemon
