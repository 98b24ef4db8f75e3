#include "tools/dispatchd/client.h"

namespace dispatch::daemon {

WireClient::WireClient(const std::string& endpoint, int timeout_ms)
    : endpoint_(endpoint),
      timeout_ms_(timeout_ms),
      own_context_(std::make_unique<zmq::context_t>()),
      context_(*own_context_) {
  open();
}

WireClient::WireClient(zmq::context_t& context, const std::string& endpoint, int timeout_ms)
    : endpoint_(endpoint), timeout_ms_(timeout_ms), context_(context) {
  open();
}

void WireClient::open() {
  socket_ = zmq::socket_t(context_, zmq::socket_type::dealer);
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::rcvtimeo, timeout_ms_);
  socket_.connect(endpoint_);
}

Result<std::string> WireClient::request_raw(const std::string& bytes) {
  try {
    socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
    zmq::message_t reply;
    if (socket_.recv(reply)) return reply.to_string();
    open();
    return make_error(ErrorCode::unavailable, "no reply from dispatchd at " + endpoint_ +
                                                  " within " + std::to_string(timeout_ms_) +
                                                  " ms; is it running?");
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::unavailable,
                      "cannot talk to dispatchd at " + endpoint_ + ": " + e.what());
  }
}

Result<nlohmann::json> WireClient::request(const nlohmann::json& body) {
  auto raw = request_raw(body.dump());
  if (!raw.ok()) return raw.error();
  auto reply = nlohmann::json::parse(*raw, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    return make_error(ErrorCode::unavailable, "dispatchd at " + endpoint_ + " answered non-JSON");
  }
  return reply;
}

}  // namespace dispatch::daemon
