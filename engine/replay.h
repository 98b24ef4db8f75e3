// Replaying the log into the projections: how rebuild, verify and the catch-up at open bring
// projections to the log's head. Kept apart from the engine's command path, which projects each
// batch in the same write as its events instead.
#pragma once

#include <cstdint>
#include <functional>

#include "engine/log.h"
#include "engine/org.h"
#include "engine/status.h"
#include "engine/store/kv.h"

namespace dispatch {

// Progress of long runs (rebuild, verify): events done of total.
using Progress = std::function<void(std::uint64_t done, std::uint64_t total)>;

// Applies the log's events from `from` to its head to the projections of `target` and to `org`.
// Events are read and decoded on one thread, projected on the calling thread, and written to
// `target` on a third, a chunk of events at a time, so the three overlap. Each chunk records the
// position it reached (m/applied) with its projections and chunks are written in order, so a
// crash leaves projections as of some position and the next open replays the rest. Errors: the
// log or the projections could not be read or written (`unavailable`), or a stored order view
// does not parse (`invalid`); what was written before stays, with its m/applied.
Status replay(const EventLog& log, Kv& target, Org& org, Position from, const Progress& progress);

}  // namespace dispatch
