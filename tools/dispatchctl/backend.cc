#include "tools/dispatchctl/backend.h"

#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "engine/accounts.h"
#include "engine/engine.h"
#include "engine/kafka/node.h"
#include "tools/dispatchctl/output.h"
#include "tools/dispatchctl/subcommands.h"
#include "tools/dispatchd/client.h"

namespace dispatch::ctl {
namespace {
using json = nlohmann::json;

std::future<json> ready(json value) {
  std::promise<json> p;
  p.set_value(std::move(value));
  return p.get_future();
}

class LocalBackend : public Backend {
 public:
  // `engine` may keep alive what owns it (a Kafka node) through shared_ptr's aliasing.
  LocalBackend(std::shared_ptr<Engine> engine, std::string actor)
      : engine_(std::move(engine)), actor_(std::move(actor)) {}
  std::future<json> submit(Command command) override { return engine_->submit(std::move(command)); }
  Result<json> folder(const std::string& owner, const std::string& folder, std::size_t limit,
                      const std::string& after) override {
    return engine_->folder(owner, folder, limit, after);
  }
  Result<json> order(const std::string& id) override { return engine_->order(OrderId(id)); }
  Result<json> stats(const std::string& unit) override { return engine_->stats(UnitId(unit)); }
  Result<json> search(const json& filter, std::size_t limit, const std::string& after) override {
    auto parsed = search_filter_from_json(filter);
    if (!parsed.ok()) return parsed.error();
    return engine_->search(AccountId(actor_), *parsed, limit, after);
  }
  std::string actor() const override { return actor_; }

 private:
  std::shared_ptr<Engine> engine_;
  std::string actor_;
};

// An error reply of the daemon as an Error.
Error error_of(const json& reply) {
  const json& e = reply.value("error", json::object());
  return make_error(error_code_from_string(e.value("code", "")).value_or(ErrorCode::unavailable),
                    e.value("message", "dispatchd refused the request"), e.value("field", ""));
}

class RemoteBackend : public Backend {
 public:
  RemoteBackend(std::unique_ptr<daemon::WireClient> wire, std::string account, std::string token)
      : wire_(std::move(wire)), account_(std::move(account)), token_(std::move(token)) {}
  ~RemoteBackend() override { (void)wire_->request({{"op", "logout"}, {"token", token_}}); }

  std::future<json> submit(Command command) override {
    json body = to_json(command);
    auto reply = wire_->request({{"op", "command"}, {"token", token_}, {"command", body}});
    if (!reply.ok()) {
      return ready(json{{"ok", false}, {"id", command.id}, {"error", to_json(reply.error())}});
    }
    return ready(std::move(*reply));
  }
  Result<json> folder(const std::string& owner, const std::string& folder, std::size_t limit,
                      const std::string& after) override {
    json q{{"query", "folder"}, {"owner", owner}, {"folder", folder}, {"limit", limit}};
    if (!after.empty()) q["after"] = after;
    return query(std::move(q));
  }
  Result<json> order(const std::string& id) override {
    return query({{"query", "order"}, {"order_id", id}});
  }
  Result<json> stats(const std::string& unit) override {
    return query({{"query", "stats"}, {"unit", unit}});
  }
  Result<json> search(const json& filter, std::size_t limit, const std::string& after) override {
    json q = filter;
    q["query"] = "search";
    q["limit"] = limit;
    if (!after.empty()) q["after"] = after;
    return query(std::move(q));
  }
  std::string actor() const override { return account_; }

 private:
  Result<json> query(json request) {
    request["op"] = "query";
    request["token"] = token_;
    auto reply = wire_->request(request);
    if (!reply.ok()) return reply.error();
    if (reply->value("ok", false) != true) return error_of(*reply);
    reply->erase("ok");
    return std::move(*reply);
  }

  std::unique_ptr<daemon::WireClient> wire_;
  std::string account_;
  std::string token_;
};

// The password from --password-file (its first line), or typed at the terminal without echo.
Result<std::string> read_password(const Args& args, const std::string& prompt,
                                  const std::string& file_option = "password-file") {
  if (auto path = args.option(file_option)) {
    std::ifstream in(*path);
    std::string line;
    if (!in || !std::getline(in, line)) {
      return make_error(ErrorCode::invalid, "cannot read a password from " + *path);
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (!isatty(STDIN_FILENO)) {
    return make_error(ErrorCode::invalid,
                      "no terminal to ask for the password on; give --" + file_option + " FILE");
  }
  std::cerr << prompt << std::flush;
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << '\n';
  return line;
}

struct Login {
  std::unique_ptr<daemon::WireClient> wire;
  std::string account, password, token;
  bool must_change = false;
};

// Logs in to the daemon --connect names, as --as; prints why not and sets exit_code on failure.
std::optional<Login> login(const Args& args, int& exit_code) {
  std::string endpoint = *args.option("connect");
  auto account = args.option("as");
  if (!account) {
    std::cerr << "dispatchctl: --connect needs --as ACCOUNT (the unit or staff number to log in "
                 "as)\n";
    exit_code = kExitUsage;
    return std::nullopt;
  }
  auto password = read_password(args, "password for " + *account + ": ");
  if (!password.ok()) {
    std::cerr << "dispatchctl: " << password.error().message << '\n';
    exit_code = kExitUsage;
    return std::nullopt;
  }
  Login l{std::make_unique<daemon::WireClient>(endpoint), *account, *password, "", false};
  auto reply = l.wire->request({{"op", "login"}, {"account", *account}, {"password", *password}});
  if (!reply.ok()) {
    std::cerr << "dispatchctl: " << reply.error().message << '\n';
    exit_code = kExitStore;
    return std::nullopt;
  }
  if (reply->value("ok", false) != true) {
    std::cerr << "dispatchctl: cannot log in as " << *account << ": " << error_of(*reply).message
              << '\n';
    exit_code = kExitRefused;
    return std::nullopt;
  }
  l.token = (*reply)["token"];
  l.must_change = reply->value("must_change_password", false);
  return l;
}

}  // namespace

Result<kafka::KafkaOptions> kafka_options(const Args& args) {
  kafka::KafkaOptions options{.node = "dispatchctl-" + kafka::default_node_name()};
  for (const char* name : kKafkaOptions) {
    auto value = args.option(name);
    if (!value || !kafka::is_kafka_setting(name)) continue;
    Status set = kafka::apply_kafka_setting(options, name, *value);
    if (!set.ok()) {
      std::cerr << "dispatchctl: " << set.error().message << '\n';
      return set.error();
    }
  }
  return options;
}

Result<std::unique_ptr<Engine>> open_local_engine(const Args& args, MissingStore missing) {
  const std::string dir = args.option_or("data", "./var");
  EngineOptions options;
  options.create_if_missing = missing == MissingStore::create;
  auto engine = Engine::open(dir, options);
  if (!engine.ok()) print_store_error(args, "the store " + dir, engine.error());
  return engine;
}

Result<std::unique_ptr<Backend>> open_backend(const Args& args, int& exit_code,
                                              MissingStore missing) {
  if (args.option("connect")) {
    auto l = login(args, exit_code);
    if (!l) return make_error(ErrorCode::unauthenticated, "not logged in");
    if (l->must_change) {
      std::cerr << "dispatchctl: " << l->account
                << " still has its initial password; change it first: dispatchctl password "
                   "--connect "
                << *args.option("connect") << " --as " << l->account << '\n';
      exit_code = kExitRefused;
      return make_error(ErrorCode::forbidden, "initial password");
    }
    return std::unique_ptr<Backend>(
        std::make_unique<RemoteBackend>(std::move(l->wire), l->account, l->token));
  }
  std::string dir = args.option_or("data", "./var");
  const std::string log = args.option_or("log", "embedded");
  if (log == "kafka") {
    auto options = kafka_options(args);
    if (!options.ok()) {
      exit_code = kExitUsage;
      return options.error();
    }
    auto node = kafka::KafkaNode::open(dir, *options);
    if (!node.ok()) {
      exit_code = print_store_error(args, dir + " as a node of Kafka topic " + options->topic,
                                    node.error());
      return node.error();
    }
    std::shared_ptr<kafka::KafkaNode> owner = std::move(node.value());
    return std::unique_ptr<Backend>(std::make_unique<LocalBackend>(
        std::shared_ptr<Engine>(owner, &owner->engine()), args.option_or("as", "admin")));
  }
  if (log != "embedded") {
    std::cerr << "dispatchctl: --log must be embedded or kafka, not " << log << '\n';
    exit_code = kExitUsage;
    return make_error(ErrorCode::invalid, "--log");
  }
  auto engine = open_local_engine(args, missing);
  if (!engine.ok()) {
    exit_code = kExitStore;
    return engine.error();
  }
  return std::unique_ptr<Backend>(
      std::make_unique<LocalBackend>(std::move(engine.value()), args.option_or("as", "admin")));
}

namespace {
// Runs one password op over the wire and reports it.
int run_password_op(const Args& args, const std::function<json(const Login&)>& request,
                    const std::string& done) {
  if (!args.option("connect")) {
    std::cerr << "dispatchctl: passwords are kept by dispatchd; give --connect ENDPOINT\n";
    return kExitUsage;
  }
  int exit_code = kExitOk;
  auto l = login(args, exit_code);
  if (!l) return exit_code;
  json body = request(*l);
  if (body.is_null()) return kExitUsage;
  body["token"] = l->token;
  auto reply = l->wire->request(body);
  (void)l->wire->request({{"op", "logout"}, {"token", l->token}});
  if (!reply.ok()) {
    std::cerr << "dispatchctl: " << reply.error().message << '\n';
    return kExitStore;
  }
  if (args.flag("json")) std::cout << json_line(*reply) << '\n';
  if (reply->value("ok", false) != true) {
    if (!args.flag("json")) std::cerr << "dispatchctl: " << error_of(*reply).message << '\n';
    return kExitRefused;
  }
  if (!args.flag("json")) std::cout << done << '\n';
  return kExitOk;
}
}  // namespace

int run_password(const Args& args) {
  return run_password_op(
      args,
      [&](const Login& l) -> json {
        auto new_password = read_password(args, "new password: ", "new-password-file");
        if (!new_password.ok()) {
          std::cerr << "dispatchctl: " << new_password.error().message << '\n';
          return json();
        }
        return json{{"op", "change_password"},
                    {"old_password", l.password},
                    {"new_password", *new_password}};
      },
      "password changed");
}

int run_admin_password(const Args& args) {
  auto password = read_password(args, "new administrator password: ");
  if (!password.ok()) {
    std::cerr << "dispatchctl: " << password.error().message << '\n';
    return kExitUsage;
  }
  Status acceptable = accounts::check_new_password(kAdmin, *password);
  if (!acceptable.ok()) {
    std::cerr << "dispatchctl: " << acceptable.error().message << '\n';
    return kExitRefused;
  }
  auto hash = accounts::hash_password(*password, accounts::HashCost::interactive);
  if (!hash.ok()) {
    std::cerr << "dispatchctl: " << hash.error().message << '\n';
    return kExitStore;
  }
  int exit_code = kExitOk;
  auto backend = open_backend(args, exit_code);
  if (!backend.ok()) return exit_code;
  json reply =
      (*backend)
          ->submit(Command{CommandId("admin-password-" + accounts::random_token().substr(0, 16)),
                           kAdmin, "", cmd::ChangePassword{kAdmin, std::move(*hash)}})
          .get();
  if (args.flag("json")) std::cout << json_line(reply) << '\n';
  if (reply.value("ok", false) != true) {
    if (!args.flag("json")) std::cerr << "dispatchctl: " << error_of(reply).message << '\n';
    return kExitStore;
  }
  if (!args.flag("json")) std::cout << "the administrator's password is set\n";
  return kExitOk;
}

int run_reset_password(const Args& args) {
  if (args.positionals().size() != 1) {
    std::cerr << "dispatchctl: reset-password takes ACCOUNT\n";
    return kExitUsage;
  }
  const std::string target = args.positionals()[0];
  return run_password_op(
      args,
      [&](const Login&) {
        return json{{"op", "reset_password"}, {"account", target}};
      },
      target + "'s password is its number again; it must be changed at the next login");
}

}  // namespace dispatch::ctl
