#include "connectors/mapping.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace dispatch::connectors {
namespace {

std::string_view platform_code(Platform p) {
  switch (p) {
    case Platform::tmall:
      return "TM";
    case Platform::jd:
      return "JD";
    case Platform::gree_mall:
      return "GM";
  }
  return "XX";
}

constexpr OrderKind kKinds[] = {OrderKind::delivery, OrderKind::installation};

// FNV-1a, 64 bits, as hex: names a customer record inside a command id, so each distinct new
// address is one command however often it is delivered.
std::string fingerprint(const Customer& c) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const std::string* field :
       {&c.name, &c.phone, &c.province, &c.city, &c.district, &c.address}) {
    for (unsigned char ch : *field) {
      h ^= ch;
      h *= 1099511628211ULL;
    }
    h ^= 0x1f;
    h *= 1099511628211ULL;
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(h));
  return buffer;
}

class Planner {
 public:
  Planner(const ShopOrder& order, const Org& org, const MappingConfig& config)
      : order_(order), org_(org), config_(config) {}

  Command command(OrderKind kind, std::string_view what, CommandBody body) const {
    Command c;
    c.id = CommandId(std::string(to_string(order_.platform)) + ":" + order_.platform_order_id +
                     ":" + std::string(to_string(kind)) + ":" + std::string(what));
    c.actor = connector_account(order_.platform);
    c.at = beijing_to_rfc3339(order_.modified).value_or(std::string());
    c.body = std::move(body);
    return c;
  }

  Result<Command> create(OrderKind kind) const {
    cmd::CreateOrder c;
    c.order_id = work_order_id(order_.platform, order_.platform_order_id, kind);
    c.kind = kind;
    c.customer = order_.receiver;
    for (const auto& line : order_.lines) c.items.push_back(Item{line.model, line.quantity});
    c.source =
        Source{order_.platform, order_.platform_order_id, order_.oaid, order_.needs_decrypt, false};
    c.note = order_.note;
    auto routed = org_.route(c.customer.province, c.customer.city, c.customer.district);
    if (routed) {
      c.unit = *routed;
    } else if (config_.fallback_unit) {
      c.unit = *config_.fallback_unit;
      c.source->unrouted = true;
    } else {
      return make_error(ErrorCode::invalid,
                        "no route covers " + c.customer.province + c.customer.city +
                            c.customer.district + " and no fallback unit is configured",
                        "receiver");
    }
    return command(kind, "create", std::move(c));
  }

  std::string receiver_text() const {
    const Customer& r = order_.receiver;
    return r.name + " " + r.phone + " " + r.province + r.city + r.district + r.address;
  }

  const ShopOrder& order_;
  const Org& org_;
  const MappingConfig& config_;
};

bool active(OrderStatus s) { return s != OrderStatus::closed && s != OrderStatus::cancelled; }
bool with_technicians(OrderStatus s) {
  return s == OrderStatus::to_accept || s == OrderStatus::to_process ||
         s == OrderStatus::pending_close;
}

// Some lines refunded, the rest standing: the holders of active work orders are told once per
// set of refunded lines.
void partial_refunds(const ShopOrder& order, const std::optional<WorkOrder> (&existing)[2],
                     const Planner& p, Plan& plan) {
  if (order.refunded_lines.empty()) return;
  std::string ids, models;
  for (const auto& id : order.refunded_lines) {
    ids += (ids.empty() ? "" : ",") + id;
    for (const auto& line : order.lines) {
      if (line.id == id || line.model == id) models += (models.empty() ? "" : ", ") + line.model;
    }
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (!existing[i] || !active(existing[i]->status)) continue;
    const OrderKind kind = kKinds[i];
    const OrderId id = work_order_id(order.platform, order.platform_order_id, kind);
    plan.commands.push_back(p.command(
        kind, "partial-refund:" + ids,
        cmd::AddFeedback{id, "部分退款 (part of the shop order was refunded): " + models}));
    if (plan.outcome != Outcome::created) plan.outcome = Outcome::updated;
  }
}

}  // namespace

OrderId work_order_id(Platform platform, const std::string& platform_order_id, OrderKind kind) {
  return OrderId(std::string(kind == OrderKind::installation ? "AZ-" : "PS-") +
                 std::string(platform_code(platform)) + "-" + platform_order_id);
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::created:
      return "created";
    case Outcome::updated:
      return "updated";
    case Outcome::cancelled:
      return "cancelled";
    case Outcome::unchanged:
      return "duplicates";
    case Outcome::waiting:
      return "waiting";
    case Outcome::ignored:
      return "ignored";
  }
  return "unknown";
}

Result<Plan> plan_commands(const ShopOrder& order, const Org& org, const MappingConfig& config,
                           const FindWorkOrder& find) {
  Planner p(order, org, config);
  std::optional<WorkOrder> existing[2];
  bool any = false;
  for (std::size_t i = 0; i < 2; ++i) {
    existing[i] = find(work_order_id(order.platform, order.platform_order_id, kKinds[i]));
    any = any || existing[i].has_value();
  }
  Plan plan;
  switch (order.status) {
    case ShopStatus::unpaid:
      plan.outcome = any ? Outcome::unchanged : Outcome::waiting;
      return plan;
    case ShopStatus::paid:
      for (std::size_t i = 0; i < 2; ++i) {
        const OrderKind kind = kKinds[i];
        if (!existing[i]) {
          auto c = p.create(kind);
          if (!c.ok()) return c.error();
          plan.commands.push_back(std::move(*c));
          plan.outcome = Outcome::created;
          continue;
        }
        if (existing[i]->customer == order.receiver || !active(existing[i]->status)) continue;
        const OrderId id = work_order_id(order.platform, order.platform_order_id, kind);
        const std::string print = fingerprint(order.receiver);
        if (existing[i]->status == OrderStatus::pending_dispatch) {
          plan.commands.push_back(
              p.command(kind, "address:" + print, cmd::ChangeCustomerAddress{id, order.receiver}));
        } else {
          plan.commands.push_back(
              p.command(kind, "address-feedback:" + print,
                        cmd::AddFeedback{id,
                                         "买家修改了收货信息 (the buyer changed the delivery "
                                         "address): " +
                                             p.receiver_text()}));
        }
        if (plan.outcome != Outcome::created) plan.outcome = Outcome::updated;
      }
      partial_refunds(order, existing, p, plan);
      return plan;
    case ShopStatus::closed:
      if (!any) {
        plan.outcome = Outcome::ignored;
        return plan;
      }
      for (std::size_t i = 0; i < 2; ++i) {
        if (!existing[i] || !active(existing[i]->status)) continue;
        const OrderKind kind = kKinds[i];
        const OrderId id = work_order_id(order.platform, order.platform_order_id, kind);
        const std::string why = "店铺订单已关闭或退款 (the shop order was closed or refunded: " +
                                order.platform_status + ")";
        if (with_technicians(existing[i]->status)) {
          plan.commands.push_back(p.command(kind, "closed-feedback", cmd::AddFeedback{id, why}));
        } else {
          plan.commands.push_back(p.command(kind, "cancel", cmd::CancelOrder{id, why}));
        }
        plan.outcome = Outcome::cancelled;
      }
      return plan;
  }
  return plan;
}

Result<ShopOrder> apply_notice(const std::optional<ShopOrder>& known, const ShopNotice& n) {
  if (!known) {
    return make_error(ErrorCode::not_found,
                      "nothing is known of " + std::string(to_string(n.platform)) + " order " +
                          n.platform_order_id + "; ingest its full trade (fullinfo) first",
                      "tid");
  }
  ShopOrder o = *known;
  switch (n.kind) {
    case ShopNotice::Kind::paid:
      if (o.status == ShopStatus::unpaid) {
        o.status = ShopStatus::paid;
        o.platform_status = "WAIT_SELLER_SEND_GOODS";
      }
      break;
    case ShopNotice::Kind::closed:
      o.status = ShopStatus::closed;
      o.platform_status = "TRADE_CLOSED";
      break;
    case ShopNotice::Kind::refunded: {
      // One line of several refunded: the order stands, its holders are told. Otherwise (the
      // whole order, its only line, or a line it does not know) it is closed.
      auto is_line = [&](const ShopLine& l) { return l.id == n.line_id; };
      if (!n.line_id.empty() && o.lines.size() > 1 &&
          std::any_of(o.lines.begin(), o.lines.end(), is_line)) {
        if (std::find(o.refunded_lines.begin(), o.refunded_lines.end(), n.line_id) ==
            o.refunded_lines.end()) {
          o.refunded_lines.push_back(n.line_id);
        }
        if (o.refunded_lines.size() < o.lines.size()) break;
      }
      o.status = ShopStatus::closed;
      o.platform_status = "REFUND_SUCCESS";
      break;
    }
    case ShopNotice::Kind::address_changed:
      o.receiver = *n.receiver;
      o.needs_decrypt = n.needs_decrypt;
      break;
  }
  if (!n.modified.empty()) o.modified = n.modified;
  return o;
}

bool is_stale(const ShopOrder& incoming, const std::optional<ShopOrder>& known) {
  // The times are all "yyyy-MM-dd HH:mm:ss" in Beijing time, so text order is time order.
  return known && !incoming.modified.empty() && !known->modified.empty() &&
         incoming.modified < known->modified;
}

}  // namespace dispatch::connectors
