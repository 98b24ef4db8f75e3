// Gree mall (格力商城): it publishes no API, so its feed is ours (schemas/connectors/gree_mall.
// schema.json), one record per line, with the fields of Gree's own service forms.
#include <utility>

#include "connectors/fields.h"
#include "connectors/parse.h"

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;
using namespace detail;

std::vector<ShopMessage> parse(std::string_view payload) {
  json j = parse_json(payload);
  const std::string path = "gree_mall_order";
  const json& o = member(j, "", path);
  ShopOrder s;
  s.platform = Platform::gree_mall;
  s.platform_order_id = id(member(o, path, "sales_order_no"), join(path, "sales_order_no"));
  s.platform_status = text(o, path, "status");
  if (s.platform_status == "unpaid") {
    s.status = ShopStatus::unpaid;
  } else if (s.platform_status == "paid") {
    s.status = ShopStatus::paid;
  } else if (s.platform_status == "cancelled" || s.platform_status == "refunded") {
    s.status = ShopStatus::closed;
  } else {
    fail("unknown status " + s.platform_status, join(path, "status"));
  }
  s.receiver.name = text(o, path, "buyer");
  s.receiver.phone = text(o, path, "mobile");
  s.receiver.province = normalise_province(text(o, path, "province"));
  s.receiver.city = normalise_city(text_or_empty(o, "city"));
  s.receiver.district = text_or_empty(o, "county");
  std::string street = text_or_empty(o, "street");
  s.receiver.address = street + text(o, path, "address");
  s.needs_decrypt = looks_protected(s.receiver.name) || looks_protected(s.receiver.phone);
  s.modified = beijing_time(o, path, "modified");
  (void)beijing_time(o, path, "purchase_date");
  std::string booked = beijing_time(o, path, "install_time");
  if (!booked.empty()) s.note = "预约安装时间 " + booked;
  std::string lpath = join(path, "lines");
  const auto& lines = array(o, path, "lines");
  if (lines.empty()) fail(lpath + " lists no line", lpath);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string p = lpath + "[" + std::to_string(i) + "]";
    ShopLine line;
    line.model = text(lines[i], p, "model");
    line.quantity = quantity(member(lines[i], p, "quantity"), join(p, "quantity"));
    s.lines.push_back(std::move(line));
  }
  return {ShopMessage(std::move(s))};
}
}  // namespace

Result<std::vector<ShopMessage>> parse_gree_mall(std::string_view payload) {
  return run_parser(parse, payload);
}

}  // namespace dispatch::connectors
