#include "connectors/ingest.h"

#include <future>
#include <set>
#include <utility>

#include "connectors/parse.h"
#include "engine/store/rocks_kv.h"

namespace dispatch::connectors {
namespace {
using json = nlohmann::json;

void count(Outcome outcome, IngestCounts& c) {
  switch (outcome) {
    case Outcome::created:
      ++c.created;
      break;
    case Outcome::updated:
      ++c.updated;
      break;
    case Outcome::cancelled:
      ++c.cancelled;
      break;
    case Outcome::unchanged:
      ++c.duplicates;
      break;
    case Outcome::waiting:
      ++c.waiting;
      break;
    case Outcome::ignored:
      ++c.ignored;
      break;
  }
}

// The error's sentence, with its field in front unless the sentence names it already.
const std::string& message_order_id(const ShopMessage& m) {
  return std::holds_alternative<ShopNotice>(m) ? std::get<ShopNotice>(m).platform_order_id
                                               : std::get<ShopOrder>(m).platform_order_id;
}

std::string where(const Error& e) {
  if (e.field.empty() || e.message.find(e.field) != std::string::npos) return e.message;
  return e.field + ": " + e.message;
}
}  // namespace

json IngestCounts::to_json() const {
  return json{{"read", read},
              {"created", created},
              {"updated", updated},
              {"cancelled", cancelled},
              {"duplicates", duplicates},
              {"waiting", waiting},
              {"ignored", ignored},
              {"dead_lettered", dead_lettered}};
}

IngestCounts& IngestCounts::operator+=(const IngestCounts& more) {
  read += more.read;
  created += more.created;
  updated += more.updated;
  cancelled += more.cancelled;
  duplicates += more.duplicates;
  waiting += more.waiting;
  ignored += more.ignored;
  dead_lettered += more.dead_lettered;
  return *this;
}

Ingestor::Ingestor(Engine& engine, ConnectorStore& store, MappingConfig config, Clock clock)
    : engine_(engine),
      store_(store),
      config_(std::move(config)),
      clock_(std::move(clock)),
      org_(engine.org()) {}

Result<std::optional<WorkOrder>> Ingestor::find(const OrderId& id) const {
  auto view = engine_.order(id);
  if (!view.ok()) {
    if (view.error().code == ErrorCode::not_found) return std::optional<WorkOrder>();
    return view.error();
  }
  try {
    WorkOrder w;
    w.kind = view->at("kind").get<OrderKind>();
    w.status = view->at("status").get<OrderStatus>();
    w.customer = view->at("customer").get<Customer>();
    return std::optional<WorkOrder>(std::move(w));
  } catch (const json::exception& e) {
    return make_error(ErrorCode::unavailable,
                      "order " + id.str() + " could not be read: " + std::string(e.what()));
  }
}

// The work of one shop order whose commands are submitted: finish() waits for their replies.
struct Ingestor::Pending {
  ShopOrder order;
  Outcome outcome = Outcome::unchanged;
  std::vector<std::future<json>> replies;
};

// One payload started: its shop orders' commands in flight, and what failed already.
struct Ingestor::Started {
  std::vector<Pending> pending;
  std::string failures;
};

std::string Ingestor::start_order(const ShopOrder& order, const std::optional<ShopOrder>& known,
                                  Started& started, IngestCounts& counts,
                                  std::optional<Error>& fatal) {
  if (is_stale(order, known)) {
    ++counts.duplicates;  // older than what is known: nothing new
    return {};
  }
  auto plan = plan_commands(order, org_, config_, [&](const OrderId& id) {
    auto w = find(id);
    if (!w.ok()) {
      fatal = w.error();
      return std::optional<WorkOrder>();
    }
    return *w;
  });
  if (fatal) return {};
  if (!plan.ok()) return where(plan.error());
  Pending p{order, plan->outcome, {}};
  for (auto& c : plan->commands) p.replies.push_back(engine_.submit(std::move(c)));
  started.pending.push_back(std::move(p));
  return {};
}

Result<Ingestor::Started> Ingestor::start(Platform platform,
                                          const Result<std::vector<ShopMessage>>& messages,
                                          IngestCounts& counts) {
  Started started;
  if (!messages.ok()) {
    started.failures = where(messages.error());
    return started;
  }
  auto fail = [&](const std::string& why) {
    started.failures += (started.failures.empty() ? "" : "; ") + why;
  };
  for (const auto& message : *messages) {
    const bool is_notice = std::holds_alternative<ShopNotice>(message);
    const std::string& id = message_order_id(message);
    auto known = store_.shop_order(platform, id);
    if (!known.ok()) return known.error();
    ShopOrder order;
    if (is_notice) {
      const auto& notice = std::get<ShopNotice>(message);
      auto merged = apply_notice(*known, notice);
      if (!merged.ok()) {
        fail(merged.error().message);
        continue;
      }
      // A notice older than the snapshot must not undo it.
      if (!notice.modified.empty() && *known && notice.modified < (*known)->modified) {
        ++counts.duplicates;
        continue;
      }
      order = std::move(*merged);
    } else {
      order = std::get<ShopOrder>(message);
    }
    std::optional<Error> fatal;
    std::string why = start_order(order, *known, started, counts, fatal);
    if (fatal) return *fatal;
    if (!why.empty()) fail(id + ": " + why);
  }
  return started;
}

Result<std::optional<std::string>> Ingestor::finish(Started& started, IngestCounts& counts) {
  using Reason = std::optional<std::string>;
  std::string failures = started.failures;
  std::optional<Error> fatal;
  for (auto& p : started.pending) {
    bool all_duplicates = !p.replies.empty();
    std::string refused;
    for (auto& f : p.replies) {
      json reply = f.get();  // every reply is waited for, even after a failure
      if (reply.value("ok", false)) {
        if (!reply.value("duplicate", false)) all_duplicates = false;
        continue;
      }
      const json& e = reply["error"];
      if (e.value("code", "") == "unavailable") {
        fatal = make_error(ErrorCode::unavailable, e.value("message", "the store is unavailable"));
      }
      refused += (refused.empty() ? "" : "; ") + reply.value("id", "") + ": " +
                 e.value("code", "") + ": " + e.value("message", "");
    }
    if (fatal) continue;
    if (!refused.empty()) {
      failures += (failures.empty() ? "" : "; ") + p.order.platform_order_id + ": " + refused;
      continue;
    }
    count(all_duplicates ? Outcome::unchanged : p.outcome, counts);
    Status s = store_.put_shop_order(p.order);
    if (!s.ok()) fatal = s.error();
  }
  if (fatal) return *fatal;
  if (!failures.empty()) return Reason(failures);
  return Reason();
}

Result<std::optional<std::string>> Ingestor::process(Platform platform, std::string_view raw,
                                                     IngestCounts& counts) {
  auto started = start(platform, parse_payload(platform, raw), counts);
  if (!started.ok()) return started.error();
  return finish(*started, counts);
}

Status Ingestor::dead_letter(Platform platform, const Payload& payload, std::string reason,
                             IngestCounts& counts) {
  DeadLetter d;
  d.platform = platform;
  d.source = payload.source;
  d.line = payload.line;
  d.reason = std::move(reason);
  d.at = clock_();
  d.raw = payload.raw;
  auto id = store_.add_dead_letter(std::move(d), payload.once);
  if (!id.ok()) return id.error();
  ++counts.dead_lettered;
  return Status::success();
}

Status Ingestor::ingest_many(Platform platform, const std::vector<Payload>& payloads,
                             IngestCounts& counts) {
  struct InFlight {
    const Payload* payload;
    Started started;
  };
  std::size_t next = 0;
  while (next < payloads.size()) {
    // Start payloads while none of them touches a shop order another in flight touches: each
    // is planned against committed state, which the ones in flight do not change.
    std::vector<InFlight> window;
    std::set<std::string> ids;
    while (next < payloads.size()) {
      const Payload& payload = payloads[next];
      auto messages = parse_payload(platform, payload.raw);
      if (messages.ok()) {
        bool clash = false;
        for (const auto& m : *messages) clash = clash || ids.count(message_order_id(m)) > 0;
        if (clash && !window.empty()) break;
        for (const auto& m : *messages) ids.insert(message_order_id(m));
      }
      ++counts.read;
      auto started = start(platform, messages, counts);
      if (!started.ok()) return started.error();
      window.push_back(InFlight{&payload, std::move(*started)});
      ++next;
    }
    std::optional<Error> fatal;
    for (auto& f : window) {
      auto reason = finish(f.started, counts);  // waits for all, even after a fatal error
      if (fatal) continue;
      if (!reason.ok()) {
        fatal = reason.error();
      } else if (*reason) {
        Status s = dead_letter(platform, *f.payload, std::move(**reason), counts);
        if (!s.ok()) fatal = s.error();
      }
    }
    if (fatal) return *fatal;
  }
  return Status::success();
}

Result<bool> Ingestor::retry(std::uint64_t id, IngestCounts& counts) {
  auto letter = store_.dead_letter(id);
  if (!letter.ok()) return letter.error();
  if (!*letter) return make_error(ErrorCode::not_found, "no dead letter " + std::to_string(id));
  DeadLetter d = std::move(**letter);
  ++counts.read;
  auto reason = process(d.platform, d.raw, counts);
  if (!reason.ok()) return reason.error();
  if (!*reason) {
    Status s = store_.remove_dead_letter(id);
    if (!s.ok()) return s.error();
    return true;
  }
  d.reason = **reason;
  d.at = clock_();
  Status s = store_.replace_dead_letter(d);
  if (!s.ok()) return s.error();
  ++counts.dead_lettered;
  return false;
}

ConnectorSession::~ConnectorSession() {
  engine.reset();  // the engine's view of the Kv goes before the Kv
  store.reset();
  kv.reset();
}

Result<std::unique_ptr<ConnectorSession>> open_connector_session(const std::string& dir,
                                                                 EngineOptions options) {
  auto session = std::make_unique<ConnectorSession>();
  auto kv = open_rocks_kv(dir, store_options(options));
  if (!kv.ok()) return kv.error();
  session->kv = std::move(kv.value());
  auto engine = Engine::open(std::make_unique<ForwardingKv>(*session->kv), std::move(options));
  if (!engine.ok()) return engine.error();
  session->engine = std::move(engine.value());
  session->store = std::make_unique<ConnectorStore>(*session->kv);
  return session;
}

}  // namespace dispatch::connectors
