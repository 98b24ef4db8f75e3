#include "tools/dispatchd/notices.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

namespace dispatch::daemon {

std::vector<Notice> notices_of(const std::vector<Event>& events,
                               const std::vector<std::vector<Membership>>& folders) {
  using json = nlohmann::json;
  std::vector<Notice> out;
  for (std::size_t i = 0; i < events.size() && i < folders.size(); ++i) {
    std::map<std::string, json> by_topic;  // topic -> folder names
    for (const Membership& m : folders[i]) {
      std::string topic = (m.owner_kind == OwnerKind::unit ? "unit/" : "staff/") + m.owner;
      json& names = by_topic[topic];
      std::string name(folder_info(m.folder).name);
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
    for (auto& [topic, names] : by_topic) {
      json notice{{"position", events[i].position.value()},
                  {"type", std::string(events[i].type())},
                  {"order_id", events[i].order_id().str()},
                  {"folders", std::move(names)}};
      out.push_back(Notice{topic, notice.dump()});
    }
  }
  return out;
}

std::string own_topic(const Org& org, const AccountId& account) {
  switch (org.role_of(account)) {
    case ActorRole::unit:
      return "unit/" + account.str();
    case ActorRole::staff:
      return "staff/" + account.str();
    default:
      return {};
  }
}

}  // namespace dispatch::daemon
