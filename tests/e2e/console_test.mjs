// The web console end to end: Debian's Chromium, headless, driven by playwright-core, against a
// real dispatchd serving the built console. The organisation of the seed's walkthrough is loaded
// with dispatchctl, and 55 orders for the paging step (more than the console's page of 50);
// everything else happens through the browser as the real accounts, each changing its initial
// password at first login:
//   ZHKF (客服中心) enters an order (工单录入) and dispatches it (派下级单位) to S2100911;
//   S2100911 (售后网点) batch-assigns it (批量指派给工人) to 测试员2 with 测试员1 as helper;
//   测试员2 (S21009110002), on a phone-sized page with a granted location, accepts it, checks in,
//   has a non-image ".jpg" refused, captures two units with photos and completes the order;
//   the outlet, without reloading, sees it arrive in 待关闭, opens the photos and closes it;
//   ZHKF sees it in its subordinate units' table and finds it with 工单查询;
//   on a second order S2100911 asks for reassignment (申请改派), ZHKF rejects it (驳回), and the
//   outlet reports completion itself (安装报完工) with a barcode photo;
//   on a third order, assigned to 测试员2, he refuses it (拒绝工单) with a reason: it leaves his
//   待接收 and is back in the outlet's 安装待派工, its timeline showing the refusal and reason;
//   S2100911 then asks to hand it back (申请改派) and ZHKF approves (同意改派): it is in ZHKF's
//   安装待派工 again and in none of the outlet's folders;
//   ZHKF opens S2100912's 安装待派工 (the preloaded orders) from its subordinate units:
//   加载更多 adds the five after the first page, none twice; in 工单查询 下一页 shows the other
//   five and 上一页 the same first page again;
//   S2100911 changes its password again with 修改密码 (返回 first leaves it unchanged); after 退出
//   the old password is refused and the new one logs in.
// Also: a customer name of markup is shown as text; another outlet's token cannot fetch a photo;
// an expired session sends the browser back to login (a second daemon with --session-ttl 4).
// Screenshots of each screen go to the artifacts directory, named by step.
//
// usage: node console_test.mjs DISPATCHD DISPATCHCTL CONSOLE_DIST SOURCE_DIR ARTIFACTS_DIR
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRequire } from "node:module";

const [dispatchd, dispatchctl, dist, sourceDir, artifacts] = process.argv.slice(2);
if (!artifacts) {
  console.error("usage: console_test.mjs DISPATCHD DISPATCHCTL CONSOLE_DIST SOURCE_DIR ARTIFACTS_DIR");
  process.exit(2);
}
const CHROMIUM = "/usr/bin/chromium";
const started = Date.now();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);

function die(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}
if (!fs.existsSync(CHROMIUM)) die(`${CHROMIUM} is missing: run tools/setup (Debian package chromium)`);
if (!fs.existsSync(path.join(dist, "index.html")) || !fs.existsSync(path.join(dist, "app.js"))) {
  die(`the console is not built in ${dist}: run tools/setup, then build`);
}
let chromium;
try {
  ({ chromium } = createRequire(path.join(sourceDir, "tools/console/package.json"))("playwright-core"));
} catch (e) {
  die(`playwright-core is missing from tools/console/node_modules: run tools/setup (${e.message})`);
}

class AssertionError extends Error {}
function check(condition, message) {
  if (!condition) throw new AssertionError(message);
}

// Waits until `probe()` returns a truthy value; fails with `message` and the last value seen.
async function until(probe, message, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > deadline) throw new AssertionError(`${message} (last seen: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const textOf = (page, selector) => page.locator(selector).first().textContent({ timeout: 2000 });
async function expectText(page, selector, expected, timeout) {
  return until(async () => {
    const t = await textOf(page, selector);
    return (expected instanceof RegExp ? expected.test(t) : t.includes(expected)) && t;
  }, `${selector} shows ${expected}`, timeout);
}
async function expectCount(page, folder, n, timeout) {
  return expectText(page, `[data-count="${folder}"]`, new RegExp(`^${n}$`), timeout);
}

fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const shots = [];
async function shot(page, name) {
  const file = path.join(artifacts, `${name}.png`);
  await page.evaluate(() => window.scrollTo(0, 0));  // sticky headers where they belong
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

// ---- daemons ---------------------------------------------------------------------------------

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "console-e2e-"));
const daemons = [];

// Loads the organisation and then the `more` commands.
function loadOrganisation(data, more = []) {
  const lines = fs
    .readFileSync(path.join(sourceDir, "tools/data/walkthrough.jsonl"), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .filter((l) => ["RegisterUnit", "RegisterStaff", "LinkServiceOutlet", "RouteRegion"].includes(JSON.parse(l).type));
  check(lines.length === 12, `the walkthrough's organisation is 12 commands, not ${lines.length}`);
  const file = path.join(scratch, "org.jsonl");
  fs.writeFileSync(file, [...lines, ...more.map((c) => JSON.stringify(c))].join("\n") + "\n");
  const r = spawnSync(dispatchctl, ["apply", file, "--data", data, "--json"], { encoding: "utf8" });
  check(r.status === 0, `dispatchctl apply failed: ${r.stderr}`);
  const replies = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  check(replies.length === lines.length + more.length && replies.every((x) => x.ok), `organisation or orders refused: ${r.stdout}`);
}

// More orders than a page of the console (PAGE in outlet.ts, read from there) for the paging
// step: ZHKF enters five more than a page and passes them all to S2100912 in one batch, so they
// share one update time and only the cursor's tie-break keeps the pages apart. S2100912 has no
// other order on the main daemon; their phone is one no other order uses, for the order query.
const PAGE = Number(/^const PAGE = (\d+);$/m.exec(fs.readFileSync(path.join(sourceDir, "tools/console/src/outlet.ts"), "utf8"))?.[1]);
if (!(PAGE > 0)) die("tools/console/src/outlet.ts no longer defines its page size as `const PAGE = N;`");
const PAGING_PHONE = "13500000000";
const pagingIds = Array.from({ length: PAGE + 5 }, (_, i) => `AZFY${String(i + 1).padStart(4, "0")}`);
const pagingOrders = [
  ...pagingIds.map((order_id, i) => ({
    id: `e2e-page-${i + 1}`, type: "CreateOrder", actor: "ZHKF", order_id, kind: "installation",
    customer: { name: `分页客户${i + 1}`, phone: PAGING_PHONE, province: "广东省", city: "珠海市", district: "金湾区", address: `金湾路${i + 1}号` },
    items: [{ model: "KFR-26GW", quantity: 1 }],
  })),
  { id: "e2e-page-dispatch", type: "DispatchToUnit", actor: "ZHKF", order_ids: pagingIds, unit: "S2100912" },
];

async function startDaemon(name, extra = [], more = []) {
  const data = path.join(scratch, name);
  loadOrganisation(data, more);
  const ready = path.join(scratch, `${name}.ready`);
  const proc = spawn(
    dispatchd,
    ["--data", data, "--http", "127.0.0.1:0", "--listen", "tcp://127.0.0.1:*", "--publish", "tcp://127.0.0.1:*",
      "--ready-file", ready, "--password-hashing", "minimum", "--web-root", dist, "--log-level", "warn", ...extra],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  const daemon = { proc, exited: false };
  proc.on("exit", () => (daemon.exited = true));
  daemons.push(daemon);
  const info = await until(() => {
    if (daemon.exited) throw new Error("dispatchd exited");
    return fs.existsSync(ready) && JSON.parse(fs.readFileSync(ready, "utf8"));
  }, `dispatchd ${name} ready`, 20000);
  daemon.http = info.http;
  log(`dispatchd ${name} serving ${info.http}`);
  return daemon;
}

async function stopDaemons() {
  for (const d of daemons) {
    if (d.exited) continue;
    d.proc.kill("SIGTERM");
    const deadline = Date.now() + 10000;
    while (!d.exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!d.exited) d.proc.kill("SIGKILL");
  }
}

// ---- the API from Node, for what a browser cannot show ---------------------------------------

async function apiLogin(base, account, password) {
  const r = await fetch(`${base}/api/login`, { method: "POST", body: JSON.stringify({ account, password }) });
  const j = await r.json();
  check(r.status === 200, `login ${account}: ${JSON.stringify(j)}`);
  return j.token;
}

// ---- the browser -----------------------------------------------------------------------------

const PASSWORDS = {};
const newPassword = (account) => (PASSWORDS[account] = `${account}-新密码-2026`);
const dialogs = [];

async function newPage(browser, base, options = {}) {
  const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1360, height: 860 }, ...options });
  const page = await context.newPage();
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => log(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && log(`console error: ${m.text()}`));
  // The console error above names no address: say which request failed and what the server said.
  page.on("response", async (r) => {
    if (r.status() < 400) return;
    const body = await r.text().catch((e) => `(no body: ${e.message})`);
    log(`${r.request().method()} ${r.url()} -> ${r.status()} ${body.slice(0, 300)}`);
  });
  await page.goto(base);
  return page;
}

// Logs in with the initial password (= the account) and makes the forced change.
async function login(page, account, screenshots) {
  await page.waitForSelector("#login");
  await page.fill("input[name=account]", account);
  await page.fill("input[name=password]", account);
  if (screenshots) await shot(page, screenshots[0]);
  await page.click("#login button[type=submit]");
  await page.waitForSelector("#change-password");
  await expectText(page, "#change-password h1", "首次登录,请修改初始密码");
  const pw = newPassword(account);
  await page.fill("input[name=new_password]", pw);
  await page.fill("input[name=confirm_password]", pw);
  if (screenshots) await shot(page, screenshots[1]);
  await page.click("#change-password button[type=submit]");
  await page.waitForSelector(".topbar");
  await page.waitForSelector('.live[data-live="on"]');
}

async function makePhoto(page, label, color) {
  const url = await page.evaluate(
    ([label, color]) => {
      const c = document.createElement("canvas");
      c.width = 800;
      c.height = 600;
      const g = c.getContext("2d");
      g.fillStyle = color;
      g.fillRect(0, 0, 800, 600);
      g.fillStyle = "#fff";
      g.fillRect(60, 330, 680, 200);
      g.fillStyle = "#111";
      for (let i = 0; i < 90; i++) g.fillRect(80 + i * 7, 350, 1 + (i * 7) % 4, 130);
      g.font = "bold 30px monospace";
      g.fillText(label, 80, 515);
      g.fillStyle = "#fff";
      g.font = "bold 44px sans-serif";
      g.fillText("GREE 条码照片", 60, 120);
      return c.toDataURL("image/jpeg", 0.85);
    },
    [label, color],
  );
  return Buffer.from(url.split(",")[1], "base64");
}

async function main() {
  const site = await startDaemon("main", [], pagingOrders);
  const base = site.http;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  const pages = [];
  try {
    // 1. The service center enters an order and dispatches it down.
    const center = await newPage(browser, base);
    pages.push(center);
    await login(center, "ZHKF", ["01-login", "02-change-password"]);
    await expectText(center, ".topbar .who", "珠海客服中心");
    await center.waitForSelector('a[data-folder="install_pending_dispatch"].active');
    await shot(center, "03-center-console");
    await center.click('a[href="#/new"]');
    await center.waitForSelector("#order-entry");
    const required = await center.locator("#order-entry .req").count();
    check(required >= 4, `order entry marks its required fields with * (${required})`);
    await center.fill("input[name=customer_name]", "王先生");
    await center.fill("input[name=customer_phone]", "13912345678");
    await center.fill("input[name=district]", "香洲区");
    await center.fill("input[name=address]", "凤凰北路1号");
    await center.fill("textarea[name=note]", "客户要求上午安装");
    await center.fill("input[name=model]", "KFR-35GW/(35592)FNhAa-A1");
    await center.fill("input[name=quantity]", "2");
    await center.click('[data-action="add-line"]');
    await expectText(center, "table.lines tbody", "KFR-35GW/(35592)FNhAa-A1");
    await shot(center, "04-order-entry");
    await center.click("#order-entry button[type=submit]");
    const orderId = (await expectText(center, "#order-saved .order-link", /^\S+$/)).trim();
    log(`order ${orderId} entered`);
    await center.click('a[data-folder="install_pending_dispatch"]');
    await center.waitForSelector(`tr[data-order="${orderId}"]`);
    await expectCount(center, "install_pending_dispatch", 1);
    await expectText(center, `tr[data-order="${orderId}"] .customer-name`, "王先生");
    await center.check(`input.row-check[data-order="${orderId}"]`);
    await center.click('[data-action="dispatch"]');
    await center.selectOption("select[name=unit]", "S2100911");
    await shot(center, "05-center-dispatch");
    await center.click('[data-action="confirm-dispatch"]');
    await center.waitForSelector(`tr[data-order="${orderId}"]`, { state: "detached" });
    await expectCount(center, "install_pending_dispatch", 0);

    // 2. The outlet assigns it to a technician with a helper, as a batch.
    const outlet = await newPage(browser, base);
    pages.push(outlet);
    await login(outlet, "S2100911");
    await expectCount(outlet, "install_pending_dispatch", 1);
    await outlet.waitForSelector(`tr[data-order="${orderId}"]`);
    await shot(outlet, "06-outlet-console");
    await outlet.check(`input.row-check[data-order="${orderId}"]`);
    await expectText(outlet, ".chosen", "已选 1 单");
    await outlet.click('[data-action="assign"]');
    await outlet.selectOption("select[name=primary]", "S21009110002");
    await outlet.check('input[name=assistant][value="S21009110001"]');
    await shot(outlet, "07-outlet-batch-assign");
    await outlet.click('[data-action="confirm-assign"]');
    await outlet.waitForSelector(`tr[data-order="${orderId}"]`, { state: "detached" });
    await expectCount(outlet, "in_progress", 1);
    await outlet.click('a[data-folder="in_progress"]');
    await outlet.waitForSelector(`tr[data-order="${orderId}"]`);
    await outlet.evaluate(() => (window.__sameDocument = "not reloaded"));

    // 3. The technician, on a phone with a location.
    const tech = await newPage(browser, base, {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      geolocation: { latitude: 22.271, longitude: 113.5767 },
      permissions: ["geolocation"],
    });
    pages.push(tech);
    await login(tech, "S21009110002");
    await tech.waitForSelector(`.order-card[data-order="${orderId}"]`);
    await expectCount(tech, "to_accept", 1);
    await expectText(tech, `.order-card[data-order="${orderId}"] .customer-name`, "王先生");
    await shot(tech, "08-tech-to-accept");
    await tech.click(`.order-card[data-order="${orderId}"] [data-action="accept"]`);
    await tech.waitForSelector(`.order-card[data-order="${orderId}"]`, { state: "detached" });
    await expectCount(tech, "to_process", 1);
    await tech.click('a[data-folder="to_process"]');
    await tech.click(`.order-card[data-order="${orderId}"] [data-action="open"]`);
    await tech.waitForSelector('[data-action="check-in"]');
    await shot(tech, "09-tech-order");
    await tech.click('[data-action="check-in"]');
    await expectText(tech, "#checked-in", "22.2710, 113.5767");

    // A ".jpg" that is no picture is refused, and the page says so.
    await tech.setInputFiles("input[name=photos]", { name: "barcode.jpg", mimeType: "image/jpeg", buffer: Buffer.from("<html><script>alert(1)</script></html>") });
    await expectText(tech, ".picker .form-error", "上传失败");
    await expectText(tech, ".picker .form-error", "barcode.jpg");
    check((await tech.locator(".picker canvas.thumb").count()) === 0, "the refused file shows no thumbnail");
    await shot(tech, "10-tech-upload-refused");

    const units = [
      ["N1A0123456789", "W1A0123456789", "#1c7ed6", "#2b8a3e"],
      ["N1A0123456790", "W1A0123456790", "#ae3ec9", "#e8590c"],
    ];
    for (const [i, [indoor, outdoor, c1, c2]] of units.entries()) {
      await tech.fill("input[name=indoor_barcode]", indoor);
      await tech.fill("input[name=outdoor_barcode]", outdoor);
      await tech.setInputFiles("input[name=photos]", [
        { name: `indoor-${i + 1}.jpg`, mimeType: "image/jpeg", buffer: await makePhoto(tech, indoor, c1) },
        { name: `outdoor-${i + 1}.jpg`, mimeType: "image/jpeg", buffer: await makePhoto(tech, outdoor, c2) },
      ]);
      await until(async () => (await tech.locator('.capture-form canvas[data-state="uploaded"]').count()) === 2, "two photos uploaded");
      if (i === 0) await shot(tech, "11-tech-capture");
      await tech.click('[data-action="save-unit"]');
      await expectText(tech, "#capture h2", `已保存 ${i + 1} 台`);
    }
    await expectText(tech, "#capture", "W1A0123456790");
    await shot(tech, "12-tech-two-units");
    await tech.click('[data-action="complete"]');
    await tech.waitForSelector(`.order-card[data-order="${orderId}"]`);
    await expectText(tech, "h1.phone-title", "已完结");
    await expectCount(tech, "to_process", 0);
    await expectCount(tech, "completed", 1);
    await shot(tech, "13-tech-completed");

    // 4. The outlet sees it arrive in 待关闭 without reloading, checks the photos, closes it.
    await expectCount(outlet, "pending_close", 1, 15000);
    await outlet.waitForSelector(`tr[data-order="${orderId}"]`, { state: "detached" });
    check((await outlet.evaluate(() => window.__sameDocument)) === "not reloaded", "the outlet's page was not reloaded");
    await shot(outlet, "14-outlet-live-pending-close");
    await outlet.click('a[data-folder="pending_close"]');
    await outlet.click(`tr[data-order="${orderId}"] a.order-link`);
    await outlet.waitForSelector("#captured");
    await expectText(outlet, "#captured", "N1A0123456789");
    await expectText(outlet, "#captured", "W1A0123456790");
    await until(async () => (await outlet.locator('#captured canvas[data-state="loaded"]').count()) === 4, "four photos shown");
    const firstPixel = await outlet.locator("#captured canvas.thumb").first().evaluate((c) => Array.from(c.getContext("2d").getImageData(4, 4, 1, 1).data));
    check(Math.abs(firstPixel[0] - 0x1c) < 24 && Math.abs(firstPixel[2] - 0xd6) < 24, `the first photo is unit 1's indoor one, as taken (pixel ${firstPixel})`);
    await expectText(outlet, ".timeline", "上门签到");
    await expectText(outlet, ".timeline", "完结工单");
    await shot(outlet, "15-outlet-detail-photos");
    await outlet.locator('#captured canvas[data-state="loaded"]').first().click();
    await outlet.waitForSelector('.viewer canvas[data-state="loaded"]');
    await shot(outlet, "16-outlet-photo-viewer");
    await outlet.click(".viewer .btn");
    await outlet.click('[data-action="close"]');
    await expectText(outlet, "h1 .status", "已关闭");
    await expectCount(outlet, "pending_close", 0);
    await expectCount(outlet, "closed", 1);
    await shot(outlet, "17-outlet-closed");

    // Photos: the outlet may fetch them, a sibling outlet may not (404, as an order it cannot see).
    const refs = await outlet.$$eval("#captured canvas[data-photo]", (els) => els.map((e) => e.dataset.photo));
    check(refs.length === 4 && refs.every((r) => /^sha256:[0-9a-f]{64}$/.test(r)), `photo references ${refs}`);
    const outletToken = await outlet.evaluate(() => JSON.parse(sessionStorage.getItem("dispatch.session")).token);
    const own = await fetch(`${base}/api/photos/${refs[0]}`, { headers: { Authorization: `Bearer ${outletToken}` } });
    check(own.status === 200 && own.headers.get("content-type") === "image/jpeg", `the outlet fetches its photo (${own.status})`);
    const siblingToken = await apiLogin(base, "S2100912", "S2100912");
    const changed = await fetch(`${base}/api/change_password`, {
      method: "POST",
      headers: { Authorization: `Bearer ${siblingToken}` },
      body: JSON.stringify({ old_password: "S2100912", new_password: newPassword("S2100912") }),
    });
    check(changed.status === 200, "S2100912 changes its password");
    for (const ref of refs) {
      const other = await fetch(`${base}/api/photos/${ref}`, { headers: { Authorization: `Bearer ${siblingToken}` } });
      check(other.status === 404, `another outlet's token fetches a photo: ${other.status}`);
    }
    log("photos: 200 for the outlet, 404 for S2100912");

    // 5. The center's view of its subordinate units, drilling down, and the order query.
    await center.click('a[href="#/units"]');
    await center.waitForSelector('#units-table tr[data-unit="S2100911"]');
    const row = await textOf(center, '#units-table tr[data-unit="S2100911"]');
    check(row.includes("珠海香洲售后网点"), `the subordinate row names the outlet: ${row}`);
    const closedColumn = await center.locator('#units-table tr[data-unit="S2100911"] td.n').nth(6).textContent();
    check(closedColumn.trim() === "1", `the outlet's 已关闭 count is 1, not ${closedColumn}`);
    await shot(center, "18-center-subordinates");
    await center.click('#units-table tr[data-unit="S2100911"] a.unit-link');
    await center.waitForSelector('#units-table tr[data-unit="S2100911-01"]');
    await expectText(center, ".crumbs", "珠海香洲售后网点");
    await shot(center, "19-center-drill-down");
    await center.click('a[href="#/query"]');
    await center.fill("#order-query input[name=phone]", "13912345678");
    await center.selectOption("#order-query select[name=status]", "closed");
    await center.click("#order-query button[type=submit]");
    await center.waitForSelector(`#query-results tr[data-order="${orderId}"]`);
    check((await center.locator("#query-results tbody tr").count()) === 1, "the query finds exactly the order");
    await shot(center, "20-center-order-query");

    // 6. Markup in a customer's name is shown as text, never run.
    const xss = "<img src=x onerror=alert(1)>";
    await center.click('a[href="#/new"]');
    await center.fill("input[name=customer_name]", xss);
    await center.fill("input[name=customer_phone]", "13700000000");
    await center.fill("input[name=address]", "<b>情侣中路</b>9号");
    await center.fill("input[name=model]", "KFR-26GW");
    await center.click('[data-action="add-line"]');
    await center.click("#order-entry button[type=submit]");
    const xssId = (await expectText(center, "#order-saved .order-link", /^\S+$/)).trim();
    await center.click('a[data-folder="install_pending_dispatch"]');
    await expectText(center, `tr[data-order="${xssId}"] .customer-name`, xss);
    await center.click(`tr[data-order="${xssId}"] a.order-link`);
    await expectText(center, "dd.customer-name", xss);
    check((await center.locator('img[src="x"]').count()) === 0, "no <img src=x> element exists");
    check((await center.locator("dd b").count()) === 0, "no <b> element from the address");
    await center.waitForTimeout(300);
    check(dialogs.length === 0, `no dialog fired (${dialogs})`);
    await shot(center, "21-xss-shown-as-text");

    // 7. Reassignment: the outlet asks to hand an order back, the center rejects (驳回).
    await center.click('[data-action="dispatch"]');
    await center.selectOption("select[name=unit]", "S2100911");
    await center.click('[data-action="confirm-dispatch"]');
    await expectText(center, "dl.kv", "当前单位珠海香洲售后网点(S2100911)");
    await outlet.click('a[data-folder="install_pending_dispatch"]');
    await outlet.click(`tr[data-order="${xssId}"] a.order-link`);
    await outlet.click('[data-action="reassign"]');
    await outlet.fill('[data-panel="reassign"] textarea[name=reason]', "该地址不在本网点服务范围");
    await outlet.click('[data-action="confirm-reassign"]');
    await expectText(outlet, "h1 .status", "待审批改派");
    await expectCount(center, "pending_reassignment_approval", 1, 15000);
    await center.click('a[data-folder="pending_reassignment_approval"]');
    await center.click(`tr[data-order="${xssId}"] a.order-link`);
    await expectText(center, ".flash-warn", "该地址不在本网点服务范围");
    await shot(center, "22-center-reassignment-request");
    await center.click('[data-action="reject"]');
    await center.fill('[data-panel="reject"] textarea[name=reason]', "请先联系客户确认地址");
    await center.click('[data-action="confirm-reject"]');
    await expectText(center, "h1 .status", "待网点派工");
    await expectCount(center, "pending_reassignment_approval", 0);
    await expectText(outlet, ".timeline", "驳回改派", 15000);

    // The fallback: the outlet reports completion for its technician (安装报完工); it closes at once.
    await outlet.click('[data-action="report"]');
    await outlet.fill('[data-panel="report"] input[name=indoor_barcode]', "N1A0999000001");
    await outlet.fill('[data-panel="report"] input[name=outdoor_barcode]', "W1A0999000001");
    await outlet.setInputFiles('[data-panel="report"] input[name=photos]', [
      { name: "in-9.jpg", mimeType: "image/jpeg", buffer: await makePhoto(outlet, "N1A0999000001", "#1098ad") },
    ]);
    await until(async () => (await outlet.locator('[data-panel="report"] canvas[data-state="uploaded"]').count()) === 1, "the report's photo uploaded");
    await outlet.click('[data-action="add-unit"]');
    await expectText(outlet, '[data-panel="report"] .unit-card', "W1A0999000001");
    await shot(outlet, "23-outlet-report-completion");
    await outlet.click('[data-action="confirm-report"]');
    await expectText(outlet, "h1 .status", "已关闭");
    await expectText(outlet, ".timeline", "安装报完工");
    await expectCount(outlet, "closed", 2);

    // 8. A technician refuses an order (拒绝工单) with a reason: it leaves his 待接收, comes back to
    // the outlet's 安装待派工 without a reload, and its history says who refused it and why.
    await center.click('a[href="#/new"]');
    await center.fill("input[name=customer_name]", "赵女士");
    await center.fill("input[name=customer_phone]", "13812345678");
    await center.fill("input[name=district]", "香洲区");
    await center.fill("input[name=address]", "景山路5号");
    await center.fill("input[name=model]", "KFR-50LW");
    await center.click('[data-action="add-line"]');
    await center.click("#order-entry button[type=submit]");
    const refusedId = (await expectText(center, "#order-saved .order-link", /^\S+$/)).trim();
    await center.click("#order-saved .order-link");
    await center.click('[data-action="dispatch"]');
    await center.selectOption("select[name=unit]", "S2100911");
    await center.click('[data-action="confirm-dispatch"]');
    await expectText(center, "dl.kv", "当前单位珠海香洲售后网点(S2100911)");
    await expectCount(outlet, "install_pending_dispatch", 1, 15000);
    await outlet.click('a[data-folder="install_pending_dispatch"]');
    await outlet.click(`tr[data-order="${refusedId}"] a.order-link`);
    await outlet.click('[data-action="assign"]');
    await outlet.selectOption('[data-panel="assign"] select[name=primary]', "S21009110002");
    await outlet.click('[data-action="confirm-assign"]');
    await expectText(outlet, "h1 .status", "待接收");
    await expectCount(outlet, "install_pending_dispatch", 0);
    await tech.click('a[data-folder="to_accept"]');
    const refusing = tech.locator(`.order-card[data-order="${refusedId}"]`);
    await refusing.waitFor();
    await expectCount(tech, "to_accept", 1);
    await refusing.locator('[data-action="refuse"]').click();
    await refusing.locator('[data-action="confirm-refuse"]').click();  // no reason yet: the page asks for one
    await expectText(tech, ".flash-error", "请填写拒绝原因");
    await refusing.locator("textarea[name=reason]").fill("客户临时出差,约不到上门时间");
    await shot(tech, "24-tech-refuse-reason");
    await refusing.locator('[data-action="confirm-refuse"]').click();
    await refusing.waitFor({ state: "detached" });
    await expectText(tech, "#view", "暂无工单");
    await expectCount(tech, "to_accept", 0);
    await shot(tech, "25-tech-refused");
    // The outlet still shows the order's details: they follow the refusal live.
    await expectText(outlet, "h1 .status", "待网点派工", 15000);
    const refusal = await expectText(outlet, '.timeline li[data-event="OrderRefused"]', "原因:客户临时出差,约不到上门时间");
    check(refusal.includes("拒绝工单") && refusal.includes("测试员2(S21009110002)"), `the timeline names the refusal and who refused: ${refusal}`);
    await expectCount(outlet, "install_pending_dispatch", 1);
    await expectCount(outlet, "in_progress", 0);
    await shot(outlet, "26-outlet-refusal-in-timeline");
    await outlet.click('a[data-folder="install_pending_dispatch"]');
    await expectText(outlet, `tr[data-order="${refusedId}"] .status`, "待网点派工");
    await shot(outlet, "27-outlet-refused-back-pending");

    // 9. Reassignment approved (同意改派): the outlet asks to hand the refused order back, the center
    // approves; it returns to the center's 安装待派工 and is in none of the outlet's folders.
    await outlet.click(`tr[data-order="${refusedId}"] a.order-link`);
    await outlet.click('[data-action="reassign"]');
    await outlet.fill('[data-panel="reassign"] textarea[name=reason]', "本网点暂无人手上门,请改派其他网点");
    await outlet.click('[data-action="confirm-reassign"]');
    await expectText(outlet, "h1 .status", "待审批改派");
    await expectCount(center, "pending_reassignment_approval", 1, 15000);
    await center.click('a[data-folder="pending_reassignment_approval"]');
    await center.click(`tr[data-order="${refusedId}"] a.order-link`);
    await expectText(center, ".flash-warn", "本网点暂无人手上门,请改派其他网点");
    await shot(center, "28-center-approve-request");
    await center.click('[data-action="approve"]');
    await expectText(center, "h1 .status", "待网点派工");
    await expectText(center, "dl.kv", "当前单位珠海客服中心(ZHKF)");
    await expectText(center, '.timeline li[data-event="ReassignmentApproved"]', "退回 珠海客服中心(ZHKF)");
    await expectCount(center, "pending_reassignment_approval", 0);
    await expectCount(center, "install_pending_dispatch", 1);
    await center.click('a[data-folder="install_pending_dispatch"]');
    await expectText(center, `tr[data-order="${refusedId}"] .status`, "待网点派工");
    await shot(center, "29-center-approved-back-pending");
    // The outlet looks in each of its folders (each click queries afresh). Its open detail gets no
    // notice of the approval (it changed none of the outlet's folders), so it is not checked.
    for (const [folder, n] of [["install_pending_dispatch", 0], ["pending_reassignment_approval", 0], ["in_progress", 0], ["pending_close", 0], ["closed", 2]]) {
      await expectCount(outlet, folder, n);
      const label = (await textOf(outlet, `a[data-folder="${folder}"] .folder-name`)).trim();
      await outlet.click(`a[data-folder="${folder}"]`);
      await expectText(outlet, "#view h1", new RegExp(`^${label}共 ${n} 单$`));  // this folder's view, not the last one's
      check((await outlet.locator(`tr[data-order="${refusedId}"]`).count()) === 0, `the approved order is still in the outlet's ${folder}`);
    }
    await outlet.click('a[data-folder="install_pending_dispatch"]');
    await expectText(outlet, "table.orders tbody", "没有工单");
    await shot(outlet, "30-outlet-approved-gone");

    // 10. Paging: S2100912 holds the preloaded orders, one page and five more. The center opens
    // that folder from its subordinate units; 加载更多 adds the five below the first page.
    // n rows, all of the preloaded orders: the query view first lists every order, unfiltered.
    const rowIds = (selector) => center.$$eval(`${selector} tbody tr[data-order]`, (trs) => trs.map((tr) => tr.dataset.order));
    const showing = (selector, n) => until(async () => {
      const ids = await rowIds(selector);
      return ids.length === n && ids.every((id) => pagingIds.includes(id)) && ids;
    }, `${selector} shows ${n} of the preloaded orders`);
    await center.click('a[href="#/units"]');
    const pagingLink = '#units-table tr[data-unit="S2100912"] a[href="#/folder/install_pending_dispatch/S2100912"]';
    await expectText(center, pagingLink, String(pagingIds.length));
    await center.click(pagingLink);
    await expectText(center, "#view h1 .total", `共 ${pagingIds.length} 单`);
    await expectText(center, "#view h1 .owner", "珠海金湾售后网点(S2100912)");
    const firstPage = await showing("table.orders", PAGE);
    await expectText(center, ".more button", "加载更多");
    await shot(center, "31-center-folder-first-page");
    await center.click(".more button");
    const loaded = await showing("table.orders", pagingIds.length);
    check(firstPage.every((id, i) => loaded[i] === id), "the first page stays on top, in its order");
    const rest = loaded.slice(PAGE);
    check(rest.every((id) => !firstPage.includes(id)), `an order is on both pages: ${rest.filter((id) => firstPage.includes(id))}`);
    check(new Set(loaded).size === loaded.length && pagingIds.every((id) => loaded.includes(id)), `every order once: ${loaded}`);
    check((await center.locator(".more button").count()) === 0, "no 加载更多 after the last page");
    await shot(center, "32-center-folder-loaded-more");

    // The order query pages instead: 下一页 shows the other five, 上一页 the same first page again.
    await center.click('a[href="#/query"]');
    await center.fill("#order-query input[name=phone]", PAGING_PHONE);
    await center.click("#order-query button[type=submit]");
    const queryFirst = await showing("#query-results", PAGE);
    await expectText(center, "#query-results .hint", `${PAGE} 单(还有更多)`);
    check((await center.locator('#query-results button:has-text("上一页")').count()) === 0, "no 上一页 on the first page");
    await center.click('#query-results button:has-text("下一页")');
    const querySecond = await showing("#query-results", pagingIds.length - PAGE);
    check(querySecond.every((id) => !queryFirst.includes(id)), `an order is on both pages: ${querySecond.filter((id) => queryFirst.includes(id))}`);
    const unseen = pagingIds.filter((id) => !queryFirst.includes(id) && !querySecond.includes(id));
    check(unseen.length === 0, `the two pages miss ${unseen} (first ${queryFirst}; second ${querySecond})`);
    check((await center.locator('#query-results button:has-text("下一页")').count()) === 0, "no 下一页 on the last page");
    await shot(center, "33-center-query-second-page");
    await center.click('#query-results button:has-text("上一页")');
    const queryAgain = await showing("#query-results", PAGE);
    check(queryAgain.join() === queryFirst.join(), "上一页 shows the first page again, in its order");

    // 11. 修改密码 after the first login: 返回 leaves the form unchanged; then the outlet changes its
    // password again and is back in its console; after 退出 the old password is refused and the new
    // one logs in straight to the console. (Both buttons used to show the same form again.)
    const oldPassword = PASSWORDS.S2100911;
    const changedPassword = (PASSWORDS.S2100911 = "S2100911-再次修改-2026");
    await outlet.click('a[href="#/password"]');
    await expectText(outlet, "#change-password h1", "修改密码");
    await outlet.click('#change-password button:has-text("返回")');
    await outlet.waitForSelector('a[data-folder="install_pending_dispatch"].active');
    await outlet.click('a[href="#/password"]');
    await expectText(outlet, "#change-password h1", "修改密码");
    await outlet.fill("#change-password input[name=old_password]", oldPassword);
    await outlet.fill("#change-password input[name=new_password]", changedPassword);
    await outlet.fill("#change-password input[name=confirm_password]", changedPassword);
    await shot(outlet, "34-outlet-change-password");
    await outlet.click("#change-password button[type=submit]");
    await outlet.waitForSelector('a[data-folder="install_pending_dispatch"].active');
    await outlet.waitForSelector('.live[data-live="on"]');
    await outlet.click('.topnav button:has-text("退出")');
    await outlet.waitForSelector("#login");
    await outlet.fill("input[name=account]", "S2100911");
    await outlet.fill("input[name=password]", oldPassword);
    await outlet.click("#login button[type=submit]");
    await expectText(outlet, "#login .form-error", "账号或密码错误");
    await outlet.fill("input[name=password]", changedPassword);
    await outlet.click("#login button[type=submit]");
    await outlet.waitForSelector(".topbar");
    check((await outlet.locator("#change-password").count()) === 0, "no forced change after a changed password");
    await expectText(outlet, ".topbar .who", "珠海香洲售后网点");
    await expectCount(outlet, "closed", 2);
    await shot(outlet, "35-outlet-new-password-login");

    // 12. An expired session sends the browser back to login.
    const short = await startDaemon("short", ["--session-ttl", "4"]);
    const expiring = await newPage(browser, short.http);
    pages.push(expiring);
    await login(expiring, "S2100912");
    await expectText(expiring, ".topbar .who", "珠海金湾售后网点");
    await expiring.waitForTimeout(4500);
    await expiring.click('a[data-folder="closed"]');
    await expiring.waitForSelector("#login");
    await expectText(expiring, "#login .form-error", "登录已过期");
    check((await expiring.evaluate(() => sessionStorage.getItem("dispatch.session"))) === null, "the expired token is forgotten");
    await shot(expiring, "36-expired-back-to-login");
  } catch (e) {
    for (const [i, p] of pages.entries()) {
      try {
        await p.screenshot({ path: path.join(artifacts, `failure-${i}.png`), fullPage: true });
      } catch {}
    }
    throw e;
  } finally {
    await browser.close();
  }
}

let code = 0;
try {
  await main();
  log(`PASS: ${shots.length} screenshots in ${artifacts}`);
} catch (e) {
  console.error(`FAIL: ${e instanceof AssertionError ? e.message : e.stack}`);
  code = 1;
} finally {
  await stopDaemons();
  fs.rmSync(scratch, { recursive: true, force: true });
}
process.exit(code);
