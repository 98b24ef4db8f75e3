// The seed's walkthrough (shared/DOMAIN.md) end to end through `dispatchctl apply`, checked the
// way a dispatcher would: folders, statuses, replies and histories.
#define BOOST_TEST_MODULE walkthrough
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch::testing;

namespace {
struct Store {
  TempDir dir;
  std::string data() const { return " --data " + dir.path(); }

  json query(const std::string& args) const {
    Output o = run(dispatchctl() + " " + args + data() + " --json");
    BOOST_TEST_REQUIRE(o.exit_code == 0, "dispatchctl " << args << " exited " << o.exit_code);
    return json::parse(o.out);
  }
  std::vector<std::string> folder(const std::string& owner, const std::string& name) const {
    json page = query("folder " + owner + " " + name);
    std::vector<std::string> ids;
    for (const auto& o : page["orders"]) ids.push_back(o["order_id"]);
    BOOST_TEST(page["total"].get<std::size_t>() == ids.size());
    return ids;
  }
  std::vector<json> apply(const std::string& file) const {
    Output o = run(dispatchctl() + " apply " + file + data() + " --json");
    BOOST_TEST_REQUIRE(o.exit_code == 0);
    std::vector<json> replies;
    for (const auto& line : lines(o.out)) replies.push_back(json::parse(line));
    return replies;
  }
};

std::string walkthrough() { return source_dir() + "/tools/data/walkthrough.jsonl"; }

using Ids = std::vector<std::string>;
}  // namespace

BOOST_AUTO_TEST_CASE(every_command_of_the_walkthrough_is_accepted_in_order) {
  Store store;
  auto replies = store.apply(walkthrough());
  BOOST_TEST_REQUIRE(replies.size() == 51u);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    BOOST_TEST(replies[i]["ok"] == true, "line " << i + 1 << ": " << replies[i].dump());
    BOOST_TEST(replies[i]["line"] == i + 1);
    BOOST_TEST(replies[i]["id"] ==
               "seed-" + std::string(i + 1 < 10 ? "00" : "0") + std::to_string(i + 1));
  }
  // The batch dispatch names its four orders and has one position per event.
  const json& batch = replies[47];  // seed-048
  BOOST_TEST(batch["order_ids"].size() == 4u);
  BOOST_TEST(batch["positions"].size() == 4u);
}

BOOST_AUTO_TEST_CASE(the_outlet_and_its_technicians_see_the_folders_the_contract_describes) {
  Store store;
  store.apply(walkthrough());
  // Batch-dispatched and not yet assigned; the refused order went on to the sub-outlet.
  BOOST_TEST(store.folder("S2100911", "install_pending_dispatch") ==
             (Ids{"AZ20150108000006", "AZ20150108000005"}));
  BOOST_TEST(store.folder("S2100911", "sales_install_pending_dispatch") ==
             (Ids{"XS20150108000001"}));
  BOOST_TEST(store.folder("S2100911", "in_progress") ==
             (Ids{"AZ20150108000008", "AZ20150108000007"}));
  BOOST_TEST(store.folder("S2100911", "pending_close").empty());
  BOOST_TEST(store.folder("S2100911", "closed") == (Ids{"AZ20150108000004", "AZ20150108000001"}));
  BOOST_TEST(store.folder("S2100911-01", "install_pending_dispatch") == (Ids{"AZ20150108000003"}));
  BOOST_TEST(store.folder("S2100912", "install_pending_dispatch") == (Ids{"AZ20150108000002"}));
  BOOST_TEST(store.folder("ZHKF", "pending_reassignment_approval").empty());
  BOOST_TEST(store.folder("ZHKF", "delivery_pending_dispatch") == (Ids{"PS20150108000001"}));

  // 测试员2 is primary; 测试员1 helps on two orders and cannot see what only 测试员2 must accept.
  BOOST_TEST(store.folder("S21009110002", "to_accept") == (Ids{"AZ20150108000007"}));
  BOOST_TEST(store.folder("S21009110002", "to_process") == (Ids{"AZ20150108000008"}));
  BOOST_TEST(store.folder("S21009110002", "completed") ==
             (Ids{"AZ20150108000004", "AZ20150108000001"}));
  BOOST_TEST(store.folder("S21009110001", "to_accept").empty());
  BOOST_TEST(store.folder("S21009110001", "to_process") == (Ids{"AZ20150108000008"}));
  BOOST_TEST(store.folder("S21009110001", "completed") == (Ids{"AZ20150108000001"}));
}

BOOST_AUTO_TEST_CASE(an_order_shows_its_state_and_whole_history) {
  Store store;
  store.apply(walkthrough());
  json order = store.query("order AZ20150108000001");
  BOOST_TEST(order["status"] == "closed");
  BOOST_TEST(order["holder"] == "S2100911");
  BOOST_TEST(order["primary"] == "S21009110002");
  BOOST_TEST(order["assistants"] == json::array({"S21009110001"}));
  BOOST_TEST(order["units"].size() == 2u);
  BOOST_TEST(order["units"][1]["indoor_barcode"] == "N1A0123456790");
  BOOST_TEST(order["feedback"].size() == 1u);
  BOOST_TEST(order["feedback"][0]["text"] == "条码照片已核对");
  BOOST_TEST(order["customer"]["name"] == "王先生");
  std::vector<std::string> types;
  for (const auto& e : order["history"]) types.push_back(e["type"]);
  BOOST_TEST(types == (Ids{"OrderCreated", "DispatchedToUnit", "TechniciansAssigned",
                           "OrderAccepted", "CheckedIn", "UnitCaptured", "UnitCaptured",
                           "OrderCompleted", "FeedbackAdded", "OrderClosed"}));
  for (std::size_t i = 0; i < order["history"].size(); ++i) {
    BOOST_TEST(order["history"][i]["version"] == i + 1);
    BOOST_TEST(order["history"][i]["command_id"].get<std::string>().rfind("seed-", 0) == 0u);
  }

  json reassigned = store.query("order AZ20150108000002");
  types.clear();
  for (const auto& e : reassigned["history"]) types.push_back(e["type"]);
  BOOST_TEST(types == (Ids{"OrderCreated", "DispatchedToUnit", "ReassignmentRequested",
                           "ReassignmentRejected", "ReassignmentRequested", "ReassignmentApproved",
                           "DispatchedToUnit"}));
  BOOST_TEST(reassigned["holder"] == "S2100912");

  json reported = store.query("order AZ20150108000004");
  BOOST_TEST(reported["status"] == "closed");
  BOOST_TEST(reported["history"][reported["history"].size() - 2]["type"] == "CompletionReported");
  BOOST_TEST(reported["history"].back()["type"] == "OrderClosed");

  json refused = store.query("order AZ20150108000003");
  BOOST_TEST(refused["status"] == "pending_dispatch");
  BOOST_TEST(refused["primary"].is_null());
}

BOOST_AUTO_TEST_CASE(stats_count_a_unit_and_its_whole_subtree) {
  Store store;
  store.apply(walkthrough());
  json k = store.query("stats ZHKF");
  BOOST_TEST(k["unit"] == "ZHKF");
  BOOST_TEST(k["own"]["delivery_pending_dispatch"] == 1);
  BOOST_TEST(k["own"]["install_pending_dispatch"] == 0);
  BOOST_TEST(k["subtree"]["install_pending_dispatch"] == 4);  // S2100911: 2, -01: 1, S2100912: 1
  BOOST_TEST(k["subtree"]["in_progress"] == 2);
  BOOST_TEST(k["subtree"]["closed"] == 2);
  BOOST_TEST(k["subtree"]["sales_install_pending_dispatch"] == 1);
  json s = store.query("stats S2100911");
  BOOST_TEST(s["own"]["install_pending_dispatch"] == 2);
  BOOST_TEST(s["subtree"]["install_pending_dispatch"] == 3);
}

BOOST_AUTO_TEST_CASE(applying_the_same_file_again_changes_nothing) {
  Store store;
  store.apply(walkthrough());
  json before = store.query("folder S2100911 closed");
  auto replies = store.apply(walkthrough());
  for (const auto& r : replies) {
    BOOST_TEST(r["ok"] == true);
    BOOST_TEST(r["duplicate"] == true);
  }
  BOOST_TEST(store.query("folder S2100911 closed") == before);
  BOOST_TEST(store.query("order AZ20150108000001")["history"].size() == 10u);
}

BOOST_AUTO_TEST_CASE(bad_lines_are_refused_by_line_and_the_rest_applies) {
  Store store;
  write_file(store.dir / "mixed.jsonl",
             "this is not json\n"
             "{\"id\":\"u1\",\"type\":\"RegisterUnit\",\"actor\":\"admin\",\"unit_id\":\"X1\","
             "\"name\":\"销售公司\",\"kind\":\"sales_company\"}\n"
             "\n"
             "{\"id\":\"u2\",\"type\":\"FlyToTheMoon\",\"actor\":\"admin\"}\n"
             "{\"id\":\"u3\",\"type\":\"RegisterUnit\",\"actor\":\"admin\",\"unit_id\":\"K1\","
             "\"kind\":\"service_center\",\"parent\":\"X1\"}\n"
             "{\"id\":\"u4\",\"type\":\"RegisterUnit\",\"actor\":\"K1\",\"unit_id\":\"S1\","
             "\"name\":\"网点\",\"kind\":\"service_outlet\",\"parent\":\"X1\"}\n");
  auto replies = store.apply(store.dir / "mixed.jsonl");
  BOOST_TEST_REQUIRE(replies.size() == 5u);
  BOOST_TEST(replies[0]["ok"] == false);
  BOOST_TEST(replies[0]["error"]["code"] == "invalid");
  BOOST_TEST(replies[0]["line"] == 1);
  BOOST_TEST(replies[0]["error"]["message"].get<std::string>().rfind("line 1:", 0) == 0u);
  BOOST_TEST(replies[1]["ok"] == true);
  BOOST_TEST(replies[2]["error"]["code"] == "invalid");
  BOOST_TEST(replies[2]["id"] == "u2");
  BOOST_TEST(replies[2]["line"] == 4);
  BOOST_TEST(replies[3]["error"]["code"] == "invalid");
  BOOST_TEST(replies[3]["error"]["field"] == "name");
  BOOST_TEST(replies[4]["error"]["code"] == "forbidden");  // K1 does not exist: not above X1
}

BOOST_AUTO_TEST_CASE(people_subcommands_apply_one_command_each) {
  Store store;
  store.apply(walkthrough());
  Output created = run(dispatchctl() + " create --as ZHKF --name 黄先生 --phone 13000000000" +
                       " --address 香洲区柠溪路1号 --item KFR-35GW:2" + store.data() + " --json");
  BOOST_TEST_REQUIRE(created.exit_code == 0);
  json reply = json::parse(created.out);
  BOOST_TEST(reply["ok"] == true);
  std::string id = reply["order_ids"][0];
  BOOST_TEST(id.rfind("AZ", 0) == 0u);
  Output dispatched =
      run(dispatchctl() + " dispatch --as ZHKF " + id + " --to S2100911" + store.data());
  BOOST_TEST(dispatched.exit_code == 0);
  BOOST_TEST(store.folder("S2100911", "install_pending_dispatch").front() == id);
  // Sideways is refused with the contract's code and a non-zero exit.
  Output sideways = run(dispatchctl() + " dispatch --as S2100911 " + id + " --to S2100912" +
                        store.data() + " --json");
  BOOST_TEST(sideways.exit_code == 1);
  BOOST_TEST(json::parse(sideways.out)["error"]["code"] == "forbidden");
  Output missing_flag = run(dispatchctl() + " refuse " + id + store.data() + " 2>/dev/null");
  BOOST_TEST(missing_flag.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(a_table_for_people_uses_the_chinese_folder_labels) {
  Store store;
  store.apply(walkthrough());
  Output o = run(dispatchctl() + " folder S2100911 install_pending_dispatch" + store.data());
  BOOST_TEST(o.exit_code == 0);
  BOOST_TEST(o.out.find("安装待派工") != std::string::npos);
  BOOST_TEST(o.out.find("AZ20150108000005") != std::string::npos);
  Output unknown = run(dispatchctl() + " folder S2100911 inbox" + store.data() + " --json");
  BOOST_TEST(unknown.exit_code == 1);
  BOOST_TEST(json::parse(unknown.out)["error"]["code"] == "invalid");
  Output nobody = run(dispatchctl() + " folder NOBODY closed" + store.data() + " --json");
  BOOST_TEST(json::parse(nobody.out)["error"]["code"] == "not_found");
}

BOOST_AUTO_TEST_CASE(folders_page_by_cursor_without_gaps_or_repeats) {
  Store store;
  store.apply(walkthrough());
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    json p = store.query("folder S21009110002 completed --limit 1" +
                         (after.empty() ? std::string() : " --after " + after));
    for (const auto& o : p["orders"]) seen.push_back(o["order_id"]);
    if (p["next"].is_null()) break;
    after = p["next"];
  }
  BOOST_TEST(seen == (Ids{"AZ20150108000004", "AZ20150108000001"}));
}

BOOST_AUTO_TEST_CASE(every_command_sent_and_every_event_stored_matches_the_schemas) {
  Store store;
  store.apply(walkthrough());
  store.apply(source_dir() + "/tests/data/commands_examples.jsonl");
  Output log = run(dispatchctl() + " log --json" + store.data());
  BOOST_TEST_REQUIRE(log.exit_code == 0);
  BOOST_TEST(lines(log.out).size() > 56u);
  write_file(store.dir / "events.jsonl", log.out);
  const std::string validate = "/usr/bin/python3 " + source_dir() + "/tests/schemas/validate.py";
  Output events = run(validate + " --kind event " + (store.dir / "events.jsonl"));
  BOOST_TEST(events.exit_code == 0, events.out);
  Output commands = run(validate + " --kind command " + walkthrough());
  BOOST_TEST(commands.exit_code == 0, commands.out);
}
