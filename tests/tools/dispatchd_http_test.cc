// dispatchd over HTTP end to end: the real daemon (tests/support/daemon.h, HTTP on a free port)
// and a Beast client (tests/support/http.h). The JSON API answers what the ZeroMQ wire answers;
// the session token travels only in the Authorization header; photos are accepted by their bytes
// and shown only to an account that may see an order holding them (anyone else gets 404, the
// answer for an order it cannot see, so a photo's existence is not revealed); customer data comes
// back as JSON, never markup; the WebSocket /api/live pushes an account's own notices only;
// oversized bodies get 413; static files never leave the web root (400 for a path that tries,
// 404 for a link out of it).
#define BOOST_TEST_MODULE dispatchd_http
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "engine/hash.h"
#include "tests/support/daemon.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch::testing;

namespace {

constexpr std::size_t kMaxPhoto = 10 * 1024 * 1024;
constexpr std::size_t kMaxJson = 1 << 20;
constexpr const char* kJsonType = "application/json; charset=utf-8";

// A real 1×1 PNG, and the start of a JPEG (JFIF): content is what counts.
constexpr char kPngBytes[] =
    "\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00"
    "\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf"
    "\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
constexpr char kJpegBytes[] =
    "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9";
const std::string kPng(kPngBytes, sizeof kPngBytes - 1);  // 69 bytes
const std::string kJpeg(kJpegBytes, sizeof kJpegBytes - 1);

std::string new_password(const std::string& account) { return account + "-pw-2026"; }

json order_command(const std::string& id, const std::string& customer_name = "王先生") {
  return json{{"id", "create-" + id},
              {"type", "CreateOrder"},
              {"order_id", id},
              {"kind", "installation"},
              {"customer",
               {{"name", customer_name},
                {"phone", "13912345678"},
                {"province", "广东省"},
                {"city", "珠海市"},
                {"address", "凤凰北路1号"}}},
              {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}};
}

json dispatch_command(const std::string& id, const std::string& unit) {
  return json{{"id", "dispatch-" + id + "-" + unit},
              {"type", "DispatchToUnit"},
              {"order_ids", {id}},
              {"unit", unit}};
}

// The walkthrough's organisation (its first 12 commands: units, link, staff, route) in a store
// served by a daemon with HTTP on a free port:
//   X25 ── ZHKF ─┬─ S2100911 (outlet) ── S2100911-01
//                └─ S2100912 (a sibling outlet)
class Site {
 public:
  explicit Site(std::vector<std::string> extra = {}) {
    std::ifstream in(source_dir() + "/tools/data/walkthrough.jsonl");
    std::ofstream org(dir_ / "org.jsonl");
    std::string line;
    for (int i = 0; i < 12 && std::getline(in, line); ++i) org << line << '\n';
    org.close();
    Output applied = run(dispatchctl() + " apply " + (dir_ / "org.jsonl") + " --json --data " +
                         store() + " > /dev/null");
    BOOST_TEST_REQUIRE(applied.exit_code == 0);
    daemon_ = std::make_unique<Daemon>(store(), std::move(extra));
    BOOST_TEST_REQUIRE(!daemon_->http().empty());
  }

  std::string store() const { return dir_ / "store"; }
  Daemon& daemon() { return *daemon_; }
  HttpClient http() const { return HttpClient(daemon_->http()); }

  // Logs in over HTTP as people do: with the initial password, changed at once.
  std::string token(const std::string& account) {
    HttpClient client = http();
    HttpReply login = client.post("/api/login", {{"account", account}, {"password", account}});
    BOOST_TEST_REQUIRE(login.status == 200, account << ": " << login.body);
    std::string token = login.json()["token"];
    HttpReply changed =
        client.post("/api/change_password",
                    {{"old_password", account}, {"new_password", new_password(account)}}, token);
    BOOST_TEST_REQUIRE(changed.status == 200, account << ": " << changed.body);
    return token;
  }

  // Runs a command over HTTP; it must be accepted.
  json command(const json& body, const std::string& token) {
    HttpReply reply = http().post("/api/commands", body, token);
    BOOST_TEST_REQUIRE(reply.status == 200, reply.body);
    return reply.json();
  }

 private:
  TempDir dir_;
  std::unique_ptr<Daemon> daemon_;
};

void expect_api_headers(const HttpReply& reply) {
  BOOST_TEST(reply.header("content-type") == kJsonType);
  BOOST_TEST(reply.header("cache-control") == "no-store");
  BOOST_TEST(reply.header("x-content-type-options") == "nosniff");
}

std::string error_code_of(const HttpReply& reply) {
  return reply.json()["error"]["code"].get<std::string>();
}

}  // namespace

BOOST_AUTO_TEST_CASE(login_a_command_and_queries_answer_as_the_wire_does) {
  Site site;
  HttpClient http = site.http();
  HttpReply login = http.post("/api/login", {{"account", "S2100911"}, {"password", "S2100911"}});
  BOOST_TEST_REQUIRE(login.status == 200, login.body);
  expect_api_headers(login);
  BOOST_TEST(login.json()["must_change_password"] == true);
  std::string token = login.json()["token"];
  // Only change_password before the initial password is changed, as on the wire.
  HttpReply early = http.get("/api/query/stats?unit=S2100911", token);
  BOOST_TEST(early.status == 403);
  BOOST_TEST(error_code_of(early) == "forbidden");
  BOOST_TEST(http.post("/api/change_password",
                       {{"old_password", "S2100911"}, {"new_password", new_password("S2100911")}},
                       token)
                 .status == 200);

  json command = order_command("AZ-HTTP-1");
  HttpReply created = http.post("/api/commands", command, token);
  BOOST_TEST_REQUIRE(created.status == 200, created.body);
  expect_api_headers(created);
  BOOST_TEST(created.json()["order_ids"] == json::array({"AZ-HTTP-1"}));

  // The same command over the wire is a duplicate whose reply is the first one.
  WireClient wire(site.daemon().listen());
  json wire_login = wire.request(
      {{"op", "login"}, {"account", "S2100911"}, {"password", new_password("S2100911")}});
  BOOST_TEST_REQUIRE(wire_login["ok"] == true, wire_login.dump());
  std::string wire_token = wire_login["token"];
  json again = wire.request({{"op", "command"}, {"token", wire_token}, {"command", command}});
  BOOST_TEST(again["duplicate"] == true);
  again.erase("duplicate");
  BOOST_TEST(again == created.json());

  // Queries: GET with a query string and POST with a body answer exactly what the wire answers.
  json wire_folder = wire.request({{"op", "query"},
                                   {"token", wire_token},
                                   {"query", "folder"},
                                   {"owner", "S2100911"},
                                   {"folder", "install_pending_dispatch"},
                                   {"limit", 5}});
  HttpReply folder =
      http.get("/api/query/folder?owner=S2100911&folder=install_pending_dispatch&limit=5", token);
  BOOST_TEST(folder.status == 200);
  BOOST_TEST(folder.json() == wire_folder);
  BOOST_TEST(folder.json()["orders"].size() == 1u);
  HttpReply posted = http.post(
      "/api/query/folder",
      {{"owner", "S2100911"}, {"folder", "install_pending_dispatch"}, {"limit", 5}}, token);
  BOOST_TEST(posted.json() == wire_folder);
  json wire_order = wire.request(
      {{"op", "query"}, {"token", wire_token}, {"query", "order"}, {"order_id", "AZ-HTTP-1"}});
  BOOST_TEST(http.get("/api/query/order?order_id=AZ-HTTP-1", token).json() == wire_order);
  json wire_search = wire.request(
      {{"op", "query"}, {"token", wire_token}, {"query", "search"}, {"phone", "13912345678"}});
  BOOST_TEST(http.get("/api/query/search?phone=13912345678", token).json() == wire_search);

  // Status codes follow the error codes.
  HttpReply missing = http.get("/api/query/order?order_id=AZ-NOPE", token);
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(error_code_of(missing) == "not_found");
  HttpReply forbidden = http.get("/api/query/stats?unit=ZHKF", token);
  BOOST_TEST(forbidden.status == 403);
  HttpReply refused = http.post("/api/commands", dispatch_command("AZ-HTTP-1", "S2100912"), token);
  BOOST_TEST(refused.status == 403, refused.body);
  HttpReply bad = http.post("/api/commands", {{"id", "x"}, {"type", "Fly"}}, token);
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(error_code_of(bad) == "invalid");
  HttpReply not_json =
      http.request("POST", "/api/commands", "{not json", HttpClient::bearer(token));
  BOOST_TEST(not_json.status == 400);
  BOOST_TEST(http.get("/api/nothing-here", token).status == 404);
  BOOST_TEST(http.get("/api/commands", token).status == 405);

  HttpReply health = http.get("/api/health");
  BOOST_TEST(health.status == 200);
  BOOST_TEST(health.json()["status"] == "serving");

  BOOST_TEST(http.post("/api/logout", json::object(), token).status == 200);
  HttpReply after = http.get("/api/query/stats?unit=S2100911", token);
  BOOST_TEST(after.status == 401);
  BOOST_TEST(error_code_of(after) == "unauthenticated");
}

BOOST_AUTO_TEST_CASE(the_token_travels_only_in_the_authorization_header) {
  Site site({"--session-ttl", "2"});
  HttpClient http = site.http();
  HttpReply login = http.post("/api/login", {{"account", "S2100911"}, {"password", "S2100911"}});
  BOOST_TEST_REQUIRE(login.status == 200);
  std::string token = login.json()["token"];

  const std::string folder = "/api/query/folder?owner=S2100911&folder=closed";
  HttpReply in_url = http.get(folder + "&token=" + token);
  BOOST_TEST(in_url.status == 400);
  BOOST_TEST(error_code_of(in_url) == "invalid");
  BOOST_TEST(in_url.json()["error"]["field"] == "token");
  BOOST_TEST(http.get(folder + "&access_token=" + token, token).status == 400);
  HttpReply in_body = http.post(
      "/api/query/folder", {{"owner", "S2100911"}, {"folder", "closed"}, {"token", token}}, token);
  BOOST_TEST(in_body.status == 400);

  HttpReply none = http.get(folder);
  BOOST_TEST(none.status == 401);
  BOOST_TEST(error_code_of(none) == "unauthenticated");
  BOOST_TEST(http.get(folder, "0123456789abcdef").status == 401);
  HttpReply basic = http.request("GET", folder, "", {{"Authorization", "Basic " + token}});
  BOOST_TEST(basic.status == 401);

  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  HttpReply expired = http.get(folder, token);
  BOOST_TEST(expired.status == 401);
  BOOST_TEST(
      expired.json()["error"]["message"].get<std::string>().find("expired") != std::string::npos,
      expired.body);
}

BOOST_AUTO_TEST_CASE(photos_are_judged_by_their_bytes_and_shown_to_who_may_see_their_order) {
  Site site;
  HttpClient http = site.http();
  std::string outlet = site.token("S2100911");
  std::string center = site.token("ZHKF");
  std::string sibling = site.token("S2100912");
  auto upload = [&](const std::string& bytes, const std::string& type, const std::string& token) {
    std::map<std::string, std::string> headers{
        {"Content-Type", type}, {"Content-Disposition", "attachment; filename=\"barcode.jpg\""}};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return http.request("POST", "/api/photos", bytes, headers);
  };

  // Whatever the name and the declared type say, only JPEG and PNG bytes are photos.
  HttpReply fake = upload("<html><script>alert(1)</script></html>", "image/jpeg", outlet);
  BOOST_TEST(fake.status == 400);
  BOOST_TEST(error_code_of(fake) == "invalid");
  BOOST_TEST(upload("GIF89a\x01\x00\x01\x00", "image/png", outlet).status == 400);
  BOOST_TEST(upload(kPng, "image/png", "").status == 401);

  HttpReply png = upload(kPng, "image/png", outlet);
  BOOST_TEST_REQUIRE(png.status == 200, png.body);
  const std::string ref = png.json()["photo"];
  BOOST_TEST(ref == "sha256:" + dispatch::sha256_hex(kPng));
  BOOST_TEST(std::filesystem::file_size(site.store() + "/photos/" + ref.substr(7)) == kPng.size());
  BOOST_TEST(upload(kPng, "application/octet-stream", outlet).json()["photo"] == ref);
  HttpReply jpeg = upload(kJpeg, "image/jpeg", outlet);
  BOOST_TEST_REQUIRE(jpeg.status == 200, jpeg.body);
  const std::string jpeg_ref = jpeg.json()["photo"];
  BOOST_TEST(jpeg_ref != ref);

  // Uploaded but on no order yet: nobody's to see.
  BOOST_TEST(http.get("/api/photos/" + ref, outlet).status == 404);

  site.command(order_command("AZ-PHOTO-1"), outlet);
  site.command({{"id", "report-AZ-PHOTO-1"},
                {"type", "ReportCompletion"},
                {"order_id", "AZ-PHOTO-1"},
                {"units",
                 {{{"indoor_barcode", "IN-0001"},
                   {"outdoor_barcode", "OUT-0001"},
                   {"photos", {ref, jpeg_ref}}}}}},
               outlet);

  HttpReply mine = http.get("/api/photos/" + ref, outlet);
  BOOST_TEST_REQUIRE(mine.status == 200, mine.body);
  BOOST_TEST(mine.header("content-type") == "image/png");
  BOOST_TEST(mine.header("x-content-type-options") == "nosniff");
  BOOST_TEST(mine.body == kPng);
  HttpReply as_jpeg = http.get("/api/photos/" + jpeg_ref, outlet);
  BOOST_TEST(as_jpeg.header("content-type") == "image/jpeg");
  BOOST_TEST(http.get("/api/photos/" + ref, center).status == 200);  // the unit above
  HttpReply hidden = http.get("/api/photos/" + ref, sibling);
  BOOST_TEST(hidden.status == 404);
  BOOST_TEST(error_code_of(hidden) == "not_found");
  BOOST_TEST(http.get("/api/photos/" + ref).status == 401);
  BOOST_TEST(http.get("/api/photos/..%2f..%2fetc%2fpasswd", outlet).status == 400);

  // The photo index is the order query's too, within what each account sees.
  json found = http.get("/api/query/search?photo=" + ref, outlet).json()["orders"];
  BOOST_TEST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0]["order_id"] == "AZ-PHOTO-1");
  BOOST_TEST(http.get("/api/query/search?photo=" + ref, sibling).json()["orders"].empty());
}

BOOST_AUTO_TEST_CASE(bodies_above_the_limits_get_413_and_the_daemon_goes_on) {
  Site site;
  HttpClient http = site.http();
  std::string outlet = site.token("S2100911");
  HttpReply json_body = http.request("POST", "/api/commands", std::string(kMaxJson + 1, ' '),
                                     HttpClient::bearer(outlet));
  BOOST_TEST(json_body.status == 413);
  BOOST_TEST(error_code_of(json_body) == "invalid");
  std::string photo = kPng + std::string(kMaxPhoto + 1 - kPng.size(), '\0');
  BOOST_TEST(http.request("POST", "/api/photos", photo, HttpClient::bearer(outlet)).status == 413);
  std::string just_fits = kPng + std::string(kMaxPhoto - kPng.size(), '\0');
  BOOST_TEST(http.request("POST", "/api/photos", just_fits, HttpClient::bearer(outlet)).status ==
             200);
  BOOST_TEST(http.get("/api/health").status == 200);
  BOOST_TEST(site.daemon().stop() == 0);
}

BOOST_AUTO_TEST_CASE(markup_in_customer_data_comes_back_as_json_data) {
  Site site;
  HttpClient http = site.http();
  std::string outlet = site.token("S2100911");
  const std::string name = "<img src=x onerror=alert(1)>";
  site.command(order_command("AZ-XSS-1", name), outlet);
  for (const std::string& target :
       {std::string("/api/query/order?order_id=AZ-XSS-1"),
        std::string("/api/query/folder?owner=S2100911&folder=install_pending_dispatch")}) {
    HttpReply reply = http.get(target, outlet);
    BOOST_TEST_REQUIRE(reply.status == 200, reply.body);
    expect_api_headers(reply);
    BOOST_TEST(reply.body.find("<img") == std::string::npos, reply.body);
    BOOST_TEST(reply.body.find("\\u003cimg") != std::string::npos, reply.body);
    json j = reply.json();
    BOOST_TEST((j.contains("customer") ? j : j["orders"][0])["customer"]["name"] == name);
  }
}

BOOST_AUTO_TEST_CASE(the_websocket_pushes_the_accounts_own_notices_only) {
  Site site;
  std::string outlet = site.token("S2100911");
  std::string sibling = site.token("S2100912");
  std::string center = site.token("ZHKF");

  LiveClient live(site.daemon().http(), "/api/live");
  live.send(outlet);
  json greeting = json::parse(live.next().value());
  BOOST_TEST(greeting["ok"] == true);
  BOOST_TEST(greeting["topic"] == "unit/S2100911");
  LiveClient other(site.daemon().http(), "/api/live");
  other.send(json{{"token", sibling}}.dump());
  BOOST_TEST(json::parse(other.next().value())["topic"] == "unit/S2100912");

  // An order the center passes to the sibling outlet, then one it passes to S2100911: the
  // outlet's first notice is its own, the sibling's is the other order.
  site.command(order_command("AZ-WS-1"), center);
  site.command(dispatch_command("AZ-WS-1", "S2100912"), center);
  site.command(order_command("AZ-WS-2"), center);
  site.command(dispatch_command("AZ-WS-2", "S2100911"), center);
  json notice = json::parse(live.next().value());
  BOOST_TEST(notice["type"] == "DispatchedToUnit");
  BOOST_TEST(notice["order_id"] == "AZ-WS-2");
  BOOST_TEST(notice["folders"] == json::array({"install_pending_dispatch"}));
  BOOST_TEST(notice["position"].get<std::uint64_t>() > 0u);
  BOOST_TEST(!notice.contains("customer"));
  json theirs = json::parse(other.next().value());
  BOOST_TEST(theirs["order_id"] == "AZ-WS-1");

  // A token in the URL is refused before any upgrade; a bad token is closed with its reason; so is
  // a session that ends, at its next notice.
  BOOST_CHECK_THROW(LiveClient(site.daemon().http(), "/api/live?token=" + outlet), std::exception);
  LiveClient bogus(site.daemon().http(), "/api/live");
  bogus.send("not-a-token");
  BOOST_TEST(!bogus.next().has_value());
  BOOST_TEST(bogus.close_code() == 1008);
  BOOST_TEST(bogus.close_text().starts_with("unauthenticated: "));
  BOOST_TEST(site.http().post("/api/logout", json::object(), outlet).status == 200);
  site.command(order_command("AZ-WS-3"), center);
  site.command(dispatch_command("AZ-WS-3", "S2100911"), center);
  BOOST_TEST(!live.next().has_value());
  BOOST_TEST(live.close_text().starts_with("unauthenticated: "));
  // A clean stop with a WebSocket still open, which is then dropped.
  BOOST_TEST(site.daemon().stop() == 0);
  BOOST_TEST(!other.next().has_value());
}

BOOST_AUTO_TEST_CASE(static_files_come_from_the_web_root_and_never_from_outside_it) {
  {
    Site site;  // no web root: a page that says the console is not built
    HttpClient http = site.http();
    HttpReply page = http.get("/");
    BOOST_TEST(page.status == 200);
    BOOST_TEST(page.header("content-type") == "text/html; charset=utf-8");
    BOOST_TEST(page.header("content-security-policy").starts_with("default-src 'self'"));
    BOOST_TEST(page.header("x-content-type-options") == "nosniff");
    BOOST_TEST(page.body.find("not built") != std::string::npos);
    BOOST_TEST(http.get("/app.js").status == 404);
    BOOST_TEST(http.get("/?token=0123456789abcdef").status == 400);  // not even for a page
    BOOST_TEST(http.get("/../../etc/passwd").status == 400);
    BOOST_TEST(http.get("/%2e%2e/%2e%2e/etc/passwd").status == 400);
  }
  TempDir web;
  std::filesystem::create_directories(web / "dist/assets");
  write_file(web / "dist/index.html", "<!doctype html><title>console</title>");
  write_file(web / "dist/assets/app.js", "console.log(1);");
  write_file(web / "dist/assets/app.js.map", "{}");
  write_file(web / "dist/assets/app.css", "body{}");
  write_file(web / "dist/logo.svg", "<svg/>");
  write_file(web / "dist/logo.png", kPng);
  write_file(web / "dist/labels.json", "{}");
  write_file(web / "secret.txt", "outside the root");
  std::filesystem::create_symlink(web / "secret.txt", web / "dist/link.txt");
  Site site({"--web-root", web / "dist"});
  HttpClient http = site.http();
  HttpReply index = http.get("/");
  BOOST_TEST(index.body == "<!doctype html><title>console</title>");
  BOOST_TEST(index.header("content-security-policy").starts_with("default-src 'self'"));
  for (auto [path, type] :
       {std::pair{"/assets/app.js", "text/javascript; charset=utf-8"},
        std::pair{"/assets/app.js.map", "application/json; charset=utf-8"},
        std::pair{"/assets/app.css", "text/css; charset=utf-8"},
        std::pair{"/logo.svg", "image/svg+xml"}, std::pair{"/logo.png", "image/png"},
        std::pair{"/labels.json", "application/json; charset=utf-8"}}) {
    HttpReply file = http.get(path);
    BOOST_TEST(file.status == 200, path);
    BOOST_TEST(file.header("content-type") == type, path);
  }
  BOOST_TEST(http.get("/..%2fsecret.txt").status == 400);
  BOOST_TEST(http.get("/assets/../../secret.txt").status == 400);
  BOOST_TEST(http.get("/link.txt").status == 404);
  BOOST_TEST(http.get("/missing.js").status == 404);
}

BOOST_AUTO_TEST_CASE(the_org_query_tells_a_console_who_is_who_within_what_it_may_see) {
  Site site;
  HttpClient http = site.http();
  std::string outlet = site.token("S2100911");
  HttpReply reply = http.get("/api/query/org", outlet);
  BOOST_TEST_REQUIRE(reply.status == 200, reply.body);
  json org = reply.json();
  BOOST_TEST(org["account"] == "S2100911");
  BOOST_TEST(org["role"] == "unit");
  BOOST_TEST(org["unit"]["name"] == "珠海香洲售后网点");
  BOOST_TEST(org["unit"]["kind"] == "service_outlet");
  BOOST_TEST(org["parent"]["unit_id"] == "ZHKF");
  BOOST_TEST_REQUIRE(org["children"].size() == 1u);
  BOOST_TEST(org["children"][0]["unit_id"] == "S2100911-01");
  BOOST_TEST_REQUIRE(org["technicians"].size() == 2u);  // in the order they were registered
  BOOST_TEST(org["technicians"][0]["staff_id"] == "S21009110001");
  BOOST_TEST(org["technicians"][1]["name"] == "测试员2");
  BOOST_TEST(org["linked_outlets"].empty());
  // A unit below may be named; a sibling or a unit above may not.
  json below = http.get("/api/query/org?unit=S2100911-01", outlet).json();
  BOOST_TEST(below["technicians"][0]["name"] == "测试员3");
  BOOST_TEST(http.get("/api/query/org?unit=S2100912", outlet).status == 403);
  BOOST_TEST(http.get("/api/query/org?unit=ZHKF", outlet).status == 403);
  // A sales outlet learns the service outlets it may pass orders to.
  json sales = http.get("/api/query/org", site.token("X250001201")).json();
  BOOST_TEST(sales["linked_outlets"][0]["unit_id"] == "S2100911");
  // A technician sees themselves and their unit, nothing of the unit's people.
  std::string tech = site.token("S21009110002");
  json me = http.get("/api/query/org", tech).json();
  BOOST_TEST(me["role"] == "staff");
  BOOST_TEST(me["staff"]["name"] == "测试员2");
  BOOST_TEST(me["unit"]["unit_id"] == "S2100911");
  BOOST_TEST(!me.contains("technicians"));
  BOOST_TEST(http.get("/api/query/org?unit=S2100911-01", tech).status == 403);
  BOOST_TEST(http.get("/api/query/org").status == 401);
}
