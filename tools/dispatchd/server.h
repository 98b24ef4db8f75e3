// The sockets of dispatchd: a ZeroMQ ROUTER for requests and a PUB for change notices.
//
// Requests: one frame of JSON from a DEALER or REQ client (a REQ client's empty delimiter frame is
// kept and sent back). The ROUTER thread hands each request to a pool of workers, each of which
// runs Service::handle and sends the reply back through the ROUTER thread; so slow requests (a
// login hashes a password, a command waits for its fsync) do not hold up others, and commands
// from several workers share one group commit.
//
// Notices: after each durable batch, for every event and every unit or person whose folders it
// changed, a two-frame message [topic, notice]: topic "unit/ID" or "staff/ID", notice
// {"position", "type", "order_id", "folders"}. No customer data. ZeroMQ matches subscriptions by
// prefix ("unit/S2100911" also matches "unit/S2100911-01"): subscribers compare the topic exactly.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/status.h"
#include "tools/dispatchd/service.h"

namespace dispatch::daemon {

struct ServerOptions {
  std::string listen = "tcp://127.0.0.1:5570";
  std::string publish = "tcp://127.0.0.1:5571";
  std::size_t workers = 16;  // requests handled at once; more than the clients that wait on fsync
};

class Server {
 public:
  // Binds both endpoints and starts the workers; `unavailable` naming the endpoint when it cannot
  // be bound (in use, bad address). Registers the notice listener on `engine`, so call it before
  // any command is submitted. `engine` and `service` outlive the server.
  static Result<std::unique_ptr<Server>> start(Engine& engine, Service& service,
                                               const ServerOptions& options);
  ~Server();

  // Serves until `stop` becomes true (checked every 100 ms), then stops reading requests,
  // finishes and answers those already read, sends the notices of what was committed, and
  // returns.
  void run(const std::atomic<bool>& stop);

  // The endpoints as bound (a "tcp://127.0.0.1:0" request gets its real port here).
  const std::string& listen_endpoint() const;
  const std::string& publish_endpoint() const;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dispatch::daemon
