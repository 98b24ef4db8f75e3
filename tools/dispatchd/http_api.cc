#include "tools/dispatchd/http_api.h"

#include <algorithm>
#include <cctype>
#include <exception>

#include "tools/dispatchd/notices.h"

namespace dispatch::daemon {
namespace {
using json = nlohmann::json;

constexpr std::string_view kApi = "/api/";
constexpr std::string_view kJson = "application/json; charset=utf-8";
constexpr std::string_view kHtmlPolicy =
    "default-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// The wire's JSON with <, > and & escaped: still the same JSON (they can only occur inside
// strings), and a customer name like <img onerror=…> can never be read as markup.
std::string json_text(const json& body) {
  std::string text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out += c;
    }
  }
  return out;
}

HttpResponse api_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.content_type = kJson;
  r.body = json_text(body);
  r.headers = {{"Cache-Control", "no-store"}};
  return r;
}

HttpResponse error_response(const Error& error, int status = 0) {
  return api_response(status != 0 ? status : http_status(to_string(error.code)),
                      json{{"ok", false}, {"error", to_json(error)}});
}

Error invalid(std::string message, std::string field = {}) {
  return make_error(ErrorCode::invalid, std::move(message), std::move(field));
}

// The token of "Authorization: Bearer TOKEN"; empty when there is no header.
Result<std::string> bearer_token(std::string_view header) {
  if (header.empty()) return std::string();
  constexpr std::string_view kScheme = "bearer ";
  std::string scheme(header.substr(0, kScheme.size()));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view token = header.size() > kScheme.size() ? header.substr(kScheme.size()) : "";
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (scheme != kScheme || token.empty()) {
    return make_error(ErrorCode::unauthenticated,
                      "the Authorization header must be \"Bearer TOKEN\" with the token from "
                      "POST /api/login",
                      "token");
  }
  return std::string(token);
}

// The query string's parameters as a JSON object of strings; "limit" as a number when it is one,
// as the wire wants it.
Result<json> query_parameters(std::string_view query) {
  json out = json::object();
  while (!query.empty()) {
    std::size_t end = query.find('&');
    std::string_view pair = query.substr(0, end);
    query = end == std::string_view::npos ? std::string_view() : query.substr(end + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    if (!name.ok()) return name.error();
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!value.ok()) return value.error();
    if (*name == "limit" && !value->empty() &&
        std::all_of(value->begin(), value->end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        value->size() < 19) {
      out[*name] = std::stoull(*value);
    } else {
      out[*name] = *value;
    }
  }
  return out;
}

// The JSON object of a request body; an empty body is an empty object.
Result<json> body_object(const std::string& body) {
  if (body.empty()) return json::object();
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid("the body is not JSON (one UTF-8 JSON object)");
  if (!j.is_object()) return invalid("the body must be a JSON object");
  return j;
}

Status refuse_token_field(const json& fields, std::string_view where) {
  for (const char* name : {"token", "access_token"}) {
    if (fields.contains(name)) {
      return invalid("a session token goes only in the Authorization header (Bearer), never in " +
                         std::string(where),
                     name);
    }
  }
  return Status::success();
}

HttpResponse method_not_allowed(std::string_view method, std::string_view path,
                                std::string_view allowed) {
  HttpResponse r = error_response(invalid(std::string(method) + " is not allowed on " +
                                          std::string(path) + "; use " + std::string(allowed)),
                                  405);
  r.headers.emplace_back("Allow", std::string(allowed));
  return r;
}

}  // namespace

std::size_t body_limit(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  return path == "/api/photos" ? kMaxPhotoBytes : kMaxJsonBodyBytes;
}

bool is_live_target(std::string_view target) {
  std::size_t question = target.find('?');
  if (target.substr(0, question) != "/api/live") return false;
  if (question == std::string_view::npos) return true;
  auto parameters = query_parameters(target.substr(question + 1));
  return parameters.ok() && refuse_token_field(*parameters, "the URL").ok();
}

int http_status(std::string_view code) {
  if (code == "invalid") return 400;
  if (code == "unauthenticated") return 401;
  if (code == "forbidden") return 403;
  if (code == "not_found") return 404;
  if (code == "invalid_state" || code == "conflict") return 409;
  if (code == "unavailable") return 503;
  return 500;
}

HttpApi::HttpApi(Engine& engine, Service& service, std::string photos_dir, WebRoot web_root,
                 std::function<Result<std::string>(std::string_view ref)> photo_from_peers)
    : engine_(engine),
      service_(service),
      photos_(std::move(photos_dir)),
      web_root_(std::move(web_root)),
      photo_from_peers_(std::move(photo_from_peers)) {}

HttpResponse HttpApi::too_large(std::size_t limit) {
  return error_response(
      invalid("the body is larger than the " + std::to_string(limit) + " bytes accepted here"),
      413);
}

HttpResponse HttpApi::handle(const HttpRequest& request) {
  HttpResponse response;
  try {
    std::string_view target = request.target;
    std::size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    std::string_view query =
        question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
    auto parameters = query_parameters(query);
    Status no_url_token =
        parameters.ok() ? refuse_token_field(*parameters, "the URL") : parameters.error();
    if (!no_url_token.ok()) {
      response = error_response(no_url_token.error());
    } else if (path.starts_with(kApi)) {
      response = api(request, path, std::move(*parameters));
    } else {
      response = static_file(request, path);
    }
  } catch (const std::exception& e) {
    // A bug, not the client's fault: the client still gets an answer and the server goes on.
    response = error_response(
        make_error(ErrorCode::unavailable, std::string("internal error: ") + e.what()), 500);
  }
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return response;
}

HttpResponse HttpApi::api(const HttpRequest& request, std::string_view path, json parameters) {
  auto token = bearer_token(request.authorization);
  if (!token.ok()) return error_response(token.error());
  const bool get = request.method == "GET", post = request.method == "POST";
  const std::string_view endpoint = path.substr(kApi.size());

  if (endpoint == "health") {
    if (!get) return method_not_allowed(request.method, path, "GET");
    return wire(json{{"op", "health"}});
  }
  if (endpoint == "photos") {
    if (!post) return method_not_allowed(request.method, path, "POST");
    return upload_photo(request, *token);
  }
  if (endpoint.starts_with("photos/")) {
    if (!get) return method_not_allowed(request.method, path, "GET");
    return fetch_photo(endpoint.substr(std::string_view("photos/").size()), *token);
  }
  if (endpoint == "live") {
    return error_response(invalid("/api/live is a WebSocket: connect with an Upgrade request, "
                                  "then send the session token as the first message"),
                          426);
  }

  const bool is_query = endpoint.starts_with("query/");
  const bool is_op = endpoint == "login" || endpoint == "change_password" ||
                     endpoint == "reset_password" || endpoint == "logout";
  if (!is_query && !is_op && endpoint != "commands") {
    return error_response(make_error(
        ErrorCode::not_found,
        "no API endpoint " + std::string(path) + "; see the HTTP section of dispatchd's README"));
  }
  if (is_query ? !(get || post) : !post) {
    return method_not_allowed(request.method, path, is_query ? "GET, POST" : "POST");
  }
  json fields = json::object();
  if (post) {
    auto body = body_object(request.body);
    if (!body.ok()) return error_response(body.error());
    fields = std::move(*body);
  } else {
    fields = std::move(parameters);
  }
  Status no_body_token = refuse_token_field(fields, "the body");
  if (!no_body_token.ok()) return error_response(no_body_token.error());

  json wire_request;
  if (is_op) {
    if (fields.contains("op")) return error_response(invalid("the URL names the op", "op"));
    wire_request = std::move(fields);
    wire_request["op"] = std::string(endpoint);
  } else if (is_query) {
    if (fields.contains("op") || fields.contains("query")) {
      return error_response(invalid("the URL names the op and the query", "query"));
    }
    wire_request = std::move(fields);
    wire_request["op"] = "query";
    wire_request["query"] = std::string(endpoint.substr(std::string_view("query/").size()));
  } else {
    wire_request = json{{"op", "command"}, {"command", std::move(fields)}};
  }
  if (!token->empty()) wire_request["token"] = *token;
  return wire(std::move(wire_request));
}

HttpResponse HttpApi::wire(json request) {
  json reply = service_.handle(request.dump(-1, ' ', false, json::error_handler_t::replace));
  int status = 200;
  if (!reply.value("ok", false)) {
    const json& error = reply.contains("error") ? reply["error"] : json::object();
    status = http_status(error.is_object() ? error.value("code", "") : "");
  }
  return api_response(status, reply);
}

HttpResponse HttpApi::upload_photo(const HttpRequest& request, const std::string& token) {
  auto session = service_.authenticate(token);
  if (!session.ok()) return error_response(session.error());
  auto ref = photos_.put(request.body);
  if (!ref.ok()) return error_response(ref.error());
  return api_response(200, json{{"ok", true}, {"photo", *ref}});
}

HttpResponse HttpApi::fetch_photo(std::string_view ref, const std::string& token) {
  auto session = service_.authenticate(token);
  if (!session.ok()) return error_response(session.error());
  if (!is_photo_ref(ref)) {
    return error_response(
        invalid("a photo reference is \"sha256:\" followed by 64 lowercase hex digits", "photo"));
  }
  // Visible through an order: the search applies may_see_order (projections/visibility.h) to the
  // orders the photo index names.
  SearchFilter filter;
  filter.photo = std::string(ref);
  auto holders = engine_.search(session->account, filter, 1, "");
  if (!holders.ok()) return error_response(holders.error());
  const Error hidden = make_error(
      ErrorCode::not_found,
      "no photo " + std::string(ref) + " on an order that " + session->account.str() + " can see",
      "photo");
  if ((*holders)["orders"].empty()) return error_response(hidden);
  auto photo = photos_.get(ref);
  if (!photo.ok() && photo.error().code == ErrorCode::not_found && photo_from_peers_) {
    // Uploaded to another node of the shared log: fetched once, then kept here as well.
    auto bytes = photo_from_peers_(ref);
    if (!bytes.ok()) return error_response(bytes.error());
    auto stored = photos_.put(*bytes);
    if (!stored.ok()) return error_response(stored.error());
    photo = photos_.get(ref);
  }
  if (!photo.ok()) return error_response(photo.error());
  HttpResponse r;
  r.content_type = photo->content_type;
  r.body = std::move(photo->bytes);
  r.headers = {{"Cache-Control", "private, no-store"},
               {"Content-Security-Policy", "default-src 'none'"}};
  return r;
}

HttpResponse HttpApi::static_file(const HttpRequest& request, std::string_view path) {
  if (request.method != "GET") return method_not_allowed(request.method, path, "GET");
  auto file = web_root_.find(path);
  if (!file.ok()) {
    HttpResponse r;
    r.status = http_status(to_string(file.error().code));
    r.content_type = "text/plain; charset=utf-8";
    r.body = file.error().message + "\n";
    return r;
  }
  HttpResponse r;
  r.content_type = std::move(file->content_type);
  r.body = std::move(file->bytes);
  if (file->html) {
    r.headers.emplace_back("Content-Security-Policy", std::string(kHtmlPolicy));
    r.headers.emplace_back("Cache-Control", "no-cache");
  }
  return r;
}

Result<LiveSubscription> HttpApi::live(std::string_view first_message) {
  std::string token(first_message);
  json j = json::parse(first_message, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded()) {
    if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
      return make_error(ErrorCode::unauthenticated,
                        "the first message is the session token, or {\"token\": TOKEN}", "token");
    }
    token = j["token"].get<std::string>();
  }
  auto session = service_.authenticate(token);
  if (!session.ok()) return session.error();
  std::string topic;
  engine_.read_org([&](const Org& org) { topic = own_topic(org, session->account); });
  if (topic.empty()) {
    return make_error(ErrorCode::forbidden,
                      session->account.str() + " has no folders of its own to follow");
  }
  return LiveSubscription{token, session->account.str(), topic};
}

Status HttpApi::still_valid(const std::string& token) {
  auto session = service_.authenticate(token);
  if (!session.ok()) return session.error();
  return Status::success();
}

}  // namespace dispatch::daemon
