// The change notices of the contract ("The wire"), built once for every transport: the ZeroMQ PUB
// endpoint (server.h) and the WebSocket /api/live (http.h) send the same topics and bodies.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/event.h"
#include "engine/org.h"
#include "projections/folders.h"

namespace dispatch::daemon {

// One notice: topic "unit/ID" or "staff/ID", and the JSON text
// {"position", "type", "order_id", "folders": [names]}. It carries no customer data.
struct Notice {
  std::string topic;
  std::string body;
};

// The notices of one committed batch, in log order: for each event, one per unit or person whose
// folders it changed, naming those folders once each. `folders[i]` belongs to `events[i]`, as
// Engine's CommitListener gives them.
std::vector<Notice> notices_of(const std::vector<Event>& events,
                               const std::vector<std::vector<Membership>>& folders);

// The topic of an account's own folders: "unit/ID" for a unit, "staff/ID" for a technician,
// empty for an account that has no folders (admin, connectors, unknown).
std::string own_topic(const Org& org, const AccountId& account);

}  // namespace dispatch::daemon
