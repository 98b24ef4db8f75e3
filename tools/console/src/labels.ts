// The labels users see, from the operating manual (shared/DOMAIN.md).

export const UNIT_FOLDERS: Array<[string, string]> = [
  ["install_pending_dispatch", "安装待派工"],
  ["delivery_pending_dispatch", "配送待派工"],
  ["sales_install_pending_dispatch", "销售安装待派工"],
  ["pending_reassignment_approval", "待审批改派"],
  ["in_progress", "处理中"],
  ["pending_close", "待关闭"],
  ["closed", "已关闭"],
];

export const STAFF_FOLDERS: Array<[string, string]> = [
  ["to_accept", "待接收"],
  ["to_process", "待处理"],
  ["completed", "已完结"],
];

export const FOLDER_LABEL: Record<string, string> = Object.fromEntries([...UNIT_FOLDERS, ...STAFF_FOLDERS]);

// Folders that wait for this unit to act: their counts are highlighted.
export const ACTION_FOLDERS = new Set([
  "install_pending_dispatch",
  "delivery_pending_dispatch",
  "sales_install_pending_dispatch",
  "pending_reassignment_approval",
  "pending_close",
]);

export const STATUS_LABEL: Record<string, string> = {
  pending_dispatch: "待网点派工",
  pending_reassignment_approval: "待审批改派",
  to_accept: "待接收",
  to_process: "处理中",
  pending_close: "待关闭",
  closed: "已关闭",
  cancelled: "已取消",
};

export const KIND_LABEL: Record<string, string> = { installation: "安装", delivery: "配送" };

export const UNIT_KIND_LABEL: Record<string, string> = {
  sales_company: "销售公司",
  service_center: "客服中心",
  service_outlet: "售后网点",
  sales_center: "销售中心",
  sales_outlet: "销售网点",
};

export const PLATFORM_LABEL: Record<string, string> = { tmall: "天猫", jd: "京东", gree_mall: "格力商城" };

export const EVENT_LABEL: Record<string, string> = {
  OrderCreated: "工单录入",
  DispatchedToUnit: "派下级单位",
  TechniciansAssigned: "指派给工人",
  OrderAccepted: "接收工单",
  OrderRefused: "拒绝工单",
  CheckedIn: "上门签到",
  UnitCaptured: "数据采集",
  OrderCompleted: "完结工单",
  CompletionReported: "安装报完工",
  OrderClosed: "工单关闭",
  FeedbackAdded: "过程反馈",
  ReassignmentRequested: "申请改派",
  ReassignmentApproved: "同意改派",
  ReassignmentRejected: "驳回改派",
  OrderCancelled: "工单取消",
  CustomerChanged: "客户信息变更",
};
