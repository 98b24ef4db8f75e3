// Shop orders through `dispatchctl ingest` end to end: the fixtures in tests/data/connectors/
// (Tmall trades and TMC messages, JD search pages, the Gree mall feed) become exactly the
// expected work orders, folders, feedback and dead letters, and nothing twice.
#define BOOST_TEST_MODULE ingest
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch::testing;

namespace {
std::string fixture(const std::string& name) {
  return source_dir() + "/tests/data/connectors/" + name;
}

struct Store {
  TempDir dir;
  std::string data() const { return " --data " + dir.path(); }

  Store() { apply("org.jsonl"); }

  json query(const std::string& args) const {
    Output o = run(dispatchctl() + " " + args + data() + " --json");
    BOOST_TEST_REQUIRE(o.exit_code == 0, "dispatchctl " << args << " exited " << o.exit_code);
    return json::parse(o.out);
  }
  void apply(const std::string& name) const {
    Output o = run(dispatchctl() + " apply " + fixture(name) + data() + " --json");
    BOOST_TEST_REQUIRE(o.exit_code == 0);
    for (const auto& line : lines(o.out)) BOOST_TEST(json::parse(line)["ok"] == true, line);
  }
  json ingest(const std::string& platform, const std::string& name) const {
    return query("ingest --platform " + platform + " " + fixture(name) + " --fallback-unit GDKF");
  }
  json order(const std::string& id) const { return query("order " + id); }
  std::vector<std::string> folder(const std::string& owner, const std::string& name) const {
    std::vector<std::string> ids;
    const json page = query("folder " + owner + " " + name);
    for (const auto& o : page["orders"]) ids.push_back(o["order_id"]);
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  json dead_letters() const { return query("connectors dead-letters")["dead_letters"]; }
};

json counts(int read, int created, int updated, int cancelled, int duplicates, int waiting,
            int ignored, int dead) {
  return json{{"read", read},           {"created", created},       {"updated", updated},
              {"cancelled", cancelled}, {"duplicates", duplicates}, {"waiting", waiting},
              {"ignored", ignored},     {"dead_lettered", dead}};
}

std::vector<std::string> history(const json& order) {
  std::vector<std::string> types;
  for (const auto& e : order["history"]) types.push_back(e["type"]);
  return types;
}

using Ids = std::vector<std::string>;
using Types = std::vector<std::string>;
}  // namespace

BOOST_AUTO_TEST_CASE(tmall_trades_become_delivery_and_installation_orders_exactly_once) {
  Store s;
  // 21 payloads: paid; unpaid then paid by TMC; multi-line masked Guangzhou; an address change;
  // a refund before dispatch; one trade ten times and once more with only `modified` changed;
  // malformed JSON; a missing receiver_name; a 19-digit tid as a number; an outdated snapshot.
  BOOST_TEST(s.ingest("tmall", "tmall_1.jsonl") == counts(21, 5, 1, 1, 11, 1, 0, 2));

  // The most specific route wins: 香洲区 → S2100911, the rest of 珠海市 → ZHKF; 广州 has no
  // route and goes to the fallback GDKF, marked unrouted.
  BOOST_TEST(s.folder("S2100911", "install_pending_dispatch") ==
             (Ids{"AZ-TM-1001", "AZ-TM-4263919263128591234"}));
  BOOST_TEST(s.folder("S2100911", "delivery_pending_dispatch") ==
             (Ids{"PS-TM-1001", "PS-TM-4263919263128591234"}));
  BOOST_TEST(s.folder("ZHKF", "install_pending_dispatch") == (Ids{"AZ-TM-1004"}));
  BOOST_TEST(s.folder("ZHKF", "closed") == (Ids{"AZ-TM-1002", "PS-TM-1002"}));
  BOOST_TEST(s.folder("GDKF", "install_pending_dispatch") == (Ids{"AZ-TM-1003"}));

  json a1001 = s.order("AZ-TM-1001");
  BOOST_TEST(a1001["customer"]["address"] == "凤凰北路2号");  // the outdated snapshot lost
  BOOST_TEST(history(a1001) == (Types{"OrderCreated", "CustomerAddressChanged"}));
  BOOST_TEST(a1001["source"] == (json{{"platform", "tmall"}, {"platform_order_id", "1001"}}));
  BOOST_TEST(a1001["kind"] == "installation");
  BOOST_TEST(s.order("PS-TM-1001")["kind"] == "delivery");

  json a1002 = s.order("AZ-TM-1002");
  BOOST_TEST(a1002["status"] == "cancelled");
  BOOST_TEST(history(a1002) == (Types{"OrderCreated", "OrderCancelled"}));

  json a1003 = s.order("AZ-TM-1003");
  BOOST_TEST(a1003["customer"]["name"] == "王**");
  BOOST_TEST(a1003["customer"]["phone"] == "*******1234");
  BOOST_TEST(a1003["source"]["needs_decrypt"] == true);
  BOOST_TEST(a1003["source"]["unrouted"] == true);
  BOOST_TEST(a1003["source"]["oaid"] == "1a2b3c4d5e6f7g8h");
  BOOST_TEST(a1003["items"] == json::parse(R"([{"model": "KFR-35GW/NhGc1B", "quantity": 2},
      {"model": "格力 柜机 3匹 KFR-72LW", "quantity": 1}])"));

  BOOST_TEST(history(s.order("AZ-TM-1004")) == (Types{"OrderCreated"}));
  BOOST_TEST(s.order("AZ-TM-4263919263128591234")["source"]["platform_order_id"] ==
             "4263919263128591234");

  json dead = s.dead_letters();
  BOOST_TEST_REQUIRE(dead.size() == 2u);
  BOOST_TEST(dead[0]["line"] == 18);
  BOOST_TEST(dead[0]["reason"] == "the payload is not valid JSON");
  BOOST_TEST(dead[0]["raw"].get<std::string>().rfind(R"({"trade_fullinfo_get_response")", 0) == 0);
  BOOST_TEST(dead[1]["line"] == 19);
  BOOST_TEST(dead[1]["platform"] == "tmall");
  BOOST_TEST(dead[1]["reason"].get<std::string>().find("receiver_name") != std::string::npos);

  // The whole file again: nothing new, and the two bad payloads dead-lettered again.
  BOOST_TEST(s.ingest("tmall", "tmall_1.jsonl") == counts(21, 0, 0, 0, 19, 0, 0, 2));
  BOOST_TEST(s.query("verify")["ok"] == true);
}

BOOST_AUTO_TEST_CASE(
    after_dispatch_changes_become_feedback_and_refunds_cancel_what_is_not_started) {
  Store s;
  (void)s.ingest("tmall", "tmall_1.jsonl");
  // GDKF passes both 1003 orders to its outlet; the installation is accepted by its technician.
  s.apply("work.jsonl");
  // ZHKF has also passed 1004's installation down to its outlet.
  BOOST_TEST(s.ingest("tmall", "tmall_2.jsonl") == counts(5, 0, 2, 2, 0, 0, 0, 1));

  // The address change: the delivery still pending at the outlet takes it; the installation,
  // with its technician, gets feedback for the holder instead.
  json p1003 = s.order("PS-TM-1003");
  BOOST_TEST(p1003["customer"]["address"] == "体育西路**号");
  json a1003 = s.order("AZ-TM-1003");
  BOOST_TEST(a1003["customer"]["address"] == "天河路**号");
  BOOST_TEST_REQUIRE(a1003["feedback"].size() == 2u);
  BOOST_TEST(a1003["feedback"][0]["actor"] == "connector:tmall");
  BOOST_TEST(a1003["feedback"][0]["text"].get<std::string>().find("体育西路**号") !=
             std::string::npos);
  // The close: the delivery is cancelled, the installation in progress is told.
  BOOST_TEST(p1003["status"] == "cancelled");
  BOOST_TEST(a1003["status"] == "to_process");
  BOOST_TEST(a1003["feedback"][1]["text"].get<std::string>().find("TRADE_CLOSED") !=
             std::string::npos);
  BOOST_TEST(s.folder("S2200101", "in_progress") == (Ids{"AZ-TM-1003"}));
  BOOST_TEST(s.folder("S2200101", "closed") == (Ids{"PS-TM-1003"}));
  // A refund after dispatch: 1004's installation, pending at the outlet it was passed to, and
  // its delivery at ZHKF are cancelled.
  BOOST_TEST(s.order("AZ-TM-1004")["status"] == "cancelled");
  BOOST_TEST(s.order("PS-TM-1004")["status"] == "cancelled");
  BOOST_TEST(s.folder("S2100911", "closed") == (Ids{"AZ-TM-1004"}));
  // The TMC address change of 1001 (still pending) updates it.
  BOOST_TEST(s.order("AZ-TM-1001")["customer"]["address"] == "凤凰北路3号");

  // A notice for a trade never seen waits as a dead letter; once its trade is known, retry.
  json dead = s.dead_letters();
  BOOST_TEST_REQUIRE(dead.size() == 3u);
  BOOST_TEST(dead[2]["reason"].get<std::string>().find("1009") != std::string::npos);
  const std::string id = std::to_string(dead[2]["id"].get<int>());
  BOOST_TEST(run(dispatchctl() + " connectors retry " + id + s.data() + " --json").exit_code == 0);
  BOOST_TEST(s.dead_letters().size() == 3u);  // still unknown: kept

  TempDir tmp;
  std::ofstream(tmp.path() + "/1009.jsonl")
      << R"({"trade_fullinfo_get_response":{"trade":{"tid_str":"1009","status":"WAIT_BUYER_PAY",)"
      << R"("modified":"2026-11-20 08:00:00","receiver_name":"赵六","receiver_mobile":"13600000000",)"
      << R"("receiver_state":"广东省","receiver_city":"珠海市","receiver_district":"斗门区",)"
      << R"("receiver_address":"井岸镇1号","orders":{"order":[{"oid":"100901","title":"格力 空调",)"
      << R"("outer_sku_id":"KFR-26GW","num":1}]}}}})" << '\n';
  BOOST_TEST(s.query("ingest --platform tmall " + tmp.path() + "/1009.jsonl") ==
             counts(1, 0, 0, 0, 0, 1, 0, 0));
  BOOST_TEST(s.query("connectors retry " + id) == counts(1, 1, 0, 0, 0, 0, 0, 0));
  BOOST_TEST(s.dead_letters().size() == 2u);
  BOOST_TEST(s.order("AZ-TM-1009")["holder"] == "ZHKF");
  BOOST_TEST(s.query("verify")["ok"] == true);
}

BOOST_AUTO_TEST_CASE(jd_pages_and_the_gree_mall_feed) {
  Store s;
  // Page 1: a paid order with ciphertext consignee (广东/珠海 normalised to 广东省/珠海市) and an
  // order cancelled before payment; page 1 again; then the paid one cancelled.
  BOOST_TEST(s.ingest("jd", "jd.jsonl") == counts(3, 1, 0, 1, 1, 0, 2, 0));
  json a = s.order("AZ-JD-2911234567890123456");
  BOOST_TEST(a["holder"] == "S2100911");
  BOOST_TEST(a["customer"]["province"] == "广东省");
  BOOST_TEST(a["customer"]["city"] == "珠海市");
  BOOST_TEST(a["customer"]["name"] == "~AgAAAAEAAAAIy3yj8Zl/N2w=~1~");
  BOOST_TEST(a["source"]["needs_decrypt"] == true);
  BOOST_TEST(a["source"]["oaid"] == "o5KpE2t7Xabc");
  BOOST_TEST(a["status"] == "cancelled");
  BOOST_TEST(s.query("stats S2100911")["own"]["closed"] == 2);

  BOOST_TEST(s.ingest("gree_mall", "gree_mall.jsonl") == counts(2, 1, 0, 0, 0, 0, 0, 1));
  json g = s.order("AZ-GM-GM202611220001");
  BOOST_TEST(g["customer"]["address"] == "前山街道明珠南路66号");
  BOOST_TEST(g["note"] == "预约安装时间 2026-11-24 14:00:00");
  json dead = s.dead_letters();
  BOOST_TEST_REQUIRE(dead.size() == 1u);
  BOOST_TEST(dead[0]["platform"] == "gree_mall");
  BOOST_TEST(dead[0]["reason"].get<std::string>().find("lines[0].quantity") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(standard_input_and_no_fallback_unit) {
  Store s;
  // Without --fallback-unit an order no route covers is a dead letter, not an order elsewhere.
  Output o = run("sed -n 4p " + fixture("tmall_1.jsonl") + " | " + dispatchctl() +
                 " ingest --platform tmall -" + s.data() + " --json");
  BOOST_TEST_REQUIRE(o.exit_code == 0);
  BOOST_TEST(json::parse(o.out) == counts(1, 0, 0, 0, 0, 0, 0, 1));
  BOOST_TEST(s.dead_letters()[0]["source"] == "-");
  BOOST_TEST(s.dead_letters()[0]["reason"].get<std::string>().find("no route covers") !=
             std::string::npos);
  // With it, retrying every dead letter goes through.
  BOOST_TEST(s.query("connectors retry --all --fallback-unit GDKF") ==
             counts(1, 1, 0, 0, 0, 0, 0, 0));
  BOOST_TEST(s.dead_letters().empty());
  BOOST_TEST(run(dispatchctl() + " ingest --platform ebay -" + s.data()).exit_code == 2);
}
