// dispatchd's HTTP API (README.md, "HTTP"): the token only in the Authorization header, replies
// as the wire's JSON. A 401 on any call but login means the session ended: onExpired sends the
// browser back to the login screen.

export class ApiError extends Error {
  constructor(
    public code: string,
    message: string,
    public status: number,
    public field?: string,
  ) {
    super(message);
  }
}

const KEY = "dispatch.session";

export interface Session {
  token: string;
  account: string;
  must_change_password: boolean;
}

let session: Session | null = null;
try {
  const saved = sessionStorage.getItem(KEY);
  if (saved) session = JSON.parse(saved) as Session;
} catch {
  session = null;
}

export let onExpired: (message: string) => void = () => {};
export function setOnExpired(f: (message: string) => void): void {
  onExpired = f;
}

export function current(): Session | null {
  return session;
}

function save(s: Session | null): void {
  session = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

// Error codes as a clerk reads them; the server's own sentence follows.
const CODES: Record<string, string> = {
  invalid: "输入有误",
  not_found: "找不到",
  forbidden: "无权操作",
  invalid_state: "工单当前状态不允许此操作",
  conflict: "工单刚被他人修改,请重试",
  unavailable: "服务暂时不可用",
  unauthenticated: "未登录或登录已过期",
};

export function describe(e: unknown): string {
  if (e instanceof ApiError) {
    const label = CODES[e.code] ?? e.code;
    return `${label}:${e.message}`;
  }
  return `网络错误:${e instanceof Error ? e.message : String(e)}`;
}

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: BodyInit, contentType?: string): Promise<Json> {
  const headers: Record<string, string> = {};
  if (session) headers["Authorization"] = `Bearer ${session.token}`;
  if (contentType) headers["Content-Type"] = contentType;
  const response = await fetch(path, { method, headers, body, cache: "no-store" });
  let reply: Json;
  try {
    reply = (await response.json()) as Json;
  } catch {
    throw new ApiError("unavailable", `HTTP ${response.status}`, response.status);
  }
  if (!response.ok || reply.ok === false) {
    const error = (reply.error ?? {}) as { code?: string; message?: string; field?: string };
    const err = new ApiError(error.code ?? "unavailable", error.message ?? `HTTP ${response.status}`, response.status, error.field);
    if (response.status === 401 && path !== "/api/login" && session) {
      save(null);
      onExpired("登录已过期或已退出,请重新登录");
    }
    throw err;
  }
  return reply;
}

export async function login(account: string, password: string): Promise<Session> {
  save(null);
  const reply = await call("POST", "/api/login", JSON.stringify({ account, password }), "application/json");
  const s: Session = {
    token: String(reply.token),
    account,
    must_change_password: Boolean(reply.must_change_password),
  };
  save(s);
  return s;
}

export async function changePassword(oldPassword: string, newPassword: string): Promise<void> {
  await call("POST", "/api/change_password", JSON.stringify({ old_password: oldPassword, new_password: newPassword }), "application/json");
  if (session) save({ ...session, must_change_password: false });
}

export async function logout(): Promise<void> {
  try {
    if (session) await call("POST", "/api/logout", "{}", "application/json");
  } finally {
    save(null);
  }
}

export function forget(): void {
  save(null);
}

export async function query<T = Json>(kind: string, params: Record<string, string | number | undefined>): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") qs.set(k, String(v));
  return (await call("GET", `/api/query/${kind}?${qs.toString()}`)) as T;
}

let sequence = 0;
function commandId(): string {
  const random = typeof crypto.randomUUID === "function" ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
  sequence += 1;
  return `web-${random}-${sequence}`;
}

export interface CommandReply {
  ok: boolean;
  order_ids?: string[];
}

// A command that met a network failure or `unavailable` (a node catching up, or not the one that
// decides) is sent again a few times with the same id: the server applies an id once and answers
// a repeat as a duplicate, so a click never takes effect twice.
export async function command(type: string, fields: Json): Promise<CommandReply> {
  const body = JSON.stringify({ id: commandId(), type, ...fields });
  for (let attempt = 0; ; attempt += 1) {
    try {
      return (await call("POST", "/api/commands", body, "application/json")) as unknown as CommandReply;
    } catch (e) {
      const transient = !(e instanceof ApiError) || e.code === "unavailable";
      if (!transient || attempt >= 3) throw e;
      await new Promise((resolve) => setTimeout(resolve, 400 * (attempt + 1)));
    }
  }
}

export async function uploadPhoto(file: Blob): Promise<string> {
  const reply = await call("POST", "/api/photos", file, "application/octet-stream");
  return String(reply.photo);
}

export async function fetchPhoto(ref: string): Promise<Blob> {
  const headers: Record<string, string> = {};
  if (session) headers["Authorization"] = `Bearer ${session.token}`;
  if (!/^sha256:[0-9a-f]{64}$/.test(ref)) throw new ApiError("not_found", `不是已上传的照片:${ref}`, 404);
  const response = await fetch(`/api/photos/${ref}`, { headers, cache: "no-store" });
  if (response.status === 401 && session) {
    save(null);
    onExpired("登录已过期或已退出,请重新登录");
  }
  if (!response.ok) throw new ApiError(response.status === 404 ? "not_found" : "unavailable", `照片 HTTP ${response.status}`, response.status);
  return await response.blob();
}
