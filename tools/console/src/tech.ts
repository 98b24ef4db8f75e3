// The technician's phone view (手机APP): 待接收 (accept or refuse with a reason), 待处理 (上门签到
// with the browser's location, then 数据采集 unit by unit: indoor and outdoor barcodes and
// photos from the camera, each unit saved on its own, then 完结工单), 已完结.
import * as api from "./api";
import { act, flash, go, liveRedraw, route, setNoticeHandler } from "./app";
import { button, field, h, replace, when } from "./dom";
import { FOLDER_LABEL, KIND_LABEL, STATUS_LABEL } from "./labels";
import { feedbackBlock, timeline, unitsBlock } from "./order";
import { PhotoPicker } from "./photos";
import { address, FolderPage, me, nameOf, Order, OrderRow } from "./state";

function card(r: OrderRow, ...extra: Array<HTMLElement | null>): HTMLElement {
  return h(
    "div",
    { class: "card order-card", "data-order": r.order_id },
    h("div", { class: "oc-head" }, h("span", { class: `kind kind-${r.kind}` }, KIND_LABEL[r.kind] ?? r.kind), h("span", { class: "order-id" }, r.order_id), h("span", { class: `status st-${r.status}` }, STATUS_LABEL[r.status] ?? r.status)),
    h("div", { class: "oc-name" }, h("span", { class: "customer-name" }, r.customer.name), " ", h("a", { href: `tel:${r.customer.phone}`, class: "tel" }, r.customer.phone)),
    h("div", { class: "oc-addr" }, address(r.customer)),
    h("div", { class: "oc-time" }, `更新时间 ${when(r.updated_at)}`),
    ...extra,
  );
}

async function listView(main: HTMLElement, [folder]: string[]): Promise<void> {
  const fetchPage = () => api.query<FolderPage>("folder", { owner: me(), folder, limit: 100 });
  const show = (page: FolderPage) =>
    replace(
      main,
      h("h1", { class: "phone-title" }, FOLDER_LABEL[folder] ?? folder, h("span", { class: "total" }, `${page.total} 单`)),
      page.orders.length ? page.orders.map((r) => card(r, actionsFor(folder, r, load))) : h("p", { class: "empty big" }, "暂无工单"),
    );
  const load = async () => show(await fetchPage());
  await load();
  // A refusal being written (its reason box open) is not redrawn away.
  const redraw = liveRedraw(main, fetchPage, show, () => main.querySelector("textarea") !== null);
  setNoticeHandler(main, (n) => {
    if (n.folders.includes(folder)) redraw();
  });
}

function actionsFor(folder: string, r: OrderRow, reload: () => Promise<void>): HTMLElement {
  if (folder === "to_accept") {
    const box = h("div", { class: "oc-actions" });
    const accept = button("接收工单", () => void act(accept, async () => {
      await api.command("AcceptOrder", { order_id: r.order_id });
      flash(`已接收 ${r.order_id},请到「待处理」上门签到`);
      await reload();
    }), "primary big", { "data-action": "accept" });
    const refuse = button("拒绝工单", () => {
      const reason = h("textarea", { name: "reason", rows: 2, placeholder: "请写明无法上门的原因" });
      const ok = button("确认拒绝", () => {
        if (!reason.value.trim()) return flash("请填写拒绝原因", "error");
        void act(ok, async () => {
          await api.command("RefuseOrder", { order_id: r.order_id, reason: reason.value.trim() });
          flash(`已拒绝 ${r.order_id},工单退回网点`);
          await reload();
        });
      }, "danger big", { "data-action": "confirm-refuse" });
      replace(box, field("拒绝原因", reason, true), h("div", { class: "row" }, ok, button("取消", () => replace(box, accept, refuse), "big")));
    }, "big", { "data-action": "refuse" });
    replace(box, accept, refuse);
    return box;
  }
  const label = folder === "to_process" ? "开始处理" : "查看";
  return h("div", { class: "oc-actions" }, h("a", { class: `btn big ${folder === "to_process" ? "primary" : ""}`, href: `#/t/order/${encodeURIComponent(r.order_id)}`, "data-action": "open" }, label));
}

function locate(): Promise<GeolocationPosition> {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("此浏览器不能定位"));
    navigator.geolocation.getCurrentPosition(resolve, (e) => reject(new Error(e.code === e.PERMISSION_DENIED ? "未允许定位,请在浏览器设置中允许使用位置" : `无法定位(${e.message})`)), { enableHighAccuracy: true, timeout: 15000 });
  });
}

async function workView(main: HTMLElement, [id]: string[]): Promise<void> {
  const fetch = () => api.query<Order>("order", { order_id: id });
  const reload = () => void fetch().then((order) => drawWork(main, order, reload)).catch((e) => flash(api.describe(e), "error"));
  drawWork(main, await fetch(), reload);
  // Barcodes typed, photos chosen or a reason written are not redrawn away; the technician's own
  // check-in, units and feedback redraw the view when he makes them.
  const busy = () =>
    Boolean(main.querySelector(".picker .thumb-item")) ||
    Array.from(main.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input[name$=_barcode], textarea")).some((i) => i.value.trim() !== "");
  const redraw = liveRedraw(main, fetch, (order) => drawWork(main, order, reload), busy);
  setNoticeHandler(main, (n) => {
    if (n.order_id === id && n.type !== "UnitCaptured" && n.type !== "CheckedIn" && n.type !== "FeedbackAdded") redraw();
  });
}

function drawWork(main: HTMLElement, order: Order, reload: () => void): void {
  const primary = order.primary === me();
  const working = order.status === "to_process";
  const steps: HTMLElement[] = [];
  if (working && primary) {
    // 1. 上门签到
    if (!order.checked_in) {
      const checkIn = button("上门签到", () => void act(checkIn, async () => {
        const pos = await locate();
        await api.command("CheckIn", { order_id: order.order_id, lat: pos.coords.latitude, lon: pos.coords.longitude });
        flash("签到成功");
        reload();
      }), "primary big", { "data-action": "check-in" });
      steps.push(h("section", { class: "card step" }, h("h2", null, "① 上门签到"), h("p", { class: "hint" }, "到达客户家后签到,将使用手机定位。"), checkIn));
    } else {
      steps.push(h("section", { class: "card step done", id: "checked-in" }, h("h2", null, "① 上门签到 ✓"), h("p", null, `已签到,位置 ${order.lat.toFixed(4)}, ${order.lon.toFixed(4)}`)));
      // 2. 数据采集, one unit at a time
      const indoor = h("input", { name: "indoor_barcode", autocomplete: "off", placeholder: "扫描或输入内机条码" });
      const outdoor = h("input", { name: "outdoor_barcode", autocomplete: "off", placeholder: "扫描或输入外机条码" });
      const picker = new PhotoPicker("拍照(条码照片)");
      const save = button("保存本机", () => {
        if (!indoor.value.trim() || !outdoor.value.trim()) return flash("请填写内机条码和外机条码", "error");
        if (picker.busy()) return flash("照片还在上传,请稍候", "error");
        if (!picker.refs.length) return flash("请至少拍一张条码照片", "error");
        void act(save, async () => {
          await api.command("CaptureUnit", { order_id: order.order_id, indoor_barcode: indoor.value.trim(), outdoor_barcode: outdoor.value.trim(), photos: [...picker.refs] });
          flash(`第 ${order.units.length + 1} 台已保存`);
          reload();
        });
      }, "primary big", { "data-action": "save-unit" });
      steps.push(
        h("section", { class: "card step", id: "capture" },
          h("h2", null, `② 数据采集(已保存 ${order.units.length} 台)`),
          unitsBlock(order.units),
          h("div", { class: "capture-form" }, h("h3", null, `第 ${order.units.length + 1} 台`), field("内机条码", indoor, true), field("外机条码", outdoor, true), picker.el, save)),
      );
      // 3. 完结工单
      const complete = button("完结工单", () => {
        if (order.kind === "installation" && !order.units.length) return flash("安装工单至少要采集一台机器", "error");
        void act(complete, async () => {
          await api.command("CompleteOrder", { order_id: order.order_id });
          flash(`工单 ${order.order_id} 已完结`);
          go("#/t/completed");
        });
      }, "primary big", { "data-action": "complete" });
      steps.push(h("section", { class: "card step" }, h("h2", null, "③ 完结工单"), h("p", { class: "hint" }, "所有机器保存后提交,工单交网点审核关闭。"), complete));
    }
  } else if (working) {
    steps.push(h("p", { class: "hint" }, `主要人员 ${nameOf(order.primary)} 负责签到与采集,您是辅助人员。`), h("section", { class: "card" }, h("h2", null, "已采集"), unitsBlock(order.units)));
  } else {
    steps.push(h("section", { class: "card" }, h("h2", null, "已采集"), unitsBlock(order.units)));
  }
  const back = working ? "#/t/to_process" : "#/t/completed";
  replace(
    main,
    h("a", { href: back, class: "link back" }, `‹ ${FOLDER_LABEL[back.slice(4)]}`),
    card(order, h("div", { class: "oc-items" }, order.items.map((i) => `${i.model} × ${i.quantity}`).join(";")), order.note ? h("div", { class: "oc-note" }, `备注:${order.note}`) : null),
    steps,
    h("section", { class: "card" }, h("h2", null, "过程反馈"), feedbackBlock(order, reload)),
    h("details", { class: "card" }, h("summary", null, "处理记录"), timeline(order.history)),
  );
}

export function registerTechRoutes(): void {
  route(/^#\/t\/(to_accept|to_process|completed)$/, listView);
  route(/^#\/t\/order\/(.+)$/, workView);
}
