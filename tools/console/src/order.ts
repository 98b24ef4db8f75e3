// The order detail (详细内容 / 明细): fields, sales lines, captured units with barcodes and
// photos, feedback, the history as a timeline, and the actions the viewer may take in the order's
// state: 派下级单位, 指派给工人, 申请改派, 同意改派 / 驳回, 安装报完工, 工单关闭, 过程反馈.
import * as api from "./api";
import { act, flash, liveRedraw, route, setNoticeHandler } from "./app";
import { button, field, h, replace, when } from "./dom";
import { EVENT_LABEL, KIND_LABEL, PLATFORM_LABEL, STATUS_LABEL } from "./labels";
import { assignForm, dispatchForm } from "./outlet";
import { PhotoPicker, photoThumb } from "./photos";
import { address, CapturedUnit, dispatchTargets, hasTechnicians, HistoryEvent, me, nameOf, Order, state } from "./state";

export function unitsBlock(units: CapturedUnit[]): HTMLElement {
  if (!units.length) return h("p", { class: "empty" }, "尚未采集机器数据");
  return h(
    "div",
    { class: "units-list" },
    units.map((u, i) =>
      h(
        "div",
        { class: "unit-card", "data-unit-index": i },
        h("div", { class: "unit-title" }, `第 ${i + 1} 台`),
        h("div", { class: "barcodes" }, h("span", null, "内机条码 ", h("code", { class: "barcode" }, u.indoor_barcode)), h("span", null, "外机条码 ", h("code", { class: "barcode" }, u.outdoor_barcode))),
        h("div", { class: "thumbs" }, u.photos.map((p) => photoThumb(p))),
      ),
    ),
  );
}

function eventDetail(e: HistoryEvent): string {
  const s = (k: string) => (typeof e[k] === "string" ? (e[k] as string) : "");
  switch (e.type) {
    case "OrderCreated":
      return `录入单位 ${nameOf(s("unit"))}`;
    case "DispatchedToUnit":
      return `${nameOf(s("from"))} → ${nameOf(s("unit"))}`;
    case "TechniciansAssigned": {
      const helpers = Array.isArray(e.assistants) ? (e.assistants as string[]) : [];
      return `主要人员 ${nameOf(s("primary"))}${helpers.length ? `;辅助人员 ${helpers.map(nameOf).join("、")}` : ""}`;
    }
    case "OrderRefused":
    case "ReassignmentRequested":
    case "ReassignmentRejected":
    case "OrderCancelled":
      return `原因:${s("reason")}`;
    case "ReassignmentApproved":
      return `退回 ${nameOf(s("returned_to"))}`;
    case "CheckedIn":
      return `位置 ${e.lat}, ${e.lon}`;
    case "UnitCaptured":
      return `内机 ${s("indoor_barcode")} / 外机 ${s("outdoor_barcode")},照片 ${Array.isArray(e.photos) ? e.photos.length : 0} 张`;
    case "CompletionReported":
      return `${Array.isArray(e.units) ? e.units.length : 0} 台`;
    case "FeedbackAdded":
      return s("text");
    default:
      return "";
  }
}

export function timeline(history: HistoryEvent[]): HTMLElement {
  return h(
    "ol",
    { class: "timeline" },
    history.map((e) =>
      h("li", { "data-event": e.type }, h("span", { class: "t-time" }, when(e.at)), h("span", { class: "t-what" }, EVENT_LABEL[e.type] ?? e.type), h("span", { class: "t-who" }, nameOf(e.actor)), h("span", { class: "t-detail" }, eventDetail(e))),
    ),
  );
}

export function feedbackBlock(order: Order, reload: () => void): HTMLElement {
  const text = h("textarea", { name: "feedback", rows: 2, placeholder: "写下需要特别说明的情况" });
  const send = button("提交反馈", () => {
    if (!text.value.trim()) return flash("请填写反馈内容", "error");
    void act(send, async () => {
      await api.command("AddFeedback", { order_id: order.order_id, text: text.value.trim() });
      flash("反馈已提交");
      reload();
    });
  }, "", { "data-action": "feedback" });
  return h(
    "div",
    { class: "feedback" },
    order.feedback.length
      ? h("ul", { class: "feedback-list" }, order.feedback.map((f) => h("li", null, h("span", { class: "t-time" }, when(f.at)), h("span", { class: "t-who" }, nameOf(f.actor)), h("span", null, f.text))))
      : h("p", { class: "empty" }, "暂无反馈"),
    order.status === "closed" || order.status === "cancelled" ? null : h("div", { class: "row" }, text, send),
  );
}

function reasonForm(title: string, action: string, submit: (reason: string) => Promise<void>): HTMLElement {
  const reason = h("textarea", { name: "reason", rows: 2 });
  const ok = button(`确定${title}`, () => {
    if (!reason.value.trim()) return flash("请填写原因", "error");
    void act(ok, () => submit(reason.value.trim()));
  }, "primary", { "data-action": `confirm-${action}` });
  return h("div", { class: "panel", "data-panel": action }, h("span", { class: "panel-title" }, title), field("原因", reason, true), ok);
}

// 安装报完工: units with barcodes and photos, added one by one, then submitted at once.
function reportForm(order: Order, done: () => void): HTMLElement {
  const units: CapturedUnit[] = [];
  const list = h("div");
  const indoor = h("input", { name: "indoor_barcode" });
  const outdoor = h("input", { name: "outdoor_barcode" });
  let picker = new PhotoPicker();
  const pickerBox = h("div", null, picker.el);
  const draw = () => replace(list, units.length ? unitsBlock(units) : h("p", { class: "hint" }, "逐台填写条码并拍照,点“添加”,全部添加后提交。"));
  draw();
  const add = button("添加", () => {
    if (!indoor.value.trim() || !outdoor.value.trim()) return flash("请填写内机条码和外机条码", "error");
    if (picker.busy()) return flash("照片还在上传,请稍候", "error");
    units.push({ indoor_barcode: indoor.value.trim(), outdoor_barcode: outdoor.value.trim(), photos: [...picker.refs] });
    indoor.value = outdoor.value = "";
    picker = new PhotoPicker();
    replace(pickerBox, picker.el);
    draw();
  }, "", { "data-action": "add-unit" });
  const submit = button("提交报完工", () => {
    if (!units.length) return flash("请至少添加一台机器", "error");
    void act(submit, async () => {
      await api.command("ReportCompletion", { order_id: order.order_id, units });
      flash("已报完工,工单已关闭");
      done();
    });
  }, "primary", { "data-action": "confirm-report" });
  return h("div", { class: "panel", "data-panel": "report" }, h("span", { class: "panel-title" }, "安装报完工"), list, h("div", { class: "form-grid" }, field("内机条码", indoor, true), field("外机条码", outdoor, true)), pickerBox, h("div", { class: "row" }, add, submit));
}

async function orderView(main: HTMLElement, [id]: string[]): Promise<void> {
  const fetch = () => api.query<Order>("order", { order_id: id });
  // After the user's own action the view is drawn afresh, closing its panel.
  const reload = () => void fetch().then((order) => drawOrder(main, order, reload)).catch((e) => flash(api.describe(e), "error"));
  drawOrder(main, await fetch(), reload);
  // A change by someone else waits while a panel is open or a reason is typed.
  const busy = () => Boolean(main.querySelector(".panels .panel") || (main.querySelector("textarea") as HTMLTextAreaElement | null)?.value);
  const redraw = liveRedraw(main, fetch, (order) => drawOrder(main, order, reload), busy);
  setNoticeHandler(main, (n) => {
    if (n.order_id === id) redraw();
  });
}

function drawOrder(main: HTMLElement, order: Order, reload: () => void): void {
  const self = me();
  const holder = order.holder === self;
  const superior = order.path.length >= 2 ? order.path[order.path.length - 2] : "";
  const panelBox = h("div", { class: "panels" });
  const toggle = (name: string, make: () => HTMLElement) => {
    const shown = panelBox.firstElementChild as HTMLElement | null;
    replace(panelBox, shown?.dataset.panel === name ? null : make());
  };
  const actions: HTMLElement[] = [];
  const s = order.status;
  if (holder && s === "pending_dispatch") {
    if (dispatchTargets().length) actions.push(button("派下级单位", () => toggle("dispatch", () => dispatchForm(() => [order.order_id], reload)), "action", { "data-action": "dispatch" }));
    if (hasTechnicians()) actions.push(button("指派给工人", () => toggle("assign", () => assignForm(() => [order.order_id], reload)), "action", { "data-action": "assign" }));
    if (order.path.length >= 2 && order.path[order.path.length - 1] === self) {
      actions.push(button("申请改派", () => toggle("reassign", () => reasonForm("申请改派", "reassign", async (reason) => {
        await api.command("RequestReassignment", { order_id: order.order_id, reason });
        flash("已申请改派,等待上级审批");
        reload();
      })), "action", { "data-action": "reassign" }));
    }
  }
  if (s === "pending_reassignment_approval" && superior === self) {
    const approve = button("同意改派", () => void act(approve, async () => {
      await api.command("ApproveReassignment", { order_id: order.order_id });
      flash("已同意改派,工单退回本单位待派工");
      reload();
    }), "primary", { "data-action": "approve" });
    actions.push(approve);
    actions.push(button("驳回", () => toggle("reject", () => reasonForm("驳回", "reject", async (reason) => {
      await api.command("RejectReassignment", { order_id: order.order_id, reason });
      flash("已驳回改派申请");
      reload();
    })), "action", { "data-action": "reject" }));
  }
  if (holder && state.org?.unit?.kind === "service_outlet" && ["pending_dispatch", "to_accept", "to_process"].includes(s)) {
    actions.push(button("安装报完工", () => toggle("report", () => reportForm(order, reload)), "action", { "data-action": "report" }));
  }
  if (holder && s === "pending_close") {
    const close = button("工单关闭", () => void act(close, async () => {
      await api.command("CloseOrder", { order_id: order.order_id });
      flash(`工单 ${order.order_id} 已关闭`);
      reload();
    }), "primary", { "data-action": "close" });
    actions.push(close);
  }
  const c = order.customer;
  const kv = (k: string, v: string | HTMLElement, cls = "") => [h("dt", null, k), h("dd", { class: cls }, v)];
  replace(
    main,
    h("div", { class: "view-head" },
      h("h1", null, "详细内容 ", h("span", { class: "order-id" }, order.order_id), h("span", { class: `status st-${s}` }, STATUS_LABEL[s] ?? s)),
      button("‹ 返回", () => history.back(), "link")),
    s === "pending_reassignment_approval" ? h("div", { class: "flash flash-warn" }, `改派申请:${order.reassignment_reason}`) : null,
    actions.length ? h("div", { class: "toolbar" }, actions) : null,
    panelBox,
    h("div", { class: "detail-grid" },
      h("section", { class: "card" }, h("h2", null, "工单信息"),
        h("dl", { class: "kv" },
          kv("信息编号", order.order_id), kv("工单类型", KIND_LABEL[order.kind] ?? order.kind), kv("客户姓名", c.name, "customer-name"), kv("联系电话", c.phone), kv("地址", address(c)),
          kv("录入单位", nameOf(order.creator)), kv("当前单位", nameOf(order.holder)), kv("派工路径", order.path.map(nameOf).join(" → ")),
          kv("主要人员", nameOf(order.primary) || "—"), kv("辅助人员", order.assistants.map(nameOf).join("、") || "—"),
          kv("录入时间", when(order.created_at)), kv("更新时间", when(order.updated_at)),
          order.source ? kv("来源", `${PLATFORM_LABEL[order.source.platform ?? ""] ?? order.source.platform ?? ""} ${order.source.platform_order_id ?? ""}`) : [],
          order.checked_in ? kv("签到位置", `${order.lat}, ${order.lon}`) : [],
          order.note ? kv("备注", order.note) : [],
        )),
      h("section", { class: "card" }, h("h2", null, "销售明细"),
        h("table", { class: "grid lines" }, h("thead", null, h("tr", null, h("th", null, "型号"), h("th", null, "数量"))), h("tbody", null, order.items.map((i) => h("tr", null, h("td", null, i.model), h("td", null, String(i.quantity))))))),
      h("section", { class: "card wide", id: "captured" }, h("h2", null, "明细:机器条码与照片"), unitsBlock(order.units)),
      h("section", { class: "card" }, h("h2", null, "过程反馈"), feedbackBlock(order, reload)),
      h("section", { class: "card" }, h("h2", null, "处理记录"), timeline(order.history)),
    ),
  );
}

export function registerOrderRoutes(): void {
  route(/^#\/order\/(.+)$/, orderView);
}
