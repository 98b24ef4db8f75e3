#include "projections/queries.h"

#include "projections/projector.h"

namespace dispatch {
namespace {
using json = nlohmann::json;

Result<std::uint64_t> counter(const Kv& kv, const std::string& key) {
  WriteSet none;
  return load_counter(OverlayReader(kv, none), key);
}
}  // namespace

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]);
    int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

Result<json> query_folder(const Kv& kv, const Org& org, const std::string& owner,
                          const std::string& folder_name, std::size_t limit,
                          const std::string& after) {
  auto folder = parse_folder(folder_name);
  if (!folder) {
    return make_error(ErrorCode::invalid, "there is no folder '" + folder_name + "'", "folder");
  }
  const FolderInfo& info = folder_info(*folder);
  if (info.owner_kind == OwnerKind::unit ? org.unit(UnitId(owner)) == nullptr
                                         : org.staff(StaffId(owner)) == nullptr) {
    return make_error(ErrorCode::not_found,
                      std::string(info.owner_kind == OwnerKind::unit ? "no unit '" : "no staff '") +
                          owner + "' (folder " + std::string(info.name) + " belongs to a " +
                          (info.owner_kind == OwnerKind::unit ? "unit" : "technician") + ")",
                      "owner");
  }
  if (limit == 0 || limit > kMaxFolderLimit) {
    return make_error(ErrorCode::invalid,
                      "limit must be between 1 and " + std::to_string(kMaxFolderLimit), "limit");
  }
  auto cursor = from_hex(after);
  if (!cursor)
    return make_error(ErrorCode::invalid, "the cursor is not one this engine gave", "after");

  auto total = counter(kv, keys::own_count(info.owner_kind, owner, *folder));
  if (!total.ok()) return total.error();

  const std::string prefix = keys::folder_prefix(info.owner_kind, owner, *folder);
  json orders = json::array();
  std::string last_suffix;
  bool more = false;
  std::optional<Error> failure;
  Status s = kv.scan(Space::projections, prefix, cursor->empty() ? "" : prefix + *cursor,
                     [&](std::string_view key, std::string_view value) {
                       if (orders.size() == limit) {
                         more = true;
                         return false;
                       }
                       json entry = json::parse(value, nullptr, false);
                       if (entry.is_discarded()) {
                         failure = make_error(ErrorCode::invalid,
                                              "a folder entry is not valid JSON; run "
                                              "`dispatchctl rebuild`");
                         return false;
                       }
                       orders.push_back(std::move(entry));
                       last_suffix = std::string(key.substr(prefix.size()));
                       return true;
                     });
  if (!s.ok()) return s.error();
  if (failure) return *failure;
  return json{{"owner", owner},
              {"folder", info.name},
              {"label", info.label},
              {"total", *total},
              {"orders", std::move(orders)},
              {"next", more ? json(to_hex(last_suffix)) : json(nullptr)}};
}

Result<json> query_order(const Kv& kv, const EventLog& log, const OrderId& id) {
  WriteSet none;
  auto order = load_order(OverlayReader(kv, none), id);
  if (!order.ok()) return order.error();
  if (!order->has_value()) {
    return make_error(ErrorCode::not_found, "no order '" + id.str() + "'", "order_id");
  }
  auto history = log.read_stream(order_stream(id));
  if (!history.ok()) return history.error();
  json view = to_json(**order);
  json events = json::array();
  for (const auto& e : *history) events.push_back(to_json(e));
  view["history"] = std::move(events);
  return view;
}

Result<json> query_stats(const Kv& kv, const Org& org, const UnitId& unit) {
  if (org.unit(unit) == nullptr) {
    return make_error(ErrorCode::not_found, "no unit '" + unit.str() + "'", "unit");
  }
  json own = json::object();
  json subtree = json::object();
  for (const auto& info : all_folders()) {
    if (info.owner_kind != OwnerKind::unit) continue;
    auto n = counter(kv, keys::own_count(OwnerKind::unit, unit.str(), info.folder));
    if (!n.ok()) return n.error();
    auto t = counter(kv, keys::subtree_count(unit.str(), info.folder));
    if (!t.ok()) return t.error();
    own[std::string(info.name)] = *n;
    subtree[std::string(info.name)] = *t;
  }
  return json{{"unit", unit}, {"own", std::move(own)}, {"subtree", std::move(subtree)}};
}

}  // namespace dispatch
