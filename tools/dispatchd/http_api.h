// dispatchd's HTTP API without the sockets: one parsed request in, one response out. The server
// (http.h) moves bytes between Beast and handle(); every rule lives in Service (service.h), which
// the API reaches by building the wire request the contract names, so HTTP and ZeroMQ clients get
// the same answers.
//
//   POST /api/login {account, password}            the wire's login op
//   POST /api/change_password, /api/reset_password, /api/logout   those ops, body = their fields
//   GET  /api/health
//   POST /api/commands                              body = the command object
//   GET|POST /api/query/{folder,order,stats,search} arguments from the query string (GET) or the
//                                                   JSON body (POST), named as on the wire
//   POST /api/photos                                raw JPEG or PNG bytes -> {"ok", "photo": REF}
//   GET  /api/photos/REF                            the photo, to an account that may see an order
//                                                   holding it (any other: 404, as an order it
//                                                   cannot see)
//   GET  anything else                              a static file of the web root (web_root.h)
//
// The session token travels only in "Authorization: Bearer TOKEN": any request naming a token in
// its query string, and an API request naming one in its JSON body, is refused (400), so tokens
// stay out of logs, history and caches. The status follows the reply's error code (invalid 400,
// unauthenticated 401, forbidden 403, not_found 404, invalid_state and conflict 409, unavailable
// 503) and the body is the wire's JSON, with <, > and & written as \u escapes so no browser can
// take it for markup. Every response has X-Content-Type-Options: nosniff; API responses
// Cache-Control: no-store; HTML a Content-Security-Policy of default-src 'self'.
//
// Thread-safe, like Service: the server calls handle() from several threads at once.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/status.h"
#include "tools/dispatchd/photos.h"
#include "tools/dispatchd/service.h"
#include "tools/dispatchd/web_root.h"

namespace dispatch::daemon {

inline constexpr std::size_t kMaxJsonBodyBytes = 1 << 20;

struct HttpRequest {
  std::string method;         // "GET", "POST", …
  std::string target;         // the path and query string as received
  std::string authorization;  // the Authorization header; empty when absent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
};

// The largest body a request to `target` may carry: kMaxPhotoBytes for POST /api/photos,
// kMaxJsonBodyBytes for the rest.
std::size_t body_limit(std::string_view target);

// Whether the server upgrades a request for `target` to the WebSocket /api/live: its path is
// /api/live and its query string names no token (such a request gets the API's 400 instead).
bool is_live_target(std::string_view target);

// The HTTP status of a reply's error code ("invalid" → 400, …; an unknown code → 500).
int http_status(std::string_view code);

// What a WebSocket at /api/live follows once its first message named a valid token.
struct LiveSubscription {
  std::string token;
  std::string account;
  std::string topic;  // "unit/ID" or "staff/ID": the account's own folders (notices.h)
};

class HttpApi {
 public:
  // `engine` and `service` outlive the API. Photos are kept in `photos_dir`; one that is not is
  // asked of `photo_from_peers` when given, and kept once it came.
  HttpApi(Engine& engine, Service& service, std::string photos_dir, WebRoot web_root,
          std::function<Result<std::string>(std::string_view ref)> photo_from_peers = {});

  // The response to one request. Never throws.
  HttpResponse handle(const HttpRequest& request);

  // 413 with the contract's `invalid` body, for a body above `limit` bytes (the server stops
  // reading it).
  static HttpResponse too_large(std::size_t limit);

  // The subscription of a WebSocket's token (its first message: the token itself, or the JSON
  // {"token": TOKEN}). `unauthenticated` for an unknown or expired session, `forbidden` before the
  // initial password is changed or for an account with no folders of its own (admin,
  // connectors).
  Result<LiveSubscription> live(std::string_view first_message);
  // Whether the session of a live subscription still holds (not expired, not logged out).
  Status still_valid(const std::string& token);

 private:
  using json = nlohmann::json;
  // `parameters`: the query string's, checked to name no token.
  HttpResponse api(const HttpRequest& request, std::string_view path, json parameters);
  HttpResponse wire(json request);  // Service::handle's reply as a response
  HttpResponse upload_photo(const HttpRequest& request, const std::string& token);
  HttpResponse fetch_photo(std::string_view ref, const std::string& token);
  HttpResponse static_file(const HttpRequest& request, std::string_view path);

  Engine& engine_;
  Service& service_;
  PhotoStore photos_;
  WebRoot web_root_;
  std::function<Result<std::string>(std::string_view ref)> photo_from_peers_;
};

}  // namespace dispatch::daemon
