// The workflow's rules. Each command is checked in the same order: its fields (`invalid`), then
// that the things it names exist (`not_found`), then that the actor may act (`forbidden`), then
// that the order's state allows it (`invalid_state`); checks of the order's own data (a barcode
// captured twice) come last. The bootstrap administrator passes every actor check (except that a
// completion is reported only at a service outlet or center) but no state check.
//
// Who may do what (see shared/CONTRACT.md):
//   RegisterUnit         the parent or an ancestor of it; a root only the administrator
//   LinkServiceOutlet    a common (strict) ancestor of the sales unit and the service outlet
//   RegisterStaff        the staff's unit or an ancestor
//   RouteRegion          a strict ancestor of the unit
//   CreateOrder          a service center, service outlet, sales center or sales outlet, for itself
//   DispatchToUnit       the holder; pending dispatch; to a unit below it (a sales unit: to a
//                        linked service outlet)
//   AssignTechnicians    the holder, its own staff; pending dispatch or waiting to be accepted
//   AcceptOrder, RefuseOrder                      the primary; waiting to be accepted
//   CheckIn, CaptureUnit (after check-in), CompleteOrder   the primary; being processed
//   ReportCompletion     the holder, a service outlet or center; before technicians complete it
//   CloseOrder           the holder; pending close
//   AddFeedback          anyone who can see the order; any state
//   RequestReassignment  the holder of an order passed down; pending dispatch or to accept
//   Approve/RejectReassignment   the unit that passed it down; waiting for approval
//   CancelOrder          the creator or a strict ancestor of the holder; before completion
//   ChangeCustomerAddress  as CancelOrder; pending dispatch only (after that: feedback)
//   ChangePassword       the account itself, with the new hash attached (only dispatchd has one)
//   ResetPassword        for staff: their unit or a unit above it; for a unit: a unit above it
// Connectors (accounts "connector:<platform>", engine/org.h) may: create an order at the unit
// the order's region routes to (Org::route), or at another unit when `source.unrouted` says no
// route covered it; and cancel, change the address of, and give feedback on orders whose
// `source.platform` is theirs. Nothing else.
#include "engine/decide.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <initializer_list>
#include <set>
#include <type_traits>

namespace dispatch {
namespace {

constexpr std::size_t kMaxBatch = 1000;

using Events = std::vector<Event>;

Error invalid(std::string message, std::string field = {}) {
  return make_error(ErrorCode::invalid, std::move(message), std::move(field));
}
Error not_found(std::string message, std::string field = {}) {
  return make_error(ErrorCode::not_found, std::move(message), std::move(field));
}
Error forbidden(std::string message, std::string field = {}) {
  return make_error(ErrorCode::forbidden, std::move(message), std::move(field));
}

std::string indexed(const std::string& name, std::size_t i) {
  return name + "[" + std::to_string(i) + "]";
}

std::string_view status_phrase(OrderStatus status) {
  switch (status) {
    case OrderStatus::pending_dispatch:
      return "pending dispatch";
    case OrderStatus::pending_reassignment_approval:
      return "waiting for reassignment approval";
    case OrderStatus::to_accept:
      return "waiting for its technician to accept it";
    case OrderStatus::to_process:
      return "being processed";
    case OrderStatus::pending_close:
      return "pending close";
    case OrderStatus::closed:
      return "closed";
    case OrderStatus::cancelled:
      return "cancelled";
  }
  return "in an unknown state";
}

std::string_view kind_phrase(UnitKind kind) {
  switch (kind) {
    case UnitKind::sales_company:
      return "sales company";
    case UnitKind::service_center:
      return "customer service center";
    case UnitKind::service_outlet:
      return "service outlet";
    case UnitKind::sales_center:
      return "sales center";
    case UnitKind::sales_outlet:
      return "sales outlet";
  }
  return "unit";
}

std::optional<Error> check_required(const std::string& value, const std::string& field) {
  if (value.empty()) return invalid(field + " is required", field);
  return std::nullopt;
}

// indoor and outdoor barcodes and photos of one captured unit; `prefix` is "" or "units[i].".
std::optional<Error> check_captured(const CapturedUnit& u, const std::string& prefix) {
  if (auto e = check_required(u.indoor_barcode, prefix + "indoor_barcode")) return e;
  if (auto e = check_required(u.outdoor_barcode, prefix + "outdoor_barcode")) return e;
  if (u.photos.empty()) {
    return invalid("at least one photo of the barcodes is required", prefix + "photos");
  }
  for (std::size_t i = 0; i < u.photos.size(); ++i) {
    if (u.photos[i].empty()) {
      return invalid("a photo reference must not be empty", indexed(prefix + "photos", i));
    }
  }
  if (u.indoor_barcode == u.outdoor_barcode) {
    return invalid("the indoor and outdoor units cannot have the same barcode " + u.indoor_barcode,
                   prefix + "outdoor_barcode");
  }
  return std::nullopt;
}

bool has_barcode(const OrderState& o, const std::string& barcode) {
  return std::any_of(o.units.begin(), o.units.end(), [&](const CapturedUnit& u) {
    return u.indoor_barcode == barcode || u.outdoor_barcode == barcode;
  });
}

// The barcodes of a unit with their field names.
std::array<std::pair<const std::string*, const char*>, 2> barcodes_of(const CapturedUnit& u) {
  return {{{&u.indoor_barcode, "indoor_barcode"}, {&u.outdoor_barcode, "outdoor_barcode"}}};
}

std::optional<Error> check_not_captured(const OrderState& o, const CapturedUnit& u,
                                        const std::string& prefix) {
  for (const auto& [code, field] : barcodes_of(u)) {
    if (has_barcode(o, *code)) {
      return invalid("barcode " + *code + " is already captured on order " + o.order_id.str(),
                     prefix + field);
    }
  }
  return std::nullopt;
}

std::string six_digits(std::uint64_t n) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%06llu", static_cast<unsigned long long>(n));
  return buffer;
}

// yyyymmdd of an RFC 3339 time, as written (the local date of the action).
std::string date_digits(const std::string& at) {
  std::string digits;
  for (std::size_t i = 0; i < at.size() && i < 10; ++i) {
    if (at[i] >= '0' && at[i] <= '9') digits += at[i];
  }
  return digits.size() == 8 ? digits : std::string("00000000");
}

class Decider {
 public:
  Decider(const DecideContext& context, const Command& command)
      : org_(context.org), context_(context), command_(command) {}

  Result<Events> run() {
    return std::visit([this](const auto& body) { return on(body); }, command_.body);
  }

 private:
  // ---- who is who ---------------------------------------------------------------------------
  bool admin() const { return command_.actor == kAdmin; }
  std::optional<Platform> connector() const { return connector_platform(command_.actor); }
  // The actor is the connector of the platform the order came from.
  bool own_connector(const OrderState& o) const {
    auto platform = connector();
    return platform && o.source && o.source->platform == *platform;
  }
  ActorRole role() const { return org_.role_of(command_.actor); }
  UnitId actor_unit() const { return UnitId(command_.actor.str()); }
  StaffId actor_staff() const { return StaffId(command_.actor.str()); }
  bool actor_is_unit(const UnitId& unit) const {
    return role() == ActorRole::unit && actor_unit() == unit;
  }
  // The actor is `unit` or above it.
  bool actor_at_or_above(const UnitId& unit) const {
    return role() == ActorRole::unit &&
           (actor_unit() == unit || org_.is_ancestor(actor_unit(), unit));
  }
  bool actor_above(const UnitId& unit) const {
    return role() == ActorRole::unit && org_.is_ancestor(actor_unit(), unit);
  }

  std::string unit_label(const UnitId& id) const {
    const UnitInfo* info = org_.unit(id);
    if (info == nullptr || info->name.empty() || info->name == id.str()) return id.str();
    return info->name + " (" + id.str() + ")";
  }
  std::string staff_label(const StaffId& id) const {
    const StaffInfo* info = org_.staff(id);
    if (info == nullptr || info->name.empty() || info->name == id.str()) return id.str();
    return info->name + " (" + id.str() + ")";
  }
  std::string actor_label() const {
    switch (role()) {
      case ActorRole::admin:
        return "the administrator";
      case ActorRole::unit:
        return unit_label(actor_unit());
      case ActorRole::staff:
        return staff_label(actor_staff());
      case ActorRole::unknown:
        break;
    }
    if (auto platform = connector())
      return "the " + std::string(to_string(*platform)) + " connector";
    return command_.actor.str();
  }

  std::optional<Error> check_known_actor() const {
    if (role() == ActorRole::unknown && !connector()) {
      return forbidden("unknown account " + command_.actor.str());
    }
    return std::nullopt;
  }
  bool account_in_use(const std::string& id) const {
    return AccountId(id) == kAdmin || org_.unit(UnitId(id)) != nullptr ||
           org_.staff(StaffId(id)) != nullptr;
  }

  // ---- events -------------------------------------------------------------------------------
  Event make(std::string stream, Version version, EventBody body) const {
    Event e;
    e.stream = std::move(stream);
    e.actor = command_.actor;
    e.at = command_.at;
    e.command_id = command_.id;
    e.version = version;
    e.body = std::move(body);
    return e;
  }
  Event org_event(std::string stream, EventBody body) const {
    Version next = org_.stream_version(stream).next();
    return make(std::move(stream), next, std::move(body));
  }
  Event order_event(const OrderState& o, EventBody body, std::uint64_t nth = 1) const {
    return make(order_stream(o.order_id), Version(o.version.value() + nth), std::move(body));
  }

  // ---- orders -------------------------------------------------------------------------------
  const OrderState* lookup(const OrderId& id) const {
    return context_.order ? context_.order(id) : nullptr;
  }
  Result<const OrderState*> find(const OrderId& id, const std::string& field = "order_id") const {
    const OrderState* o = lookup(id);
    if (o == nullptr) return not_found("order " + id.str() + " does not exist", field);
    return o;
  }
  std::string order_name(const OrderState& o) const { return "order " + o.order_id.str(); }

  std::optional<Error> check_batch_ids(const std::vector<OrderId>& ids) const {
    if (ids.empty()) return invalid("order_ids must name at least one order", "order_ids");
    if (ids.size() > kMaxBatch) {
      return invalid("a batch holds at most " + std::to_string(kMaxBatch) +
                         " orders; this one has " + std::to_string(ids.size()),
                     "order_ids");
    }
    std::set<OrderId> seen;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i].empty()) return invalid("an order id must not be empty", indexed("order_ids", i));
      if (!seen.insert(ids[i]).second) {
        return invalid("order " + ids[i].str() + " is listed twice", indexed("order_ids", i));
      }
    }
    return std::nullopt;
  }
  Result<std::vector<const OrderState*>> find_all(const std::vector<OrderId>& ids) const {
    std::vector<const OrderState*> orders;
    for (const auto& id : ids) {
      auto o = find(id, "order_ids");
      if (!o.ok()) return o.error();
      orders.push_back(*o);
    }
    return orders;
  }

  std::optional<Error> check_holder(const OrderState& o, std::string_view what) const {
    if (auto e = check_known_actor()) return e;
    if (admin() || actor_is_unit(o.holder)) return std::nullopt;
    return forbidden(actor_label() + " does not hold " + order_name(o) + "; only its holder " +
                     unit_label(o.holder) + " can " + std::string(what));
  }
  std::optional<Error> check_primary(const OrderState& o, std::string_view what) const {
    if (auto e = check_known_actor()) return e;
    if (admin()) return std::nullopt;
    if (role() == ActorRole::staff && o.primary && *o.primary == actor_staff()) {
      return std::nullopt;
    }
    if (role() == ActorRole::staff && o.primary &&
        std::find(o.assistants.begin(), o.assistants.end(), actor_staff()) != o.assistants.end()) {
      return forbidden(actor_label() + " is a helper (辅助人员) on " + order_name(o) +
                       "; helpers cannot " + std::string(what) + ", only the primary technician " +
                       staff_label(*o.primary) + " can");
    }
    if (!o.primary) {
      return forbidden(order_name(o) + " has no technician assigned; " + actor_label() +
                       " cannot " + std::string(what));
    }
    return forbidden(actor_label() + " is not the primary technician of " + order_name(o) +
                     "; only " + staff_label(*o.primary) + " can " + std::string(what));
  }
  std::optional<Error> check_passer(const OrderState& o, std::string_view what) const {
    if (auto e = check_known_actor()) return e;
    if (admin()) return std::nullopt;
    auto by = passed_down_by(o);
    if (by && actor_is_unit(*by)) return std::nullopt;
    if (!by) {
      return forbidden(order_name(o) + " was not passed down by any unit; " + actor_label() +
                       " cannot " + std::string(what));
    }
    return forbidden(actor_label() + " did not pass " + order_name(o) + " down; only " +
                     unit_label(*by) + " can " + std::string(what));
  }
  std::optional<Error> check_status(const OrderState& o, std::initializer_list<OrderStatus> allowed,
                                    std::string_view rule) const {
    if (std::find(allowed.begin(), allowed.end(), o.status) != allowed.end()) return std::nullopt;
    return make_error(
        ErrorCode::invalid_state,
        order_name(o) + " is " + std::string(status_phrase(o.status)) + "; " + std::string(rule));
  }
  bool can_see(const OrderState& o) const {
    if (admin() || own_connector(o)) return true;
    if (role() == ActorRole::staff) {
      StaffId me = actor_staff();
      return (o.primary && *o.primary == me) ||
             std::find(o.assistants.begin(), o.assistants.end(), me) != o.assistants.end();
    }
    if (role() != ActorRole::unit) return false;
    if (actor_unit() == o.creator) return true;
    return std::any_of(o.path.begin(), o.path.end(),
                       [&](const UnitId& u) { return actor_at_or_above(u); });
  }

  // ---- organisation -------------------------------------------------------------------------
  Result<Events> on(const cmd::RegisterUnit& c) const {
    if (auto e = check_required(c.unit_id.str(), "unit_id")) return *e;
    if (auto e = check_required(c.name, "name")) return *e;
    if (c.parent && c.parent->empty()) return invalid("parent must not be empty", "parent");
    if (account_in_use(c.unit_id.str())) {
      return invalid("account " + c.unit_id.str() + " already exists", "unit_id");
    }
    if (c.parent && org_.unit(*c.parent) == nullptr) {
      return not_found("parent unit " + c.parent->str() + " does not exist", "parent");
    }
    if (auto e = check_known_actor()) return *e;
    if (!c.parent && !admin()) {
      return forbidden(
          "only the administrator can register a top-level unit; " + actor_label() + " cannot",
          "parent");
    }
    if (c.parent && !admin() && !actor_at_or_above(*c.parent)) {
      return forbidden(actor_label() + " cannot register a unit under " + unit_label(*c.parent) +
                           "; only that unit or a unit above it can",
                       "parent");
    }
    return Events{
        org_event(unit_stream(c.unit_id), ev::UnitRegistered{c.unit_id, c.name, c.kind, c.parent})};
  }

  Result<Events> on(const cmd::LinkServiceOutlet& c) const {
    if (auto e = check_required(c.sales_unit.str(), "sales_unit")) return *e;
    if (auto e = check_required(c.service_outlet.str(), "service_outlet")) return *e;
    const UnitInfo* sales = org_.unit(c.sales_unit);
    const UnitInfo* outlet = org_.unit(c.service_outlet);
    if (sales == nullptr) {
      return not_found("unit " + c.sales_unit.str() + " does not exist", "sales_unit");
    }
    if (outlet == nullptr) {
      return not_found("unit " + c.service_outlet.str() + " does not exist", "service_outlet");
    }
    if (!is_sales_unit(sales->kind)) {
      return invalid(unit_label(c.sales_unit) + " is a " + std::string(kind_phrase(sales->kind)) +
                         "; only a sales center or sales outlet is linked to service outlets",
                     "sales_unit");
    }
    if (outlet->kind != UnitKind::service_outlet) {
      return invalid(unit_label(c.service_outlet) + " is a " +
                         std::string(kind_phrase(outlet->kind)) + ", not a service outlet",
                     "service_outlet");
    }
    if (auto e = check_known_actor()) return *e;
    if (!admin() && !(actor_above(c.sales_unit) && actor_above(c.service_outlet))) {
      return forbidden(actor_label() + " cannot link " + unit_label(c.sales_unit) + " with " +
                       unit_label(c.service_outlet) + "; only a unit above both can");
    }
    if (org_.is_linked(c.sales_unit, c.service_outlet)) {
      return make_error(
          ErrorCode::invalid_state,
          unit_label(c.sales_unit) + " is already linked with " + unit_label(c.service_outlet));
    }
    return Events{org_event(unit_stream(c.sales_unit),
                            ev::ServiceOutletLinked{c.sales_unit, c.service_outlet})};
  }

  Result<Events> on(const cmd::RegisterStaff& c) const {
    if (auto e = check_required(c.staff_id.str(), "staff_id")) return *e;
    if (auto e = check_required(c.name, "name")) return *e;
    if (auto e = check_required(c.phone, "phone")) return *e;
    if (auto e = check_required(c.unit.str(), "unit")) return *e;
    if (account_in_use(c.staff_id.str())) {
      return invalid("account " + c.staff_id.str() + " already exists", "staff_id");
    }
    if (org_.unit(c.unit) == nullptr) {
      return not_found("unit " + c.unit.str() + " does not exist", "unit");
    }
    if (auto e = check_known_actor()) return *e;
    if (!admin() && !actor_at_or_above(c.unit)) {
      return forbidden(actor_label() + " cannot register staff of " + unit_label(c.unit) +
                           "; only that unit or a unit above it can",
                       "unit");
    }
    return Events{org_event(staff_stream(c.staff_id),
                            ev::StaffRegistered{c.staff_id, c.unit, c.name, c.phone})};
  }

  Result<Events> on(const cmd::RouteRegion& c) const {
    if (auto e = check_required(c.province, "province")) return *e;
    if (!c.district.empty() && c.city.empty()) {
      return invalid("a route for a district needs its city", "city");
    }
    if (auto e = check_required(c.unit.str(), "unit")) return *e;
    if (org_.unit(c.unit) == nullptr) {
      return not_found("unit " + c.unit.str() + " does not exist", "unit");
    }
    if (auto e = check_known_actor()) return *e;
    if (!admin() && !actor_above(c.unit)) {
      return forbidden(actor_label() + " cannot route a region to " + unit_label(c.unit) +
                           "; only a unit above it can",
                       "unit");
    }
    return Events{
        org_event(unit_stream(c.unit), ev::RegionRouted{c.province, c.city, c.district, c.unit})};
  }

  // ---- accounts ------------------------------------------------------------------------------
  // The account must exist: a unit, a staff member, or the administrator.
  std::optional<Error> check_account(const AccountId& account) const {
    if (auto e = check_required(account.str(), "account")) return *e;
    if (account != kAdmin && org_.role_of(account) == ActorRole::unknown) {
      return not_found("account " + account.str() + " does not exist", "account");
    }
    return std::nullopt;
  }

  Result<Events> on(const cmd::ChangePassword& c) const {
    if (auto e = check_account(c.account)) return *e;
    if (c.password_hash.empty()) {
      return invalid(
          "a password is changed with dispatchd's change_password, which checks the "
          "old one and hashes the new one",
          "password_hash");
    }
    if (!admin() && command_.actor != c.account) {
      return forbidden(actor_label() + " cannot change the password of " + c.account.str() +
                           "; only its owner can (others reset it)",
                       "account");
    }
    return Events{org_event(account_stream(c.account), ev::PasswordChanged{c.account})};
  }

  Result<Events> on(const cmd::ResetPassword& c) const {
    if (auto e = check_account(c.account)) return *e;
    if (auto e = check_known_actor()) return *e;
    if (!admin()) {
      bool allowed = false;
      if (role() == ActorRole::unit) {
        if (const StaffInfo* staff = org_.staff(StaffId(c.account.str()))) {
          allowed = actor_at_or_above(staff->unit);
        } else if (org_.unit(UnitId(c.account.str())) != nullptr) {
          allowed = actor_above(UnitId(c.account.str()));
        }
      }
      if (!allowed) {
        return forbidden(actor_label() + " cannot reset the password of " + c.account.str() +
                             "; only its outlet or a unit above it can",
                         "account");
      }
    }
    return Events{org_event(account_stream(c.account), ev::PasswordReset{c.account})};
  }

  // ---- creating and passing on --------------------------------------------------------------
  Result<Events> on(const cmd::CreateOrder& c) const {
    if (c.order_id && c.order_id->empty()) return invalid("order_id must not be empty", "order_id");
    if (auto e = check_required(c.customer.name, "customer.name")) return *e;
    if (auto e = check_required(c.customer.phone, "customer.phone")) return *e;
    if (auto e = check_required(c.customer.address, "customer.address")) return *e;
    if (c.items.empty())
      return invalid("at least one sales line (model and quantity) is required", "items");
    for (std::size_t i = 0; i < c.items.size(); ++i) {
      if (auto e = check_required(c.items[i].model, indexed("items", i) + ".model")) return *e;
      if (c.items[i].quantity <= 0) {
        return invalid("the quantity of " + c.items[i].model + " must be at least 1",
                       indexed("items", i) + ".quantity");
      }
    }
    if (c.source) {
      if (auto e = check_required(c.source->platform_order_id, "source.platform_order_id")) {
        return *e;
      }
    }
    if (c.unit && c.unit->empty()) return invalid("unit must not be empty", "unit");
    if (c.order_id && lookup(*c.order_id) != nullptr) {
      return invalid("order " + c.order_id->str() + " already exists", "order_id");
    }
    if ((admin() || connector()) && !c.unit) {
      return invalid(actor_label() + " must name the unit the order is created at", "unit");
    }
    if (c.unit && org_.unit(*c.unit) == nullptr) {
      return not_found("unit " + c.unit->str() + " does not exist", "unit");
    }
    if (auto e = check_known_actor()) return *e;
    if (role() == ActorRole::staff) {
      return forbidden("technicians cannot create orders; " + actor_label() + " is one");
    }
    if (connector()) {
      if (auto e = check_connector_create(c)) return *e;
    }
    UnitId at = c.unit.value_or(actor_unit());
    if (!admin() && !connector() && at != actor_unit()) {
      return forbidden(actor_label() + " cannot create an order for " + unit_label(at), "unit");
    }
    const UnitInfo* unit = org_.unit(at);
    if (unit->kind == UnitKind::sales_company) {
      std::string why = unit_label(at) +
                        " is a sales company; orders are created by a customer "
                        "service center, a service outlet or a sales outlet";
      return admin() ? invalid(why, "unit") : forbidden(why);
    }
    OrderId id = c.order_id ? *c.order_id : next_order_id(c.kind);
    OrderState fresh;
    fresh.order_id = id;
    return Events{order_event(
        fresh, ev::OrderCreated{id, c.kind, at, c.customer, c.items, c.source, c.note})};
  }

  // A connector creates only its own platform's orders, at the unit their region routes to, or
  // (marked unrouted) anywhere when no route covers it. Precondition: c.unit exists.
  std::optional<Error> check_connector_create(const cmd::CreateOrder& c) const {
    if (!c.source || c.source->platform != *connector()) {
      return forbidden(actor_label() + " creates only orders whose source is its own platform",
                       "source");
    }
    auto routed = org_.route(c.customer.province, c.customer.city, c.customer.district);
    if (routed && *routed != *c.unit) {
      return forbidden(c.customer.province + c.customer.city + c.customer.district +
                           " is routed to " + unit_label(*routed) + "; " + actor_label() +
                           " cannot create the order at " + unit_label(*c.unit),
                       "unit");
    }
    if (!routed && !c.source->unrouted) {
      return forbidden("no route covers " + c.customer.province + c.customer.city +
                           c.customer.district + "; an order created elsewhere is marked unrouted",
                       "source.unrouted");
    }
    return std::nullopt;
  }

  OrderId next_order_id(OrderKind kind) const {
    std::string prefix =
        std::string(kind == OrderKind::installation ? "AZ" : "PS") + date_digits(command_.at);
    // A node that may create none of them would never stop: beyond this many the next free id
    // is given, and the engine refuses it.
    constexpr std::uint64_t kTries = 100000;
    for (std::uint64_t n = context_.orders_created + 1;; ++n) {
      OrderId id(prefix + six_digits(n));
      const bool beyond = n > context_.orders_created + kTries;
      if (lookup(id) == nullptr && (!context_.may_create || beyond || context_.may_create(id))) {
        return id;
      }
    }
  }

  std::optional<Error> check_target(const OrderState& o, const UnitId& target) const {
    const UnitInfo* holder = org_.unit(o.holder);
    if (holder != nullptr && is_sales_unit(holder->kind)) {
      if (org_.is_linked(o.holder, target)) return std::nullopt;
      return forbidden(order_name(o) + " is held by the " + std::string(kind_phrase(holder->kind)) +
                           " " + unit_label(o.holder) +
                           ", which passes orders only to service outlets linked to it; " +
                           unit_label(target) + " is not one",
                       "unit");
    }
    if (org_.is_ancestor(o.holder, target)) return std::nullopt;
    return forbidden(unit_label(o.holder) + " cannot dispatch " + order_name(o) + " to " +
                         unit_label(target) + ": an order goes only to a unit below its holder",
                     "unit");
  }

  Result<Events> on(const cmd::DispatchToUnit& c) const {
    if (auto e = check_batch_ids(c.order_ids)) return *e;
    if (auto e = check_required(c.unit.str(), "unit")) return *e;
    if (org_.unit(c.unit) == nullptr) {
      return not_found("unit " + c.unit.str() + " does not exist", "unit");
    }
    auto orders = find_all(c.order_ids);
    if (!orders.ok()) return orders.error();
    for (const OrderState* o : *orders) {
      if (auto e = check_holder(*o, "dispatch it")) return *e;
      if (auto e = check_target(*o, c.unit)) return *e;
    }
    Events events;
    for (const OrderState* o : *orders) {
      if (auto e = check_status(*o, {OrderStatus::pending_dispatch},
                                "only an order pending dispatch can be dispatched")) {
        return *e;
      }
      events.push_back(order_event(*o, ev::DispatchedToUnit{o->order_id, o->holder, c.unit}));
    }
    return events;
  }

  Result<Events> on(const cmd::AssignTechnicians& c) const {
    if (auto e = check_batch_ids(c.order_ids)) return *e;
    if (auto e = check_required(c.primary.str(), "primary")) return *e;
    std::set<StaffId> seen{c.primary};
    for (std::size_t i = 0; i < c.assistants.size(); ++i) {
      const StaffId& a = c.assistants[i];
      std::string field = indexed("assistants", i);
      if (auto e = check_required(a.str(), field)) return *e;
      if (a == c.primary) {
        return invalid(staff_label(a) + " is the primary technician and cannot also be a helper",
                       field);
      }
      if (!seen.insert(a).second) return invalid(staff_label(a) + " is listed twice", field);
    }
    if (org_.staff(c.primary) == nullptr) {
      return not_found("technician " + c.primary.str() + " does not exist", "primary");
    }
    for (std::size_t i = 0; i < c.assistants.size(); ++i) {
      if (org_.staff(c.assistants[i]) == nullptr) {
        return not_found("technician " + c.assistants[i].str() + " does not exist",
                         indexed("assistants", i));
      }
    }
    auto orders = find_all(c.order_ids);
    if (!orders.ok()) return orders.error();
    for (const OrderState* o : *orders) {
      if (auto e = check_holder(*o, "assign its technicians")) return *e;
      if (auto e = check_staff_of(c.primary, *o, "primary")) return *e;
      for (std::size_t i = 0; i < c.assistants.size(); ++i) {
        if (auto e = check_staff_of(c.assistants[i], *o, indexed("assistants", i))) return *e;
      }
    }
    Events events;
    for (const OrderState* o : *orders) {
      if (auto e = check_status(*o, {OrderStatus::pending_dispatch, OrderStatus::to_accept},
                                "technicians are assigned only to an order pending dispatch or "
                                "not yet accepted")) {
        return *e;
      }
      events.push_back(
          order_event(*o, ev::TechniciansAssigned{o->order_id, c.primary, c.assistants}));
    }
    return events;
  }

  std::optional<Error> check_staff_of(const StaffId& id, const OrderState& o,
                                      const std::string& field) const {
    const StaffInfo* info = org_.staff(id);
    if (info->unit == o.holder) return std::nullopt;
    return forbidden(staff_label(id) + " is not staff of " + unit_label(o.holder) +
                         ", which holds " + order_name(o),
                     field);
  }

  // ---- the technician's work ----------------------------------------------------------------
  // The order, once the actor is its primary technician and its status is one of `allowed`.
  Result<const OrderState*> technician_gate(const OrderId& id, std::string_view what,
                                            std::initializer_list<OrderStatus> allowed,
                                            std::string_view rule) const {
    auto o = find(id);
    if (!o.ok()) return o.error();
    if (auto e = check_primary(**o, what)) return *e;
    if (auto e = check_status(**o, allowed, rule)) return *e;
    return o;
  }

  Result<Events> on(const cmd::AcceptOrder& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    auto o = technician_gate(c.order_id, "accept it", {OrderStatus::to_accept},
                             "only an order waiting to be accepted can be accepted");
    if (!o.ok()) return o.error();
    return Events{order_event(**o, ev::OrderAccepted{c.order_id})};
  }

  Result<Events> on(const cmd::RefuseOrder& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (auto e = check_required(c.reason, "reason")) return *e;
    auto o = technician_gate(c.order_id, "refuse it", {OrderStatus::to_accept},
                             "only an order waiting to be accepted can be refused");
    if (!o.ok()) return o.error();
    return Events{order_event(**o, ev::OrderRefused{c.order_id, c.reason})};
  }

  Result<Events> on(const cmd::CheckIn& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (!(c.lat >= -90 && c.lat <= 90)) return invalid("lat must be between -90 and 90", "lat");
    if (!(c.lon >= -180 && c.lon <= 180)) {
      return invalid("lon must be between -180 and 180", "lon");
    }
    auto o = technician_gate(c.order_id, "check in", {OrderStatus::to_process},
                             "check-in (上门签到) is for an accepted order being processed");
    if (!o.ok()) return o.error();
    return Events{order_event(**o, ev::CheckedIn{c.order_id, c.lat, c.lon})};
  }

  Result<Events> on(const cmd::CaptureUnit& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (auto e = check_captured(c.unit, "")) return *e;
    auto o = technician_gate(c.order_id, "capture its units", {OrderStatus::to_process},
                             "units are captured only on an accepted order being processed");
    if (!o.ok()) return o.error();
    if (!(*o)->checked_in) {
      return make_error(ErrorCode::invalid_state,
                        order_name(**o) + " has no check-in yet; check in first (上门签到)");
    }
    if (auto e = check_not_captured(**o, c.unit, "")) return *e;
    return Events{order_event(**o, ev::UnitCaptured{c.order_id, c.unit})};
  }

  Result<Events> on(const cmd::CompleteOrder& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    auto o = technician_gate(c.order_id, "complete it", {OrderStatus::to_process},
                             "only an order being processed can be completed");
    if (!o.ok()) return o.error();
    if ((*o)->kind == OrderKind::installation && (*o)->units.empty()) {
      return make_error(ErrorCode::invalid_state,
                        order_name(**o) +
                            " is an installation with no captured unit; capture "
                            "the barcodes and photos (数据采集) before completing it");
    }
    return Events{order_event(**o, ev::OrderCompleted{c.order_id})};
  }

  // ---- the holder's decisions ---------------------------------------------------------------
  Result<Events> on(const cmd::ReportCompletion& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    std::set<std::string> barcodes;
    for (std::size_t i = 0; i < c.units.size(); ++i) {
      std::string prefix = indexed("units", i) + ".";
      if (auto e = check_captured(c.units[i], prefix)) return *e;
      for (const auto& [code, field] : barcodes_of(c.units[i])) {
        if (!barcodes.insert(*code).second) {
          return invalid("barcode " + *code + " is listed twice", prefix + field);
        }
      }
    }
    auto found = find(c.order_id);
    if (!found.ok()) return found.error();
    const OrderState& o = **found;
    if (auto e = check_holder(o, "report its completion")) return *e;
    const UnitInfo* holder = org_.unit(o.holder);
    if (holder == nullptr ||
        (holder->kind != UnitKind::service_outlet && holder->kind != UnitKind::service_center)) {
      return forbidden(order_name(o) + " is held by " + unit_label(o.holder) +
                       "; only a service outlet or customer service center reports completion");
    }
    if (auto e = check_status(
            o, {OrderStatus::pending_dispatch, OrderStatus::to_accept, OrderStatus::to_process},
            "completion is reported only for an order not yet completed by its "
            "technicians, closed, cancelled or waiting for reassignment")) {
      return *e;
    }
    if (o.kind == OrderKind::installation && c.units.empty()) {
      return invalid(
          "an installation's completion reports at least one unit with its barcodes "
          "and photos",
          "units");
    }
    for (std::size_t i = 0; i < c.units.size(); ++i) {
      if (auto e = check_not_captured(o, c.units[i], indexed("units", i) + ".")) return *e;
    }
    return Events{order_event(o, ev::CompletionReported{o.order_id, c.units}, 1),
                  order_event(o, ev::OrderClosed{o.order_id}, 2)};
  }

  Result<Events> on(const cmd::CloseOrder& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    auto o = find(c.order_id);
    if (!o.ok()) return o.error();
    if (auto e = check_holder(**o, "close it")) return *e;
    if (auto e = check_status(**o, {OrderStatus::pending_close},
                              "only a pending-close order can be closed")) {
      return *e;
    }
    return Events{order_event(**o, ev::OrderClosed{c.order_id})};
  }

  Result<Events> on(const cmd::AddFeedback& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (auto e = check_required(c.text, "text")) return *e;
    auto o = find(c.order_id);
    if (!o.ok()) return o.error();
    if (auto e = check_known_actor()) return *e;
    if (!can_see(**o)) {
      return forbidden(actor_label() + " does not handle " + order_name(**o) +
                       " and cannot give feedback on it");
    }
    return Events{order_event(**o, ev::FeedbackAdded{c.order_id, c.text})};
  }

  Result<Events> on(const cmd::RequestReassignment& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (auto e = check_required(c.reason, "reason")) return *e;
    auto o = find(c.order_id);
    if (!o.ok()) return o.error();
    if (auto e = check_holder(**o, "ask to hand it back")) return *e;
    if (auto e = check_status(**o, {OrderStatus::pending_dispatch, OrderStatus::to_accept},
                              "reassignment is requested only before technicians accept it")) {
      return *e;
    }
    if (!passed_down_by(**o)) {
      return make_error(ErrorCode::invalid_state, order_name(**o) + " was created by its holder " +
                                                      unit_label((*o)->holder) +
                                                      "; there is no superior to hand it back to");
    }
    return Events{order_event(**o, ev::ReassignmentRequested{c.order_id, c.reason})};
  }

  Result<Events> on(const cmd::ApproveReassignment& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    auto o = find(c.order_id);
    if (!o.ok()) return o.error();
    if (auto e = check_passer(**o, "approve its reassignment")) return *e;
    if (auto e = check_status(**o, {OrderStatus::pending_reassignment_approval},
                              "there is no reassignment request to approve")) {
      return *e;
    }
    auto by = passed_down_by(**o);
    if (!by) {
      return make_error(ErrorCode::invalid_state,
                        order_name(**o) + " was not passed down; there is no unit to return it to");
    }
    return Events{order_event(**o, ev::ReassignmentApproved{c.order_id, *by})};
  }

  Result<Events> on(const cmd::RejectReassignment& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (auto e = check_required(c.reason, "reason")) return *e;
    auto o = find(c.order_id);
    if (!o.ok()) return o.error();
    if (auto e = check_passer(**o, "reject its reassignment")) return *e;
    if (auto e = check_status(**o, {OrderStatus::pending_reassignment_approval},
                              "there is no reassignment request to reject")) {
      return *e;
    }
    return Events{order_event(**o, ev::ReassignmentRejected{c.order_id, c.reason})};
  }

  Result<Events> on(const cmd::CancelOrder& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (auto e = check_required(c.reason, "reason")) return *e;
    auto found = find(c.order_id);
    if (!found.ok()) return found.error();
    const OrderState& o = **found;
    if (auto e = check_known_actor()) return *e;
    if (!admin() && !own_connector(o) && !actor_is_unit(o.creator) && !actor_above(o.holder)) {
      return forbidden(actor_label() + " cannot cancel " + order_name(o) + "; only its creator " +
                       unit_label(o.creator) + " or a unit above its holder " +
                       unit_label(o.holder) + " can");
    }
    if (auto e =
            check_status(o,
                         {OrderStatus::pending_dispatch, OrderStatus::pending_reassignment_approval,
                          OrderStatus::to_accept, OrderStatus::to_process},
                         "an order can be cancelled only before completion")) {
      return *e;
    }
    return Events{order_event(o, ev::OrderCancelled{c.order_id, c.reason})};
  }

  Result<Events> on(const cmd::ChangeCustomerAddress& c) const {
    if (auto e = check_required(c.order_id.str(), "order_id")) return *e;
    if (auto e = check_required(c.customer.name, "customer.name")) return *e;
    if (auto e = check_required(c.customer.phone, "customer.phone")) return *e;
    if (auto e = check_required(c.customer.address, "customer.address")) return *e;
    auto found = find(c.order_id);
    if (!found.ok()) return found.error();
    const OrderState& o = **found;
    if (auto e = check_known_actor()) return *e;
    if (!admin() && !own_connector(o) && !actor_is_unit(o.creator) && !actor_above(o.holder)) {
      return forbidden(actor_label() + " cannot change the customer of " + order_name(o) +
                       "; only its creator " + unit_label(o.creator) +
                       ", a unit above its holder " + unit_label(o.holder) +
                       " or the connector of its shop can");
    }
    if (auto e = check_status(o, {OrderStatus::pending_dispatch},
                              "the customer's address changes only before dispatch; after it, "
                              "tell the holder with feedback")) {
      return *e;
    }
    return Events{order_event(o, ev::CustomerAddressChanged{c.order_id, c.customer})};
  }

  const Org& org_;
  const DecideContext& context_;
  const Command& command_;
};

}  // namespace

Result<std::vector<Event>> decide(const DecideContext& context, const Command& command) {
  return Decider(context, command).run();
}

}  // namespace dispatch
