// The wire protocol of dispatchd (shared/CONTRACT.md, "The wire"), without the sockets: one
// request's bytes in, one reply's JSON out. The server (server.h) moves bytes between ZeroMQ and
// handle(); tests drive handle() directly as well as over the wire.
//
// Any request may carry "at_least": POSITION or [POSITION, ...] (positions from earlier replies,
// perhaps from another node of the same Kafka log; a reply's "positions" as they are, since its
// events may lie on several partitions): it is answered once this node has applied each of them,
// or `unavailable` after 5 seconds in all (read-your-writes), or after "wait_ms": MS when the
// request gives a shorter wait (a forwarding peer gives what its own timeout leaves).
//
// Every reply is a JSON object with "ok". Errors are {"ok": false, "error": {"code", "message",
// "field"?}} with the contract's codes; a command's reply is the engine's (with its "id"). A
// request's "request_id", when given, is echoed so pipelining clients can match replies.
//
// Who may do what: a session's account is the actor of its commands (a command naming another
// actor is `forbidden`), and queries show only what projections/visibility.h allows. After a login
// with the initial password only change_password, logout and health are allowed. The
// administrator has no initial password over the wire: it logs in only once `dispatchctl
// admin-password` has set one on the server.
//
// The ops "forwarded" and "photo" are for the nodes of a shared log, not for clients: see
// forward.h.
//
// Thread-safe: the server calls handle() from several worker threads at once; commands from
// different workers share the engine's group commit.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engine/accounts.h"
#include "engine/engine.h"
#include "tools/dispatchd/sessions.h"

namespace dispatch::daemon {

struct ServiceOptions {
  accounts::HashCost hash_cost = accounts::HashCost::interactive;
  std::chrono::seconds session_ttl = std::chrono::hours(12);
  std::size_t max_request_bytes = 1 << 20;  // larger requests get `invalid`, unread
  // When set, `health` also carries the members of the object it returns (the Kafka node's role,
  // the connectors' progress).
  std::function<nlohmann::json()> health_details;
  // A node of a shared log (forward.h): whether it decides a command now (unset: it always
  // does; Engine::decides), and where commands go when it does not (unset: they are answered
  // `unavailable`). Commands of the service's own (password changes) go the same way.
  std::function<Status(const Command&)> may_decide;
  // `why`: why this node does not decide it, for the reply when no peer does either.
  std::function<nlohmann::json(const nlohmann::json& command, const std::string& why)> forward;
  // A node deciding per partition (loans.h): the reply to a command it decides only some of the
  // partitions of, decided here with the others borrowed from peers (nullopt when it decides
  // none of them: the command is forwarded instead). And the peers' ops "lend" and "take_back",
  // given the loan object they sent (signed as forwarded commands are).
  std::function<std::optional<nlohmann::json>(const Command&)> borrow_and_execute;
  std::function<Result<nlohmann::json>(const nlohmann::json& loan)> lend;
  std::function<Result<nlohmann::json>(const nlohmann::json& loan)> take_back;
  // How long the reply to a forwarded command waits for this node to receive its events, so that
  // the client's next query here sees them.
  std::chrono::milliseconds see_forwarded_within{5000};
  // The nodes' shared secret (--cluster-key-file): with it, the op "forwarded" is taken from
  // peers that sign with the same secret, and so is "photo". Empty: both are refused.
  std::string cluster_key;
  // Where this node keeps its photos (photos.h), for peers that ask for one with "photo".
  std::string photos_dir;
};

class Service {
 public:
  Service(Engine& engine, ServiceOptions options, Now now = std::chrono::system_clock::now);

  // The reply to one request (the raw bytes of its single frame). Never throws.
  nlohmann::json handle(std::string_view request);

  // The session of `token`, for transports that check it themselves (the WebSocket, photos):
  // `unauthenticated` when there is none or it has expired, `forbidden` while the initial
  // password must be changed.
  Result<Session> authenticate(const std::string& token);

 private:
  using json = nlohmann::json;
  Result<json> dispatch(const json& request);
  Result<json> login(const json& request);
  Result<json> change_password(const json& request);
  Result<json> reset_password(const json& request);
  Result<json> logout(const json& request);
  Result<json> health() const;
  Result<json> command(const json& request);
  Result<json> forwarded(const json& request);
  Result<json> photo(const json& request);
  // The ops "lend" and "take_back" (`op`) of a peer.
  Result<json> loan(const json& request, const std::string& op);
  // Whether `request` comes from a peer: signed over `text` under this node's cluster key.
  Status signed_by_peer(const json& request, const std::string& text, std::string_view what);
  // The reply to `command`, decided by this node's engine, or by a peer when this node does not
  // decide it now and forwards. The actor has been checked.
  json execute(Command command);
  Result<json> query(const json& request);
  // The request's session; `unauthenticated` without a valid token, `forbidden` while the initial
  // password must be changed (unless `allow_initial`).
  Result<Session> session_of(const json& request, bool allow_initial = false);
  // Submits a password command of the service's own making and turns its reply into a status.
  Status submit_own(Command command);

  Engine& engine_;
  ServiceOptions options_;
  Sessions sessions_;
  TimePoint started_;
};

}  // namespace dispatch::daemon
