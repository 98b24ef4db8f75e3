#include "tools/dispatchd/http.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <deque>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tools/dispatchd/http_api.h"
#include "tools/dispatchd/log.h"
#include "tools/dispatchd/notices.h"

namespace dispatch::daemon {
namespace {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using beast::error_code;

constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kBodyTimeout = std::chrono::seconds(120);  // a photo over a slow mobile link
constexpr auto kDrainTimeout = std::chrono::seconds(5);
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kDrainLimit = 4 * kMaxPhotoBytes;
constexpr std::size_t kMaxQueuedNotices = 1024;
constexpr std::size_t kMaxCloseReason = 123;  // RFC 6455: a close frame's reason

// "IP:PORT" split; nullopt when it is not that.
std::optional<tcp::endpoint> parse_endpoint(const std::string& listen) {
  std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return std::nullopt;
  std::string host = listen.substr(0, colon), port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return std::nullopt;  // an IPv6 address needs its brackets
  }
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  unsigned long number = std::stoul(port);
  if (number > 65535) return std::nullopt;
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return std::nullopt;
  return tcp::endpoint(address, static_cast<unsigned short>(number));
}

std::string url_of(const tcp::endpoint& endpoint) {
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(endpoint.port());
}

// A close frame's reason: the error code and message, cut to what a frame holds without
// splitting a UTF-8 character.
websocket::close_reason close_reason_of(const Error& error) {
  std::string text = std::string(to_string(error.code)) + ": " + error.message;
  if (text.size() > kMaxCloseReason) {
    std::size_t end = kMaxCloseReason;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
  }
  return websocket::close_reason(websocket::close_code::policy_error, text);
}

class LiveSession;

// The WebSockets following each topic. Used from the socket threads.
class Subscribers {
 public:
  void add(const std::string& topic, const std::shared_ptr<LiveSession>& session) {
    std::lock_guard lock(mutex_);
    by_topic_.emplace(topic, session);
  }
  // Sends each notice to the sessions of its topic, forgetting those that are gone.
  void deliver(const std::vector<Notice>& notices);

 private:
  std::mutex mutex_;
  std::unordered_multimap<std::string, std::weak_ptr<LiveSession>> by_topic_;
};

}  // namespace

struct HttpServer::Impl {
  // Declared before the pool, so it is destroyed after the pool's leftover work (which holds
  // sockets of this context).
  asio::io_context context;
  tcp::acceptor acceptor{context};
  HttpApi api;
  HttpOptions options;
  Subscribers subscribers;
  std::string url;
  asio::thread_pool pool;
  std::vector<std::thread> threads;

  // The engine keeps its commit listener for its whole life; the gate lets the listener outlive
  // the server harmlessly.
  struct Gate {
    std::mutex mutex;
    Impl* server = nullptr;
  };
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();

  Impl(Engine& engine, Service& service, const HttpOptions& o, const std::string& data_dir)
      : api(engine, service, data_dir + "/photos", WebRoot(o.web_root), o.photo_from_peers),
        options(o),
        pool(o.workers == 0 ? 1 : o.workers) {}

  void accept();
};

namespace {

class LiveSession : public std::enable_shared_from_this<LiveSession> {
 public:
  LiveSession(tcp::socket&& socket, HttpServer::Impl& server)
      : ws_(std::move(socket)), server_(server) {}

  void start(http::request<http::string_body> upgrade) {
    // Until the token comes, a silent client is dropped; after it, pings keep the link checked.
    websocket::stream_base::timeout waiting{kReadTimeout, kReadTimeout, false};
    ws_.set_option(waiting);
    ws_.read_message_max(64 * 1024);
    ws_.async_accept(upgrade, [self = shared_from_this()](error_code ec) {
      if (!ec) self->read_token();
    });
  }

  // Called from any thread: queues a notice on this session's strand.
  void send(std::string body) {
    asio::post(ws_.get_executor(), [self = shared_from_this(), body = std::move(body)]() mutable {
      self->notice(std::move(body));
    });
  }

 private:
  void read_token() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (!ec) self->on_token();
    });
  }

  void on_token() {
    std::string message = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    auto subscription = server_.api.live(message);
    if (!subscription.ok()) {
      close(subscription.error());
      return;
    }
    subscription_ = std::move(*subscription);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    server_.subscribers.add(subscription_.topic, shared_from_this());
    push(nlohmann::json{
        {"ok", true}, {"account", subscription_.account}, {"topic", subscription_.topic}}
             .dump());
    read_and_ignore();
  }

  // Keeps a read pending so pings, pongs and the client's close are processed; the client has
  // nothing more to say.
  void read_and_ignore() {
    ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) {
        self->gone_ = true;
        return;
      }
      self->buffer_.consume(self->buffer_.size());
      self->read_and_ignore();
    });
  }

  // A notice for this session's topic, sent while its session holds.
  void notice(std::string body) {
    if (gone_ || closing_) return;
    Status valid = server_.api.still_valid(subscription_.token);
    if (!valid.ok()) {
      close(valid.error());
      return;
    }
    push(std::move(body));
  }

  void push(std::string body) {
    if (outgoing_.size() >= kMaxQueuedNotices) {
      close(make_error(ErrorCode::unavailable, "the client does not keep up with its notices"));
      return;
    }
    outgoing_.push_back(std::move(body));
    if (outgoing_.size() == 1) write_next();
  }

  void write_next() {
    ws_.text(true);
    ws_.async_write(asio::buffer(outgoing_.front()),
                    [self = shared_from_this()](error_code ec, std::size_t) {
                      if (ec) {
                        self->gone_ = true;
                        return;
                      }
                      self->outgoing_.pop_front();
                      if (!self->outgoing_.empty()) {
                        self->write_next();
                      } else if (self->closing_) {
                        self->send_close();
                      }
                    });
  }

  // Closes once what is being written is out (a close may not overlap a write).
  void close(const Error& error) {
    if (closing_) return;
    closing_ = true;
    reason_ = close_reason_of(error);
    if (outgoing_.size() > 1) outgoing_.erase(outgoing_.begin() + 1, outgoing_.end());
    if (outgoing_.empty()) send_close();
  }

  void send_close() {
    ws_.async_close(reason_, [self = shared_from_this()](error_code) { self->gone_ = true; });
  }

  websocket::stream<beast::tcp_stream> ws_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  LiveSubscription subscription_;
  std::deque<std::string> outgoing_;
  websocket::close_reason reason_;
  bool closing_ = false;
  bool gone_ = false;
};

void Subscribers::deliver(const std::vector<Notice>& notices) {
  std::lock_guard lock(mutex_);
  for (const Notice& notice : notices) {
    auto [begin, end] = by_topic_.equal_range(notice.topic);
    for (auto it = begin; it != end;) {
      if (auto session = it->second.lock()) {
        session->send(notice.body);
        ++it;
      } else {
        it = by_topic_.erase(it);
      }
    }
  }
}

// One HTTP connection: requests in turn (keep-alive), each handled on the worker pool.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, HttpServer::Impl& server)
      : stream_(std::move(socket)), server_(server) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // No limit while the header is read (a Content-Length above it would fail the read without
    // an answer); on_header sets the one for the target. Not boost::none: Beast 1.74 compares a
    // Content-Length with it as if it were 0.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_.expires_after(kReadTimeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](error_code ec, std::size_t) {
                              if (ec == http::error::end_of_stream) return self->shut_down();
                              if (!ec) self->on_header();
                            });
  }

  void on_header() {
    auto& request = parser_->get();
    std::string_view target(request.target().data(), request.target().size());
    if (websocket::is_upgrade(request) && is_live_target(target)) {
      stream_.expires_never();
      std::make_shared<LiveSession>(stream_.release_socket(), server_)->start(parser_->release());
      return;
    }
    limit_ = body_limit(target);
    if (auto length = parser_->content_length(); length && *length > limit_) {
      return too_large();
    }
    parser_->body_limit(limit_);
    if (beast::iequals(request[http::field::expect], "100-continue")) {
      auto proceed = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                        request.version());
      http::async_write(stream_, *proceed,
                        [self = shared_from_this(), proceed](error_code ec, std::size_t) {
                          if (!ec) self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(kBodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (ec == http::error::body_limit) return self->too_large();
                       if (!ec) self->handle();
                     });
  }

  void handle() {
    auto& request = parser_->get();
    auto work = std::make_shared<HttpRequest>();
    work->method = std::string(request.method_string());
    work->target = std::string(request.target());
    work->authorization = std::string(request[http::field::authorization]);
    work->body = std::move(request.body());
    keep_alive_ = request.keep_alive();
    version_ = request.version();
    asio::post(server_.pool, [self = shared_from_this(), work] {
      auto started = std::chrono::steady_clock::now();
      HttpResponse response = self->server_.api.handle(*work);
      if (log_enabled(LogLevel::debug)) {
        auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
        // The path only: a query string is no place for secrets, but it is the client's data.
        log(LogLevel::debug,
            "http " + work->method + " " + work->target.substr(0, work->target.find('?')) + ": " +
                std::to_string(response.status) + " in " + std::to_string(micros) + " us");
      }
      asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->write(std::move(response));
      });
    });
  }

  void write(HttpResponse response) {
    auto out = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version_);
    out->set(http::field::server, "dispatchd");
    out->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) out->set(name, value);
    out->body() = std::move(response.body);
    out->keep_alive(keep_alive_);
    out->prepare_payload();
    stream_.expires_after(kReadTimeout);
    http::async_write(stream_, *out, [self = shared_from_this(), out](error_code ec, std::size_t) {
      if (ec) return;
      if (!out->keep_alive()) return self->shut_down();
      self->read_header();
    });
  }

  // 413, then the rest of the body is read and dropped before the connection closes.
  void too_large() {
    HttpResponse response = HttpApi::too_large(limit_);
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    auto out = std::make_shared<http::response<http::string_body>>(http::status::payload_too_large,
                                                                   parser_->get().version());
    out->set(http::field::server, "dispatchd");
    out->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) out->set(name, value);
    out->body() = std::move(response.body);
    out->keep_alive(false);
    out->prepare_payload();
    stream_.expires_after(kReadTimeout);
    http::async_write(stream_, *out, [self = shared_from_this(), out](error_code ec, std::size_t) {
      if (ec) return;
      error_code ignored;  // the peer may be gone already; the drain below notices
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      self->drained_ = 0;
      self->stream_.expires_after(kDrainTimeout);
      self->drain();
    });
  }

  void drain() {
    drain_buffer_.resize(64 * 1024);
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kDrainLimit) return;
                              self->drain();
                            });
  }

  void shut_down() {
    error_code ignored;  // closing a connection the peer may have closed already
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::size_t limit_ = kMaxJsonBodyBytes;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::vector<char> drain_buffer_;
  std::size_t drained_ = 0;
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept(asio::make_strand(context), [this](error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      log(LogLevel::warn, "http: cannot accept a connection: " + ec.message());
    } else {
      std::make_shared<HttpSession>(std::move(socket), *this)->start();
    }
    accept();
  });
}

Status check_http_listen(const std::string& listen) {
  if (parse_endpoint(listen)) return Status::success();
  return make_error(ErrorCode::invalid,
                    "--http must be IP:PORT (127.0.0.1:8080, [::1]:8080; port 0 "
                    "for any free one) or none, not \"" +
                        listen + "\"");
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(Engine& engine, Service& service,
                                                      const HttpOptions& options,
                                                      const std::string& data_dir) {
  auto endpoint = parse_endpoint(options.listen);
  if (!endpoint) return check_http_listen(options.listen).error();
  auto impl = std::make_unique<Impl>(engine, service, options, data_dir);
  error_code ec;
  auto fail = [&](const char* what) {
    return make_error(ErrorCode::unavailable, "cannot " + std::string(what) + " http " +
                                                  options.listen + ": " + ec.message());
  };
  if (impl->acceptor.open(endpoint->protocol(), ec)) return fail("open");
  if (impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec)) return fail("set up");
  if (impl->acceptor.bind(*endpoint, ec)) return fail("bind");
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec))
    return fail("listen on");
  impl->url = url_of(impl->acceptor.local_endpoint());

  Impl* raw = impl.get();
  raw->gate->server = raw;
  engine.on_commit([gate = raw->gate](const std::vector<Event>& events,
                                      const std::vector<std::vector<Membership>>& folders) {
    std::vector<Notice> notices = notices_of(events, folders);
    if (notices.empty()) return;
    std::lock_guard lock(gate->mutex);
    if (gate->server == nullptr) return;
    asio::post(gate->server->context, [server = gate->server, notices = std::move(notices)] {
      server->subscribers.deliver(notices);
    });
  });
  raw->accept();
  std::size_t threads = options.threads == 0 ? 1 : options.threads;
  for (std::size_t i = 0; i < threads; ++i)
    raw->threads.emplace_back([raw] { raw->context.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  {
    std::lock_guard lock(impl_->gate->mutex);
    impl_->gate->server = nullptr;
  }
  // Sockets first, so no new request reaches the workers; then the requests being handled finish
  // (a command's reply is durable either way) and their answers are dropped with the connections.
  impl_->context.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->pool.join();
}

const std::string& HttpServer::url() const { return impl_->url; }

}  // namespace dispatch::daemon
