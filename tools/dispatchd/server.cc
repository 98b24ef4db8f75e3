#include "tools/dispatchd/server.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "tools/dispatchd/log.h"
#include "tools/dispatchd/notices.h"

namespace dispatch::daemon {
namespace {
using json = nlohmann::json;

constexpr const char* kReplies = "inproc://dispatchd-replies";
// Larger messages make ZeroMQ drop the connection; up to it, Service answers oversize requests
// with a clear error (its own limit is lower).
constexpr std::int64_t kMaxWireMessage = 64 << 20;

// A request as read from the ROUTER: the routing frames (identity, and a REQ client's empty
// delimiter) to send back, and the payload.
struct Request {
  std::vector<zmq::message_t> envelope;
  zmq::message_t payload;
};

std::string last_endpoint(zmq::socket_t& socket) { return socket.get(zmq::sockopt::last_endpoint); }

}  // namespace

struct Server::Impl {
  Engine& engine;
  Service& service;
  ServerOptions options;
  zmq::context_t context{1};
  zmq::socket_t router{context, zmq::socket_type::router};
  zmq::socket_t replies{context, zmq::socket_type::pull};
  zmq::socket_t pub{context, zmq::socket_type::pub};
  std::string listen_endpoint, publish_endpoint;

  // Requests waiting for a worker.
  std::mutex jobs_mutex;
  std::condition_variable jobs_cv;
  std::deque<Request> jobs;
  bool workers_stopping = false;
  std::vector<std::thread> workers;

  // Notices waiting for the publisher thread (which alone uses `pub`).
  std::mutex notices_mutex;
  std::condition_variable notices_cv;
  std::deque<Notice> notices;
  bool publisher_stopping = false;
  std::thread publisher;

  Impl(Engine& e, Service& s, const ServerOptions& o) : engine(e), service(s), options(o) {}

  void work() {
    zmq::socket_t out(context, zmq::socket_type::push);
    out.set(zmq::sockopt::linger, 1000);
    out.connect(kReplies);
    for (;;) {
      Request request;
      {
        std::unique_lock lock(jobs_mutex);
        jobs_cv.wait(lock, [&] { return workers_stopping || !jobs.empty(); });
        if (jobs.empty()) return;
        request = std::move(jobs.front());
        jobs.pop_front();
      }
      auto started = std::chrono::steady_clock::now();
      json reply = service.handle(request.payload.to_string_view());
      if (log_enabled(LogLevel::debug)) {
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
        std::string outcome =
            reply.value("ok", false) ? "ok" : reply["error"].value("code", std::string("error"));
        log(LogLevel::debug, "request of " + std::to_string(request.payload.size()) +
                                 " bytes: " + outcome + " in " + std::to_string(micros) + " us");
      }
      std::string text = reply.dump(-1, ' ', false, json::error_handler_t::replace);
      for (auto& frame : request.envelope) out.send(frame, zmq::send_flags::sndmore);
      out.send(zmq::buffer(text), zmq::send_flags::none);
    }
  }

  void publish() {
    for (;;) {
      std::deque<Notice> batch;
      {
        std::unique_lock lock(notices_mutex);
        notices_cv.wait(lock, [&] { return publisher_stopping || !notices.empty(); });
        if (notices.empty()) return;
        batch.swap(notices);
      }
      for (auto& notice : batch) {
        pub.send(zmq::buffer(notice.topic), zmq::send_flags::sndmore);
        pub.send(zmq::buffer(notice.body), zmq::send_flags::none);
      }
    }
  }

  // Reads one request from the ROUTER and queues it for a worker.
  void receive_request() {
    std::vector<zmq::message_t> frames;
    for (;;) {
      zmq::message_t frame;
      if (!router.recv(frame, zmq::recv_flags::dontwait)) break;
      bool more = frame.more();
      frames.push_back(std::move(frame));
      if (!more) break;
    }
    if (frames.size() < 2) return;  // not even an identity and a payload
    Request request;
    request.payload = std::move(frames.back());
    frames.pop_back();
    request.envelope = std::move(frames);
    {
      std::lock_guard lock(jobs_mutex);
      jobs.push_back(std::move(request));
    }
    jobs_cv.notify_one();
  }

  // Moves one worker's reply (all its frames) to the ROUTER.
  void forward_reply() {
    for (;;) {
      zmq::message_t frame;
      if (!replies.recv(frame, zmq::recv_flags::none)) return;
      bool more = frame.more();
      // A client that went away makes ROUTER drop the reply; nothing else to do about it.
      router.send(frame, more ? zmq::send_flags::sndmore : zmq::send_flags::none);
      if (!more) return;
    }
  }
};

Result<std::unique_ptr<Server>> Server::start(Engine& engine, Service& service,
                                              const ServerOptions& options) {
  auto impl = std::make_unique<Impl>(engine, service, options);
  try {
    impl->router.set(zmq::sockopt::maxmsgsize, kMaxWireMessage);
    impl->router.set(zmq::sockopt::linger, 2000);
    impl->router.set(zmq::sockopt::router_mandatory, false);
    impl->replies.bind(kReplies);
    impl->pub.set(zmq::sockopt::linger, 1000);
  } catch (const zmq::error_t& e) {
    return make_error(ErrorCode::unavailable, std::string("ZeroMQ: ") + e.what());
  }
  for (auto [socket, endpoint, bound] :
       {std::tuple{&impl->router, options.listen, &impl->listen_endpoint},
        std::tuple{&impl->pub, options.publish, &impl->publish_endpoint}}) {
    try {
      socket->bind(endpoint);
      *bound = last_endpoint(*socket);
    } catch (const zmq::error_t& e) {
      return make_error(ErrorCode::unavailable, "cannot bind " + endpoint + ": " + e.what());
    }
  }
  Impl* raw = impl.get();
  engine.on_commit(
      [raw](const std::vector<Event>& events, const std::vector<std::vector<Membership>>& folders) {
        auto batch = notices_of(events, folders);
        if (batch.empty()) return;
        {
          std::lock_guard lock(raw->notices_mutex);
          for (auto& n : batch) raw->notices.push_back(std::move(n));
        }
        raw->notices_cv.notify_one();
      });
  std::size_t workers = options.workers == 0 ? 1 : options.workers;
  for (std::size_t i = 0; i < workers; ++i) raw->workers.emplace_back([raw] { raw->work(); });
  raw->publisher = std::thread([raw] { raw->publish(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  {
    std::lock_guard lock(impl_->jobs_mutex);
    impl_->workers_stopping = true;
  }
  impl_->jobs_cv.notify_all();
  for (auto& t : impl_->workers) t.join();
  {
    std::lock_guard lock(impl_->notices_mutex);
    impl_->publisher_stopping = true;
  }
  impl_->notices_cv.notify_all();
  if (impl_->publisher.joinable()) impl_->publisher.join();
}

const std::string& Server::listen_endpoint() const { return impl_->listen_endpoint; }
const std::string& Server::publish_endpoint() const { return impl_->publish_endpoint; }

void Server::run(const std::atomic<bool>& stop) {
  Impl& s = *impl_;
  std::uint64_t read = 0, answered = 0;
  while (!stop.load()) {
    zmq::pollitem_t items[] = {{s.router.handle(), 0, ZMQ_POLLIN, 0},
                               {s.replies.handle(), 0, ZMQ_POLLIN, 0}};
    try {
      zmq::poll(items, 2, std::chrono::milliseconds(100));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      throw;
    }
    if (items[1].revents & ZMQ_POLLIN) {
      s.forward_reply();
      ++answered;
    }
    if (items[0].revents & ZMQ_POLLIN) {
      s.receive_request();
      ++read;
    }
  }
  log(LogLevel::info,
      "stopping: answering the " + std::to_string(read - answered) + " requests in flight");
  // Requests already read are answered; those still in the socket are not read.
  while (answered < read) {
    s.forward_reply();
    ++answered;
  }
}

}  // namespace dispatch::daemon
