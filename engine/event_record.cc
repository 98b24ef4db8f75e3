// The fast reader of stored records (event_record.h). Every check the general reader makes
// (json::parse, then event_from_json's field rules) is made here too or leads to nullopt, so the
// general reader decides every record this one does not fully vouch for.
#include "engine/event_record.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "engine/command.h"
#include "engine/json_fields.h"

namespace dispatch {
namespace {

// JSON text as dump() writes it. A read that meets anything else returns false.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  bool eat(char c) {
    if (pos_ == text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

  // A string without escapes. JSON forbids control characters in strings, and the general
  // reader refuses invalid UTF-8.
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const std::size_t start = pos_;
    bool ascii = true;
    // Eight bytes at a time up to the closing quote (or a byte refused below): a record is
    // mostly such runs, and reading it a byte at a time was a fifth of decoding it (callgrind of
    // a replay).
    for (std::uint64_t word = 0; pos_ + sizeof word <= text_.size(); pos_ += sizeof word) {
      std::memcpy(&word, text_.data() + pos_, sizeof word);
      const std::uint64_t stops = stop_bytes(word);
      if (stops == 0) {
        if ((word & kHighBits) != 0) ascii = false;
        continue;
      }
      if constexpr (std::endian::native == std::endian::little) {  // the first byte is lowest
        const std::uint64_t before_stop = (stops & (~stops + 1)) - 1;
        if ((word & kHighBits & before_stop) != 0) ascii = false;
        pos_ += static_cast<std::size_t>(std::countr_zero(stops)) / 8;
      }
      break;  // the loop below reads the stop (and, big-endian, the bytes before it)
    }
    for (; pos_ < text_.size(); ++pos_) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') break;
      if (c == '\\' || c < 0x20) return false;
      if (c >= 0x80) ascii = false;
    }
    if (pos_ == text_.size()) return false;
    out = text_.substr(start, pos_ - start);
    ++pos_;
    return ascii || detail::is_valid_utf8(out);
  }
  bool string(std::string& out) {
    std::string_view s;
    if (!string(s)) return false;
    out.assign(s);
    return true;
  }
  // An identifier: a non-empty string.
  template <class Id>
  bool id(Id& out) {
    std::string_view s;
    if (!string(s) || s.empty()) return false;
    out = Id(std::string(s));
    return true;
  }

  // Integers as dump() writes them: no leading zero, no fraction or exponent (which the general
  // reader would still accept as 2.0 for 2; those records go its way). Few enough digits that
  // the value fits.
  bool uint64(std::uint64_t& out) {
    const std::size_t digits = count_digits(pos_);
    if (digits == 0 || digits > 19 || (digits > 1 && text_[pos_] == '0')) return false;
    return convert(pos_ + digits, out);
  }
  bool int64(std::int64_t& out) {
    const std::size_t sign = pos_ < text_.size() && text_[pos_] == '-' ? 1 : 0;
    const std::size_t digits = count_digits(pos_ + sign);
    if (digits == 0 || digits > 18 || (digits > 1 && text_[pos_ + sign] == '0')) return false;
    return convert(pos_ + sign + digits, out);
  }
  // A JSON number read as a double the way the general reader reads one: a number with a
  // fraction or an exponent correctly rounded (strtod), an integer (-0 too) as the integer it
  // is, converted.
  bool number(double& out) {
    std::size_t end = pos_;
    const bool negative = end < text_.size() && text_[end] == '-';
    if (negative) ++end;
    const std::size_t digits = count_digits(end);
    if (digits == 0 || (digits > 1 && text_[end] == '0')) return false;
    end += digits;
    const bool integer =
        end == text_.size() || (text_[end] != '.' && text_[end] != 'e' && text_[end] != 'E');
    if (integer && negative) {
      std::int64_t i = 0;
      if (!int64(i)) return false;
      out = static_cast<double>(i);
      return true;
    }
    if (integer) {
      std::uint64_t u = 0;
      if (!uint64(u)) return false;
      out = static_cast<double>(u);
      return true;
    }
    if (end < text_.size() && text_[end] == '.') {
      const std::size_t fraction = count_digits(end + 1);
      if (fraction == 0) return false;
      end += 1 + fraction;
    }
    if (end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      ++end;
      if (end < text_.size() && (text_[end] == '+' || text_[end] == '-')) ++end;
      const std::size_t exponent = count_digits(end);
      if (exponent == 0) return false;
      end += exponent;
    }
    return convert(end, out) && std::isfinite(out);
  }

  // [element, …]; `element` reads one.
  template <class Element>
  bool array(Element&& element) {
    if (!eat('[')) return false;
    if (eat(']')) return true;
    do {
      if (!element()) return false;
    } while (eat(','));
    return eat(']');
  }
  // {"key": value, …}; `member(key)` reads the value. dump() sorts the keys, which also rules out
  // a repeated key (whose meaning the general reader would decide).
  template <class Member>
  bool object(Member&& member) {
    if (!eat('{')) return false;
    if (eat('}')) return true;
    std::string_view previous;
    bool first = true;
    do {
      std::string_view key;
      if (!string(key) || !eat(':')) return false;
      if (!first && !(previous < key)) return false;
      first = false;
      previous = key;
      if (!member(key)) return false;
    } while (eat(','));
    return eat('}');
  }

 private:
  static constexpr std::uint64_t kOnes = 0x0101010101010101;
  static constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7F;
  static constexpr std::uint64_t kHighBits = 0x8080808080808080;
  // 0x80 in each byte of `word` that is zero, nothing elsewhere. Exact for every byte: the sums
  // of low seven bits never carry into the next byte.
  static std::uint64_t zero_bytes(std::uint64_t word) {
    return ~(((word & kLow7) + kLow7) | word | kLow7);
  }
  // 0x80 in each byte of `word` that is a quote, a backslash or a control character (below
  // 0x20), nothing elsewhere.
  static std::uint64_t stop_bytes(std::uint64_t word) {
    const std::uint64_t control = ~((word & kLow7) + kOnes * 0x60) & ~word & kHighBits;
    return zero_bytes(word ^ (kOnes * '"')) | zero_bytes(word ^ (kOnes * '\\')) | control;
  }

  std::size_t count_digits(std::size_t from) const {
    std::size_t end = from;
    while (end < text_.size() && text_[end] >= '0' && text_[end] <= '9') ++end;
    return end - from;
  }
  template <class T>
  bool convert(std::size_t end, T& out) {
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + end;
    auto [ptr, ec] = std::from_chars(first, last, out);
    if (ec != std::errc() || ptr != last) return false;
    pos_ = end;
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

bool read_strings(Reader& r, std::vector<std::string>& out) {
  return r.array([&] { return r.string(out.emplace_back()); });
}

bool read_customer(Reader& r, Customer& c) {
  bool name = false;
  bool phone = false;
  bool address = false;
  bool read = r.object([&](std::string_view key) {
    if (key == "address") return address = r.string(c.address);
    if (key == "city") return r.string(c.city);
    if (key == "district") return r.string(c.district);
    if (key == "name") return name = r.string(c.name);
    if (key == "phone") return phone = r.string(c.phone);
    if (key == "province") return r.string(c.province);
    return false;
  });
  return read && name && phone && address;
}

bool read_item(Reader& r, Item& item) {
  bool model = false;
  bool quantity = false;
  bool read = r.object([&](std::string_view key) {
    if (key == "model") return model = r.string(item.model);
    if (key == "quantity") return quantity = r.int64(item.quantity);
    return false;
  });
  return read && model && quantity;
}

// indoor_barcode, outdoor_barcode and photos: the members of a captured unit, or of the
// UnitCaptured event itself (flat).
struct CapturedFields {
  CapturedUnit unit;
  bool indoor = false;
  bool outdoor = false;
  bool photos = false;
  bool whole() const { return indoor && outdoor && photos; }
  // Reads the member `key`; false when `key` is not one of them or its value is not read.
  std::optional<bool> read(Reader& r, std::string_view key) {
    if (key == "indoor_barcode") return indoor = r.string(unit.indoor_barcode);
    if (key == "outdoor_barcode") return outdoor = r.string(unit.outdoor_barcode);
    if (key == "photos") return photos = read_strings(r, unit.photos);
    return std::nullopt;
  }
};

bool read_captured(Reader& r, CapturedUnit& out) {
  CapturedFields fields;
  bool read = r.object([&](std::string_view key) { return fields.read(r, key).value_or(false); });
  if (!read || !fields.whole()) return false;
  out = std::move(fields.unit);
  return true;
}

// The top-level members an order event may have. Which are required depends on the type.
struct Members {
  std::string_view type;
  std::string stream;
  AccountId actor;
  std::string at;
  CommandId command_id;
  std::uint64_t version = 0;
  std::uint64_t position = 0;
  OrderId order_id;
  std::string_view kind;
  UnitId unit;
  UnitId from;
  UnitId returned_to;
  StaffId primary;
  std::vector<StaffId> assistants;
  std::string reason;
  std::string text;
  std::string note;
  Customer customer;
  std::vector<Item> items;
  std::vector<CapturedUnit> units;
  double lat = 0;
  double lon = 0;
  CapturedFields captured;

  // Which members were present, by name.
  enum Flag : std::uint32_t {
    kType = 1u << 0,
    kStream = 1u << 1,
    kActor = 1u << 2,
    kAt = 1u << 3,
    kCommandId = 1u << 4,
    kVersion = 1u << 5,
    kPosition = 1u << 6,
    kOrderId = 1u << 7,
    kKind = 1u << 8,
    kUnit = 1u << 9,
    kFrom = 1u << 10,
    kReturnedTo = 1u << 11,
    kPrimary = 1u << 12,
    kAssistants = 1u << 13,
    kReason = 1u << 14,
    kText = 1u << 15,
    kCustomer = 1u << 16,
    kItems = 1u << 17,
    kUnits = 1u << 18,
    kLat = 1u << 19,
    kLon = 1u << 20,
  };
  std::uint32_t present = 0;
  bool has(std::uint32_t flags) const { return (present & flags) == flags; }

  bool read(Reader& r, std::string_view key) {
    auto mark = [this](bool ok, Flag flag) {
      if (ok) present |= flag;
      return ok;
    };
    switch (key.empty() ? '\0' : key.front()) {
      case 'a':
        if (key == "actor") return mark(r.id(actor), kActor);
        if (key == "assistants") {
          return mark(r.array([&] { return r.id(assistants.emplace_back()); }), kAssistants);
        }
        if (key == "at") return mark(r.string(at), kAt);
        break;
      case 'c':
        if (key == "command_id") return mark(r.id(command_id), kCommandId);
        if (key == "customer") return mark(read_customer(r, customer), kCustomer);
        break;
      case 'f':
        if (key == "from") return mark(r.id(from), kFrom);
        break;
      case 'h':
        if (key == "hash") {
          std::string_view ignored;
          return r.string(ignored);
        }
        break;
      case 'i':
        if (key == "items") {
          return mark(r.array([&] { return read_item(r, items.emplace_back()); }), kItems);
        }
        break;
      case 'k':
        if (key == "kind") return mark(r.string(kind), kKind);
        break;
      case 'l':
        if (key == "lat") return mark(r.number(lat), kLat);
        if (key == "lon") return mark(r.number(lon), kLon);
        break;
      case 'n':
        if (key == "note") return r.string(note);
        break;
      case 'o':
        if (key == "order_id") return mark(r.id(order_id), kOrderId);
        break;
      case 'p':
        if (key == "position") return mark(r.uint64(position), kPosition);
        if (key == "prev_hash") {
          std::string_view ignored;
          return r.string(ignored);
        }
        if (key == "primary") return mark(r.id(primary), kPrimary);
        break;
      case 'r':
        if (key == "reason") return mark(r.string(reason), kReason);
        if (key == "returned_to") return mark(r.id(returned_to), kReturnedTo);
        break;
      case 's':
        if (key == "stream") return mark(r.string(stream) && !stream.empty(), kStream);
        break;
      case 't':
        if (key == "text") return mark(r.string(text), kText);
        if (key == "type") return mark(r.string(type), kType);
        break;
      case 'u':
        if (key == "unit") return mark(r.id(unit), kUnit);
        if (key == "units") {
          return mark(r.array([&] { return read_captured(r, units.emplace_back()); }), kUnits);
        }
        break;
      case 'v':
        if (key == "version") return mark(r.uint64(version), kVersion);
        break;
      default:
        break;
    }
    return captured.read(r, key).value_or(false);
  }
};

// The event's body from its members; nullopt when the type is not an order event this reader
// knows, or a member its type requires is missing or out of range.
std::optional<EventBody> body_of(Members& m) {
  using M = Members;
  const std::string_view t = m.type;
  if (t != ev::OrderCreated::kType && !m.has(M::kOrderId)) return std::nullopt;
  if (t == ev::OrderCreated::kType) {
    if (!m.has(M::kOrderId | M::kKind | M::kUnit | M::kCustomer | M::kItems)) return std::nullopt;
    auto kind = parse_order_kind(m.kind);
    if (!kind || m.items.empty()) return std::nullopt;
    return ev::OrderCreated{
        std::move(m.order_id), *kind,        std::move(m.unit), std::move(m.customer),
        std::move(m.items),    std::nullopt, std::move(m.note)};
  }
  if (t == ev::DispatchedToUnit::kType) {
    if (!m.has(M::kFrom | M::kUnit)) return std::nullopt;
    return ev::DispatchedToUnit{std::move(m.order_id), std::move(m.from), std::move(m.unit)};
  }
  if (t == ev::TechniciansAssigned::kType) {
    if (!m.has(M::kPrimary | M::kAssistants)) return std::nullopt;
    return ev::TechniciansAssigned{std::move(m.order_id), std::move(m.primary),
                                   std::move(m.assistants)};
  }
  if (t == ev::OrderAccepted::kType) return ev::OrderAccepted{std::move(m.order_id)};
  if (t == ev::CheckedIn::kType) {
    if (!m.has(M::kLat | M::kLon) || m.lat < -90 || m.lat > 90 || m.lon < -180 || m.lon > 180) {
      return std::nullopt;
    }
    return ev::CheckedIn{std::move(m.order_id), m.lat, m.lon};
  }
  if (t == ev::UnitCaptured::kType) {
    if (!m.captured.whole()) return std::nullopt;
    return ev::UnitCaptured{std::move(m.order_id), std::move(m.captured.unit)};
  }
  if (t == ev::OrderCompleted::kType) return ev::OrderCompleted{std::move(m.order_id)};
  if (t == ev::OrderClosed::kType) return ev::OrderClosed{std::move(m.order_id)};
  if (t == ev::CompletionReported::kType) {
    if (!m.has(M::kUnits)) return std::nullopt;
    return ev::CompletionReported{std::move(m.order_id), std::move(m.units)};
  }
  if (t == ev::ReassignmentApproved::kType) {
    if (!m.has(M::kReturnedTo)) return std::nullopt;
    return ev::ReassignmentApproved{std::move(m.order_id), std::move(m.returned_to)};
  }
  if (t == ev::CustomerAddressChanged::kType) {
    if (!m.has(M::kCustomer)) return std::nullopt;
    return ev::CustomerAddressChanged{std::move(m.order_id), std::move(m.customer)};
  }
  if (t == ev::FeedbackAdded::kType) {
    if (!m.has(M::kText)) return std::nullopt;
    return ev::FeedbackAdded{std::move(m.order_id), std::move(m.text)};
  }
  if (!m.has(M::kReason)) return std::nullopt;
  if (t == ev::OrderRefused::kType)
    return ev::OrderRefused{std::move(m.order_id), std::move(m.reason)};
  if (t == ev::ReassignmentRequested::kType) {
    return ev::ReassignmentRequested{std::move(m.order_id), std::move(m.reason)};
  }
  if (t == ev::ReassignmentRejected::kType) {
    return ev::ReassignmentRejected{std::move(m.order_id), std::move(m.reason)};
  }
  if (t == ev::OrderCancelled::kType) {
    return ev::OrderCancelled{std::move(m.order_id), std::move(m.reason)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Event> decode_event_record(std::string_view record) {
  Reader r(record);
  Members m;
  if (!r.object([&](std::string_view key) { return m.read(r, key); }) || !r.done()) {
    return std::nullopt;
  }
  using M = Members;
  if (!m.has(M::kType | M::kStream | M::kActor | M::kAt | M::kCommandId | M::kVersion |
             M::kPosition) ||
      !is_rfc3339(m.at)) {
    return std::nullopt;
  }
  auto body = body_of(m);
  if (!body) return std::nullopt;
  Event e;
  e.stream = std::move(m.stream);
  e.actor = std::move(m.actor);
  e.at = std::move(m.at);
  e.command_id = std::move(m.command_id);
  e.version = Version(m.version);
  e.position = Position(m.position);
  e.body = std::move(*body);
  return e;
}

}  // namespace dispatch
