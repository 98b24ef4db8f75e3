// Test helpers for dispatchd's HTTP server: a blocking HTTP/1.1 client (one connection per
// request) and a WebSocket client with read timeouts, both on Boost.Beast.
#pragma once

// GCC 12 at -O2 sees Beast 1.74's response parser read an optional it cannot prove was set
// (basic_parser.hpp, content length): a false alarm in Boost's code, silenced for it alone.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#pragma GCC diagnostic pop
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

namespace dispatch::testing {

// "http://HOST:PORT" split into host and port.
inline std::pair<std::string, std::string> host_and_port(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  std::size_t colon = rest.rfind(':');
  return {rest.substr(0, colon), rest.substr(colon + 1)};
}

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names in lowercase
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class HttpClient {
 public:
  explicit HttpClient(const std::string& url) {
    auto [host, port] = host_and_port(url);
    host_ = host;
    port_ = port;
  }

  // Sends one request on a new connection and reads the reply. A server may answer and stop
  // reading before the body is all sent (413): the write error is then ignored and the reply
  // read all the same.
  HttpReply request(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::map<std::string, std::string>& headers = {}) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    boost::asio::io_context context;
    boost::asio::ip::tcp::resolver resolver(context);
    beast::tcp_stream stream(context);
    stream.connect(resolver.resolve(host_, port_));
    http::request<http::string_body> request(http::string_to_verb(method), target, 11);
    request.set(http::field::host, host_);
    for (const auto& [name, value] : headers) request.set(name, value);
    request.body() = body;
    request.prepare_payload();
    beast::error_code ignored;  // see above: the reply tells what happened
    http::write(stream, request, ignored);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    http::read(stream, buffer, parser);
    HttpReply reply;
    reply.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[name] = std::string(field.value());
    }
    reply.body = parser.get().body();
    return reply;
  }

  static std::map<std::string, std::string> bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  HttpReply get(const std::string& target, const std::string& token = "") {
    return request("GET", target, "", token.empty() ? decltype(bearer(token)){} : bearer(token));
  }
  HttpReply post(const std::string& target, const nlohmann::json& body,
                 const std::string& token = "") {
    auto headers = token.empty() ? decltype(bearer(token)){} : bearer(token);
    headers["Content-Type"] = "application/json";
    return request("POST", target, body.dump(), headers);
  }

 private:
  std::string host_, port_;
};

// One WebSocket connection; reads wait at most a given time.
class LiveClient {
 public:
  LiveClient(const std::string& url, const std::string& target) : ws_(context_) {
    auto [host, port] = host_and_port(url);
    boost::asio::ip::tcp::resolver resolver(context_);
    boost::beast::get_lowest_layer(ws_).connect(resolver.resolve(host, port));
    ws_.handshake(host, target);
  }

  void send(const std::string& text) { ws_.write(boost::asio::buffer(text)); }

  // The next message; nullopt when the server closed the connection (with a close frame,
  // close_code() and close_text() say why; without one they are empty). Throws when nothing came
  // within `timeout`.
  std::optional<std::string> next(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    namespace beast = boost::beast;
    beast::flat_buffer buffer;
    std::optional<beast::error_code> result;
    ws_.async_read(buffer, [&](beast::error_code ec, std::size_t) { result = ec; });
    context_.restart();
    context_.run_for(timeout);
    if (!result) {
      beast::get_lowest_layer(ws_).cancel();
      context_.restart();
      context_.run();
      throw std::runtime_error("no WebSocket message within the time allowed");
    }
    if (*result == beast::websocket::error::closed || *result == boost::asio::error::eof) {
      return std::nullopt;
    }
    if (*result) throw beast::system_error(*result);
    return beast::buffers_to_string(buffer.data());
  }

  // The close frame's code and reason, once next() returned nullopt.
  int close_code() const { return ws_.reason().code; }
  std::string close_text() const {
    const auto& text = ws_.reason().reason;
    return std::string(text.data(), text.size());
  }

 private:
  boost::asio::io_context context_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
};

}  // namespace dispatch::testing
