// dispatchctl's subcommands. Each returns the process exit code:
//   0 done (for apply: even when some commands were refused; their replies say why),
//   1 the answer is a refusal or a problem (not found, verify found problems),
//   2 the command line is wrong, 3 the store cannot be used.
#pragma once

#include <string>

#include "engine/status.h"
#include "tools/dispatchctl/args.h"

namespace dispatch::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRefused = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitStore = 3;

// Reports an error: as the contract's JSON on stdout with --json, else a sentence on stderr;
// returns kExitStore for `unavailable`, kExitRefused otherwise.
int print_error(const Args& args, const Error& e);
// Reports, as print_error does, that `store` ("the store DIR", or a Kafka node) cannot be used,
// so that a script with --json reads why on stdout like every other error; returns kExitStore.
int print_store_error(const Args& args, const std::string& store, Error e);

int run_apply(const Args& args);
int run_folder(const Args& args);
int run_order(const Args& args);
// The order query (tools/dispatchctl/search.cc, projections/search.h).
int run_search(const Args& args);
int run_stats(const Args& args);
int run_verify(const Args& args);
int run_rebuild(const Args& args);
int run_log(const Args& args);
// Shop-order payloads into work orders (tools/dispatchctl/ingest.cc, connectors/ingest.h).
int run_ingest(const Args& args);
// `connectors dead-letters` and `connectors retry ID|--all`: parses its own arguments.
int run_connectors(int argc, char** argv);

// The people's subcommands (create, dispatch, assign, …): builds the command from flags, applies
// it and prints the reply. `name` is the subcommand; nullopt-like -1 when it is not one of them.
int run_person_command(const std::string& name, int argc, char** argv);
bool is_person_command(const std::string& name);
void print_person_commands_help();
int print_person_command_help(const std::string& name);

}  // namespace dispatch::ctl
