// Read-side queries over the projections, shaped exactly as the contract's `dispatchctl … --json`
// output. They read committed state only and never write; safe from any thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engine/hash.h"
#include "engine/log.h"
#include "engine/org.h"
#include "engine/status.h"
#include "engine/store/kv.h"
#include "projections/folders.h"

namespace dispatch {

inline constexpr std::size_t kDefaultFolderLimit = 50;
inline constexpr std::size_t kMaxFolderLimit = 1000;

// Cursors are projection keys (or their tails) written as lowercase hexadecimal (to_hex), so they
// are plain text in JSON whatever bytes the keys hold. from_hex is nullopt for text not so written.
std::optional<std::string> from_hex(std::string_view hex);

// {"owner", "folder", "total", "orders": [...], "next": CURSOR|null}, newest update first.
// `after` is a cursor from a previous page's "next" (empty for the first page). Errors: an unknown
// folder or a bad cursor or limit is `invalid`; an owner that is not a unit (unit folders) or a
// staff member (technician folders) is `not_found`.
Result<nlohmann::json> query_folder(const Kv& kv, const Org& org, const std::string& owner,
                                    const std::string& folder, std::size_t limit,
                                    const std::string& after);

// The order view with its history (its events, oldest first); `not_found` when it does not exist.
Result<nlohmann::json> query_order(const Kv& kv, const EventLog& log, const OrderId& id);

// {"unit", "own": {FOLDER: count}, "subtree": {FOLDER: count}} over the unit folders; `subtree`
// counts the unit and everything below it. Reads counters only. `not_found` for an unknown unit.
Result<nlohmann::json> query_stats(const Kv& kv, const Org& org, const UnitId& unit);

}  // namespace dispatch
