#include "connectors/parse.h"

namespace dispatch::connectors {

Result<std::vector<ShopMessage>> parse_payload(Platform platform, std::string_view payload) {
  switch (platform) {
    case Platform::tmall:
      return parse_tmall(payload);
    case Platform::jd:
      return parse_jd(payload);
    case Platform::gree_mall:
      return parse_gree_mall(payload);
  }
  return make_error(ErrorCode::invalid, "unknown platform");
}

}  // namespace dispatch::connectors
