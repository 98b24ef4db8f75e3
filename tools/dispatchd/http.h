// dispatchd's HTTP/1.1 server (Boost.Beast over Asio): the JSON API and static files of
// http_api.h, and the WebSocket /api/live that pushes change notices.
//
// Threads: `threads` run the sockets; requests are handled by a pool of `workers`, since a login
// hashes a password and a command waits for its fsync. Bodies above the limit of http_api.h's
// body_limit() get 413 and the connection closes after the rest of the body is read and dropped
// (a client still writing it would otherwise miss the answer).
//
// /api/live: the client's first message is its session token (or {"token": TOKEN}); never in the
// URL. The server answers {"ok": true, "account", "topic"} once the account's notices follow, and
// then sends each notice of the account's own topic ("unit/ID" or "staff/ID", notices.h) as one
// text message, in log order. A bad or expired token, or an account without folders, gets a close
// frame (policy violation) whose reason is the error code and message; a session that ends later
// is closed likewise when the next notice for it comes. When the daemon stops, connections are
// dropped without a close frame. A client that does not keep up (1,024
// notices queued) is closed.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "engine/status.h"
#include "tools/dispatchd/service.h"

namespace dispatch::daemon {

struct HttpOptions {
  std::string listen = "127.0.0.1:8080";  // "IP:PORT" ("[::1]:PORT"); port 0 picks a free one
  std::string web_root;                   // the console's files; empty: a built-in page only
  std::size_t threads = 2;                // socket threads
  std::size_t workers = 8;                // requests handled at once
  // A photo this node does not keep, from the other nodes of a shared log (Forwarder::photo);
  // unset: such a photo is not found.
  std::function<Result<std::string>(std::string_view ref)> photo_from_peers;
};

// The value of --http that turns the server off.
inline constexpr const char* kHttpNone = "none";

// `invalid`, with a sentence, unless `listen` is "IP:PORT" with an IPv4 or bracketed IPv6 address.
Status check_http_listen(const std::string& listen);

class HttpServer {
 public:
  // Binds `options.listen` and starts serving; photos go to `data_dir`/photos. `unavailable`
  // naming the address when it cannot be bound. Registers a notice listener on `engine`, so call
  // it before any command is submitted. `engine` and `service` outlive the server.
  static Result<std::unique_ptr<HttpServer>> start(Engine& engine, Service& service,
                                                   const HttpOptions& options,
                                                   const std::string& data_dir);
  // Stops accepting and reading, waits for the requests being handled (their answers are not
  // sent), and closes every connection.
  ~HttpServer();

  // The bound address as a URL: "http://127.0.0.1:PORT".
  const std::string& url() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dispatch::daemon
