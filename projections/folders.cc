#include "projections/folders.h"

namespace dispatch {

const std::vector<FolderInfo>& all_folders() {
  static const std::vector<FolderInfo> folders{
      {Folder::install_pending_dispatch, "install_pending_dispatch", "安装待派工", OwnerKind::unit},
      {Folder::delivery_pending_dispatch, "delivery_pending_dispatch", "配送待派工",
       OwnerKind::unit},
      {Folder::sales_install_pending_dispatch, "sales_install_pending_dispatch", "销售安装待派工",
       OwnerKind::unit},
      {Folder::pending_reassignment_approval, "pending_reassignment_approval", "待审批改派",
       OwnerKind::unit},
      {Folder::in_progress, "in_progress", "处理中", OwnerKind::unit},
      {Folder::pending_close, "pending_close", "待关闭", OwnerKind::unit},
      {Folder::closed, "closed", "已关闭", OwnerKind::unit},
      {Folder::to_accept, "to_accept", "待接收", OwnerKind::staff},
      {Folder::to_process, "to_process", "待处理", OwnerKind::staff},
      {Folder::completed, "completed", "已完结", OwnerKind::staff},
  };
  return folders;
}

const FolderInfo& folder_info(Folder folder) {
  return all_folders().at(static_cast<std::size_t>(folder));
}

std::optional<Folder> parse_folder(std::string_view name) {
  for (const auto& info : all_folders()) {
    if (info.name == name) return info.folder;
  }
  return std::nullopt;
}

std::vector<Membership> memberships(const OrderState& order) {
  std::vector<Membership> result;
  auto unit = [&](const UnitId& id, Folder folder) {
    result.push_back({OwnerKind::unit, id.str(), folder});
  };
  auto technicians = [&](Folder folder, bool with_assistants) {
    if (order.primary) result.push_back({OwnerKind::staff, order.primary->str(), folder});
    if (!with_assistants) return;
    for (const auto& a : order.assistants) result.push_back({OwnerKind::staff, a.str(), folder});
  };

  switch (order.status) {
    case OrderStatus::pending_dispatch:
      if (order.sales_origin && order.kind == OrderKind::installation) {
        unit(order.holder, Folder::sales_install_pending_dispatch);
      } else if (order.kind == OrderKind::delivery) {
        unit(order.holder, Folder::delivery_pending_dispatch);
      } else {
        unit(order.holder, Folder::install_pending_dispatch);
      }
      break;
    case OrderStatus::pending_reassignment_approval:
      if (auto by = passed_down_by(order)) unit(*by, Folder::pending_reassignment_approval);
      break;
    case OrderStatus::to_accept:
      unit(order.holder, Folder::in_progress);
      technicians(Folder::to_accept, false);
      break;
    case OrderStatus::to_process:
      unit(order.holder, Folder::in_progress);
      technicians(Folder::to_process, true);
      break;
    case OrderStatus::pending_close:
      unit(order.holder, Folder::pending_close);
      technicians(Folder::completed, true);
      break;
    case OrderStatus::closed:
      unit(order.holder, Folder::closed);
      technicians(Folder::completed, true);
      break;
    case OrderStatus::cancelled:
      unit(order.holder, Folder::closed);
      break;
  }
  return result;
}

}  // namespace dispatch
