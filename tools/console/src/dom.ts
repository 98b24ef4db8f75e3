// Building the page with DOM calls only: text always goes in as text nodes (never parsed as
// HTML), so customer data such as "<img src=x onerror=…>" is shown as written.

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attrs = Record<string, unknown>;

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "required", "multiple", "hidden"]);

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") {
        el.className = String(value);
      } else if (key.startsWith("on") && typeof value === "function") {
        el.addEventListener(key.slice(2), value as EventListener);
      } else if (PROPERTIES.has(key)) {
        (el as unknown as Record<string, unknown>)[key] = value;
      } else {
        el.setAttribute(key, value === true ? "" : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(parent, child);
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }
}

export function replace(parent: Node, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}

// A labelled form field; `required` marks the label with * as the manual does.
export function field(label: string, input: HTMLElement, required = false, hint?: string): HTMLElement {
  return h(
    "label",
    { class: "field" },
    h("span", { class: "field-label" }, label, required ? h("em", { class: "req" }, "*") : null),
    input,
    hint ? h("span", { class: "hint" }, hint) : null,
  );
}

export function button(text: string, onclick: (ev: MouseEvent) => void, cls = "", attrs: Attrs = {}): HTMLButtonElement {
  return h("button", { type: "button", class: `btn ${cls}`.trim(), onclick, ...attrs }, text);
}

export function select(options: Array<[string, string]>, value = "", attrs: Attrs = {}): HTMLSelectElement {
  const el = h("select", attrs);
  for (const [v, text] of options) el.appendChild(h("option", { value: v, selected: v === value }, text));
  return el;
}

// Local time of an RFC 3339 timestamp as yyyy-mm-dd hh:mm, as written (its own offset).
export function when(at: string | undefined | null): string {
  if (!at) return "";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(at);
  return m ? `${m[1]} ${m[2]}` : at;
}
