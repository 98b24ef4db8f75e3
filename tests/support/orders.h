// An order with every member set, including the ones a stored form could lose (optional members,
// nested lists, negative and fractional coordinates), for tests of its JSON and stored forms.
#pragma once

#include "engine/order.h"

namespace dispatch {

inline OrderState full_order(const OrderId& id) {
  OrderState o;
  o.order_id = id;
  o.kind = OrderKind::delivery;
  o.status = OrderStatus::pending_reassignment_approval;
  o.creator = UnitId("X250001201");
  o.sales_origin = true;
  o.holder = UnitId("S2100911");
  o.path = {UnitId("X250001201"), UnitId("S2100911")};
  o.primary = StaffId("S21009110002");
  o.assistants = {StaffId("S21009110001")};
  o.customer = Customer{"张三", "138", "广东省", "珠海市", "香洲区", "人民路1号"};
  o.items = {Item{"KFR-35GW", 2}, Item{"KFR-26GW", 1}};
  o.source = Source{Platform::jd, "JD-8848"};
  o.note = "下午";
  o.checked_in = true;
  o.lat = 22.25;
  o.lon = -113.5;
  o.units = {CapturedUnit{"N1", "W1", {"N1.jpg", "W1.jpg"}}};
  o.feedback = {Feedback{AccountId("S2100911"), "2015-01-08T10:00:00+08:00", "已联系"}};
  o.status_before_reassignment = OrderStatus::to_accept;
  o.reassignment_reason = "人手不足";
  o.cancel_reason = "";
  o.created_at = "2015-01-08T09:00:00+08:00";
  o.updated_at = "2015-01-08T10:00:00+08:00";
  o.version = Version(9);
  o.last_position = Position(1234);
  return o;
}

}  // namespace dispatch
