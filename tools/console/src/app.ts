// The application frame: login (with the forced change of the initial password), the outlet's
// shell (header, folder tree with live counts, the view) or the technician's phone shell, the
// hash router, and the live notices from the WebSocket /api/live.
import * as api from "./api";
import { button, field, h, replace } from "./dom";
import { ACTION_FOLDERS, STAFF_FOLDERS, UNIT_FOLDERS, UNIT_KIND_LABEL } from "./labels";
import { loadOrg, me, state } from "./state";

export interface Notice {
  position: number;
  type: string;
  order_id: string;
  folders: string[];
}

// A view draws itself into `main`; it may set a notice handler to follow live changes.
export type View = (main: HTMLElement, params: string[]) => Promise<void> | void;

const routes: Array<[RegExp, View]> = [];
let fallback = "#/";
let onNotice: ((n: Notice) => void) | null = null;
let root: HTMLElement;
let mainEl: HTMLElement | null = null;
// The holder of the view the latest render draws. A view's fetch may finish after the user has
// moved on: only this holder may take the page or set the notice handler.
let shown: HTMLElement | null = null;
let flashEl: HTMLElement | null = null;
let liveEl: HTMLElement | null = null;
const countEls = new Map<string, HTMLElement>();

export function route(pattern: RegExp, view: View): void {
  routes.push([pattern, view]);
}

// Sets the notice handler of the view drawn in `main`, unless another view has replaced it.
export function setNoticeHandler(main: HTMLElement, f: (n: Notice) => void): void {
  if (main === shown) onNotice = f;
}

// Returns a function that redraws the view in `main` with fresh data, for a live notice, without
// throwing away what the user is doing there: `busy` is asked when the data has arrived, not only
// when the notice did, since a panel may have been opened during the fetch. While it holds, the
// redraw waits and is tried again each second. Calls during a redraw are folded into one more,
// so redraws never finish out of order. A view no longer shown is not fetched again.
export function liveRedraw<T>(main: HTMLElement, fetch: () => Promise<T>, draw: (data: T) => void, busy: () => boolean = () => false): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      while (main === shown) {
        again = false;
        if (!busy()) {
          const data = await fetch();
          if (main !== shown) return;
          if (!busy()) {
            draw(data);
            if (!again) return;
            continue;
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    } catch {
      // The view stays as drawn; the next notice tries again.
    } finally {
      running = false;
    }
  };
  return () => void run();
}

export function go(hash: string): void {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

export function flash(message: string, kind: "ok" | "error" = "ok"): void {
  if (!flashEl) return;
  replace(flashEl, h("div", { class: `flash flash-${kind}`, role: kind === "error" ? "alert" : "status" }, message));
  if (kind === "ok") {
    const el = flashEl.firstChild;
    setTimeout(() => {
      if (flashEl && el && el.parentNode === flashEl) flashEl.removeChild(el);
    }, 6000);
  }
}

export function clearFlash(): void {
  if (flashEl) replace(flashEl);
}

// Runs an action of a button: disables it meanwhile, shows the failure.
export async function act(btn: HTMLButtonElement | null, f: () => Promise<void>): Promise<void> {
  if (btn) btn.disabled = true;
  try {
    await f();
  } catch (e) {
    if (!(e instanceof api.ApiError && e.code === "unauthenticated")) flash(api.describe(e), "error");
  } finally {
    if (btn) btn.disabled = false;
  }
}

async function render(): Promise<void> {
  if (!mainEl) return;
  const hash = location.hash || fallback;
  onNotice = null;
  clearFlash();
  for (const a of Array.from(document.querySelectorAll("[data-nav]"))) {
    a.classList.toggle("active", hash === (a as HTMLElement).dataset.nav);
  }
  for (const [pattern, view] of routes) {
    const m = pattern.exec(hash);
    if (!m) continue;
    const main = mainEl;
    const holder = h("div", { class: "view" });
    shown = holder;
    replace(main, h("div", { class: "loading" }, "加载中…"));
    try {
      await view(holder, m.slice(1).map((p) => decodeURIComponent(p ?? "")));
      if (main === mainEl && holder === shown) replace(main, holder);
    } catch (e) {
      if (e instanceof api.ApiError && e.code === "unauthenticated") return;
      if (main === mainEl && holder === shown) replace(main, h("div", { class: "flash flash-error", role: "alert" }, api.describe(e)));
    }
    return;
  }
  location.hash = fallback;
}

// ---- counts ---------------------------------------------------------------------------------

export async function refreshCounts(): Promise<void> {
  const org = state.org;
  if (!org) return;
  if (org.role === "unit") {
    const stats = await api.query<{ own: Record<string, number> }>("stats", { unit: me() });
    for (const [folder] of UNIT_FOLDERS) setCount(folder, stats.own[folder] ?? 0);
  } else if (org.role === "staff") {
    await Promise.all(
      STAFF_FOLDERS.map(async ([folder]) => {
        const page = await api.query<{ total: number }>("folder", { owner: me(), folder, limit: 1 });
        setCount(folder, page.total);
      }),
    );
  }
}

function setCount(folder: string, n: number): void {
  const el = countEls.get(folder);
  if (!el) return;
  el.textContent = String(n);
  el.classList.toggle("hot", n > 0 && (ACTION_FOLDERS.has(folder) || folder === "to_accept" || folder === "to_process"));
  el.classList.toggle("zero", n === 0);
}

// ---- live notices ---------------------------------------------------------------------------

let socket: WebSocket | null = null;
let pending: Notice[] = [];
let timer: number | undefined;

function connectLive(): void {
  const session = api.current();
  if (!session) return;
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/live`);
  socket = ws;
  ws.onopen = () => ws.send(JSON.stringify({ token: session.token }));
  ws.onmessage = (m) => {
    const data = JSON.parse(String(m.data)) as Notice & { ok?: boolean; topic?: string };
    if (data.ok !== undefined) {
      setLive(data.ok === true);
      void refreshCounts().catch(() => {});
      return;
    }
    pending.push(data);
    window.clearTimeout(timer);
    timer = window.setTimeout(flushNotices, 120);
  };
  ws.onclose = (ev) => {
    if (socket !== ws) return;
    socket = null;
    setLive(false);
    if (ev.code === 1008 && ev.reason.startsWith("unauthenticated")) {
      api.forget();
      showLogin("登录已过期或已退出,请重新登录");
    } else if (api.current()?.token === session.token) {
      window.setTimeout(connectLive, 2000);
    }
  };
}

function disconnectLive(): void {
  const ws = socket;
  socket = null;
  ws?.close();
  setLive(false);
}

function flushNotices(): void {
  const batch = pending;
  pending = [];
  void refreshCounts().catch(() => {});
  for (const n of batch) onNotice?.(n);
}

function setLive(on: boolean): void {
  if (!liveEl) return;
  liveEl.dataset.live = on ? "on" : "off";
  liveEl.textContent = on ? "● 实时" : "○ 离线";
  liveEl.title = on ? "工单变化会自动显示" : "正在重新连接…";
}

// ---- login ----------------------------------------------------------------------------------

export function showLogin(message = ""): void {
  disconnectLive();
  mainEl = null;
  shown = null;
  state.org = null;
  document.body.className = "login-page";
  const account = h("input", { name: "account", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("div", { class: "form-error", role: "alert" }, message);
  const submit = h("button", { type: "submit", class: "btn primary wide" }, "登 录");
  const form = h(
    "form",
    {
      class: "card login-card",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        void act(submit, async () => {
          replace(error);
          try {
            const s = await api.login(account.value.trim(), password.value);
            if (s.must_change_password) showChangePassword(password.value, true);
            else await start();
          } catch (e) {
            replace(error, e instanceof api.ApiError && e.status === 401 ? `账号或密码错误。${e.message.includes("locked") ? "账号已锁定,请稍后再试或联系上级单位重置密码。" : ""}` : api.describe(e));
          }
        });
      },
    },
    h("h1", null, "格力售后派工系统"),
    h("p", { class: "sub" }, "网点工作台 · 服务人员手机端"),
    field("账号", account, true),
    field("密码", password, true),
    error,
    submit,
    h("p", { class: "hint" }, "账号为单位编号或服务人员编号;初始密码与账号相同,首次登录后须修改。"),
  );
  replace(root, h("div", { class: "login-wrap", id: "login" }, form));
}

export function showChangePassword(oldPassword: string, forced: boolean): void {
  document.body.className = "login-page";
  const old = h("input", { name: "old_password", type: "password", autocomplete: "current-password", value: oldPassword });
  const fresh = h("input", { name: "new_password", type: "password", autocomplete: "new-password", required: true });
  const again = h("input", { name: "confirm_password", type: "password", autocomplete: "new-password", required: true });
  const error = h("div", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn primary wide" }, "确认修改");
  // Back to the console: off the #/password route first, or start() would render this form again.
  const leave = () => {
    if (location.hash === "#/password") history.replaceState(null, "", location.pathname + location.search);
    return start();
  };
  const form = h(
    "form",
    {
      class: "card login-card",
      id: "change-password",
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        replace(error);
        if (fresh.value !== again.value) return replace(error, "两次输入的新密码不一致");
        if (fresh.value.length < 8) return replace(error, "新密码至少 8 位");
        if (fresh.value === api.current()?.account) return replace(error, "新密码不能与账号相同");
        void act(submit, async () => {
          try {
            await api.changePassword(old.value, fresh.value);
            await leave();
          } catch (e) {
            replace(error, api.describe(e));
          }
        });
      },
    },
    h("h1", null, forced ? "首次登录,请修改初始密码" : "修改密码"),
    h("p", { class: "sub" }, `账号 ${api.current()?.account ?? ""}`),
    forced && oldPassword ? null : field("原密码", old, true),
    field("新密码", fresh, true, "至少 8 位,且不能与账号相同"),
    field("确认新密码", again, true),
    error,
    submit,
    forced ? button("退出登录", () => void logout(), "link") : button("返回", () => void leave(), "link"),
  );
  replace(root, h("div", { class: "login-wrap" }, form));
}

export async function logout(): Promise<void> {
  disconnectLive();
  try {
    await api.logout();
  } catch {
    /* the session is forgotten either way */
  }
  location.hash = "";
  showLogin();
}

// ---- shells ---------------------------------------------------------------------------------

async function start(): Promise<void> {
  disconnectLive();
  const org = await loadOrg();
  countEls.clear();
  if (org.role === "unit") outletShell();
  else if (org.role === "staff") staffShell();
  else {
    replace(root, h("div", { class: "login-wrap" }, h("div", { class: "card login-card" }, h("h1", null, "此账号没有工作台"), h("p", null, "管理员与接口账号请使用 dispatchctl。"), button("退出登录", () => void logout(), "primary"))));
    return;
  }
  connectLive();
  window.onhashchange = () => void render();
  await render();
  void refreshCounts().catch(() => {});
}

function countBadge(folder: string): HTMLElement {
  const el = h("span", { class: "count zero", "data-count": folder }, "0");
  countEls.set(folder, el);
  return el;
}

function outletShell(): void {
  const org = state.org!;
  const unit = org.unit!;
  document.body.className = "outlet";
  fallback = "#/folder/install_pending_dispatch";
  liveEl = h("span", { class: "live", "data-live": "off" }, "○ 离线");
  const nav = (hash: string, text: string) => h("a", { href: hash, "data-nav": hash }, text);
  const hasChildren = (org.children ?? []).length > 0;
  replace(
    root,
    h(
      "header",
      { class: "topbar" },
      h("div", { class: "brand" }, "格力售后派工系统"),
      h("div", { class: "who" }, h("strong", null, unit.name), ` ${unit.unit_id} · ${UNIT_KIND_LABEL[unit.kind] ?? unit.kind}`),
      liveEl,
      h("nav", { class: "topnav" }, nav("#/new", "工单录入"), nav("#/query", "工单查询"), hasChildren ? nav("#/units", "下级单位") : null, nav("#/password", "修改密码"), button("退出", () => void logout(), "link")),
    ),
    h(
      "div",
      { class: "body" },
      h(
        "aside",
        { class: "sidebar" },
        h("div", { class: "side-title" }, "工单处理"),
        h(
          "ul",
          { class: "folders" },
          UNIT_FOLDERS.map(([folder, label]) =>
            h("li", null, h("a", { href: `#/folder/${folder}`, "data-nav": `#/folder/${folder}`, "data-folder": folder }, h("span", { class: "folder-name" }, label), countBadge(folder))),
          ),
        ),
      ),
      h("main", { class: "main" }, (flashEl = h("div", { class: "flashes" })), (mainEl = h("div", { id: "view" }))),
    ),
  );
}

function staffShell(): void {
  const org = state.org!;
  document.body.className = "staff";
  fallback = "#/t/to_accept";
  liveEl = h("span", { class: "live", "data-live": "off" }, "○ 离线");
  replace(
    root,
    h(
      "div",
      { class: "phone-head" },
      h(
        "header",
        { class: "topbar phone" },
        h("div", { class: "who" }, h("strong", null, org.staff?.name ?? org.account), h("span", { class: "unit-name" }, org.unit?.name ?? "")),
        liveEl,
        button("退出", () => void logout(), "link"),
      ),
      h(
        "nav",
        { class: "tabs" },
        STAFF_FOLDERS.map(([folder, label]) => h("a", { href: `#/t/${folder}`, "data-nav": `#/t/${folder}`, "data-folder": folder }, h("span", null, label), countBadge(folder))),
      ),
    ),
    h("main", { class: "main phone" }, (flashEl = h("div", { class: "flashes" })), (mainEl = h("div", { id: "view" }))),
  );
}

export async function boot(element: HTMLElement): Promise<void> {
  root = element;
  api.setOnExpired((message) => showLogin(message));
  route(/^#\/password$/, () => showChangePassword("", false));
  const session = api.current();
  if (!session) return showLogin();
  if (session.must_change_password) return showChangePassword("", true);
  try {
    await start();
  } catch (e) {
    if (!(e instanceof api.ApiError && e.code === "unauthenticated")) showLogin(api.describe(e));
  }
}
