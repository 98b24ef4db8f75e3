#include "connectors/store.h"

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;

constexpr std::string_view kStatePrefix = "s/";
constexpr std::string_view kDeadPrefix = "d/";
constexpr std::string_view kDeadCounter = "m/dead_letters";
constexpr std::string_view kDeadOncePrefix = "f/";
constexpr std::string_view kOffsetPrefix = "k/";

std::string state_key(Platform platform, const std::string& id) {
  return std::string(kStatePrefix) + std::string(to_string(platform)) + "/" + id;
}
std::string dead_key(std::uint64_t id) { return std::string(kDeadPrefix) + encode_be64(id); }
std::string dead_once_key(const std::string& source, std::uint64_t line) {
  return std::string(kDeadOncePrefix) + source + '\0' + encode_be64(line);
}
std::string offsets_prefix(const std::string& topic) {
  return std::string(kOffsetPrefix) + topic + '\0';
}

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

Result<std::uint64_t> ConnectorStore::add_dead_letter(DeadLetter letter, bool once) {
  const std::string once_key = dead_once_key(letter.source, letter.line);
  if (once) {
    auto stored = kv_.get(Space::connectors, once_key);
    if (!stored.ok()) return stored.error();
    if (*stored && (*stored)->size() == 8) return decode_be64(**stored);
  }
  // The last id given is kept apart from the letters, so an id is never given twice, even after
  // the newest letters were retried away.
  auto last = kv_.get(Space::connectors, kDeadCounter);
  if (!last.ok()) return last.error();
  letter.id = (*last && (*last)->size() == 8 ? decode_be64(**last) : 0) + 1;
  WriteSet w;
  w.put(Space::connectors, dead_key(letter.id), encode(letter));
  w.put(Space::connectors, std::string(kDeadCounter), encode_be64(letter.id));
  if (once) w.put(Space::connectors, once_key, encode_be64(letter.id));
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
  auto letter = dead_letter(id);
  if (!letter.ok()) return letter.error();
  WriteSet w;
  w.del(Space::connectors, dead_key(id));
  if (*letter) {
    // The payload may be stored again once it is retried away (a file ingested anew).
    const std::string once_key = dead_once_key((*letter)->source, (*letter)->line);
    auto stored = kv_.get(Space::connectors, once_key);
    if (!stored.ok()) return stored.error();
    if (*stored && **stored == encode_be64(id)) w.del(Space::connectors, once_key);
  }
  return kv_.write(w, true);
}

Status ConnectorStore::replace_dead_letter(const DeadLetter& letter) {
  WriteSet w;
  w.put(Space::connectors, dead_key(letter.id), encode(letter));
  return kv_.write(w, true);
}

Result<std::map<std::uint32_t, std::int64_t>> ConnectorStore::consumed_offsets(
    const std::string& topic) const {
  std::map<std::uint32_t, std::int64_t> next;
  const std::string prefix = offsets_prefix(topic);
  bool damaged = false;
  Status s = kv_.scan(Space::connectors, prefix, "", [&](std::string_view k, std::string_view v) {
    if (k.size() != prefix.size() + 8 || v.size() != 8) {
      damaged = true;
      return false;
    }
    const auto partition = static_cast<std::uint32_t>(decode_be64(k.substr(prefix.size())));
    next[partition] = static_cast<std::int64_t>(decode_be64(v));
    return true;
  });
  if (!s.ok()) return s.error();
  if (damaged) {
    return make_error(ErrorCode::invalid, "the stored offsets of topic " + topic + " are damaged");
  }
  return next;
}

Status ConnectorStore::put_consumed_offsets(const std::string& topic,
                                            const std::map<std::uint32_t, std::int64_t>& next) {
  WriteSet w;
  for (const auto& [partition, offset] : next) {
    w.put(Space::connectors, offsets_prefix(topic) + encode_be64(partition),
          encode_be64(static_cast<std::uint64_t>(offset)));
  }
  return kv_.write(w, true);
}

json to_json(const DeadLetter& d) {
  return json{{"id", d.id},     {"platform", d.platform}, {"source", d.source},
              {"line", d.line}, {"reason", d.reason},     {"at", d.at},
              {"raw", d.raw}};
}

}  // namespace dispatch::connectors
