#include "projections/search.h"

#include <algorithm>
#include <cstdint>
#include <set>

#include "projections/audit.h"
#include "projections/projector.h"
#include "projections/visibility.h"

namespace dispatch {
namespace {
using json = nlohmann::json;

// Every index entry ends with this suffix: the order's creation key, then its id. A cursor is the
// hex of the last suffix shown, so it means the same in every index.
constexpr std::size_t kCreatedKeySize = 12;  // BE64 of the seconds, BE32 of the nanoseconds
constexpr std::int64_t kDay = 86400;

// Newest first in ascending byte order: the instant's seconds (biased, so that times before 1970
// sort too) and nanoseconds, both inverted. An unparsable time sorts as 1970-01-01T00:00:00Z.
std::string created_key(const audit::Instant& t) {
  const std::uint64_t biased = static_cast<std::uint64_t>(t.seconds) ^ (std::uint64_t{1} << 63);
  std::string key = encode_be64(~biased);
  const std::uint32_t nanos = ~t.nanos;
  for (int shift = 24; shift >= 0; shift -= 8) key += static_cast<char>((nanos >> shift) & 0xFF);
  return key;
}

audit::Instant instant_of(const std::string& at) {
  auto t = audit::parse_instant(at);
  return t.ok() ? *t : audit::Instant{};
}

// A value inside a key, ended by NUL: NUL and 0x01 are escaped so no value contains the end.
std::string component(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 1);
  for (char c : value) {
    if (c == '\0' || c == '\x01') {
      out += '\x01';
      out += c == '\0' ? '\x01' : '\x02';
    } else {
      out += c;
    }
  }
  out += '\0';
  return out;
}

constexpr std::string_view kByCreated = "x/c/";
constexpr std::string_view kByOrderId = "x/o/";
constexpr std::string_view kByPhone = "x/p/";
constexpr std::string_view kByName = "x/n/";
constexpr std::string_view kByPlatformId = "x/i/";
constexpr std::string_view kByUnit = "x/u/";
constexpr std::string_view kByStaff = "x/s/";
constexpr std::string_view kByPhoto = "x/photo/";

std::string index_prefix(std::string_view index, std::string_view value) {
  return std::string(index) + component(value);
}

// One end of the created-date range.
struct Bound {
  std::optional<std::string> date;  // YYYY-MM-DD, compared with created_at's written date
  audit::Instant instant;           // for a date: its midnight UTC
};

Result<std::optional<Bound>> parse_bound(const std::optional<std::string>& text,
                                         const char* field) {
  if (!text) return std::optional<Bound>();
  auto bad = [&] {
    return make_error(ErrorCode::invalid,
                      std::string(field) + " '" + *text +
                          "' is not a date YYYY-MM-DD or an RFC 3339 date-time such as "
                          "2015-01-08T09:30:00+08:00",
                      field);
  };
  if (text->size() == 10) {
    auto midnight = audit::parse_instant(*text + "T00:00:00Z");
    if (!midnight.ok()) return bad();
    return std::optional<Bound>(Bound{*text, *midnight});
  }
  auto t = audit::parse_instant(*text);
  if (!t.ok()) return bad();
  return std::optional<Bound>(Bound{std::nullopt, *t});
}

// The filter checked and parsed.
struct Parsed {
  const SearchFilter* text = nullptr;
  std::optional<Platform> platform;
  std::optional<OrderStatus> status;
  std::optional<OrderKind> kind;
  std::optional<Bound> from;
  std::optional<Bound> to;
};

Result<Parsed> parse(const SearchFilter& f) {
  Parsed p;
  p.text = &f;
  const std::pair<const std::optional<std::string>*, const char*> texts[] = {
      {&f.phone, "phone"},
      {&f.name, "name"},
      {&f.order_id, "order_id"},
      {&f.platform_order_id, "platform_order_id"},
      {&f.photo, "photo"}};
  for (const auto& [value, field] : texts) {
    if (value->has_value() && (*value)->empty()) {
      return make_error(ErrorCode::invalid, std::string(field) + " must not be empty", field);
    }
  }
  if (f.platform && !(p.platform = parse_platform(*f.platform))) {
    return make_error(ErrorCode::invalid,
                      "there is no platform '" + *f.platform + "'; one of tmall, jd, gree_mall",
                      "platform");
  }
  if (f.status && !(p.status = parse_order_status(*f.status))) {
    return make_error(ErrorCode::invalid,
                      "there is no status '" + *f.status +
                          "'; one of pending_dispatch, pending_reassignment_approval, "
                          "to_accept, to_process, pending_close, closed, cancelled",
                      "status");
  }
  if (f.kind && !(p.kind = parse_order_kind(*f.kind))) {
    return make_error(ErrorCode::invalid,
                      "there is no order kind '" + *f.kind + "'; one of installation, delivery",
                      "kind");
  }
  auto from = parse_bound(f.created_from, "created_from");
  if (!from.ok()) return from.error();
  auto to = parse_bound(f.created_to, "created_to");
  if (!to.ok()) return to.error();
  p.from = *from;
  p.to = *to;
  if (p.from && p.to && p.from->date.has_value() == p.to->date.has_value() &&
      (p.from->date ? *p.from->date > *p.to->date : p.from->instant > p.to->instant)) {
    return make_error(ErrorCode::invalid,
                      "created_from " + *f.created_from + " is after created_to " + *f.created_to,
                      "created_from");
  }
  return p;
}

bool matches(const Parsed& p, const OrderState& o) {
  const SearchFilter& f = *p.text;
  if (f.phone && o.customer.phone != *f.phone) return false;
  if (f.name && o.customer.name != *f.name) return false;
  if (f.order_id && o.order_id.str().rfind(*f.order_id, 0) != 0) return false;
  if (f.platform_order_id && (!o.source || o.source->platform_order_id != *f.platform_order_id)) {
    return false;
  }
  if (f.photo && std::none_of(o.units.begin(), o.units.end(), [&](const CapturedUnit& u) {
        return std::find(u.photos.begin(), u.photos.end(), *f.photo) != u.photos.end();
      })) {
    return false;
  }
  if (p.platform && (!o.source || o.source->platform != *p.platform)) return false;
  if (p.status && o.status != *p.status) return false;
  if (p.kind && o.kind != *p.kind) return false;
  const std::string written_date = o.created_at.substr(0, 10);
  if (p.from &&
      (p.from->date ? written_date < *p.from->date : instant_of(o.created_at) < p.from->instant)) {
    return false;
  }
  if (p.to &&
      (p.to->date ? written_date > *p.to->date : p.to->instant < instant_of(o.created_at))) {
    return false;
  }
  return true;
}

// Walks candidates in index order (newest created first), keeps the matches the viewer may see.
class Pager {
 public:
  Pager(const Kv& kv, const Org& org, const AccountId& viewer, const Parsed& filter,
        std::size_t limit)
      : kv_(kv), org_(org), viewer_(viewer), filter_(filter), limit_(limit) {
    // A date's local day can begin up to a day before its UTC midnight and end up to a day after
    // the next: the scan is bounded loosely and matches() decides exactly.
    if (filter.to) {
      audit::Instant end = filter.to->instant;
      if (filter.to->date) end.seconds += 2 * kDay;
      start_ = created_key(end);
    }
    if (filter.from) {
      audit::Instant begin = filter.from->instant;
      if (filter.from->date) begin.seconds -= kDay;
      stop_ = created_key(begin);
    }
  }

  // Candidates start after the later of the cursor and the range's newest end.
  void resume_after(const std::string& cursor) { start_ = std::max(start_, cursor); }
  const std::string& start() const { return start_; }
  // Whether a candidate's suffix lies past the range's oldest end (the scan can stop there).
  bool past_end(std::string_view suffix) const {
    return stop_ && suffix.substr(0, kCreatedKeySize) > *stop_;
  }

  // Takes one candidate's suffix; false when the walk should stop.
  bool visit(std::string_view suffix) {
    if (suffix.size() <= kCreatedKeySize) {
      failure_ = make_error(ErrorCode::invalid,
                            "a search index key is malformed; run `dispatchctl rebuild`");
      return false;
    }
    if (past_end(suffix)) return false;
    OrderId id{std::string(suffix.substr(kCreatedKeySize))};
    WriteSet none;
    auto order = load_order(OverlayReader(kv_, none), id);
    if (!order.ok() || !order->has_value()) {
      failure_ = order.ok() ? make_error(ErrorCode::invalid,
                                         "the search index names order " + id.str() +
                                             ", which has no view; run `dispatchctl rebuild`")
                            : order.error();
      return false;
    }
    if (!matches(filter_, **order) || !may_see_order(org_, viewer_, **order)) return true;
    if (orders_.size() == limit_) {
      more_ = true;
      return false;
    }
    orders_.push_back(folder_entry(**order));
    last_ = std::string(suffix);
    return true;
  }

  Result<json> page() {
    if (failure_) return *failure_;
    return json{{"orders", std::move(orders_)},
                {"next", more_ ? json(to_hex(last_)) : json(nullptr)}};
  }

 private:
  const Kv& kv_;
  const Org& org_;
  const AccountId& viewer_;
  const Parsed& filter_;
  std::size_t limit_;
  std::string start_;
  std::optional<std::string> stop_;
  json orders_ = json::array();
  std::string last_;
  bool more_ = false;
  std::optional<Error> failure_;
};

// Walks one index's entries under `prefix`: they are already in order.
Status walk_index(const Kv& kv, const std::string& prefix, Pager& pager) {
  const std::string after = pager.start().empty() ? std::string() : prefix + pager.start();
  return kv.scan(Space::projections, prefix, after, [&](std::string_view key, std::string_view) {
    return pager.visit(key.substr(prefix.size()));
  });
}

// Walks the orders whose id begins with `id_prefix`: ids sort by id, so their suffixes (the
// values of x/o/ keys, then the id) are gathered within the range, sorted, then visited.
Status walk_order_ids(const Kv& kv, const std::string& id_prefix, Pager& pager) {
  const std::string prefix = std::string(kByOrderId) + id_prefix;
  std::vector<std::string> suffixes;
  bool malformed = false;
  Status s =
      kv.scan(Space::projections, prefix, "", [&](std::string_view key, std::string_view value) {
        if (value.size() != kCreatedKeySize) {
          malformed = true;
          return false;
        }
        std::string suffix = std::string(value);
        suffix += key.substr(kByOrderId.size());
        if (suffix > pager.start() && !pager.past_end(suffix)) {
          suffixes.push_back(std::move(suffix));
        }
        return true;
      });
  if (!s.ok()) return s;
  if (malformed) {
    return make_error(ErrorCode::invalid,
                      "an information-number index entry is malformed; run `dispatchctl rebuild`");
  }
  std::sort(suffixes.begin(), suffixes.end());
  for (const auto& suffix : suffixes) {
    if (!pager.visit(suffix)) break;
  }
  return Status::success();
}

Result<std::string> field_text(const json& request, const char* name) {
  auto it = request.find(name);
  if (it == request.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return make_error(ErrorCode::invalid, std::string("field '") + name + "' must be a string",
                      name);
  }
  std::string value = it->get<std::string>();
  if (value.empty()) {
    return make_error(ErrorCode::invalid, std::string("field '") + name + "' must not be empty",
                      name);
  }
  return value;
}

// The photo references an order's units name, each once; an empty one is no reference.
std::set<std::string_view> photo_refs(const OrderState& order) {
  std::set<std::string_view> refs;
  for (const CapturedUnit& unit : order.units) {
    for (const auto& photo : unit.photos) {
      if (!photo.empty()) refs.insert(photo);
    }
  }
  return refs;
}

}  // namespace

Result<SearchFilter> search_filter_from_json(const json& request) {
  if (!request.is_object()) return make_error(ErrorCode::invalid, "a search is a JSON object");
  SearchFilter f;
  const std::pair<std::optional<std::string>*, const char*> fields[] = {
      {&f.phone, "phone"},
      {&f.name, "name"},
      {&f.order_id, "order_id"},
      {&f.platform_order_id, "platform_order_id"},
      {&f.photo, "photo"},
      {&f.platform, "platform"},
      {&f.status, "status"},
      {&f.kind, "kind"},
      {&f.created_from, "created_from"},
      {&f.created_to, "created_to"}};
  for (const auto& [out, name] : fields) {
    auto value = field_text(request, name);
    if (!value.ok()) return value.error();
    if (!value->empty()) *out = std::move(*value);
  }
  return f;
}

Result<json> query_search(const Kv& kv, const Org& org, const AccountId& viewer,
                          const SearchFilter& filter, std::size_t limit, const std::string& after) {
  auto parsed = parse(filter);
  if (!parsed.ok()) return parsed.error();
  if (limit == 0 || limit > kMaxFolderLimit) {
    return make_error(ErrorCode::invalid,
                      "limit must be between 1 and " + std::to_string(kMaxFolderLimit), "limit");
  }
  auto cursor = from_hex(after);
  if (!cursor || (!cursor->empty() && cursor->size() <= kCreatedKeySize)) {
    return make_error(ErrorCode::invalid, "the cursor is not one this engine gave", "after");
  }
  const ActorRole role = org.role_of(viewer);
  if (role == ActorRole::unknown) {
    return make_error(ErrorCode::forbidden, "unknown account " + viewer.str());
  }

  Pager pager(kv, org, viewer, *parsed, limit);
  pager.resume_after(*cursor);
  Status s;
  if (filter.photo) {
    s = walk_index(kv, index_prefix(kByPhoto, *filter.photo), pager);
  } else if (filter.platform_order_id) {
    s = walk_index(kv, index_prefix(kByPlatformId, *filter.platform_order_id), pager);
  } else if (filter.phone) {
    s = walk_index(kv, index_prefix(kByPhone, *filter.phone), pager);
  } else if (filter.name) {
    s = walk_index(kv, index_prefix(kByName, *filter.name), pager);
  } else if (filter.order_id) {
    s = walk_order_ids(kv, *filter.order_id, pager);
  } else if (role == ActorRole::unit) {
    s = walk_index(kv, index_prefix(kByUnit, viewer.str()), pager);
  } else if (role == ActorRole::staff) {
    s = walk_index(kv, index_prefix(kByStaff, viewer.str()), pager);
  } else {
    s = walk_index(kv, std::string(kByCreated), pager);
  }
  if (!s.ok()) return s.error();
  return pager.page();
}

// Keep in step with search_index_entries below: every field it reads is compared here.
bool same_search_index_entries(const OrderState& a, const OrderState& b) {
  const auto platform_order_id = [](const OrderState& o) -> std::string_view {
    return o.source ? std::string_view(o.source->platform_order_id) : std::string_view();
  };
  const auto same_photos = [&] {  // the index holds the units' photo references, as a set
    const auto same_unit_photos = [](const CapturedUnit& x, const CapturedUnit& y) {
      return x.photos == y.photos;
    };
    return std::equal(a.units.begin(), a.units.end(), b.units.begin(), b.units.end(),
                      same_unit_photos) ||
           photo_refs(a) == photo_refs(b);
  };
  return a.order_id == b.order_id && a.created_at == b.created_at &&
         a.customer.phone == b.customer.phone && a.customer.name == b.customer.name &&
         platform_order_id(a) == platform_order_id(b) && a.holder == b.holder &&
         a.creator == b.creator && a.primary == b.primary && a.assistants == b.assistants &&
         same_photos();
}

std::vector<std::pair<std::string, std::string>> search_index_entries(const OrderState& order,
                                                                      const Org& org) {
  // Reads only what same_search_index_entries above compares.
  const std::string created = created_key(instant_of(order.created_at));
  const std::string tail = created + order.order_id.str();
  std::vector<std::pair<std::string, std::string>> entries;
  entries.emplace_back(std::string(kByCreated) + tail, "");
  entries.emplace_back(std::string(kByOrderId) + order.order_id.str(), created);
  if (!order.customer.phone.empty()) {
    entries.emplace_back(index_prefix(kByPhone, order.customer.phone) + tail, "");
  }
  if (!order.customer.name.empty()) {
    entries.emplace_back(index_prefix(kByName, order.customer.name) + tail, "");
  }
  if (order.source && !order.source->platform_order_id.empty()) {
    entries.emplace_back(index_prefix(kByPlatformId, order.source->platform_order_id) + tail, "");
  }
  for (const std::string_view photo : photo_refs(order)) {
    entries.emplace_back(index_prefix(kByPhoto, photo) + tail, "");
  }
  // The units that may see it (visibility.h): the holder, the creator, and every unit above them.
  std::set<std::string> units;
  for (const UnitId* unit : {&order.holder, &order.creator}) {
    if (unit->empty()) continue;
    units.insert(unit->str());
    for (const auto& ancestor : org.ancestors(*unit)) units.insert(ancestor.str());
  }
  for (const auto& unit : units) entries.emplace_back(index_prefix(kByUnit, unit) + tail, "");
  // The technicians who may see it: the primary and the assistants.
  std::set<std::string> staff;
  if (order.primary) staff.insert(order.primary->str());
  for (const auto& assistant : order.assistants) staff.insert(assistant.str());
  for (const auto& person : staff) entries.emplace_back(index_prefix(kByStaff, person) + tail, "");
  return entries;
}

}  // namespace dispatch
