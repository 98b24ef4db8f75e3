// dispatchctl audit: the auditor's subcommands. Every one opens the store read-only (it works while
// dispatchd or another dispatchctl holds the store, and never writes to it):
//   audit verify [--expect-head POSITION:HASH]   the hash chain, positions, stream versions and
//                                                 each record's schema; prints the chain head
//   audit as-of TIME|POSITION (order ID | folder OWNER FOLDER | stats UNIT)
//                                                 the live query's JSON as it was at that moment
//   audit export (--order ID | --unit UNIT [--from TIME] [--to TIME]) [--format jsonl|csv]
//                [--output FILE]                  stored records with positions and hashes
//   audit check-export FILE                       each exported record against the log
// With --log kafka they read a scratch copy of the topic, each record checked as a replica checks
// it. A record the copy refuses ends the copy: verify reports it as its last problem, beside what
// the copy holds; the other subcommands cannot run and say why.
// Exit codes as subcommands.h: 0 sound / found, 1 problems or not found, 2 usage, 3 the store
// cannot be used.
#pragma once

#include "tools/dispatchctl/args.h"

namespace dispatch::ctl {

// The usage line `dispatchctl audit --help` shows.
inline constexpr const char* kAuditUsage =
    "verify [--expect-head POSITION:HASH]\n"
    "       dispatchctl audit as-of TIME|POSITION (order ID | folder OWNER FOLDER | stats UNIT)\n"
    "       dispatchctl audit export (--order ID | --unit UNIT [--from TIME] [--to TIME])\n"
    "                                [--format jsonl|csv] [--output FILE]\n"
    "       dispatchctl audit check-export FILE";

int run_audit(const Args& args);

}  // namespace dispatch::ctl
