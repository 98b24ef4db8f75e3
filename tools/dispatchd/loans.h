// Loans of partitions between dispatchd nodes that decide per partition (--deciding partitions,
// engine/kafka/kafka_log.h): a batch command whose orders lie in partitions of two nodes applies
// to all of them or to none, and only one Kafka transaction, of one node, can write them all. So
// the node given such a command, deciding some of its partitions, borrows the others from the
// peers that decide them, decides the command, and gives them back:
//
// 1. It asks each peer in turn to lend the partitions still missing ({"op": "lend"}, signed as
//    forward.h says). A peer lends those it decides (KafkaNode::lend): it stops deciding them,
//    finishes the batch it is deciding, and says where their chains end.
// 2. Once its replica has those records, it decides them too (KafkaNode::borrow), unless the
//    group reassigned partitions meanwhile, and executes the command.
// 3. It stops deciding them, waits until its last batch's outcome is known, and gives each loan
//    back with where the chains end now ({"op": "take_back"}). The lender decides them again
//    once its replica has those records.
//
// Nothing here is needed for safety against a node that dies or stalls midway: the group's
// reassignment ends every loan, every node then catches up before it decides, and a node that
// lost the group since is fenced by it (kafka_log.h). A loan whose giving back fails is ended the
// same way: the lender's partitions wait (their commands are `unavailable`) until then.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "engine/command.h"
#include "engine/kafka/node.h"
#include "tools/dispatchd/forward.h"

namespace dispatch::daemon {

class Loans {
 public:
  Loans(kafka::KafkaNode& node, Forwarder& peers) : node_(node), peers_(peers) {}

  // Borrower: the reply to `command`, decided here with the partitions it borrowed; nullopt when
  // this node decides none of the command's partitions (it is forwarded instead), or all.
  std::optional<nlohmann::json> execute(const Command& command);
  // Lender: the ops "lend" ({"partitions"}) and "take_back" ({"partitions", "heads", "epoch"}),
  // given the loan object a peer sent.
  Result<nlohmann::json> lend(const nlohmann::json& loan);
  Result<nlohmann::json> take_back(const nlohmann::json& loan);

 private:
  kafka::KafkaNode& node_;
  Forwarder& peers_;
};

}  // namespace dispatch::daemon
