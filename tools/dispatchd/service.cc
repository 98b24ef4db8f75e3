#include "tools/dispatchd/service.h"

#include <sodium.h>

#include <cstring>
#include <exception>
#include <utility>

#include "projections/queries.h"
#include "projections/visibility.h"
#include "tools/dispatchd/forward.h"
#include "tools/dispatchd/photos.h"

namespace dispatch::daemon {
namespace {
using json = nlohmann::json;

constexpr std::string_view kOps =
    "login, change_password, reset_password, logout, health, "
    "command, query";
// How long a request with "at_least" waits for this node to receive that position.
constexpr std::chrono::seconds kAtLeastWait{5};

// Waits until the engine has applied each of `positions`, all within `within`; the first one it
// has not by then is the error. Entries that are not positions are skipped.
Status wait_for_each(const Engine& engine, const json& positions,
                     std::chrono::milliseconds within) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (const json& position : positions) {
    if (!position.is_number_unsigned()) continue;
    const auto left = std::max(std::chrono::milliseconds(0),
                               std::chrono::duration_cast<std::chrono::milliseconds>(
                                   deadline - std::chrono::steady_clock::now()));
    Status seen = engine.wait_for(Position(position.get<std::uint64_t>()), left);
    if (!seen.ok()) return seen;
  }
  return Status::success();
}

Error invalid(std::string message, std::string field = {}) {
  return make_error(ErrorCode::invalid, std::move(message), std::move(field));
}

// A required string field of the request.
Result<std::string> text_field(const json& request, const char* name) {
  auto it = request.find(name);
  if (it == request.end() || it->is_null()) {
    return invalid(std::string("the request has no \"") + name + "\"", name);
  }
  if (!it->is_string()) return invalid(std::string("\"") + name + "\" must be a string", name);
  return it->get<std::string>();
}

// An optional non-negative integer field, `fallback` when absent.
Result<std::size_t> count_field(const json& request, const char* name, std::size_t fallback) {
  auto it = request.find(name);
  if (it == request.end() || it->is_null()) return fallback;
  if (!it->is_number_unsigned()) {
    return invalid(std::string("\"") + name + "\" must be a non-negative integer", name);
  }
  return it->get<std::size_t>();
}

// An optional string field ("after"), empty when absent or not a string.
std::string text_or_empty(const json& request, const char* name) {
  auto it = request.find(name);
  return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
}

json ok(json body = json::object()) {
  body["ok"] = true;
  return body;
}

// A command's refusal before the engine saw it, shaped as the engine's are (with the command's id).
json command_refused(const json& id, const Error& error) {
  return json{{"ok", false}, {"id", id}, {"error", to_json(error)}};
}

json unit_json(const UnitInfo& unit) {
  json j{{"unit_id", unit.id.str()}, {"name", unit.name}, {"kind", unit.kind}};
  if (unit.parent) j["parent"] = unit.parent->str();
  return j;
}

// The "org" query (for the web console): who the viewer is, and for a unit (the viewer's own, or
// `unit` in its subtree) its name, its parent, its direct subordinate units ("children"), the
// service outlets a sales unit is linked to ("linked_outlets") and its service persons
// ("technicians"): what a console needs to label units and offer dispatch targets. A technician
// sees only themselves and their unit.
Result<json> org_view(const Org& org, const AccountId& viewer, const std::string& unit_param) {
  json answer{{"account", viewer.str()}};
  const ActorRole role = org.role_of(viewer);
  const UnitInfo* unit = nullptr;
  if (role == ActorRole::staff) {
    answer["role"] = "staff";
    const StaffInfo* me = org.staff(StaffId(viewer.str()));
    answer["staff"] = {{"staff_id", me->id.str()},
                       {"name", me->name},
                       {"phone", me->phone},
                       {"unit", me->unit.str()}};
    if (!unit_param.empty() && unit_param != me->unit.str()) {
      return make_error(ErrorCode::forbidden, viewer.str() + " may not see unit " + unit_param,
                        "unit");
    }
    if (const UnitInfo* own = org.unit(me->unit)) answer["unit"] = unit_json(*own);
    return answer;
  }
  answer["role"] = role == ActorRole::admin ? "admin" : role == ActorRole::unit ? "unit" : "other";
  std::string wanted = unit_param.empty() ? viewer.str() : unit_param;
  if (unit_param.empty() && role != ActorRole::unit) return answer;
  Status allowed = may_see_stats(org, viewer, UnitId(wanted));
  if (!allowed.ok()) return allowed.error();
  unit = org.unit(UnitId(wanted));
  if (unit == nullptr) return make_error(ErrorCode::not_found, "no unit " + wanted, "unit");
  answer["unit"] = unit_json(*unit);
  if (unit->parent) {
    if (const UnitInfo* parent = org.unit(*unit->parent)) answer["parent"] = unit_json(*parent);
  }
  json children = json::array(), linked = json::array(), staff = json::array();
  for (const UnitId& id : unit->children) {
    if (const UnitInfo* child = org.unit(id)) children.push_back(unit_json(*child));
  }
  for (const UnitId& id : unit->linked_outlets) {
    if (const UnitInfo* outlet = org.unit(id)) linked.push_back(unit_json(*outlet));
  }
  for (const StaffId& id : unit->staff) {
    if (const StaffInfo* person = org.staff(id)) {
      staff.push_back(
          {{"staff_id", person->id.str()}, {"name", person->name}, {"phone", person->phone}});
    }
  }
  answer["children"] = std::move(children);
  answer["linked_outlets"] = std::move(linked);
  answer["technicians"] = std::move(staff);
  return answer;
}

// Checks the login, or the old password of change_password; a wrong one counts toward lockout.
Status check_password(Engine& engine, Sessions& sessions, const AccountId& account,
                      const std::string& password) {
  const Error wrong = make_error(ErrorCode::unauthenticated, "wrong account or password");
  if (auto until = sessions.locked_until(account)) {
    return make_error(ErrorCode::unauthenticated,
                      "account " + account.str() + " is locked after " +
                          std::to_string(kMaxFailedLogins) +
                          " failed logins in a row; try again after " + to_rfc3339(*until) +
                          ", or ask your outlet or sales company to reset the password");
  }
  bool known = false;
  engine.read_org([&](const Org& org) { known = org.role_of(account) != ActorRole::unknown; });
  if (!known) return wrong;
  auto stored = engine.password_hash(account);
  if (!stored.ok()) return stored.error();
  if (account == kAdmin && !stored->has_value()) {
    // "admin"/"admin" would hand the whole organisation to whoever connects first.
    return make_error(ErrorCode::unauthenticated,
                      "the administrator has no password yet; set one on the server with "
                      "dispatchctl admin-password --data DIR");
  }
  if (!accounts::password_matches(account, *stored, password)) {
    sessions.record_failure(account);
    return wrong;
  }
  return Status::success();
}

}  // namespace

Service::Service(Engine& engine, ServiceOptions options, Now now)
    : engine_(engine),
      options_(options),
      sessions_(options.session_ttl, std::move(now)),
      started_(sessions_.now()) {}

json Service::handle(std::string_view request) {
  json reply;
  json request_id;
  try {
    Result<json> result = invalid("empty");
    if (request.size() > options_.max_request_bytes) {
      result = invalid("the request is " + std::to_string(request.size()) + " bytes; at most " +
                       std::to_string(options_.max_request_bytes) + " are accepted");
    } else {
      json parsed = json::parse(request, nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded()) {
        result = invalid("the request is not JSON (one UTF-8 JSON object per message)");
      } else if (!parsed.is_object()) {
        result = invalid("the request must be a JSON object with an \"op\"");
      } else {
        if (auto id = parsed.find("request_id"); id != parsed.end()) request_id = *id;
        result = dispatch(parsed);
      }
    }
    if (result.ok()) {
      reply = std::move(result.value());
    } else {
      reply = json{{"ok", false}, {"error", to_json(result.error())}};
    }
  } catch (const std::exception& e) {
    // A bug, not the client's fault; the client still gets an answer and the server goes on.
    reply = json{{"ok", false},
                 {"error", to_json(make_error(ErrorCode::unavailable,
                                              std::string("internal error: ") + e.what()))}};
  }
  if (!request_id.is_null()) reply["request_id"] = request_id;
  return reply;
}

Result<json> Service::dispatch(const json& request) {
  auto op = text_field(request, "op");
  if (!op.ok()) return op.error();
  // Read-your-writes across the nodes of a shared log: first see the position the client saw.
  if (auto at_least = request.find("at_least"); at_least != request.end()) {
    // One position, or a reply's "positions" as they are: a batch's events may lie on several
    // partitions, and the client has seen each.
    const json positions = at_least->is_array() ? *at_least : json::array({*at_least});
    for (const json& position : positions) {
      if (!position.is_number_unsigned()) {
        return invalid(
            "\"at_least\" must be a log position (a whole number) or a list of log positions",
            "at_least");
      }
    }
    std::chrono::milliseconds wait = kAtLeastWait;
    if (auto given = request.find("wait_ms"); given != request.end()) {
      if (!given->is_number_unsigned()) {
        return invalid("\"wait_ms\" must be a number of milliseconds", "wait_ms");
      }
      const auto ms = given->get<std::uint64_t>();
      if (ms < static_cast<std::uint64_t>(wait.count())) wait = std::chrono::milliseconds(ms);
    }
    Status seen = wait_for_each(engine_, positions, wait);
    if (!seen.ok()) return seen.error();
  }
  if (*op == "login") return login(request);
  if (*op == "change_password") return change_password(request);
  if (*op == "reset_password") return reset_password(request);
  if (*op == "logout") return logout(request);
  if (*op == "health") return health();
  if (*op == "command") return command(request);
  if (*op == "query") return query(request);
  if (*op == "forwarded") return forwarded(request);
  if (*op == "photo") return photo(request);
  if (*op == "lend" || *op == "take_back") return loan(request, *op);
  return invalid("unknown op \"" + *op + "\"; one of " + std::string(kOps), "op");
}

Result<json> Service::login(const json& request) {
  auto account = text_field(request, "account");
  if (!account.ok()) return account.error();
  auto password = text_field(request, "password");
  if (!password.ok()) return password.error();
  AccountId id(*account);
  Status checked = check_password(engine_, sessions_, id, *password);
  if (!checked.ok()) return checked.error();
  auto stored = engine_.password_hash(id);
  if (!stored.ok()) return stored.error();
  bool must_change = !stored->has_value();
  std::string token = sessions_.open(id, must_change);
  auto session = sessions_.find(token);
  if (!session.ok()) return session.error();
  return ok(json{{"token", token},
                 {"account", id.str()},
                 {"expires_at", to_rfc3339(session->expires)},
                 {"must_change_password", must_change}});
}

Result<json> Service::change_password(const json& request) {
  auto session = session_of(request, /*allow_initial=*/true);
  if (!session.ok()) return session.error();
  auto old_password = text_field(request, "old_password");
  if (!old_password.ok()) return old_password.error();
  auto new_password = text_field(request, "new_password");
  if (!new_password.ok()) return new_password.error();
  const AccountId& account = session->account;
  Status checked = check_password(engine_, sessions_, account, *old_password);
  if (!checked.ok()) {
    Error e = checked.error();
    e.field = "old_password";
    return e;
  }
  Status acceptable = accounts::check_new_password(account, *new_password);
  if (!acceptable.ok()) return acceptable.error();
  auto hash = accounts::hash_password(*new_password, options_.hash_cost);
  if (!hash.ok()) return hash.error();
  Status done = submit_own(Command{CommandId("password-" + accounts::random_token().substr(0, 24)),
                                   account, "", cmd::ChangePassword{account, std::move(*hash)}});
  if (!done.ok()) return done.error();
  sessions_.password_changed(account);
  return ok();
}

Result<json> Service::reset_password(const json& request) {
  auto session = session_of(request);
  if (!session.ok()) return session.error();
  auto account = text_field(request, "account");
  if (!account.ok()) return account.error();
  AccountId target(*account);
  Status done = submit_own(Command{CommandId("password-" + accounts::random_token().substr(0, 24)),
                                   session->account, "", cmd::ResetPassword{target}});
  if (!done.ok()) return done.error();
  sessions_.password_reset(target);
  return ok(json{{"account", target.str()}});
}

Status Service::submit_own(Command command) {
  json reply = execute(std::move(command));
  if (reply.value("ok", false)) return Status::success();
  const json& e = reply["error"];
  return make_error(error_code_from_string(e.value("code", "")).value_or(ErrorCode::unavailable),
                    e.value("message", "the command failed"), e.value("field", ""));
}

Result<json> Service::logout(const json& request) {
  auto token = text_field(request, "token");
  if (!token.ok()) return token.error();
  sessions_.close(*token);
  return ok();
}

Result<json> Service::health() const {
  LogHead head = engine_.head();
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(sessions_.now() - started_).count();
  json reply{{"status", "serving"},
             {"head", {{"position", head.position.value()}, {"hash", head.hash}}},
             {"uptime_seconds", uptime}};
  if (options_.health_details) reply.update(options_.health_details());
  return ok(std::move(reply));
}

Result<Session> Service::session_of(const json& request, bool allow_initial) {
  auto token = text_field(request, "token");
  if (!token.ok()) {
    return make_error(ErrorCode::unauthenticated, "not logged in: the request has no \"token\"",
                      "token");
  }
  if (allow_initial) return sessions_.find(*token);
  return authenticate(*token);
}

Result<Session> Service::authenticate(const std::string& token) {
  auto session = sessions_.find(token);
  if (!session.ok()) return session.error();
  if (session->must_change_password) {
    return make_error(ErrorCode::forbidden,
                      session->account.str() +
                          " still has its initial password; change it first (op "
                          "change_password)");
  }
  return session;
}

Result<json> Service::command(const json& request) {
  auto session = session_of(request);
  if (!session.ok()) return session.error();
  auto body = request.find("command");
  if (body == request.end() || !body->is_object()) {
    return invalid("the request has no \"command\" object", "command");
  }
  json command_json = *body;
  if (auto actor = command_json.find("actor"); actor != command_json.end()) {
    if (!actor->is_string() || actor->get<std::string>() != session->account.str()) {
      return command_refused(
          command_json.value("id", json()),
          make_error(ErrorCode::forbidden,
                     session->account.str() + " is logged in and may not act as " + actor->dump(),
                     "actor"));
    }
  }
  command_json["actor"] = session->account.str();
  auto parsed = parse_command(command_json);
  if (!parsed.ok()) return command_refused(command_json.value("id", json()), parsed.error());
  if (std::holds_alternative<cmd::ChangePassword>(parsed->body) ||
      std::holds_alternative<cmd::ResetPassword>(parsed->body)) {
    return command_refused(parsed->id, invalid("passwords change with the change_password and "
                                               "reset_password ops, not as commands",
                                               "type"));
  }
  return execute(std::move(*parsed));
}

json Service::execute(Command command) {
  Status here = options_.may_decide ? options_.may_decide(command) : Status::success();
  if (!options_.forward || here.ok()) return engine_.execute(std::move(command));
  if (options_.borrow_and_execute) {
    if (auto reply = options_.borrow_and_execute(command)) return *reply;
  }
  json body = to_json(command);
  if (const auto* change = std::get_if<cmd::ChangePassword>(&command.body)) {
    body["password_hash"] = change->password_hash;  // not in the JSON form; the decider needs it
  }
  json reply = options_.forward(body, here.error().message);
  if (reply.value("ok", false) && options_.see_forwarded_within.count() > 0) {
    // So that the client's next query here sees what it just did. The reply is the decider's
    // either way; a client that must see it everywhere passes "at_least" (see above). Each
    // position is waited for, since a batch's events may lie on several chains.
    (void)wait_for_each(engine_, reply.value("positions", json::array()),
                        options_.see_forwarded_within);
  }
  return reply;
}

Status Service::signed_by_peer(const json& request, const std::string& text,
                               std::string_view what) {
  const std::string from = text_or_empty(request, "node");
  if (options_.cluster_key.empty()) {
    return make_error(ErrorCode::forbidden, "this node takes no " + std::string(what) +
                                                " from other nodes (it has no "
                                                "--cluster-key-file); node \"" +
                                                from + "\" asked");
  }
  auto signature = text_field(request, "signature");
  if (!signature.ok()) return signature.error();
  if (!forwarded_signature_matches(options_.cluster_key, text, *signature)) {
    return make_error(ErrorCode::unauthenticated,
                      "the " + std::string(what) + " request of node \"" + from +
                          "\" is not signed with this node's cluster key (--cluster-key-file)",
                      "signature");
  }
  return Status::success();
}

Result<json> Service::photo(const json& request) {
  auto ref = text_field(request, "ref");
  if (!ref.ok()) return ref.error();
  Status trusted = signed_by_peer(request, photo_request_text(*ref), "photo");
  if (!trusted.ok()) return trusted.error();
  if (options_.photos_dir.empty()) {
    return make_error(ErrorCode::not_found, "this node keeps no photos", "ref");
  }
  auto photo = PhotoStore(options_.photos_dir).get(*ref);
  if (!photo.ok()) return photo.error();
  std::string encoded(
      sodium_base64_ENCODED_LEN(photo->bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(),
                    reinterpret_cast<const unsigned char*>(photo->bytes.data()),
                    photo->bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  encoded.resize(std::strlen(encoded.c_str()));
  return ok(json{{"photo_base64", std::move(encoded)}, {"content_type", photo->content_type}});
}

Result<json> Service::forwarded(const json& request) {
  auto text = text_field(request, "command_text");
  if (!text.ok()) return text.error();
  Status trusted = signed_by_peer(request, *text, "forwarded commands");
  if (!trusted.ok()) return trusted.error();
  json command_json = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!command_json.is_object()) {
    return invalid("\"command_text\" must be a command's JSON object", "command_text");
  }
  auto parsed = parse_command(command_json);
  if (!parsed.ok()) return command_refused(command_json.value("id", json()), parsed.error());
  if (auto* change = std::get_if<cmd::ChangePassword>(&parsed->body)) {
    change->password_hash = command_json.value("password_hash", "");
    if (change->password_hash.empty()) {
      return command_refused(parsed->id, invalid("a forwarded ChangePassword needs its "
                                                 "\"password_hash\"",
                                                 "password_hash"));
    }
  }
  // Never forwarded again: a node that does not decide it answers `unavailable`, saying why, and
  // the sender asks its next peer.
  if (options_.may_decide) {
    Status here = options_.may_decide(*parsed);
    if (!here.ok()) {
      if (options_.borrow_and_execute) {
        if (auto reply = options_.borrow_and_execute(*parsed)) return *reply;
      }
      return command_refused(parsed->id, here.error());
    }
  }
  return engine_.execute(std::move(*parsed));
}

Result<json> Service::loan(const json& request, const std::string& op) {
  auto text = text_field(request, "loan_text");
  if (!text.ok()) return text.error();
  Status trusted = signed_by_peer(request, loan_request_text(op, *text), "loan");
  if (!trusted.ok()) return trusted.error();
  const auto& serve = op == "lend" ? options_.lend : options_.take_back;
  if (!serve) {
    return make_error(ErrorCode::unavailable,
                      "this node does not decide per partition, and lends none");
  }
  json loan = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!loan.is_object()) return invalid("\"loan_text\" must be a JSON object", "loan_text");
  return serve(loan);
}

Result<json> Service::query(const json& request) {
  auto session = session_of(request);
  if (!session.ok()) return session.error();
  auto kind = text_field(request, "query");
  if (!kind.ok()) return kind.error();
  const AccountId& viewer = session->account;
  Result<json> answer = invalid("unknown");
  if (*kind == "folder") {
    auto owner = text_field(request, "owner");
    if (!owner.ok()) return owner.error();
    auto folder = text_field(request, "folder");
    if (!folder.ok()) return folder.error();
    auto limit = count_field(request, "limit", kDefaultFolderLimit);
    if (!limit.ok()) return limit.error();
    std::string after = text_or_empty(request, "after");
    Status allowed = Status::success();
    engine_.read_org([&](const Org& org) { allowed = may_see_folders(org, viewer, *owner); });
    if (!allowed.ok()) return allowed.error();
    answer = engine_.folder(*owner, *folder, *limit, after);
  } else if (*kind == "order") {
    auto id = text_field(request, "order_id");
    if (!id.ok()) return id.error();
    OrderId order(*id);
    auto state = engine_.order_state(order);
    if (!state.ok()) return state.error();
    bool visible = false;
    if (state->has_value()) {
      engine_.read_org([&](const Org& org) { visible = may_see_order(org, viewer, **state); });
    }
    if (!visible) {
      return make_error(ErrorCode::not_found,
                        "no order " + *id + " that " + viewer.str() + " can see", "order_id");
    }
    answer = engine_.order(order);
  } else if (*kind == "stats") {
    auto unit = text_field(request, "unit");
    if (!unit.ok()) return unit.error();
    Status allowed = Status::success();
    engine_.read_org([&](const Org& org) { allowed = may_see_stats(org, viewer, UnitId(*unit)); });
    if (!allowed.ok()) return allowed.error();
    answer = engine_.stats(UnitId(*unit));
  } else if (*kind == "search") {
    auto filter = search_filter_from_json(request);
    if (!filter.ok()) return filter.error();
    auto limit = count_field(request, "limit", kDefaultFolderLimit);
    if (!limit.ok()) return limit.error();
    answer = engine_.search(viewer, *filter, *limit, text_or_empty(request, "after"));
  } else if (*kind == "org") {
    std::string unit = text_or_empty(request, "unit");
    engine_.read_org([&](const Org& org) { answer = org_view(org, viewer, unit); });
  } else {
    return invalid("unknown query \"" + *kind + "\"; one of folder, order, stats, search, org",
                   "query");
  }
  if (!answer.ok()) return answer.error();
  return ok(std::move(*answer));
}

}  // namespace dispatch::daemon
