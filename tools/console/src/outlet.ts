// The outlet console's views: the folders with batch actions (派下级单位, 批量指派给工人), order
// entry (工单录入), the order query (工单查询) and the subordinate units (下级单位).
import * as api from "./api";
import { act, flash, go, liveRedraw, route, setNoticeHandler } from "./app";
import { button, field, h, replace, select, when } from "./dom";
import { FOLDER_LABEL, KIND_LABEL, PLATFORM_LABEL, STATUS_LABEL, UNIT_FOLDERS, UNIT_KIND_LABEL } from "./labels";
import { address, dispatchTargets, FolderPage, hasTechnicians, me, nameOf, OrderRow, OrgView, remember, state, Stats, StaffRef } from "./state";

const PAGE = 50;

// ---- the order table -----------------------------------------------------------------------

export function orderTable(rows: OrderRow[], selected: Set<string> | null, onChange?: () => void): HTMLElement {
  const all = selected ? h("input", { type: "checkbox", title: "全选", "aria-label": "全选", class: "check-all" }) : null;
  const boxes: HTMLInputElement[] = [];
  const syncAll = () => {
    if (all) all.checked = rows.length > 0 && rows.every((r) => selected!.has(r.order_id));
  };
  all?.addEventListener("change", () => {
    for (const r of rows) (all.checked ? selected!.add(r.order_id) : selected!.delete(r.order_id));
    for (const b of boxes) b.checked = all.checked;
    onChange?.();
  });
  const body = rows.map((r) => {
    let box: HTMLInputElement | null = null;
    if (selected) {
      box = h("input", { type: "checkbox", class: "row-check", "data-order": r.order_id, checked: selected.has(r.order_id), "aria-label": `选择 ${r.order_id}` });
      box.addEventListener("change", () => {
        box!.checked ? selected.add(r.order_id) : selected.delete(r.order_id);
        syncAll();
        onChange?.();
      });
      boxes.push(box);
    }
    return h(
      "tr",
      { "data-order": r.order_id, class: selected?.has(r.order_id) ? "sel" : "" },
      selected ? h("td", { class: "c" }, box) : null,
      h("td", null, h("a", { href: `#/order/${encodeURIComponent(r.order_id)}`, class: "order-link" }, r.order_id)),
      h("td", null, h("span", { class: `kind kind-${r.kind}` }, KIND_LABEL[r.kind] ?? r.kind)),
      h("td", { class: "customer-name" }, r.customer.name),
      h("td", null, r.customer.phone),
      h("td", { class: "addr" }, address(r.customer)),
      h("td", null, nameOf(r.holder)),
      h("td", null, h("span", { class: `status st-${r.status}` }, STATUS_LABEL[r.status] ?? r.status)),
      h("td", { class: "time" }, when(r.updated_at)),
    );
  });
  syncAll();
  return h(
    "table",
    { class: "grid orders" },
    h("thead", null, h("tr", null, selected ? h("th", { class: "c" }, all) : null, ["信息编号", "类型", "客户姓名", "联系电话", "地址", "当前单位", "状态", "更新时间"].map((t) => h("th", null, t)))),
    h("tbody", null, rows.length ? body : h("tr", null, h("td", { colspan: selected ? 9 : 8, class: "empty" }, "没有工单"))),
  );
}

// ---- batch forms, used by the folder list and the order detail -----------------------------

export function dispatchForm(orderIds: () => string[], done: () => void): HTMLElement {
  const targets = dispatchTargets();
  if (!targets.length) return h("div", { class: "panel" }, "本单位没有可派的下级单位。");
  const target = select(
    targets.map((u) => [u.unit_id, `${u.name}(${u.unit_id})· ${UNIT_KIND_LABEL[u.kind] ?? u.kind}`]),
    "",
    { name: "unit", "aria-label": "下级单位" },
  );
  const ok = button("确定派工", () => {
    const ids = orderIds();
    if (!ids.length) return flash("请先勾选工单", "error");
    void act(ok, async () => {
      await api.command("DispatchToUnit", { order_ids: ids, unit: target.value });
      flash(`已将 ${ids.length} 张工单派给 ${nameOf(target.value)}`);
      done();
    });
  }, "primary", { "data-action": "confirm-dispatch" });
  return h("div", { class: "panel", "data-panel": "dispatch" }, h("span", { class: "panel-title" }, "派下级单位"), field("派给", target, true), ok);
}

export function assignForm(orderIds: () => string[], done: () => void): HTMLElement {
  const people: StaffRef[] = state.org?.technicians ?? [];
  if (!people.length) return h("div", { class: "panel" }, "本单位没有服务人员。");
  const primary = select([["", "请选择"], ...people.map((p): [string, string] => [p.staff_id, `${p.name}(${p.staff_id})`])], "", { name: "primary", "aria-label": "主要人员" });
  const helpers = people.map((p) => h("label", { class: "chip" }, h("input", { type: "checkbox", name: "assistant", value: p.staff_id }), ` ${p.name}`));
  const ok = button("确定指派", () => {
    const ids = orderIds();
    if (!ids.length) return flash("请先勾选工单", "error");
    if (!primary.value) return flash("请选择一名主要人员", "error");
    const assistants = helpers.map((l) => l.querySelector("input")!).filter((i) => i.checked && i.value !== primary.value).map((i) => i.value);
    void act(ok, async () => {
      await api.command("AssignTechnicians", { order_ids: ids, primary: primary.value, assistants });
      flash(`已将 ${ids.length} 张工单指派给 ${nameOf(primary.value)}${assistants.length ? `,辅助:${assistants.map(nameOf).join("、")}` : ""}`);
      done();
    });
  }, "primary", { "data-action": "confirm-assign" });
  return h(
    "div",
    { class: "panel", "data-panel": "assign" },
    h("span", { class: "panel-title" }, "指派给工人"),
    field("主要人员", primary, true),
    h("div", { class: "field" }, h("span", { class: "field-label" }, "辅助人员"), h("div", { class: "chips" }, helpers)),
    ok,
    h("span", { class: "hint" }, "1个主要人员,其余为辅助人员"),
  );
}

// ---- a folder -----------------------------------------------------------------------------

const PENDING = new Set(["install_pending_dispatch", "delivery_pending_dispatch", "sales_install_pending_dispatch"]);

async function folderView(main: HTMLElement, [folder, ownerParam]: string[]): Promise<void> {
  const owner = ownerParam || me();
  const mine = owner === me();
  const selected = new Set<string>();
  let rows: OrderRow[] = [];
  let page: FolderPage;
  const tableBox = h("div", { class: "table-box" });
  const more = h("div", { class: "more" });
  const title = h("h1", null);
  const chosen = h("span", { class: "chosen" });
  const panelBox = h("div", { class: "panels" });
  const fetchPage = () => api.query<FolderPage>("folder", { owner, folder, limit: Math.max(PAGE, rows.length) });
  const show = (fresh: FolderPage) => {
    page = fresh;
    rows = page.orders;
    for (const id of Array.from(selected)) if (!rows.some((r) => r.order_id === id)) selected.delete(id);
    draw();
  };
  const load = async () => show(await fetchPage());
  const draw = () => {
    replace(title, FOLDER_LABEL[folder] ?? folder, h("span", { class: "total", "data-total": page.total }, `共 ${page.total} 单`), mine ? null : h("span", { class: "owner" }, ` · ${nameOf(owner)}`));
    replace(tableBox, orderTable(rows, mine && PENDING.has(folder) ? selected : null, updateChosen));
    replace(more, page.next ? button("加载更多", () => void act(null, async () => {
      const next = await api.query<FolderPage>("folder", { owner, folder, limit: PAGE, after: page.next! });
      rows = rows.concat(next.orders);
      page = { ...next, orders: rows };
      draw();
    })) : null);
    updateChosen();
  };
  const updateChosen = () => replace(chosen, selected.size ? `已选 ${selected.size} 单` : "勾选工单后可批量操作");
  const afterAction = () => {
    replace(panelBox);
    selected.clear();
    void load();
  };
  const open = (which: "dispatch" | "assign") => {
    const shown = panelBox.firstElementChild as HTMLElement | null;
    if (shown?.dataset.panel === which) return replace(panelBox);
    replace(panelBox, which === "dispatch" ? dispatchForm(() => Array.from(selected), afterAction) : assignForm(() => Array.from(selected), afterAction));
  };
  await load();
  const toolbar =
    mine && PENDING.has(folder)
      ? h(
          "div",
          { class: "toolbar" },
          dispatchTargets().length ? button("派下级单位", () => open("dispatch"), "action", { "data-action": "dispatch" }) : null,
          hasTechnicians() ? button("批量指派给工人", () => open("assign"), "action", { "data-action": "assign" }) : null,
          chosen,
        )
      : null;
  replace(main, h("div", { class: "view-head" }, title, button("刷新", () => void act(null, load), "link")), toolbar, panelBox, tableBox, more);
  const redraw = liveRedraw(main, fetchPage, show);
  setNoticeHandler(main, (n) => {
    if (mine && n.folders.includes(folder)) redraw();
  });
}

// ---- 工单录入 -------------------------------------------------------------------------------

function entryView(main: HTMLElement): void {
  const input = (name: string, attrs: Record<string, unknown> = {}) => h("input", { name, ...attrs });
  const kind = select([["installation", "安装"], ["delivery", "配送"]], "installation", { name: "kind" });
  const name = input("customer_name", { required: true });
  const phone = input("customer_phone", { required: true, inputmode: "tel" });
  const province = input("province", { value: "广东省" });
  const city = input("city", { value: "珠海市" });
  const district = input("district");
  const addr = input("address", { required: true });
  const note = h("textarea", { name: "note", rows: 2 });
  const model = input("model", { placeholder: "如 KFR-35GW/(35592)FNhAa-A1" });
  const quantity = input("quantity", { type: "number", min: 1, value: "1" });
  const lines: Array<{ model: string; quantity: number }> = [];
  const linesBox = h("tbody");
  const drawLines = () =>
    replace(
      linesBox,
      lines.length
        ? lines.map((l, i) => h("tr", null, h("td", null, String(i + 1)), h("td", null, l.model), h("td", null, String(l.quantity)), h("td", null, button("删除", () => (lines.splice(i, 1), drawLines()), "link small"))))
        : h("tr", null, h("td", { colspan: 4, class: "empty" }, "请至少添加一条销售明细")),
    );
  drawLines();
  const add = button("添加", () => {
    const q = Number(quantity.value);
    if (!model.value.trim()) return flash("请填写型号", "error");
    if (!Number.isInteger(q) || q < 1) return flash("数量须为正整数", "error");
    lines.push({ model: model.value.trim(), quantity: q });
    model.value = "";
    quantity.value = "1";
    drawLines();
  }, "", { "data-action": "add-line" });
  const save = h("button", { type: "submit", class: "btn primary" }, "保存");
  const form = h(
    "form",
    {
      class: "card form",
      id: "order-entry",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const missing = [[name, "客户姓名"], [phone, "联系电话"], [addr, "详细地址"]].filter(([i]) => !(i as HTMLInputElement).value.trim()).map(([, l]) => l);
        if (missing.length) return flash(`请填写必填项:${missing.join("、")}`, "error");
        if (!lines.length) return flash("请至少添加一条销售明细(型号和数量),再点“添加”", "error");
        void act(save, async () => {
          const reply = await api.command("CreateOrder", {
            kind: kind.value,
            customer: { name: name.value.trim(), phone: phone.value.trim(), province: province.value.trim(), city: city.value.trim(), district: district.value.trim(), address: addr.value.trim() },
            items: lines,
            note: note.value.trim(),
          });
          const id = reply.order_ids?.[0] ?? "";
          const folder = state.org?.unit?.kind === "sales_outlet" ? "sales_install_pending_dispatch" : kind.value === "delivery" ? "delivery_pending_dispatch" : "install_pending_dispatch";
          replace(main, h("div", { class: "card saved", id: "order-saved" },
            h("h2", null, "工单已保存"),
            h("p", null, "信息编号 ", h("a", { href: `#/order/${encodeURIComponent(id)}`, class: "order-link" }, id), `,已进入「${FOLDER_LABEL[folder]}」。`),
            h("div", { class: "row" }, button("继续录入", () => go("#/new#" + Date.now()), "primary"), h("a", { class: "btn", href: `#/folder/${folder}` }, `去${FOLDER_LABEL[folder]}派工`)),
          ));
        });
      },
    },
    h("h1", null, "工单录入"),
    h("p", { class: "hint" }, "带 * 的为必填项。"),
    h("div", { class: "form-grid" }, field("工单类型", kind, true), field("客户姓名", name, true), field("联系电话", phone, true), field("省", province), field("市", city), field("区/县", district), field("详细地址", addr, true)),
    h("h2", null, "销售明细", h("em", { class: "req" }, "*")),
    h("div", { class: "line-entry" }, field("型号", model, true), field("数量", quantity, true), add),
    h("table", { class: "grid lines" }, h("thead", null, h("tr", null, ["序号", "型号", "数量", ""].map((t) => h("th", null, t)))), linesBox),
    field("备注", note),
    h("div", { class: "row" }, save),
  );
  replace(main, form);
}

// ---- 工单查询 -------------------------------------------------------------------------------

async function queryView(main: HTMLElement): Promise<void> {
  const input = (name: string, attrs: Record<string, unknown> = {}) => h("input", { name, ...attrs });
  const orderId = input("order_id", { placeholder: "可只填开头" });
  const name = input("name");
  const phone = input("phone");
  const status = select([["", "全部"], ...Object.entries(STATUS_LABEL)], "", { name: "status" });
  const kind = select([["", "全部"], ...Object.entries(KIND_LABEL)], "", { name: "kind" });
  const platform = select([["", "全部"], ...Object.entries(PLATFORM_LABEL)], "", { name: "platform" });
  const from = input("created_from", { type: "date" });
  const to = input("created_to", { type: "date" });
  const results = h("div", { class: "table-box", id: "query-results" });
  const cursors: string[] = [];
  const run = async (after: string) => {
    // The last answer goes at once: rows left on screen would read as the answer to this query.
    replace(results, h("p", { class: "hint" }, "查询中…"));
    let page: FolderPage;
    try {
      page = await api.query<FolderPage>("search", {
        order_id: orderId.value.trim(), name: name.value.trim(), phone: phone.value.trim(), status: status.value, kind: kind.value, platform: platform.value,
        created_from: from.value, created_to: to.value, limit: PAGE, after,
      });
    } catch (e) {
      replace(results);
      throw e;
    }
    replace(
      results,
      h("p", { class: "hint" }, `${page.orders.length} 单${page.next ? "(还有更多)" : ""}`),
      orderTable(page.orders, null),
      h("div", { class: "row" },
        cursors.length ? button("上一页", () => void act(null, () => (cursors.pop(), run(cursors[cursors.length - 1] ?? "")))) : null,
        page.next ? button("下一页", () => void act(null, () => (cursors.push(page.next!), run(page.next!)))) : null),
    );
  };
  const submit = h("button", { type: "submit", class: "btn primary" }, "查询");
  replace(
    main,
    h("form", { class: "card form", id: "order-query", onsubmit: (ev: Event) => { ev.preventDefault(); cursors.length = 0; void act(submit, () => run("")); } },
      h("h1", null, "工单查询"),
      h("div", { class: "form-grid" }, field("信息编号", orderId), field("客户姓名", name), field("联系电话", phone), field("派工状态", status), field("工单类型", kind), field("来源", platform), field("录入日期从", from), field("至", to)),
      h("div", { class: "row" }, submit)),
    results,
  );
  await run("");
}

// ---- 下级单位 -------------------------------------------------------------------------------

async function unitsView(main: HTMLElement, [pathParam]: string[]): Promise<void> {
  const trail = pathParam ? pathParam.split("/").filter((p) => p) : [];
  const unitId = trail[trail.length - 1] ?? me();
  const view = unitId === me() ? state.org! : await api.query<OrgView>("org", { unit: unitId });
  remember(view.children, view.technicians);
  if (view.unit) remember([view.unit]);
  const children = view.children ?? [];
  const stats = await Promise.all([unitId, ...children.map((c) => c.unit_id)].map((u) => api.query<Stats>("stats", { unit: u })));
  const [own, ...kids] = stats;
  const crumbs = [me(), ...trail.filter((t) => t !== me())];
  const link = (n: number, unit: string, folder?: string) => {
    const href = folder ? `#/folder/${folder}/${encodeURIComponent(unit)}` : "";
    return n > 0 && href ? h("a", { href, class: "num hot" }, String(n)) : h("span", { class: n > 0 ? "num" : "num zero" }, String(n));
  };
  replace(
    main,
    h("div", { class: "crumbs" }, crumbs.map((c, i) => [i ? " › " : "", i < crumbs.length - 1 ? h("a", { href: `#/units/${crumbs.slice(1, i + 1).join("/")}` }, nameOf(c)) : h("strong", null, nameOf(c))])),
    h("h1", null, "下级单位工单执行情况", h("span", { class: "total" }, view.unit ? `${view.unit.name} · ${UNIT_KIND_LABEL[view.unit.kind] ?? ""}` : "")),
    h("p", { class: "hint" }, "数字为该单位及其全部下级的工单数;点击单位名称查看其下级,点击数字查看工单。"),
    h("table", { class: "grid units", id: "units-table" },
      h("thead", null, h("tr", null, h("th", null, "单位"), h("th", null, "类型"), UNIT_FOLDERS.map(([, l]) => h("th", { class: "n" }, l)))),
      h("tbody", null,
        h("tr", { class: "self" }, h("td", null, `${nameOf(unitId)}(本单位)`), h("td", null, UNIT_KIND_LABEL[view.unit?.kind ?? ""] ?? ""), UNIT_FOLDERS.map(([f]) => h("td", { class: "n" }, link(own.own[f] ?? 0, unitId, f)))),
        children.map((c, i) => h("tr", { "data-unit": c.unit_id },
          h("td", null, h("a", { href: `#/units/${[...trail.filter((t) => t !== me()), c.unit_id].join("/")}`, class: "unit-link" }, `${c.name}(${c.unit_id})`)),
          h("td", null, UNIT_KIND_LABEL[c.kind] ?? c.kind),
          UNIT_FOLDERS.map(([f]) => h("td", { class: "n" }, link(kids[i].subtree[f] ?? 0, c.unit_id, f))))),
        children.length ? null : h("tr", null, h("td", { colspan: 9, class: "empty" }, "没有下级单位")))),
    view.technicians?.length ? h("p", { class: "hint" }, `服务人员:${view.technicians.map((t) => `${t.name}(${t.staff_id})`).join("、")}`) : null,
  );
}

export function registerOutletRoutes(): void {
  route(/^#\/folder\/([a-z_]+)(?:\/(.+))?$/, folderView);
  route(/^#\/new(?:#\d+)?$/, entryView);
  route(/^#\/query$/, queryView);
  route(/^#\/units(?:\/(.*))?$/, unitsView);
}
