#include "connectors/store.h"

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;

constexpr std::string_view kStatePrefix = "s/";
constexpr std::string_view kDeadPrefix = "d/";
constexpr std::string_view kDeadCounter = "m/dead_letters";

std::string state_key(Platform platform, const std::string& id) {
  return std::string(kStatePrefix) + std::string(to_string(platform)) + "/" + id;
}
std::string dead_key(std::uint64_t id) { return std::string(kDeadPrefix) + encode_be64(id); }

// A dead letter's value: its header as one JSON line, '\n', then the raw bytes untouched (they
// need not be UTF-8, so they stay out of the JSON).
std::string encode(const DeadLetter& d) {
  json header{{"id", d.id},     {"platform", d.platform}, {"source", d.source},
              {"line", d.line}, {"reason", d.reason},     {"at", d.at}};
  return header.dump(-1, ' ', false, json::error_handler_t::replace) + "\n" + d.raw;
}

Result<DeadLetter> decode(std::string_view value) {
  auto nl = value.find('\n');
  if (nl == std::string_view::npos) return make_error(ErrorCode::invalid, "a damaged dead letter");
  json h = json::parse(value.substr(0, nl), nullptr, false);
  try {
    DeadLetter d;
    d.id = h.at("id").get<std::uint64_t>();
    d.platform = h.at("platform").get<Platform>();
    d.source = h.at("source").get<std::string>();
    d.line = h.at("line").get<std::uint64_t>();
    d.reason = h.at("reason").get<std::string>();
    d.at = h.at("at").get<std::string>();
    d.raw = std::string(value.substr(nl + 1));
    return d;
  } catch (const json::exception& e) {
    return make_error(ErrorCode::invalid, std::string("a damaged dead letter: ") + e.what());
  }
}
}  // namespace

Result<std::optional<ShopOrder>> ConnectorStore::shop_order(Platform platform,
                                                            const std::string& id) const {
  auto raw = kv_.get(Space::connectors, state_key(platform, id));
  if (!raw.ok()) return raw.error();
  if (!*raw) return std::optional<ShopOrder>();
  json j = json::parse(**raw, nullptr, false);
  auto order = shop_order_from_json(j);
  if (!order.ok()) return order.error();
  return std::optional<ShopOrder>(std::move(*order));
}

Status ConnectorStore::put_shop_order(const ShopOrder& order) {
  WriteSet w;
  w.put(Space::connectors, state_key(order.platform, order.platform_order_id),
        to_json(order).dump(-1, ' ', false, json::error_handler_t::replace));
  return kv_.write(w, false);
}

Result<std::uint64_t> ConnectorStore::add_dead_letter(DeadLetter letter) {
  // The last id given is kept apart from the letters, so an id is never given twice, even after
  // the newest letters were retried away.
  auto last = kv_.get(Space::connectors, kDeadCounter);
  if (!last.ok()) return last.error();
  letter.id = (*last && (*last)->size() == 8 ? decode_be64(**last) : 0) + 1;
  WriteSet w;
  w.put(Space::connectors, dead_key(letter.id), encode(letter));
  w.put(Space::connectors, std::string(kDeadCounter), encode_be64(letter.id));
  Status s = kv_.write(w, true);
  if (!s.ok()) return s.error();
  return letter.id;
}

Result<std::vector<DeadLetter>> ConnectorStore::dead_letters() const {
  std::vector<DeadLetter> out;
  std::optional<Error> error;
  Status s =
      kv_.scan(Space::connectors, kDeadPrefix, "", [&](std::string_view, std::string_view v) {
        auto d = decode(v);
        if (!d.ok()) {
          error = d.error();
          return false;
        }
        out.push_back(std::move(*d));
        return true;
      });
  if (!s.ok()) return s.error();
  if (error) return *error;
  return out;
}

Result<std::optional<DeadLetter>> ConnectorStore::dead_letter(std::uint64_t id) const {
  auto raw = kv_.get(Space::connectors, dead_key(id));
  if (!raw.ok()) return raw.error();
  if (!*raw) return std::optional<DeadLetter>();
  auto d = decode(**raw);
  if (!d.ok()) return d.error();
  return std::optional<DeadLetter>(std::move(*d));
}

Status ConnectorStore::remove_dead_letter(std::uint64_t id) {
  WriteSet w;
  w.del(Space::connectors, dead_key(id));
  return kv_.write(w, true);
}

Status ConnectorStore::replace_dead_letter(const DeadLetter& letter) {
  WriteSet w;
  w.put(Space::connectors, dead_key(letter.id), encode(letter));
  return kv_.write(w, true);
}

json to_json(const DeadLetter& d) {
  return json{{"id", d.id},     {"platform", d.platform}, {"source", d.source},
              {"line", d.line}, {"reason", d.reason},     {"at", d.at},
              {"raw", d.raw}};
}

}  // namespace dispatch::connectors
