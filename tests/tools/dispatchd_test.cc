// dispatchd end to end: the seed's walkthrough over the wire as the real accounts, bad input,
// notices on the publish endpoint, and a clean shutdown under load that keeps every
// acknowledged command.
#define BOOST_TEST_MODULE dispatchd
#include <atomic>
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "tests/support/daemon.h"
#include "tests/support/process.h"

using nlohmann::json;
using namespace dispatch::testing;

namespace {

std::vector<json> walkthrough() {
  std::ifstream in(source_dir() + "/tools/data/walkthrough.jsonl");
  std::vector<json> commands;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) commands.push_back(json::parse(line));
  }
  return commands;
}

std::string new_password(const std::string& account) { return account + "-pw-2026"; }

// The administrator's password is set on the server before dispatchd lets "admin" in.
void set_admin_password(const TempDir& dir, const std::string& store) {
  write_file(dir / "admin-password", new_password("admin") + "\n");
  Output set = run(dispatchctl() + " admin-password --data " + store + " --password-file " +
                   (dir / "admin-password"));
  BOOST_TEST_REQUIRE(set.exit_code == 0);
}

// Logs accounts in as people do: the first time with the initial password, changed at once.
class People {
 public:
  explicit People(WireClient& wire) : wire_(wire) { changed_.insert("admin"); }

  const std::string& token(const std::string& account) {
    auto it = tokens_.find(account);
    if (it != tokens_.end()) return it->second;
    std::string password = changed_.count(account) ? new_password(account) : account;
    json login = wire_.request({{"op", "login"}, {"account", account}, {"password", password}});
    BOOST_TEST_REQUIRE(login["ok"] == true, account << ": " << login.dump());
    std::string token = login["token"];
    if (login["must_change_password"] == true) {
      json refused =
          wire_.request({{"op", "query"}, {"token", token}, {"query", "stats"}, {"unit", account}});
      BOOST_TEST(refused["error"]["code"] == "forbidden", refused.dump());
      json changed = wire_.request({{"op", "change_password"},
                                    {"token", token},
                                    {"old_password", account},
                                    {"new_password", new_password(account)}});
      BOOST_TEST_REQUIRE(changed["ok"] == true, account << ": " << changed.dump());
      changed_.insert(account);
    }
    return tokens_[account] = token;
  }
  void forget(const std::string& account, bool reset) {
    tokens_.erase(account);
    if (reset) changed_.erase(account);
  }

 private:
  WireClient& wire_;
  std::map<std::string, std::string> tokens_;
  std::set<std::string> changed_;
};

json without_ok(json j) {
  j.erase("ok");
  return j;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_walkthrough_runs_over_the_wire_as_the_real_accounts) {
  TempDir dir;
  std::vector<json> commands = walkthrough();
  json remote_folders = json::array();
  set_admin_password(dir, dir / "store");
  {
    Daemon daemon(dir / "store");
    WireClient wire(daemon.listen());
    People people(wire);
    BOOST_TEST(wire.request({{"op", "health"}})["status"] == "serving");
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const json& command = commands[i];
      std::string actor = command["actor"];
      json reply =
          wire.request({{"op", "command"}, {"token", people.token(actor)}, {"command", command}});
      BOOST_TEST(reply["ok"] == true, "line " << i + 1 << ": " << reply.dump());
      if (i == commands.size() / 2) {
        // The technician forgot the password: the outlet resets it; the old session ends, and
        // the next login is with the initial password, to be changed again.
        json reset = wire.request({{"op", "reset_password"},
                                   {"token", people.token("S2100911")},
                                   {"account", "S21009110002"}});
        BOOST_TEST_REQUIRE(reset["ok"] == true, reset.dump());
        json old = wire.request({{"op", "query"},
                                 {"token", people.token("S21009110002")},
                                 {"query", "folder"},
                                 {"owner", "S21009110002"},
                                 {"folder", "to_accept"}});
        BOOST_TEST(old["error"]["code"] == "unauthenticated", old.dump());
        json changed_password = wire.request({{"op", "login"},
                                              {"account", "S21009110002"},
                                              {"password", new_password("S21009110002")}});
        BOOST_TEST(changed_password["error"]["code"] == "unauthenticated");
        people.forget("S21009110002", /*reset=*/true);
      }
    }
    // What people see: their own folders; a technician not the outlet's.
    for (auto [account, owner, folder] :
         {std::tuple{"S2100911", "S2100911", "closed"},
          std::tuple{"S2100911", "S2100911", "install_pending_dispatch"},
          std::tuple{"ZHKF", "S2100911", "in_progress"},
          std::tuple{"S21009110002", "S21009110002", "completed"},
          std::tuple{"S2100911", "S2100911", "sales_install_pending_dispatch"}}) {
      json page = wire.request({{"op", "query"},
                                {"token", people.token(account)},
                                {"query", "folder"},
                                {"owner", owner},
                                {"folder", folder}});
      BOOST_TEST(page["ok"] == true, page.dump());
      remote_folders.push_back(without_ok(page));
    }
    json peek = wire.request({{"op", "query"},
                              {"token", people.token("S21009110002")},
                              {"query", "folder"},
                              {"owner", "S2100911"},
                              {"folder", "closed"}});
    BOOST_TEST(peek["error"]["code"] == "forbidden", peek.dump());
    // An auditor checks the live store while the daemon serves it (read-only, no lock).
    Output audit = run(dispatchctl() + " audit verify --json --data " + (dir / "store"));
    BOOST_TEST(audit.exit_code == 0, audit.out);
    BOOST_TEST(json::parse(audit.out)["ok"] == true);
    BOOST_TEST(daemon.stop() == 0);
  }
  // The same folders as the local mode shows for the same commands.
  TempDir local;
  Output applied = run(dispatchctl() + " apply " + source_dir() +
                       "/tools/data/walkthrough.jsonl --json --data " + local.path());
  BOOST_TEST_REQUIRE(applied.exit_code == 0);
  std::size_t k = 0;
  for (auto [owner, folder] :
       {std::pair{"S2100911", "closed"}, std::pair{"S2100911", "install_pending_dispatch"},
        std::pair{"S2100911", "in_progress"}, std::pair{"S21009110002", "completed"},
        std::pair{"S2100911", "sales_install_pending_dispatch"}}) {
    Output o =
        run(dispatchctl() + " folder " + owner + " " + folder + " --json --data " + local.path());
    BOOST_TEST(json::parse(o.out) == remote_folders[k], owner << " " << folder);
    ++k;
  }
  // The store the daemon left is whole, records the password changes, and holds no password.
  Output verified = run(dispatchctl() + " verify --json --data " + (dir / "store"));
  BOOST_TEST(json::parse(verified.out)["ok"] == true, verified.out);
  Output log = run(dispatchctl() + " log --json --data " + (dir / "store"));
  BOOST_TEST(log.out.find("\"PasswordChanged\"") != std::string::npos);
  BOOST_TEST(log.out.find("\"PasswordReset\"") != std::string::npos);
  BOOST_TEST(log.out.find("argon2") == std::string::npos);
  BOOST_TEST(log.out.find(new_password("S2100911")) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_input_gets_a_clear_error_and_the_daemon_keeps_serving) {
  TempDir dir;
  Daemon daemon(dir / "store");
  WireClient wire(daemon.listen());
  auto code_of = [&](const std::string& bytes) {
    json reply = json::parse(wire.request_raw(bytes));
    BOOST_TEST(reply["ok"] == false);
    BOOST_TEST(!reply["error"]["message"].get<std::string>().empty());
    return reply["error"]["code"].get<std::string>();
  };
  BOOST_TEST(code_of("this is not json") == "invalid");
  BOOST_TEST(code_of(std::string("\x00\xff\xfe garbage \x01", 13)) == "invalid");
  BOOST_TEST(code_of("[1, 2, 3]") == "invalid");
  BOOST_TEST(code_of(std::string(10 << 20, '{')) == "invalid");
  BOOST_TEST(code_of(R"({"op": "fly"})") == "invalid");
  BOOST_TEST(code_of(R"({"op": "login", "account": "S2100911"})") == "invalid");
  BOOST_TEST(code_of(R"({"op": "query", "query": "folder"})") == "unauthenticated");
  BOOST_TEST(code_of(R"({"no_op": true})") == "invalid");
  // No "admin"/"admin" on a fresh store: the administrator's password is set on the server.
  json admin = wire.request({{"op", "login"}, {"account", "admin"}, {"password", "admin"}});
  BOOST_TEST(admin["error"]["code"] == "unauthenticated");
  BOOST_TEST(admin["error"]["message"].get<std::string>().find("admin-password") !=
             std::string::npos);
  BOOST_TEST(wire.request({{"op", "health"}})["ok"] == true);
  BOOST_TEST(daemon.stop() == 0);
}

// Read-your-writes: "at_least" takes one position or a reply's "positions" as they are, and the
// request waits for every one of them, not only the first or the highest.
BOOST_AUTO_TEST_CASE(at_least_waits_for_every_position_it_is_given) {
  TempDir dir;
  set_admin_password(dir, dir / "store");
  Daemon daemon(dir / "store");
  WireClient wire(daemon.listen());
  const std::uint64_t head = wire.request({{"op", "health"}})["head"]["position"];
  BOOST_TEST_REQUIRE(head > 0u);
  BOOST_TEST(wire.request({{"op", "health"}, {"at_least", head}})["ok"] == true);
  BOOST_TEST(wire.request({{"op", "health"}, {"at_least", {head, 1}}})["ok"] == true);
  BOOST_TEST(wire.request({{"op", "health"}, {"at_least", json::array()}})["ok"] == true);
  for (const json& ahead : {json(head + 7), json({1, head + 7}), json({head + 7, 1})}) {
    json waited = wire.request({{"op", "health"}, {"at_least", ahead}, {"wait_ms", 200}});
    BOOST_TEST(waited["error"]["code"] == "unavailable", waited.dump());
    BOOST_TEST(waited["error"]["message"].get<std::string>().find(std::to_string(head + 7)) !=
                   std::string::npos,
               waited.dump());
  }
  for (const json& bad : {json("1"), json({1, "2"}), json(-1), json({{"position", 1}})}) {
    json refused = wire.request({{"op", "health"}, {"at_least", bad}});
    BOOST_TEST(refused["error"]["code"] == "invalid", refused.dump());
    BOOST_TEST(refused["error"]["field"] == "at_least", refused.dump());
  }
  BOOST_TEST(daemon.stop() == 0);
}

BOOST_AUTO_TEST_CASE(notices_name_the_changed_folders_without_customer_data) {
  TempDir dir;
  set_admin_password(dir, dir / "store");
  Daemon daemon(dir / "store");
  WireClient wire(daemon.listen());
  zmq::context_t context;
  zmq::socket_t sub(context, zmq::socket_type::sub);
  sub.set(zmq::sockopt::rcvtimeo, 10000);
  sub.set(zmq::sockopt::subscribe, "unit/ZHKF");
  sub.connect(daemon.publish());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the subscription travels

  People people(wire);
  for (const json& command : walkthrough()) {
    json reply = wire.request(
        {{"op", "command"}, {"token", people.token(command["actor"])}, {"command", command}});
    BOOST_TEST_REQUIRE(reply["ok"] == true, reply.dump());
    if (command["type"] == "CreateOrder") break;  // the first order, created at ZHKF
  }
  zmq::message_t topic, notice;
  BOOST_TEST_REQUIRE(sub.recv(topic).has_value());
  BOOST_TEST_REQUIRE(topic.more());
  BOOST_TEST_REQUIRE(sub.recv(notice).has_value());
  BOOST_TEST(topic.to_string() == "unit/ZHKF");
  json n = json::parse(notice.to_string());
  BOOST_TEST(n["type"] == "OrderCreated");
  BOOST_TEST(n["folders"] == json::array({"install_pending_dispatch"}));
  BOOST_TEST(n["position"].get<std::uint64_t>() > 0u);
  BOOST_TEST(!n.contains("customer"));
  BOOST_TEST(notice.to_string().find("13") == std::string::npos, "no phone number");
}

BOOST_AUTO_TEST_CASE(sigterm_under_load_keeps_every_acknowledged_command) {
  TempDir dir;
  std::string store = dir / "store";
  Output org = run(dispatchctl() + " apply " + source_dir() +
                   "/tools/data/walkthrough.jsonl --json --data " + store);
  BOOST_TEST_REQUIRE(org.exit_code == 0);
  std::mutex mutex;
  std::vector<std::string> acknowledged;
  {
    Daemon daemon(store);
    std::string token;
    {
      WireClient wire(daemon.listen());
      People people(wire);
      token = people.token("ZHKF");
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 8; ++c) {
      clients.emplace_back([&, c] {
        WireClient wire(daemon.listen(), 3000);
        for (int i = 0; !stop; ++i) {
          std::string id = "AZ-LOAD-" + std::to_string(c) + "-" + std::to_string(i);
          json command{{"id", "load-" + id},
                       {"type", "CreateOrder"},
                       {"order_id", id},
                       {"kind", "installation"},
                       {"customer",
                        {{"name", "客户"},
                         {"phone", "13800000000"},
                         {"province", "广东省"},
                         {"address", "人民路1号"}}},
                       {"items", {{{"model", "KFR-35GW"}, {"quantity", 1}}}}};
          try {
            json reply = wire.request({{"op", "command"}, {"token", token}, {"command", command}});
            if (reply["ok"] == true) {
              std::lock_guard lock(mutex);
              acknowledged.push_back(id);
            }
          } catch (const std::exception&) {
            return;  // no reply: the daemon stopped reading
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::seconds(2));
    BOOST_TEST(daemon.stop() == 0);
    stop = true;
    for (auto& t : clients) t.join();
  }
  BOOST_TEST(acknowledged.size() > 0u);
  Output verified = run(dispatchctl() + " verify --json --data " + store);
  BOOST_TEST(json::parse(verified.out)["ok"] == true, verified.out);
  std::set<std::string> created;
  for (const auto& line : lines(run(dispatchctl() + " log --json --data " + store).out)) {
    json record = json::parse(line);
    if (record["type"] == "OrderCreated") created.insert(record["order_id"].get<std::string>());
  }
  std::size_t missing = 0;
  for (const auto& id : acknowledged) missing += created.count(id) == 0;
  BOOST_TEST(missing == 0u,
             missing << " of " << acknowledged.size() << " acknowledged orders lost");
}

BOOST_AUTO_TEST_CASE(dispatchctl_connect_runs_the_same_subcommands_through_the_daemon) {
  TempDir dir;
  std::string store = dir / "store";
  BOOST_TEST_REQUIRE(run(dispatchctl() + " apply " + source_dir() +
                         "/tools/data/walkthrough.jsonl --json --data " + store)
                         .exit_code == 0);
  Output local = run(dispatchctl() + " folder S2100911 closed --json --data " + store);
  Daemon daemon(store);
  write_file(dir / "initial", "S2100911\n");
  write_file(dir / "new", "outlet-password-1\n");
  std::string as_outlet = " --connect " + daemon.listen() + " --as S2100911 --password-file ";

  // Before the initial password is changed, nothing else.
  Output early =
      run(dispatchctl() + " folder S2100911 closed --json" + as_outlet + (dir / "initial"));
  BOOST_TEST(early.exit_code == 1);
  Output changed = run(dispatchctl() + " password" + as_outlet + (dir / "initial") +
                       " --new-password-file " + (dir / "new"));
  BOOST_TEST_REQUIRE(changed.exit_code == 0, changed.out);

  Output remote = run(dispatchctl() + " folder S2100911 closed --json" + as_outlet + (dir / "new"));
  BOOST_TEST_REQUIRE(remote.exit_code == 0);
  BOOST_TEST(json::parse(remote.out) == json::parse(local.out));
  Output forbidden = run(dispatchctl() + " stats ZHKF --json" + as_outlet + (dir / "new"));
  BOOST_TEST(forbidden.exit_code == 1);
  BOOST_TEST(json::parse(forbidden.out)["error"]["code"] == "forbidden");

  // The order query, within what the outlet sees.
  auto search = [&](const std::string& phone) {
    Output o =
        run(dispatchctl() + " search --phone " + phone + " --json" + as_outlet + (dir / "new"));
    BOOST_TEST_REQUIRE(o.exit_code == 0, o.out);
    return json::parse(o.out)["orders"];
  };
  json mine = search("13912345678");
  BOOST_TEST_REQUIRE(mine.size() == 1u);
  BOOST_TEST(mine[0]["order_id"] == "AZ20150108000001");
  // Two orders share this phone; the delivery order still at ZHKF is not the outlet's to see.
  json shared = search("13312345678");
  BOOST_TEST_REQUIRE(shared.size() == 1u);
  BOOST_TEST(shared[0]["order_id"] == "AZ20150108000008");

  // A person's command acts as the logged-in account.
  Output fed_back = run(dispatchctl() + " feedback AZ20150108000001 --text 已回访 --json" +
                        as_outlet + (dir / "new"));
  BOOST_TEST(fed_back.exit_code == 0, fed_back.out);
  Output order = run(dispatchctl() + " order AZ20150108000001 --json" + as_outlet + (dir / "new"));
  json history = json::parse(order.out)["history"];
  BOOST_TEST(history.back()["actor"] == "S2100911");
  BOOST_TEST(history.back()["text"] == "已回访");

  // The outlet resets its technician's password; a sibling outlet may not.
  Output reset = run(dispatchctl() + " reset-password S21009110002" + as_outlet + (dir / "new"));
  BOOST_TEST(reset.exit_code == 0, reset.out);
  Output wrong = run(dispatchctl() + " folder S2100911 closed --json --connect " + daemon.listen() +
                     " --as S2100911 --password-file " + (dir / "initial"));
  BOOST_TEST(wrong.exit_code == 1);
}
