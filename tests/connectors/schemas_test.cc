// The fixtures of tests/data/connectors/ against the payload schemas of schemas/connectors/,
// checked by the independent validator (tests/schemas/validate.py, Python jsonschema): the good
// payloads pass and exactly the deliberately bad ones fail.
#define BOOST_TEST_MODULE connectors_schemas
#include <boost/test/unit_test.hpp>

#include "tests/support/process.h"

using namespace dispatch::testing;

namespace {
Output validate(const std::string& schema, const std::string& fixture) {
  return run("/usr/bin/python3 " + source_dir() +
             "/tests/schemas/validate.py --schema connectors/" + schema + ".schema.json " +
             source_dir() + "/tests/data/connectors/" + fixture + ".jsonl");
}
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
}  // namespace

BOOST_AUTO_TEST_CASE(tmall_payloads) {
  Output first = validate("tmall", "tmall_1");
  BOOST_TEST(first.exit_code == 1, first.out);
  BOOST_TEST(has(first.out, "19 passed, 2 failed"), first.out);
  BOOST_TEST(has(first.out, "line 18: not JSON"), first.out);
  BOOST_TEST(has(first.out,
                 "line 19: trade_fullinfo_get_response.trade: 'receiver_name' is a "
                 "required property"),
             first.out);
  Output second = validate("tmall", "tmall_2");
  BOOST_TEST(second.exit_code == 0, second.out);
  BOOST_TEST(has(second.out, "5 passed, 0 failed"), second.out);
}

BOOST_AUTO_TEST_CASE(jd_and_gree_mall_payloads) {
  Output jd = validate("jd", "jd");
  BOOST_TEST(jd.exit_code == 0, jd.out);
  BOOST_TEST(has(jd.out, "3 passed, 0 failed"), jd.out);
  Output gree = validate("gree_mall", "gree_mall");
  BOOST_TEST(gree.exit_code == 1, gree.out);
  BOOST_TEST(has(gree.out, "1 passed, 1 failed"), gree.out);
  BOOST_TEST(has(gree.out, "line 2: gree_mall_order.lines[0].quantity"), gree.out);
}
