#include "tools/dispatchd/forward.h"

#include <sodium.h>

#include <fstream>
#include <sstream>
#include <utility>

#include "engine/command.h"
#include "engine/hash.h"

namespace dispatch::daemon {
namespace {
using json = nlohmann::json;

// The code and message of a reply's error; empty when it has none in the contract's form.
std::string error_field(const json& reply, const char* field) {
  auto error = reply.find("error");
  return error != reply.end() && error->is_object() ? error->value(field, "") : "";
}

}  // namespace

struct Forwarder::Peer {
  std::string endpoint;
  std::vector<std::unique_ptr<WireClient>> idle;
};

Result<std::string> read_cluster_key(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::invalid, "cannot read the cluster key file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.size() < kMinClusterKeyBytes) {
    return make_error(ErrorCode::invalid,
                      "the cluster key in " + path + " has " + std::to_string(key.size()) +
                          " bytes; at least " + std::to_string(kMinClusterKeyBytes) +
                          " are needed (for example: head -c 48 /dev/urandom | base64 > " + path +
                          ")");
  }
  return key;
}

std::string sign_forwarded(std::string_view key, std::string_view text) {
  // libsodium asks for sodium_init before any other call (the log's hashing made it, before it
  // moved to libcrypto). It is idempotent; HMAC needs no randomness, so a failure is harmless.
  static const int initialised = sodium_init();
  (void)initialised;
  crypto_auth_hmacsha256_state state;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()),
                                text.size());
  crypto_auth_hmacsha256_final(&state, mac);
  return to_hex(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

bool forwarded_signature_matches(std::string_view key, std::string_view text,
                                 std::string_view signature) {
  const std::string expected = sign_forwarded(key, text);
  return signature.size() == expected.size() &&
         sodium_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

std::string photo_request_text(std::string_view ref) { return "photo\n" + std::string(ref); }

std::string loan_request_text(std::string_view op, std::string_view loan_text) {
  return std::string(op) + "\n" + std::string(loan_text);
}

Forwarder::Forwarder(std::vector<std::string> peers, std::string key, std::string node,
                     int timeout_ms)
    : key_(std::move(key)), node_(std::move(node)), timeout_ms_(timeout_ms) {
  for (auto& endpoint : peers) {
    auto peer = std::make_unique<Peer>();
    peer->endpoint = std::move(endpoint);
    peers_.push_back(std::move(peer));
  }
}

Forwarder::~Forwarder() = default;

std::unique_ptr<WireClient> Forwarder::take(Peer& peer) {
  {
    std::lock_guard lock(mutex_);
    if (!peer.idle.empty()) {
      auto client = std::move(peer.idle.back());
      peer.idle.pop_back();
      return client;
    }
  }
  return std::make_unique<WireClient>(context_, peer.endpoint, timeout_ms_);
}

void Forwarder::give_back(Peer& peer, std::unique_ptr<WireClient> client) {
  std::lock_guard lock(mutex_);
  peer.idle.push_back(std::move(client));
}

Result<std::string> Forwarder::ask(Peer& peer, const std::string& bytes) {
  auto client = take(peer);
  auto raw = client->request_raw(bytes);
  give_back(peer, std::move(client));
  return raw;
}

json Forwarder::forward(const json& command, const std::string& why_not_here,
                        std::uint64_t org_seen) {
  const std::string text = command.dump();
  json request{{"op", "forwarded"},
               {"node", node_},
               {"command_text", text},
               {"signature", sign_forwarded(key_, text)}};
  if (org_seen > 0) {
    request["at_least"] = org_seen;
    // The peer's refusal, saying what it lacks, must arrive before this node stops waiting.
    request["wait_ms"] = timeout_ms_ * 2 / 3;
  }
  const std::string bytes = request.dump();
  std::size_t first = 0;
  {
    std::lock_guard lock(mutex_);
    first = preferred_;
  }
  std::string asked;
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const std::size_t index = (first + i) % peers_.size();
    Peer& peer = *peers_[index];
    auto raw = ask(peer, bytes);
    std::string said;
    if (!raw.ok()) {
      said = raw.error().message;
    } else {
      json reply = json::parse(*raw, nullptr, false);
      if (!reply.is_object()) {
        said = "an answer that is not a JSON object";
      } else if (reply.contains("id") && error_field(reply, "code") != "unavailable") {
        // The peer decided: its answer is the command's, refusal or not.
        std::lock_guard lock(mutex_);
        preferred_ = index;
        decided_ = true;
        return reply;
      } else {
        said = reply.contains("error") ? error_field(reply, "message") : reply.dump();
      }
    }
    asked += (asked.empty() ? "" : "; ") + peer.endpoint + ": " + said;
  }
  const Error none =
      make_error(ErrorCode::unavailable,
                 "this node does not decide the command now" +
                     (why_not_here.empty() ? std::string() : " (" + why_not_here + ")") +
                     ", and no peer took it (" +
                     (peers_.empty() ? std::string("no peers are configured") : asked) +
                     "); retry with the same id in a moment");
  return json{{"ok", false}, {"id", command.value("id", json())}, {"error", to_json(none)}};
}

Result<std::string> Forwarder::photo(std::string_view ref) {
  const std::string bytes = json{{"op", "photo"},
                                 {"node", node_},
                                 {"ref", ref},
                                 {"signature", sign_forwarded(key_, photo_request_text(ref))}}
                                .dump();
  std::string failures;
  for (const auto& peer : peers_) {
    auto raw = ask(*peer, bytes);
    std::string said;
    if (!raw.ok()) {
      said = raw.error().message;
    } else {
      json reply = json::parse(*raw, nullptr, false);
      if (reply.is_object() && reply.value("ok", false) && reply["photo_base64"].is_string()) {
        const std::string& encoded = reply["photo_base64"].get_ref<const std::string&>();
        std::string decoded(encoded.size(), '\0');
        std::size_t size = 0;
        if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                              encoded.data(), encoded.size(), nullptr, &size, nullptr,
                              sodium_base64_VARIANT_ORIGINAL) == 0) {
          decoded.resize(size);
          if ("sha256:" + sha256_hex(decoded) == ref) return decoded;
          said = "bytes whose SHA-256 is not the reference's";
        } else {
          said = "a photo that is not base64";
        }
      } else if (reply.is_object() && reply.contains("error")) {
        if (error_field(reply, "code") == "not_found") continue;
        said = error_field(reply, "message");
      } else {
        said = "an answer that is not a photo";
      }
    }
    failures += (failures.empty() ? "" : "; ") + peer->endpoint + ": " + said;
  }
  if (failures.empty()) {
    return make_error(ErrorCode::not_found, "no node keeps the photo " + std::string(ref), "photo");
  }
  return make_error(ErrorCode::unavailable, "the photo " + std::string(ref) +
                                                " is not kept here and could not be fetched (" +
                                                failures + ")");
}

const std::string& Forwarder::peer_endpoint(std::size_t index) const {
  return peers_.at(index)->endpoint;
}

Result<json> Forwarder::ask_loan(std::size_t index, const std::string& op, const json& loan) {
  const std::string text = loan.dump();
  const json request{{"op", op},
                     {"node", node_},
                     {"loan_text", text},
                     {"signature", sign_forwarded(key_, loan_request_text(op, text))}};
  auto raw = ask(*peers_.at(index), request.dump());
  if (!raw.ok()) return raw.error();
  json reply = json::parse(*raw, nullptr, false);
  if (!reply.is_object()) {
    return make_error(ErrorCode::unavailable,
                      peers_[index]->endpoint + " answered with something that is not JSON");
  }
  return reply;
}

std::string Forwarder::last_decider() const {
  std::lock_guard lock(mutex_);
  return decided_ ? peers_[preferred_]->endpoint : std::string();
}

}  // namespace dispatch::daemon
