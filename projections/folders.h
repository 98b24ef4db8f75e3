// The folders of shared/CONTRACT.md: which units' and technicians' folders an order is in, as a
// pure function of its state. The projector keeps folder indexes and counters equal to this.
//
// Membership rules (the contract's "holds" column, made exact):
//   install_pending_dispatch / delivery_pending_dispatch / sales_install_pending_dispatch:
//     the holder, while the order is pending_dispatch; sales_install_* when a sales unit created
//     it (销售安装), otherwise by kind.
//   pending_reassignment_approval: the unit that passed it down, while a reassignment waits.
//   in_progress: the holder, while technicians have it (to_accept or to_process).
//   pending_close: the holder, while pending_close.   closed: the holder, once closed or cancelled.
//   to_accept: the primary technician.   to_process: the primary and the assistants.
//   completed: the primary and the assistants, once pending_close or closed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/order.h"

namespace dispatch {

enum class Folder {
  install_pending_dispatch,
  delivery_pending_dispatch,
  sales_install_pending_dispatch,
  pending_reassignment_approval,
  in_progress,
  pending_close,
  closed,
  to_accept,
  to_process,
  completed,
};

enum class OwnerKind { unit, staff };

struct FolderInfo {
  Folder folder;
  std::string_view name;   // the contract's name, e.g. "install_pending_dispatch"
  std::string_view label;  // what users see, e.g. "安装待派工"
  OwnerKind owner_kind;
};

// Every folder in the contract's order: units' first, then technicians'.
const std::vector<FolderInfo>& all_folders();
const FolderInfo& folder_info(Folder folder);
std::optional<Folder> parse_folder(std::string_view name);

struct Membership {
  OwnerKind owner_kind;
  std::string owner;  // unit or staff id
  Folder folder;
  friend bool operator==(const Membership&, const Membership&) = default;
};

// The folders `order` is in. Pure.
std::vector<Membership> memberships(const OrderState& order);

}  // namespace dispatch
