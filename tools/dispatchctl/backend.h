// Where dispatchctl's commands and queries go: the local store, as the administrator's tool
// (default), or a running dispatchd with `--connect ENDPOINT`, logged in as `--as ACCOUNT` with
// the password from `--password-file FILE` or typed at a prompt. The same subcommands, the same
// JSON, either way; over the wire the daemon decides what the account may see and do.
#pragma once

#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/command.h"
#include "engine/engine.h"
#include "engine/kafka/kafka_log.h"
#include "engine/status.h"
#include "tools/dispatchctl/args.h"

namespace dispatch::ctl {

// The options every backend-using subcommand accepts besides its own.
inline const char* const kBackendOptions[] = {"data", "connect", "as", "password-file"};
// With --log kafka, local work goes through a node of that Kafka topic over the store in --data
// (engine/kafka/node.h), which must then not be one a running dispatchd serves.
inline const char* const kKafkaOptions[] = {
    "log",     "brokers", "topic", "partitions", "node", "kafka-timeout", "replication-factor",
    "deciding"};

class Backend {
 public:
  virtual ~Backend() = default;
  // The command's reply, as the contract shapes it. Locally commands are pipelined (submit many,
  // then wait); over the wire each is answered before the next goes, so lines keep their order.
  virtual std::future<nlohmann::json> submit(Command command) = 0;
  virtual Result<nlohmann::json> folder(const std::string& owner, const std::string& folder,
                                        std::size_t limit, const std::string& after) = 0;
  virtual Result<nlohmann::json> order(const std::string& order_id) = 0;
  virtual Result<nlohmann::json> stats(const std::string& unit) = 0;
  // The order query; `filter` holds the wire's search fields (projections/search.h).
  virtual Result<nlohmann::json> search(const nlohmann::json& filter, std::size_t limit,
                                        const std::string& after) = 0;
  // The account commands act as when none is named: the logged-in one over the wire, `--as` (or
  // admin) locally.
  virtual std::string actor() const = 0;
};

// What a local open does when --data names no store: commands may start one (the first `apply`),
// while queries, audits and repairs of a store that is not there are refused.
enum class MissingStore { create, refuse };

// Opens what the arguments name; on failure prints why to stderr and returns the exit code
// (kExitStore when the store or daemon cannot be used, kExitRefused when the login is refused).
Result<std::unique_ptr<Backend>> open_backend(const Args& args, int& exit_code,
                                              MissingStore missing = MissingStore::create);
// Opens the embedded store --data names (default ./var), saying on stderr why when it cannot.
Result<std::unique_ptr<Engine>> open_local_engine(const Args& args, MissingStore missing);
// The Kafka settings among kKafkaOptions (the node named after this host); says on stderr what is
// wrong with a bad one.
Result<kafka::KafkaOptions> kafka_options(const Args& args);

// Over the wire: changes the logged-in account's password (dispatchctl password).
int run_password(const Args& args);
// Over the wire: puts an account back on its initial password (dispatchctl reset-password).
int run_reset_password(const Args& args);
// On the local store: sets the administrator's password, without which dispatchd refuses
// "admin" (dispatchctl admin-password).
int run_admin_password(const Args& args);

}  // namespace dispatch::ctl
