// dispatchd's log: one line per entry on stderr, "TIME LEVEL message". Never given passwords,
// tokens or request bodies. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dispatch::daemon {

enum class LogLevel { error, warn, info, debug };
std::optional<LogLevel> parse_log_level(std::string_view name);

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, const std::string& message);

}  // namespace dispatch::daemon
