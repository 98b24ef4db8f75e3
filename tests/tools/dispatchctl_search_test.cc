// `dispatchctl search --json` end to end, on the walkthrough's store: filters, what an account
// sees, paging with --after, refusals naming the field, and rebuild + verify with the indexes.
#define BOOST_TEST_MODULE dispatchctl_search
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch::testing;

namespace {
struct Store {
  TempDir dir;
  Store() {
    Output o = run(dispatchctl() + " apply " + source_dir() + "/tools/data/walkthrough.jsonl" +
                   " --data " + dir.path() + " --json");
    BOOST_TEST_REQUIRE(o.exit_code == 0);
  }
  json search(const std::string& options, int expected_exit = 0) const {
    Output o = run(dispatchctl() + " search " + options + " --json --data " + dir.path());
    BOOST_TEST(o.exit_code == expected_exit, options);
    json page = json::parse(o.out, nullptr, false);
    BOOST_TEST_REQUIRE(!page.is_discarded(), o.out);
    return page;
  }
  static std::vector<std::string> ids(const json& page) {
    std::vector<std::string> out;
    for (const auto& o : page["orders"]) out.push_back(o["order_id"].get<std::string>());
    return out;
  }
};
using Ids = std::vector<std::string>;
}  // namespace

BOOST_FIXTURE_TEST_CASE(filters_find_the_walkthroughs_orders, Store) {
  json page = search("--phone 13912345678");
  BOOST_TEST(ids(page) == (Ids{"AZ20150108000001"}), boost::test_tools::per_element());
  BOOST_TEST(page["next"].is_null());
  const json& entry = page["orders"][0];
  for (const char* key :
       {"order_id", "kind", "status", "holder", "customer", "created_at", "updated_at"}) {
    BOOST_TEST(entry.contains(key), key);
  }
  BOOST_TEST(entry.size() == 7u);
  BOOST_TEST(ids(search("--name 赵先生")) == (Ids{"XS20150108000001"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(search("--kind delivery")) == (Ids{"PS20150108000001"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(search("--status closed --order-id AZ2015010800000")) ==
                 (Ids{"AZ20150108000004", "AZ20150108000001"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(search("--from 2015-01-09")).empty());
  BOOST_TEST(search("--from 2015-01-08 --to 2015-01-08")["orders"].size() == 10u);
}

BOOST_FIXTURE_TEST_CASE(as_an_account_only_what_it_may_see, Store) {
  BOOST_TEST(ids(search("--as S2100912")) == (Ids{"AZ20150108000002"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(search("--as S2100912 --phone 13912345678")).empty());
  BOOST_TEST(ids(search("--as X250001201")) == (Ids{"XS20150108000001"}),
             boost::test_tools::per_element());
  json refused = search("--as nobody", 1);
  BOOST_TEST(refused["error"]["code"] == "forbidden");
}

BOOST_FIXTURE_TEST_CASE(paging_with_after_gives_every_order_once, Store) {
  std::set<std::string> seen;
  std::size_t pages = 0;
  std::string after;
  for (; pages < 20; ++pages) {
    json page = search("--limit 3" + (after.empty() ? "" : " --after " + after));
    BOOST_TEST(page["orders"].size() <= 3u);
    for (const auto& id : ids(page)) BOOST_TEST(seen.insert(id).second, id);
    if (page["next"].is_null()) break;
    after = page["next"].get<std::string>();
  }
  BOOST_TEST(seen.size() == 10u);
  BOOST_TEST(pages == 3u);  // 3 + 3 + 3 + 1
}

BOOST_FIXTURE_TEST_CASE(bad_filters_are_refused_naming_the_field, Store) {
  BOOST_TEST(search("--status open", 1)["error"]["field"] == "status");
  BOOST_TEST(search("--from 2015-02-30", 1)["error"]["field"] == "created_from");
  BOOST_TEST(search("--limit 0", 1)["error"]["field"] == "limit");
  BOOST_TEST(search("--after xyz", 1)["error"]["field"] == "after");
}

BOOST_FIXTURE_TEST_CASE(rebuild_then_verify_is_clean_and_search_still_answers, Store) {
  BOOST_TEST(run(dispatchctl() + " rebuild --data " + dir.path()).exit_code == 0);
  Output verify = run(dispatchctl() + " verify --json --data " + dir.path());
  BOOST_TEST(verify.exit_code == 0, verify.out);
  BOOST_TEST(json::parse(verify.out)["ok"] == true);
  BOOST_TEST(ids(search("--phone 13912345678")) == (Ids{"AZ20150108000001"}),
             boost::test_tools::per_element());
}
