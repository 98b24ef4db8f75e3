// How Boost.Test prints values it cannot print by itself when a comparison fails: error codes and
// optional strings (as the Kv returns them).
#pragma once

#include <boost/test/unit_test.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "engine/status.h"

namespace dispatch {
inline std::ostream& boost_test_print_type(std::ostream& os, ErrorCode code) {
  return os << to_string(code);
}
}  // namespace dispatch

namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::optional<std::string>> {
  void operator()(std::ostream& os, const std::optional<std::string>& v) {
    os << (v ? "\"" + *v + "\"" : std::string("nullopt"));
  }
};
template <>
struct print_log_value<std::optional<std::optional<std::string>>> {
  void operator()(std::ostream& os, const std::optional<std::optional<std::string>>& v) {
    if (!v) {
      os << "nothing pending";
    } else {
      print_log_value<std::optional<std::string>>()(os, *v);
    }
  }
};
}  // namespace boost::test_tools::tt_detail
