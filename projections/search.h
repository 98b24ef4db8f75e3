// The order query (工单查询, issue 3 item 5): find orders by customer phone, customer name,
// information number, platform order id, photo reference, status, kind and created-date range,
// within what an account may see, paged. It reads committed projections only and never writes; safe
// from any thread. The secondary index keys it reads (`x/…`) are written by the projector in the
// same WriteSet as the rest of an event's projection update, so rebuild and verify cover them;
// their layout is in projections/README.md.
//
// Order: newest created first, by the instant of `created_at` (any offset, compared on the UTC
// time line), ties broken by order id. `created_at` never changes, so a cursor is stable however
// orders change between pages: paging with the same filters gives every match exactly once.
// There is no "total": counting the matches would mean reading them all, so it is left out.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine/ids.h"
#include "engine/order.h"
#include "engine/org.h"
#include "engine/status.h"
#include "engine/store/kv.h"
#include "projections/queries.h"

namespace dispatch {

// Every filter is optional; those given must all hold (AND). Values are text as a person or a
// request gives them; query_search checks them and names the bad one.
struct SearchFilter {
  std::optional<std::string> phone;              // exactly customer.phone
  std::optional<std::string> name;               // exactly customer.name
  std::optional<std::string> order_id;           // the information number, or its beginning
  std::optional<std::string> platform_order_id;  // exactly source.platform_order_id
  // Exactly one of the photo references of the order's captured or reported units: how dispatchd
  // decides who may fetch a photo (an account that may see an order holding it).
  std::optional<std::string> photo;
  std::optional<std::string> platform;  // source.platform: tmall, jd, gree_mall
  std::optional<std::string> status;    // a contract status value
  std::optional<std::string> kind;      // installation or delivery
  // Inclusive bounds on created_at: an RFC 3339 date-time compares instants; a date YYYY-MM-DD
  // compares the date as written in created_at (the local date of the creating action, the one
  // the information number carries).
  std::optional<std::string> created_from;
  std::optional<std::string> created_to;
};

// The filter from a request's fields of the same names (the daemon's `"query": "search"`).
// Absent or null fields are not filters; `invalid`, naming the field, when one is not a string.
Result<SearchFilter> search_filter_from_json(const nlohmann::json& request);

// {"orders": [{"order_id", "kind", "status", "holder", "customer", "created_at", "updated_at"}],
//  "next": CURSOR|null}: the orders that match `filter` and that `viewer` may see
// (may_see_order, projections/visibility.h), newest created first, at most `limit` of them.
// `after` is a previous page's "next" (empty for the first page); "next" is null when no match
// is left. Errors: `invalid` naming the field for an empty or unknown value, a bad date, a range
// whose start is after its end, a limit of 0 or above kMaxFolderLimit (`limit`), or a cursor this
// engine did not give (`after`); `forbidden` for a viewer that is no account of the organisation;
// `unavailable` when the store cannot be read.
//
// Cost: the candidates come from one index, the most selective the filter allows: photo, then
// platform order id, then phone, then name (each a prefix scan over that value's orders), then
// information number (every id with that beginning is read and sorted, small keys only), else the
// viewer's own index (the orders a unit or technician may see), else, for admin, every order. Each
// candidate is read and checked against the other filters until the page is full and one more
// match shows there is a next page; a filter that no index serves (status, kind, platform alone)
// costs the candidates skipped over. A created-date range bounds the walk of whichever index is
// used: it starts at the range's newest end and stops past its oldest (a day wider on each side
// for dates, whose offset is not known until the order is read). `org` is the organisation as
// committed: call inside Engine::read_org, or with a copy from Engine::org().
Result<nlohmann::json> query_search(const Kv& kv, const Org& org, const AccountId& viewer,
                                    const SearchFilter& filter, std::size_t limit,
                                    const std::string& after);

// The search index entries (key in the projections space, value) an order's state calls for.
// Pure; the projector writes the difference between an order's entries before and after each
// event. `org` gives the ancestors of the holder and creator (the tree only grows, so they never
// change for a unit already in it).
std::vector<std::pair<std::string, std::string>> search_index_entries(const OrderState& order,
                                                                      const Org& org);
// Whether two states of an order call for the same search index entries: whether every field
// search_index_entries reads is equal in both (with the same `org`). Most events (acceptance,
// check-in, feedback, completion) change none of them, and the projector then skips computing
// the entries twice, which took 4% of the committer's time.
bool same_search_index_entries(const OrderState& a, const OrderState& b);

}  // namespace dispatch
