// A client of dispatchd's request endpoint: one DEALER socket, one request at a time. Used by
// `dispatchctl --connect`, the wire load client and the tests.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <zmq.hpp>

#include "engine/status.h"

namespace dispatch::daemon {

class WireClient {
 public:
  // Connects lazily (ZeroMQ reconnects by itself); a request waits `timeout_ms` for its reply.
  explicit WireClient(const std::string& endpoint, int timeout_ms = 30000);
  // The same on `context`, which outlives the client: many clients then share its I/O thread
  // rather than starting one each.
  WireClient(zmq::context_t& context, const std::string& endpoint, int timeout_ms);

  // Sends one frame and returns the reply's bytes; `unavailable` when none came in time (the
  // socket is then replaced, so a late reply cannot be mistaken for the next one's).
  Result<std::string> request_raw(const std::string& bytes);
  // The reply as JSON; `unavailable` as above or when the reply is not JSON.
  Result<nlohmann::json> request(const nlohmann::json& body);

  const std::string& endpoint() const { return endpoint_; }

 private:
  void open();
  std::string endpoint_;
  int timeout_ms_;
  std::unique_ptr<zmq::context_t> own_context_;  // null when the context is shared
  zmq::context_t& context_;
  zmq::socket_t socket_;
};

}  // namespace dispatch::daemon
