// dispatchd's settings: defaults, then a JSON configuration file (--config FILE), then flags.
#pragma once

#include <string>

#include "engine/status.h"
#include "tools/dispatchd/log.h"
#include "tools/dispatchd/server.h"
#include "tools/dispatchd/service.h"

namespace dispatch::daemon {

struct DaemonConfig {
  std::string data = "./var";
  ServerOptions server;
  ServiceOptions service;
  LogLevel log_level = LogLevel::info;
  std::string ready_file;  // written once serving; empty: none
  bool help = false;
};

extern const char* const kDaemonHelp;

// Reads the flags (and the file --config names). `invalid` with a sentence for an unknown flag or
// key, a missing value, or a value of the wrong kind.
Result<DaemonConfig> parse_config(int argc, char** argv);

}  // namespace dispatch::daemon
