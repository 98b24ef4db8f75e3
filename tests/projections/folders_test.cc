// Which folders an order is in, status by status: the contract's folder table made exact.
#define BOOST_TEST_MODULE folders
#include "projections/folders.h"

#include <boost/test/unit_test.hpp>

using namespace dispatch;

namespace {
OrderState order(OrderStatus status, OrderKind kind = OrderKind::installation, bool sales = false) {
  OrderState o;
  o.order_id = OrderId("AZ1");
  o.kind = kind;
  o.status = status;
  o.sales_origin = sales;
  o.creator = UnitId(sales ? "X250001201" : "ZHKF");
  o.path = {o.creator, UnitId("S2100911")};
  o.holder = UnitId("S2100911");
  if (status != OrderStatus::pending_dispatch && status != OrderStatus::cancelled &&
      status != OrderStatus::pending_reassignment_approval) {
    o.primary = StaffId("S21009110002");
    o.assistants = {StaffId("S21009110001")};
  }
  return o;
}

Membership unit(const std::string& id, Folder f) { return {OwnerKind::unit, id, f}; }
Membership staff(const std::string& id, Folder f) { return {OwnerKind::staff, id, f}; }
using Members = std::vector<Membership>;
}  // namespace

BOOST_AUTO_TEST_CASE(pending_orders_wait_in_the_holders_folder_for_their_kind_and_origin) {
  BOOST_TEST((memberships(order(OrderStatus::pending_dispatch)) ==
              Members{unit("S2100911", Folder::install_pending_dispatch)}));
  BOOST_TEST((memberships(order(OrderStatus::pending_dispatch, OrderKind::delivery)) ==
              Members{unit("S2100911", Folder::delivery_pending_dispatch)}));
  BOOST_TEST((memberships(order(OrderStatus::pending_dispatch, OrderKind::installation, true)) ==
              Members{unit("S2100911", Folder::sales_install_pending_dispatch)}));
}

BOOST_AUTO_TEST_CASE(a_reassignment_request_waits_with_the_unit_that_passed_the_order_down) {
  BOOST_TEST((memberships(order(OrderStatus::pending_reassignment_approval)) ==
              Members{unit("ZHKF", Folder::pending_reassignment_approval)}));
}

BOOST_AUTO_TEST_CASE(only_the_primary_accepts_but_helpers_see_work_to_process) {
  BOOST_TEST(
      (memberships(order(OrderStatus::to_accept)) ==
       Members{unit("S2100911", Folder::in_progress), staff("S21009110002", Folder::to_accept)}));
  BOOST_TEST(
      (memberships(order(OrderStatus::to_process)) ==
       Members{unit("S2100911", Folder::in_progress), staff("S21009110002", Folder::to_process),
               staff("S21009110001", Folder::to_process)}));
}

BOOST_AUTO_TEST_CASE(completed_orders_wait_to_be_closed_and_stay_completed_for_technicians) {
  BOOST_TEST(
      (memberships(order(OrderStatus::pending_close)) ==
       Members{unit("S2100911", Folder::pending_close), staff("S21009110002", Folder::completed),
               staff("S21009110001", Folder::completed)}));
  BOOST_TEST((memberships(order(OrderStatus::closed)) ==
              Members{unit("S2100911", Folder::closed), staff("S21009110002", Folder::completed),
                      staff("S21009110001", Folder::completed)}));
  BOOST_TEST(
      (memberships(order(OrderStatus::cancelled)) == Members{unit("S2100911", Folder::closed)}));
}

BOOST_AUTO_TEST_CASE(every_folder_has_its_contract_name_and_chinese_label) {
  BOOST_TEST(all_folders().size() == 10u);
  BOOST_TEST(folder_info(Folder::install_pending_dispatch).label == "安装待派工");
  BOOST_TEST(folder_info(Folder::pending_close).label == "待关闭");
  BOOST_TEST(folder_info(Folder::to_accept).label == "待接收");
  BOOST_TEST(folder_info(Folder::completed).name == "completed");
  for (const auto& info : all_folders()) {
    BOOST_TEST((parse_folder(info.name) == info.folder));
  }
  BOOST_TEST(!parse_folder("inbox").has_value());
}
