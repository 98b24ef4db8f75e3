// The order query (工单查询) over the in-memory store and the engine: each filter finds the
// right orders and only them, an account finds only what it may see, pages give every match
// once, bad input names its field, and the search indexes are projections like the others
// (rebuild reproduces them, verify checks them).
#define BOOST_TEST_MODULE search
#include "projections/search.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>

#include "engine/engine.h"
#include "projections/visibility.h"
#include "tests/support/orders.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch;

namespace {
using Ids = std::vector<std::string>;

// The walkthrough's organisation:
//   X25 (sales company) ── ZHKF (service center) ─┬─ S2100911 (outlet) ── S2100911-01
//                       │                          └─ S2100912 (outlet, a sibling)
//                       └── X250001 (sales center) ── X250001201 (sales outlet, linked to S2100911)
// technicians S21009110001 and S21009110002 at S2100911, S2100911010001 at S2100911-01.
// And six orders, newest created first as search lists them:
//   AZ-TM-T1001  ZHKF, tmall T1001, 钱女士 139…05, 2015-01-12 09:00 +08:00, pending
//   PS-JD-T1001  ZHKF, jd T1001, delivery, 钱女士 139…05, the same instant (id breaks the tie)
//   XS4          created by the sales outlet X250001201, 赵先生, passed to S2100911, then down to
//                S2100911-01, 2015-01-11
//   PS3          ZHKF, delivery, 王先生 139…01, 2015-01-10T01:00+08:00 (2015-01-09 in UTC), pending
//   AZ2          ZHKF, 李女士 139…02, 2015-01-09, dispatched to the sibling S2100912
//   AZ1          ZHKF, 王先生 139…01, 2015-01-08, at S2100911, assigned to S21009110002 with
//                S21009110001 assisting
struct World {
  std::unique_ptr<Kv> kv = make_memory_kv();
  std::unique_ptr<Engine> engine;
  int commands = 0;

  World() {
    EngineOptions options;
    options.clock = [] { return std::string("2015-01-20T09:00:00+08:00"); };
    auto e = Engine::open(std::make_unique<ForwardingKv>(*kv), options);
    BOOST_TEST_REQUIRE(e.ok());
    engine = std::move(e.value());
    std::ifstream in(dispatch::testing::source_dir() + "/tools/data/walkthrough.jsonl");
    std::string line;
    for (int i = 0; i < 12 && std::getline(in, line); ++i) run(json::parse(line));

    create("AZ1", "ZHKF", "installation", "王先生", "13900000001", "2015-01-08T09:00:00+08:00");
    dispatch("ZHKF", "AZ1", "S2100911");
    run({{"type", "AssignTechnicians"},
         {"actor", "S2100911"},
         {"order_ids", {"AZ1"}},
         {"primary", "S21009110002"},
         {"assistants", {"S21009110001"}}});
    create("AZ2", "ZHKF", "installation", "李女士", "13900000002", "2015-01-09T10:00:00+08:00");
    dispatch("ZHKF", "AZ2", "S2100912");
    create("PS3", "ZHKF", "delivery", "王先生", "13900000001", "2015-01-10T01:00:00+08:00");
    create("XS4", "X250001201", "installation", "赵先生", "13900000004",
           "2015-01-11T09:00:00+08:00");
    dispatch("X250001201", "XS4", "S2100911");
    dispatch("S2100911", "XS4", "S2100911-01");
    create("AZ-TM-T1001", "ZHKF", "installation", "钱女士", "13900000005",
           "2015-01-12T09:00:00+08:00",
           json{{"platform", "tmall"}, {"platform_order_id", "T1001"}});
    create("PS-JD-T1001", "ZHKF", "delivery", "钱女士", "13900000005", "2015-01-12T09:00:00+08:00",
           json{{"platform", "jd"}, {"platform_order_id", "T1001"}});
  }

  json run(json command) {
    if (!command.contains("id")) command["id"] = "t-" + std::to_string(++commands);
    auto parsed = parse_command(command);
    BOOST_TEST_REQUIRE(parsed.ok(), command.dump());
    json reply = engine->execute(std::move(parsed.value()));
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    return reply;
  }
  void create(const std::string& id, const std::string& actor, const std::string& kind,
              const std::string& name, const std::string& phone, const std::string& at,
              json source = nullptr) {
    json c = {{"type", "CreateOrder"},
              {"actor", actor},
              {"at", at},
              {"order_id", id},
              {"kind", kind},
              {"customer", {{"name", name}, {"phone", phone}, {"address", "香洲"}}},
              {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}};
    if (!source.is_null()) c["source"] = source;
    run(c);
  }
  void dispatch(const std::string& actor, const std::string& id, const std::string& unit) {
    run({{"type", "DispatchToUnit"}, {"actor", actor}, {"order_ids", {id}}, {"unit", unit}});
  }

  Result<json> search(const std::string& viewer, const SearchFilter& filter, std::size_t limit = 50,
                      const std::string& after = "") const {
    return query_search(*kv, engine->org(), AccountId(viewer), filter, limit, after);
  }

  // Every match, following "next" page by page; each order must come once.
  Ids all(const std::string& viewer, const SearchFilter& filter, std::size_t limit = 50) const {
    Ids ids;
    std::string after;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = search(viewer, filter, limit, after);
      BOOST_TEST_REQUIRE(page.ok(), (page.ok() ? std::string() : page.error().message));
      BOOST_TEST((*page)["orders"].size() <= limit);
      for (const auto& o : (*page)["orders"]) ids.push_back(o["order_id"].get<std::string>());
      if ((*page)["next"].is_null()) break;
      after = (*page)["next"].get<std::string>();
    }
    BOOST_TEST(std::set<std::string>(ids.begin(), ids.end()).size() == ids.size());
    return ids;
  }
  Ids all(const SearchFilter& filter) const { return all("admin", filter); }

  Error refusal(const SearchFilter& filter, std::size_t limit = 50,
                const std::string& after = "") const {
    auto page = search("admin", filter, limit, after);
    BOOST_TEST_REQUIRE(!page.ok());
    return page.error();
  }

  // The keys of the search indexes, with their values.
  std::map<std::string, std::string> index_keys() const {
    std::map<std::string, std::string> keys;
    BOOST_TEST_REQUIRE(kv->scan(Space::projections, "x/", "", [&](auto key, auto value) {
                           keys.emplace(key, value);
                           return true;
                         }).ok());
    return keys;
  }
};

SearchFilter by(std::optional<std::string> SearchFilter::*field, std::string value) {
  SearchFilter f;
  f.*field = std::move(value);
  return f;
}

const Ids kEveryOrder = {"AZ-TM-T1001", "PS-JD-T1001", "XS4", "PS3", "AZ2", "AZ1"};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(order_query, World)

BOOST_AUTO_TEST_CASE(without_filters_admin_lists_every_order_newest_created_first) {
  BOOST_TEST(all(SearchFilter{}) == kEveryOrder, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(phone_and_name_find_exactly_that_customers_orders) {
  BOOST_TEST(all(by(&SearchFilter::phone, "13900000001")) == (Ids{"PS3", "AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::phone, "1390000000")).empty());
  BOOST_TEST(all(by(&SearchFilter::name, "钱女士")) == (Ids{"AZ-TM-T1001", "PS-JD-T1001"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::name, "王")).empty());
  BOOST_TEST(all(by(&SearchFilter::name, "nobody")).empty());
}

BOOST_AUTO_TEST_CASE(the_information_number_matches_exactly_or_by_its_beginning) {
  BOOST_TEST(all(by(&SearchFilter::order_id, "AZ1")) == (Ids{"AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::order_id, "AZ")) == (Ids{"AZ-TM-T1001", "AZ2", "AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::order_id, "PS")) == (Ids{"PS-JD-T1001", "PS3"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::order_id, "AZ9")).empty());
}

BOOST_AUTO_TEST_CASE(a_platform_order_id_finds_its_work_orders_on_every_platform_or_one) {
  BOOST_TEST(
      all(by(&SearchFilter::platform_order_id, "T1001")) == (Ids{"AZ-TM-T1001", "PS-JD-T1001"}),
      boost::test_tools::per_element());
  SearchFilter jd = by(&SearchFilter::platform_order_id, "T1001");
  jd.platform = "jd";
  BOOST_TEST(all(jd) == (Ids{"PS-JD-T1001"}), boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::platform, "tmall")) == (Ids{"AZ-TM-T1001"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::platform_order_id, "T1002")).empty());
}

BOOST_AUTO_TEST_CASE(status_and_kind_filter_every_order) {
  BOOST_TEST(all(by(&SearchFilter::status, "to_accept")) == (Ids{"AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::status, "pending_dispatch")) ==
                 (Ids{"AZ-TM-T1001", "PS-JD-T1001", "XS4", "PS3", "AZ2"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::status, "closed")).empty());
  BOOST_TEST(all(by(&SearchFilter::kind, "delivery")) == (Ids{"PS-JD-T1001", "PS3"}),
             boost::test_tools::per_element());
  SearchFilter both = by(&SearchFilter::phone, "13900000001");
  both.kind = "installation";
  BOOST_TEST(all(both) == (Ids{"AZ1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_date_compares_the_date_written_in_created_at_both_ends_included) {
  // PS3 was created at 2015-01-10T01:00+08:00: 2015-01-10 as written, though 01-09 in UTC.
  SearchFilter day;
  day.created_from = "2015-01-10";
  day.created_to = "2015-01-10";
  BOOST_TEST(all(day) == (Ids{"PS3"}), boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::created_to, "2015-01-09")) == (Ids{"AZ2", "AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::created_from, "2015-01-11")) ==
                 (Ids{"AZ-TM-T1001", "PS-JD-T1001", "XS4"}),
             boost::test_tools::per_element());
  SearchFilter with_phone = by(&SearchFilter::phone, "13900000001");
  with_phone.created_from = "2015-01-09";
  BOOST_TEST(all(with_phone) == (Ids{"PS3"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_date_time_compares_instants_both_ends_included) {
  SearchFilter range;
  range.created_from = "2015-01-09T17:00:00Z";     // PS3's instant
  range.created_to = "2015-01-11T09:00:00+08:00";  // XS4's
  BOOST_TEST(all(range) == (Ids{"XS4", "PS3"}), boost::test_tools::per_element());
  range.created_from = "2015-01-09T17:00:00.001Z";
  BOOST_TEST(all(range) == (Ids{"XS4"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(entries_are_shaped_exactly_like_folder_entries) {
  auto page = search("admin", by(&SearchFilter::order_id, "AZ2"));
  BOOST_TEST_REQUIRE(page.ok());
  BOOST_TEST((*page)["next"].is_null());
  BOOST_TEST(!page->contains("total"));
  auto folder = engine->folder("S2100912", "install_pending_dispatch", 50, "");
  BOOST_TEST_REQUIRE(folder.ok());
  BOOST_TEST((*page)["orders"] == (*folder)["orders"]);
}

BOOST_AUTO_TEST_CASE(a_sibling_outlet_sees_none_of_another_outlets_orders) {
  BOOST_TEST(all("S2100912", SearchFilter{}) == (Ids{"AZ2"}), boost::test_tools::per_element());
  BOOST_TEST(all("S2100912", by(&SearchFilter::phone, "13900000001")).empty());
  BOOST_TEST(all("S2100912", by(&SearchFilter::order_id, "AZ1")).empty());
  BOOST_TEST(all("S2100911", SearchFilter{}) == (Ids{"XS4", "AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all("S2100911-01", SearchFilter{}) == (Ids{"XS4"}), boost::test_tools::per_element());
  BOOST_TEST(all("ZHKF", SearchFilter{}) == kEveryOrder, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_technician_finds_only_the_orders_they_work_on) {
  BOOST_TEST(all("S21009110002", SearchFilter{}) == (Ids{"AZ1"}), boost::test_tools::per_element());
  BOOST_TEST(all("S21009110001", SearchFilter{}) == (Ids{"AZ1"}), boost::test_tools::per_element());
  BOOST_TEST(all("S21009110002", by(&SearchFilter::phone, "13900000001")) == (Ids{"AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all("S2100911010001", SearchFilter{}).empty());
  // Refused: back with the outlet, no longer the technician's.
  run({{"type", "RefuseOrder"},
       {"actor", "S21009110002"},
       {"order_id", "AZ1"},
       {"reason", "busy"}});
  BOOST_TEST(all("S21009110002", SearchFilter{}).empty());
  BOOST_TEST(all("S21009110001", SearchFilter{}).empty());
}

BOOST_AUTO_TEST_CASE(a_sales_outlet_keeps_seeing_the_orders_it_created_after_dispatch) {
  BOOST_TEST(all("X250001201", SearchFilter{}) == (Ids{"XS4"}), boost::test_tools::per_element());
  BOOST_TEST(all("X250001201", by(&SearchFilter::name, "赵先生")) == (Ids{"XS4"}),
             boost::test_tools::per_element());
  BOOST_TEST(all("X250001", SearchFilter{}) == (Ids{"XS4"}), boost::test_tools::per_element());
  BOOST_TEST(all("X250001201", by(&SearchFilter::name, "王先生")).empty());
}

BOOST_AUTO_TEST_CASE(every_account_finds_exactly_the_orders_visibility_lets_it_see) {
  const Org org = engine->org();
  for (const char* viewer :
       {"admin", "X25", "ZHKF", "S2100911", "S2100911-01", "S2100912", "X250001", "X250001201",
        "S21009110001", "S21009110002", "S2100911010001"}) {
    Ids expected;
    for (const auto& id : kEveryOrder) {
      auto state = engine->order_state(OrderId(id));
      BOOST_TEST_REQUIRE((state.ok() && state->has_value()));
      if (may_see_order(org, AccountId(viewer), **state)) expected.push_back(id);
    }
    BOOST_TEST(all(viewer, SearchFilter{}) == expected, viewer);
    // Through another index, the same rule: 王先生's orders among those it may see.
    Ids expected_phone;
    for (const auto& id : expected) {
      if (id == "PS3" || id == "AZ1") expected_phone.push_back(id);
    }
    BOOST_TEST(all(viewer, by(&SearchFilter::phone, "13900000001")) == expected_phone, viewer);
  }
}

BOOST_AUTO_TEST_CASE(an_unknown_account_is_refused) {
  auto page = search("nobody", SearchFilter{});
  BOOST_TEST_REQUIRE(!page.ok());
  BOOST_TEST((page.error().code == ErrorCode::forbidden));
}

BOOST_AUTO_TEST_CASE(pages_give_every_match_exactly_once_whatever_their_size) {
  for (std::size_t limit : std::initializer_list<std::size_t>{1, 2, 4, 5, 6, 7}) {
    BOOST_TEST(all("admin", SearchFilter{}, limit) == kEveryOrder, "limit " << limit);
    BOOST_TEST(all("admin", by(&SearchFilter::status, "pending_dispatch"), limit).size() == 5u);
    BOOST_TEST(all("admin", by(&SearchFilter::order_id, "AZ"), limit).size() == 3u);
    BOOST_TEST(all("ZHKF", by(&SearchFilter::created_to, "2015-01-11"), limit) ==
                   (Ids{"XS4", "PS3", "AZ2", "AZ1"}),
               boost::test_tools::per_element());
  }
  auto last = search("admin", SearchFilter{}, 6);
  BOOST_TEST_REQUIRE(last.ok());
  BOOST_TEST((*last)["next"].is_null());
}

BOOST_AUTO_TEST_CASE(a_cursor_stays_put_while_orders_change_between_pages) {
  auto first = search("admin", SearchFilter{}, 3);
  BOOST_TEST_REQUIRE(first.ok());
  BOOST_TEST_REQUIRE(!(*first)["next"].is_null());
  // A newer order and changes to those already seen and not yet seen.
  create("AZ7", "ZHKF", "installation", "孙先生", "13900000007", "2015-01-13T09:00:00+08:00");
  run({{"type", "AddFeedback"}, {"actor", "S2100912"}, {"order_id", "AZ2"}, {"text", "约了明天"}});
  dispatch("ZHKF", "AZ-TM-T1001", "S2100911");
  auto rest = search("admin", SearchFilter{}, 50, (*first)["next"].get<std::string>());
  BOOST_TEST_REQUIRE(rest.ok());
  Ids ids;
  for (const auto& o : (*first)["orders"]) ids.push_back(o["order_id"].get<std::string>());
  for (const auto& o : (*rest)["orders"]) ids.push_back(o["order_id"].get<std::string>());
  BOOST_TEST(ids == kEveryOrder, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bad_input_is_refused_naming_the_field) {
  auto field = [&](const SearchFilter& f, std::size_t limit = 50, const std::string& after = "") {
    Error e = refusal(f, limit, after);
    BOOST_TEST((e.code == ErrorCode::invalid));
    return e.field;
  };
  BOOST_TEST(field(by(&SearchFilter::status, "open")) == "status");
  BOOST_TEST(field(by(&SearchFilter::kind, "repair")) == "kind");
  BOOST_TEST(field(by(&SearchFilter::platform, "taobao")) == "platform");
  BOOST_TEST(field(by(&SearchFilter::phone, "")) == "phone");
  BOOST_TEST(field(by(&SearchFilter::created_from, "2015-13-01")) == "created_from");
  BOOST_TEST(field(by(&SearchFilter::created_from, "2015-02-30")) == "created_from");
  BOOST_TEST(field(by(&SearchFilter::created_to, "yesterday")) == "created_to");
  BOOST_TEST(field(by(&SearchFilter::created_to, "2015-01-08 09:00")) == "created_to");
  SearchFilter backwards;
  backwards.created_from = "2015-01-10";
  backwards.created_to = "2015-01-09";
  BOOST_TEST(field(backwards) == "created_from");
  BOOST_TEST(field(SearchFilter{}, 0) == "limit");
  BOOST_TEST(field(SearchFilter{}, kMaxFolderLimit + 1) == "limit");
  BOOST_TEST(field(SearchFilter{}, 50, "not-hex") == "after");
  BOOST_TEST(field(SearchFilter{}, 50, "00ff") == "after");
  BOOST_TEST(search("admin", SearchFilter{}, kMaxFolderLimit).ok());
}

BOOST_AUTO_TEST_CASE(a_request_names_its_filters_as_json_fields) {
  auto f = search_filter_from_json(
      json{{"phone", "13900000001"}, {"kind", "installation"}, {"status", nullptr}});
  BOOST_TEST_REQUIRE(f.ok());
  BOOST_TEST(all(*f) == (Ids{"AZ1"}), boost::test_tools::per_element());
  auto bad = search_filter_from_json(json{{"created_from", 20150108}});
  BOOST_TEST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.error().field == "created_from");
}

BOOST_AUTO_TEST_CASE(a_changed_phone_moves_the_order_in_the_index) {
  run({{"type", "ChangeCustomerAddress"},
       {"actor", "ZHKF"},
       {"order_id", "PS3"},
       {"customer", {{"name", "王先生"}, {"phone", "13900000009"}, {"address", "金湾"}}}});
  BOOST_TEST(all(by(&SearchFilter::phone, "13900000001")) == (Ids{"AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all(by(&SearchFilter::phone, "13900000009")) == (Ids{"PS3"}),
             boost::test_tools::per_element());
  auto report = engine->verify();
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST((*report)["ok"] == true, report->dump());
}

BOOST_AUTO_TEST_CASE(a_photo_finds_the_orders_holding_it_within_what_each_account_sees) {
  auto report = [&](const std::string& actor, const std::string& id, const std::string& barcode,
                    std::vector<std::string> photos) {
    run({{"type", "ReportCompletion"},
         {"actor", actor},
         {"order_id", id},
         {"units",
          {{{"indoor_barcode", barcode + "-IN"},
            {"outdoor_barcode", barcode + "-OUT"},
            {"photos", photos}}}}});
  };
  report("S2100911", "AZ1", "B1", {"sha256:p1", "sha256:shared"});
  report("S2100911-01", "XS4", "B4", {"sha256:shared"});
  const auto photo = [](const std::string& ref) { return by(&SearchFilter::photo, ref); };
  BOOST_TEST(all(photo("sha256:p1")) == (Ids{"AZ1"}), boost::test_tools::per_element());
  BOOST_TEST(all(photo("sha256:shared")) == (Ids{"XS4", "AZ1"}), boost::test_tools::per_element());
  BOOST_TEST(all("S2100911-01", photo("sha256:shared")) == (Ids{"XS4"}),
             boost::test_tools::per_element());
  BOOST_TEST(all("S21009110002", photo("sha256:shared")) == (Ids{"AZ1"}),
             boost::test_tools::per_element());
  BOOST_TEST(all("S2100912", photo("sha256:shared")).empty());
  BOOST_TEST(all(photo("sha256:none")).empty());
  BOOST_TEST(refusal(photo("")).field == "photo");
  auto from_json = search_filter_from_json(json{{"photo", "sha256:p1"}});
  BOOST_TEST_REQUIRE(from_json.ok());
  BOOST_TEST(from_json->photo.value_or("") == "sha256:p1");

  // The index is a projection like the others: x/photo/<ref>\0<C><order_id>, rebuilt the same.
  const auto before = index_keys();
  BOOST_TEST(std::count_if(before.begin(), before.end(), [](const auto& entry) {
               return entry.first.starts_with(std::string("x/photo/sha256:shared") + '\0');
             }) == 2);
  BOOST_TEST(engine->rebuild().ok());
  BOOST_TEST((index_keys() == before));
  auto verified = engine->verify();
  BOOST_TEST_REQUIRE(verified.ok());
  BOOST_TEST((*verified)["ok"] == true, verified->dump());
}

BOOST_AUTO_TEST_CASE(rebuild_reproduces_the_search_indexes_and_verify_checks_them) {
  const auto before = index_keys();
  BOOST_TEST(before.size() > kEveryOrder.size() * 4);
  BOOST_TEST(engine->rebuild().ok());
  BOOST_TEST((index_keys() == before));
  auto report = engine->verify();
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST((*report)["ok"] == true, report->dump());
  BOOST_TEST(all(SearchFilter{}) == kEveryOrder, boost::test_tools::per_element());

  // An index entry lost behind the engine's back is a problem verify reports.
  WriteSet lose;
  lose.del(Space::projections, before.begin()->first);
  BOOST_TEST_REQUIRE(kv->write(lose, false).ok());
  report = engine->verify();
  BOOST_TEST_REQUIRE(report.ok());
  BOOST_TEST((*report)["ok"] == false);
  BOOST_TEST(engine->rebuild().ok());
  BOOST_TEST((index_keys() == before));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(same_search_index_entries_answers_whether_the_entries_are_equal) {
  // Every field of an order, changed one at a time. The projector skips the index when this says
  // the entries are the same, so a wrong "same" would leave a stale entry.
  Org org;
  const OrderState base = full_order(OrderId("AZ1"));
  using Change = std::function<void(OrderState&)>;
  const std::vector<std::pair<std::string, Change>> changes = {
      {"order_id", [](OrderState& o) { o.order_id = OrderId("AZ2"); }},
      {"kind", [](OrderState& o) { o.kind = OrderKind::installation; }},
      {"status", [](OrderState& o) { o.status = OrderStatus::closed; }},
      {"creator", [](OrderState& o) { o.creator = UnitId("ZHKF"); }},
      {"sales_origin", [](OrderState& o) { o.sales_origin = false; }},
      {"holder", [](OrderState& o) { o.holder = UnitId("S2100912"); }},
      {"path", [](OrderState& o) { o.path.push_back(UnitId("S2100912")); }},
      {"primary", [](OrderState& o) { o.primary = StaffId("S21009110001"); }},
      {"no primary", [](OrderState& o) { o.primary.reset(); }},
      {"assistants", [](OrderState& o) { o.assistants.clear(); }},
      {"customer name", [](OrderState& o) { o.customer.name = "李四"; }},
      {"customer phone", [](OrderState& o) { o.customer.phone = "139"; }},
      {"customer address", [](OrderState& o) { o.customer.address = "人民路2号"; }},
      {"items", [](OrderState& o) { o.items.pop_back(); }},
      {"platform order id", [](OrderState& o) { o.source->platform_order_id = "JD-1"; }},
      {"platform", [](OrderState& o) { o.source->platform = Platform::tmall; }},
      {"no source", [](OrderState& o) { o.source.reset(); }},
      {"note", [](OrderState& o) { o.note = "上午"; }},
      {"checked_in", [](OrderState& o) { o.checked_in = false; }},
      {"lat", [](OrderState& o) { o.lat = 1; }},
      {"lon", [](OrderState& o) { o.lon = 1; }},
      {"a unit's photos", [](OrderState& o) { o.units[0].photos.push_back("X.jpg"); }},
      {"a unit's barcode", [](OrderState& o) { o.units[0].indoor_barcode = "N2"; }},
      {"another unit",
       [](OrderState& o) {
         o.units.push_back(CapturedUnit{"N2", "W2", {}});
       }},
      {"feedback", [](OrderState& o) { o.feedback.clear(); }},
      {"status_before_reassignment", [](OrderState& o) { o.status_before_reassignment.reset(); }},
      {"reassignment_reason", [](OrderState& o) { o.reassignment_reason = ""; }},
      {"cancel_reason", [](OrderState& o) { o.cancel_reason = "重复"; }},
      {"created_at", [](OrderState& o) { o.created_at = "2015-01-08T09:00:01+08:00"; }},
      {"updated_at", [](OrderState& o) { o.updated_at = "2015-01-09T10:00:00+08:00"; }},
      {"version", [](OrderState& o) { o.version = Version(10); }},
      {"last_position", [](OrderState& o) { o.last_position = Position(1235); }},
  };
  const auto entries = search_index_entries(base, org);
  BOOST_TEST(same_search_index_entries(base, base));
  int skipped = 0;
  for (const auto& [field, change] : changes) {
    OrderState changed = base;
    change(changed);
    BOOST_REQUIRE_MESSAGE(!(changed == base), field);
    const bool same = same_search_index_entries(base, changed);
    BOOST_TEST(same == (search_index_entries(changed, org) == entries), field);
    BOOST_TEST(same == same_search_index_entries(changed, base), field);
    skipped += same ? 1 : 0;
  }
  BOOST_TEST(skipped == 20);  // the fields the index does not read
}
