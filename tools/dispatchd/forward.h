// Forwarding between the nodes of a shared Kafka log: a node that does not decide commands now
// (engine/kafka/kafka_log.h, Election) sends each command it is given to the node that does, so
// a client, the web console or a script may talk to any node.
//
// Trust. A node authenticates its client and sets the command's actor; its peer must believe that
// actor without the client's session, which lives only in the first node's memory. So the nodes
// share a secret (--cluster-key-file), and a forwarded command travels as its exact JSON text with
// the HMAC-SHA256 of that text under the secret: {"op": "forwarded", "node", "command_text",
// "signature"}. A peer that has no secret, or whose secret gives another signature, refuses it.
// Replaying a captured request can only repeat a command whose id the log already holds, which
// the engine answers as a duplicate. The wire is not encrypted, so the nodes' request endpoints
// belong on a network the operator trusts, as they do without forwarding.
//
// Photos (photos.h) are kept by the node they were uploaded to; another node asks its peers for
// one it does not keep, with {"op": "photo", "node", "ref", "signature"} signed the same way over
// "photo\n" + ref, and takes the bytes only if their SHA-256 is the one the reference names.
//
// Loans of partitions (loans.h) travel the same way: {"op": "lend" or "take_back", "node",
// "loan_text", "signature"} signed over op + "\n" + loan_text.
//
// Which peer decides is learned by asking: a peer that does not decide answers `unavailable`
// without forwarding again, and the next one is asked. The one that answered last is asked first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"
#include "tools/dispatchd/client.h"

namespace dispatch::daemon {

// The least length of a cluster key, in bytes: a guessable key would let anyone on the network
// act as any account.
inline constexpr std::size_t kMinClusterKeyBytes = 32;

// The cluster key in the file at `path`, without a final line break. `invalid` naming the file
// when it cannot be read or is shorter than kMinClusterKeyBytes.
Result<std::string> read_cluster_key(const std::string& path);

// The HMAC-SHA256 of `text` under `key`, as 64 lowercase hexadecimal digits.
std::string sign_forwarded(std::string_view key, std::string_view text);

// Whether `signature` is sign_forwarded(key, text), compared in constant time.
bool forwarded_signature_matches(std::string_view key, std::string_view text,
                                 std::string_view signature);

// What a photo request signs: a text that no command's JSON can be.
std::string photo_request_text(std::string_view ref);
// What a loan request signs: likewise.
std::string loan_request_text(std::string_view op, std::string_view loan_text);

class Forwarder {
 public:
  // `peers`: the request endpoints of the other nodes (tcp://HOST:PORT), asked in this order at
  // first. `node`: this node's name, sent along for the peers' logs. Each peer is given
  // `timeout_ms` to answer before the next is asked.
  Forwarder(std::vector<std::string> peers, std::string key, std::string node,
            int timeout_ms = 3000);
  ~Forwarder();

  // The deciding peer's reply to `command`, a command whose actor this node has authenticated.
  // `org_seen`, when not 0, is the position of the last organisation record this node has: the
  // peer decides only once it has it too (as "at_least"), so that a unit or technician this node
  // shows is known where the command is decided; it waits for it two thirds of this forwarder's
  // timeout at most (as "wait_ms"), so that its refusal arrives in time. When no peer decides or
  // answers, a reply `unavailable` with `why_not_here` (why this node does not decide it), and
  // naming the peers asked and what each said; a peer that did not answer in time may have applied
  // the command, so the client retries with the same id, as after any `unavailable`. Thread-safe;
  // requests to peers run in parallel.
  nlohmann::json forward(const nlohmann::json& command, const std::string& why_not_here = {},
                         std::uint64_t org_seen = 0);

  // The bytes of the photo `ref` ("sha256:..."), from the first peer that keeps it; `not_found`
  // when none does, `unavailable` naming each peer when some could not be asked. Bytes whose hash
  // is not the reference's are refused, from whatever peer.
  Result<std::string> photo(std::string_view ref);

  // The endpoint of the peer that decided the last forwarded command; empty before the first.
  std::string last_decider() const;

  std::size_t peer_count() const { return peers_.size(); }
  const std::string& peer_endpoint(std::size_t index) const;
  // Peer `index`'s answer to the loan request `op` ("lend" or "take_back") carrying `loan`;
  // `unavailable` when it did not answer in time or not with a JSON object.
  Result<nlohmann::json> ask_loan(std::size_t index, const std::string& op,
                                  const nlohmann::json& loan);

 private:
  struct Peer;
  // A client of `peer`, from its idle ones or a new one; given back after a request that got an
  // answer (one that timed out has already been replaced by WireClient).
  std::unique_ptr<WireClient> take(Peer& peer);
  void give_back(Peer& peer, std::unique_ptr<WireClient> client);
  // Sends `bytes` to `peer` with a client of its pool.
  Result<std::string> ask(Peer& peer, const std::string& bytes);

  std::string key_;
  std::string node_;
  int timeout_ms_;
  zmq::context_t context_;  // one I/O thread for every client of every peer
  std::vector<std::unique_ptr<Peer>> peers_;
  mutable std::mutex mutex_;
  std::size_t preferred_ = 0;  // index of the peer that decided last
  bool decided_ = false;       // whether any peer has decided yet
};

}  // namespace dispatch::daemon
