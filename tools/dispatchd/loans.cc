#include "tools/dispatchd/loans.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tools/dispatchd/log.h"

namespace dispatch::daemon {
namespace {
using json = nlohmann::json;
using Heads = std::map<std::uint32_t, std::uint64_t>;

json refused(const Command& command, const Error& error) {
  return json{{"ok", false}, {"id", command.id.str()}, {"error", to_json(error)}};
}

std::string partition_names(const std::set<std::uint32_t>& partitions) {
  std::string names;
  for (std::uint32_t p : partitions) names += (names.empty() ? "" : ", ") + std::to_string(p);
  return names;
}

// The partitions of a loan object; `invalid` unless a list of partition numbers.
Result<std::set<std::uint32_t>> partitions_of(const json& loan) {
  auto list = loan.find("partitions");
  if (list == loan.end() || !list->is_array() || list->empty()) {
    return make_error(ErrorCode::invalid, "a loan names its partitions", "partitions");
  }
  std::set<std::uint32_t> partitions;
  for (const json& p : *list) {
    if (!p.is_number_unsigned() || p.get<std::uint64_t>() >= kMaxPartitions) {
      return make_error(ErrorCode::invalid, "a partition is a number below 256", "partitions");
    }
    partitions.insert(p.get<std::uint32_t>());
  }
  return partitions;
}

Result<Heads> heads_of(const json& loan) {
  try {
    return loan.at("heads").get<Heads>();
  } catch (const json::exception&) {
    return make_error(ErrorCode::invalid, "a loan's heads are [partition, position] pairs",
                      "heads");
  }
}
}  // namespace

std::optional<json> Loans::execute(const Command& command) {
  Engine& engine = node_.engine();
  const std::vector<std::uint32_t> decided = node_.deciding_partitions();
  std::set<std::uint32_t> missing;
  bool some_here = false;
  for (std::uint32_t p : engine.partitions_of(command)) {
    if (std::find(decided.begin(), decided.end(), p) != decided.end()) {
      some_here = true;
    } else {
      missing.insert(p);
    }
  }
  if (!some_here || missing.empty()) return std::nullopt;

  // 1. Ask the peers, in turn, for what is still missing.
  const std::uint64_t epoch = node_.epoch();
  struct Lent {
    std::size_t peer;
    std::set<std::uint32_t> partitions;
    std::uint64_t epoch;
  };
  std::vector<Lent> loans;
  Heads heads;
  std::set<std::uint32_t> left = missing;
  std::string asked;
  for (std::size_t i = 0; i < peers_.peer_count() && !left.empty(); ++i) {
    auto answer = peers_.ask_loan(i, "lend", json{{"partitions", left}});
    std::string said;
    if (!answer.ok()) {
      said = answer.error().message;
    } else if ((*answer)["ok"] != true) {
      said = (*answer)["error"].value("message", answer->dump());
    } else {
      auto lent = partitions_of(*answer);
      auto lent_heads = heads_of(*answer);
      if (lent.ok() && lent_heads.ok() && (*answer)["epoch"].is_number_unsigned()) {
        loans.push_back(Lent{i, *lent, (*answer)["epoch"].get<std::uint64_t>()});
        for (std::uint32_t p : *lent) left.erase(p);
        heads.insert(lent_heads->begin(), lent_heads->end());
        continue;
      }
      said = "a loan that cannot be read: " + answer->dump();
    }
    asked += (asked.empty() ? "" : "; ") + peers_.peer_endpoint(i) + ": " + said;
  }

  // 2. Decide with them.
  json reply;
  bool borrowed = false;
  if (!left.empty()) {
    reply = refused(command,
                    make_error(ErrorCode::unavailable,
                               "the command's orders lie in partitions of several nodes, and no "
                               "peer lent partitions " +
                                   partition_names(left) + " to decide them together (" +
                                   (asked.empty() ? "no peers are configured" : asked) +
                                   "); retry with the same id in a moment"));
  } else {
    Status borrowing = node_.borrow(missing, heads, epoch);
    borrowed = borrowing.ok();
    reply = borrowed ? engine.execute(command) : refused(command, borrowing.error());
  }

  // 3. Give everything back.
  std::optional<Heads> now = heads;  // where the lenders left them, unless borrowed
  if (borrowed) now = node_.give_back(missing);
  if (!now) {
    log(LogLevel::warn, "partitions " + partition_names(missing) +
                            " cannot be given back yet: the outcome of this node's last batch "
                            "is unknown; their lenders decide them again after the group's next "
                            "reassignment");
    return reply;
  }
  for (const Lent& loan : loans) {
    Heads theirs;
    for (std::uint32_t p : loan.partitions) theirs[p] = (*now)[p];
    const json back{{"partitions", loan.partitions}, {"heads", theirs}, {"epoch", loan.epoch}};
    std::string said;
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto answer = peers_.ask_loan(loan.peer, "take_back", back);
      if (answer.ok() && (*answer)["ok"] == true) break;
      said = answer.ok() ? answer->dump() : answer.error().message;
      if (attempt == 2) {
        log(LogLevel::warn, "partitions " + partition_names(loan.partitions) +
                                " could not be given back to " + peers_.peer_endpoint(loan.peer) +
                                " (" + said +
                                "); it decides them again after the group's next reassignment");
      }
    }
  }
  return reply;
}

Result<json> Loans::lend(const json& loan) {
  auto partitions = partitions_of(loan);
  if (!partitions.ok()) return partitions.error();
  auto lent = node_.lend(*partitions);
  if (!lent.ok()) return lent.error();
  return json{{"ok", true},
              {"partitions", lent->partitions},
              {"heads", lent->heads},
              {"epoch", lent->epoch}};
}

Result<json> Loans::take_back(const json& loan) {
  auto partitions = partitions_of(loan);
  if (!partitions.ok()) return partitions.error();
  auto heads = heads_of(loan);
  if (!heads.ok()) return heads.error();
  auto epoch = loan.find("epoch");
  if (epoch == loan.end() || !epoch->is_number_unsigned()) {
    return make_error(ErrorCode::invalid, "a loan given back names its epoch", "epoch");
  }
  node_.take_back(kafka::KafkaNode::Loan{*partitions, {}, epoch->get<std::uint64_t>()}, *heads);
  return json{{"ok", true}};
}

}  // namespace dispatch::daemon
