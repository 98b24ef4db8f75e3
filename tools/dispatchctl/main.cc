// dispatchctl: the dispatch engine's command line. The contract's subcommands for scripts
// (apply, folder, order, stats, verify), rebuild, and people's subcommands (create, dispatch, …).
#include <iostream>
#include <string>

#include "tools/dispatchctl/audit.h"
#include "tools/dispatchctl/backend.h"
#include "tools/dispatchctl/subcommands.h"

namespace {
using namespace dispatch::ctl;

struct Subcommand {
  const char* name;
  const char* usage;
  const char* summary;
  int (*run)(const Args&);
  std::set<std::string> options;
};

const Subcommand kSubcommands[] = {
    {"apply",
     "FILE|-",
     "apply JSONL commands in order, as their actors; one reply per line",
     run_apply,
     {"connect", "as", "password-file"}},
    {"folder",
     "OWNER FOLDER [--limit N] [--after CURSOR]",
     "list a unit's or technician's folder, newest update first",
     run_folder,
     {"limit", "after", "connect", "as", "password-file"}},
    {"order",
     "ORDER_ID",
     "show an order with its history",
     run_order,
     {"connect", "as", "password-file"}},
    {"search",
     "[--phone P] [--name N] [--order-id ID] [--platform-order-id ID] [--platform P]\n"
     "  [--status S] [--kind K] [--from DATE] [--to DATE] [--as ACCOUNT] [--limit N]\n"
     "  [--after CURSOR]",
     "find orders (工单查询) as ACCOUNT sees them, newest created first; DATE YYYY-MM-DD|RFC 3339",
     run_search,
     {"phone", "name", "order-id", "platform-order-id", "platform", "status", "kind", "from", "to",
      "as", "limit", "after", "connect", "password-file"}},
    {"stats",
     "UNIT",
     "count a unit's folders, its own and its whole subtree's",
     run_stats,
     {"connect", "as", "password-file"}},
    {"password",
     "--connect ENDPOINT --as ACCOUNT [--password-file F] [--new-password-file F]",
     "change your password on a dispatchd (at least 8 characters, not the account number)",
     run_password,
     {"connect", "as", "password-file", "new-password-file"}},
    {"admin-password",
     "[--password-file F]",
     "set the administrator's password on the local store (dispatchd refuses admin until then)",
     run_admin_password,
     {"password-file"}},
    {"reset-password",
     "ACCOUNT --connect ENDPOINT --as UNIT [--password-file F]",
     "put a technician's or unit's password back to its number (its outlet or a unit above)",
     run_reset_password,
     {"connect", "as", "password-file"}},
    {"verify",
     "",
     "check the log's hash chain and every projection against a rebuild",
     run_verify,
     {}},
    {"rebuild", "", "rebuild every projection from the log", run_rebuild, {}},
    {"log",
     "[--from POSITION] [--limit N]",
     "print the log's records in order (with --json: as stored, with prev_hash and hash)",
     run_log,
     {"from", "limit"}},
    {"audit",
     kAuditUsage,
     "verify the log read-only, see state as of a moment, export histories; with --log kafka "
     "--brokers HOST:PORT --topic T, of a scratch copy of that Kafka topic (nothing is written "
     "to it)",
     run_audit,
     {"expect-head", "order", "unit", "from", "to", "format", "output", "limit", "after"}},
    {"ingest",
     "--platform tmall|jd|gree_mall FILE|- [--fallback-unit UNIT]",
     "turn shop-order payloads (one per line) into delivery and installation orders, exactly once",
     run_ingest,
     {"platform", "fallback-unit"}},
};

void print_help() {
  std::cout << "usage: dispatchctl SUBCOMMAND [ARGS] [--data DIR] [--json] [--help]\n"
               "       dispatchctl SUBCOMMAND [ARGS] --connect ENDPOINT --as ACCOUNT "
               "[--password-file F]\n\n"
               "The dispatch engine (派工系统) on a local store (default ./var), or through a "
               "running dispatchd\n(--connect: apply, folder, order, stats, password, "
               "reset-password and people's commands),\nlogged in as ACCOUNT with the password "
               "from the file or typed at a prompt.\n\nFor scripts:\n";
  for (const auto& s : kSubcommands) {
    std::string name = s.name;
    std::cout << "  " << name << std::string(18 - name.size(), ' ') << s.summary << '\n';
  }
  std::cout << "  connectors        dead-letters: list the payloads ingest could not use; "
               "retry ID|--all: run them again\n";
  std::cout << "\nFor people (each applies one command; --as ACCOUNT acts as that unit or "
               "person, default admin):\n";
  print_person_commands_help();
  std::cout
      << "\nFolders: install_pending_dispatch 安装待派工, delivery_pending_dispatch 配送待派工,\n"
         "  sales_install_pending_dispatch 销售安装待派工, pending_reassignment_approval "
         "待审批改派,\n"
         "  in_progress 处理中, pending_close 待关闭, closed 已关闭 (units);\n"
         "  to_accept 待接收, to_process 待处理, completed 已完结 (technicians).\n"
         "\nExit codes: 0 done, 1 refused or problems found, 2 bad command line, 3 the store "
         "cannot be used.\n"
         "`dispatchctl SUBCOMMAND --help` tells more.\n";
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_help();
    return kExitUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_help();
    return kExitOk;
  }
  if (is_person_command(name)) return run_person_command(name, argc, argv);
  if (name == "connectors") return run_connectors(argc, argv);
  for (const auto& s : kSubcommands) {
    if (name != s.name) continue;
    ArgSpec spec{s.options, {"json", "help"}};
    spec.options.insert("data");
    spec.options.insert(std::begin(kKafkaOptions), std::end(kKafkaOptions));
    auto args = Args::parse(argc, argv, 2, spec);
    if (!args.ok()) {
      std::cerr << "dispatchctl " << name << ": " << args.error().message << '\n';
      return kExitUsage;
    }
    if (args->flag("help")) {
      std::cout << "usage: dispatchctl " << s.name << " " << s.usage << " [--data DIR] [--json]\n\n"
                << s.summary << ".\n";
      return kExitOk;
    }
    return s.run(*args);
  }
  std::cerr << "dispatchctl: unknown subcommand '" << name << "' (see dispatchctl --help)\n";
  return kExitUsage;
}
