// What the console knows about the logged-in account, shared by the views.
import { query } from "./api";

export interface UnitRef {
  unit_id: string;
  name: string;
  kind: string;
  parent?: string;
}
export interface StaffRef {
  staff_id: string;
  name: string;
  phone: string;
  unit?: string;
}
export interface OrgView {
  account: string;
  role: "unit" | "staff" | "admin" | "other";
  unit?: UnitRef;
  parent?: UnitRef;
  staff?: StaffRef;
  children?: UnitRef[];
  linked_outlets?: UnitRef[];
  technicians?: StaffRef[];
}
export interface Customer {
  name: string;
  phone: string;
  province?: string;
  city?: string;
  district?: string;
  address: string;
}
export interface OrderRow {
  order_id: string;
  kind: string;
  status: string;
  holder: string;
  customer: Customer;
  created_at: string;
  updated_at: string;
}
export interface CapturedUnit {
  indoor_barcode: string;
  outdoor_barcode: string;
  photos: string[];
}
export interface HistoryEvent {
  type: string;
  actor: string;
  at: string;
  position: number;
  [key: string]: unknown;
}
export interface Order extends OrderRow {
  creator: string;
  primary: string | null;
  assistants: string[];
  items: Array<{ model: string; quantity: number }>;
  units: CapturedUnit[];
  feedback: Array<{ actor: string; at: string; text: string }>;
  source: { platform?: string; platform_order_id?: string } | null;
  note: string;
  path: string[];
  checked_in: boolean;
  lat: number;
  lon: number;
  reassignment_reason: string;
  cancel_reason: string;
  history: HistoryEvent[];
}
export interface FolderPage {
  owner: string;
  folder: string;
  total: number;
  orders: OrderRow[];
  next: string | null;
}
export interface Stats {
  unit: string;
  own: Record<string, number>;
  subtree: Record<string, number>;
}

export const state = {
  org: null as OrgView | null,
  names: new Map<string, string>(),
};

export function me(): string {
  return state.org?.account ?? "";
}

export function nameOf(id: string | null | undefined): string {
  if (!id) return "";
  const name = state.names.get(id);
  return name ? `${name}(${id})` : id;
}

export function remember(units: UnitRef[] | undefined, staff?: StaffRef[]): void {
  for (const u of units ?? []) state.names.set(u.unit_id, u.name);
  for (const s of staff ?? []) state.names.set(s.staff_id, s.name);
}

export async function loadOrg(): Promise<OrgView> {
  const org = await query<OrgView>("org", {});
  state.org = org;
  state.names.clear();
  if (org.unit) remember([org.unit]);
  if (org.parent) remember([org.parent]);
  if (org.staff) remember([], [org.staff]);
  remember(org.children, org.technicians);
  remember(org.linked_outlets);
  return org;
}

// Where this unit can pass an order: its subordinate units, and for a sales unit the service
// outlets it is linked to (派对应售后网点).
export function dispatchTargets(): UnitRef[] {
  const org = state.org;
  if (!org) return [];
  return [...(org.linked_outlets ?? []), ...(org.children ?? [])];
}

export function hasTechnicians(): boolean {
  return (state.org?.technicians ?? []).length > 0;
}

export function address(c: Customer): string {
  return [c.province, c.city, c.district, c.address].filter((p) => p).join(" ");
}
