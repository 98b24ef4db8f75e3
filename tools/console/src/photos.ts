// Photos of captured units. The page's Content-Security-Policy (default-src 'self') allows no
// blob: or data: images, and an <img> cannot send the Authorization header, so a photo is fetched
// with the token and drawn on a canvas. Uploads send the file's bytes as they are: the server
// judges them (only JPEG and PNG) and its refusal is shown.
import { ApiError, describe, fetchPhoto, uploadPhoto } from "./api";
import { button, h, replace } from "./dom";

const PHOTO_REF = /^sha256:[0-9a-f]{64}$/;
// Pictures this page uploaded, by reference: shown from memory, also before any order holds them
// (until then the server shows a photo to nobody).
const uploaded = new Map<string, ImageBitmap>();

function draw(canvas: HTMLCanvasElement, image: ImageBitmap, maxW: number, maxH: number): void {
  const scale = Math.min(maxW / image.width, maxH / image.height, 1);
  canvas.width = Math.max(1, Math.round(image.width * scale));
  canvas.height = Math.max(1, Math.round(image.height * scale));
  canvas.getContext("2d")?.drawImage(image, 0, 0, canvas.width, canvas.height);
}

function placeholder(canvas: HTMLCanvasElement, text: string): void {
  canvas.width = 160;
  canvas.height = 120;
  const g = canvas.getContext("2d");
  if (!g) return;
  g.fillStyle = "#eef1f5";
  g.fillRect(0, 0, 160, 120);
  g.fillStyle = "#6b7685";
  g.font = "13px sans-serif";
  g.textAlign = "center";
  g.fillText(text.length > 22 ? text.slice(0, 21) + "…" : text, 80, 64);
}

// A thumbnail of a stored photo; a click opens it large. A reference that is no uploaded photo
// (the seed's file names) shows its name.
export function photoThumb(ref: string): HTMLElement {
  const canvas = h("canvas", { class: "thumb", width: 160, height: 120, "data-photo": ref, title: "点击查看大图" });
  if (!PHOTO_REF.test(ref)) {
    placeholder(canvas, ref);
    canvas.dataset.state = "name";
    return canvas;
  }
  placeholder(canvas, "加载中…");
  const known = uploaded.get(ref);
  (known ? Promise.resolve(known) : fetchPhoto(ref).then((blob) => createImageBitmap(blob)))
    .then((image) => {
      draw(canvas, image, 160, 120);
      canvas.dataset.state = "loaded";
      canvas.addEventListener("click", () => openViewer(ref));
    })
    .catch((e) => {
      placeholder(canvas, "照片无法显示");
      canvas.dataset.state = "error";
      canvas.title = describe(e);
    });
  return canvas;
}

export function openViewer(ref: string): void {
  const canvas = h("canvas", { class: "viewer-image" });
  const close = () => overlay.remove();
  const overlay = h(
    "div",
    { class: "viewer", role: "dialog", "aria-label": "照片", onclick: (ev: Event) => ev.target === overlay && close() },
    h("div", { class: "viewer-box" }, h("div", { class: "viewer-bar" }, h("span", null, `照片 ${ref.slice(7, 19)}…`), button("关闭", close, "")), canvas),
  );
  document.body.appendChild(overlay);
  const known = uploaded.get(ref);
  (known ? Promise.resolve(known) : fetchPhoto(ref).then((blob) => createImageBitmap(blob)))
    .then((image) => {
      draw(canvas, image, Math.min(window.innerWidth - 48, 1200), window.innerHeight - 120);
      canvas.dataset.state = "loaded";
    })
    .catch((e) => placeholder(canvas, describe(e)));
}

// A photo picker that uploads each chosen picture at once (the camera on a phone) and keeps the
// references of those the server accepted.
export class PhotoPicker {
  readonly el: HTMLElement;
  // In the order the pictures were chosen, whatever order their uploads finish in.
  private readonly entries: Array<{ ref: string | null }> = [];
  private readonly list: HTMLElement;
  private readonly error: HTMLElement;
  private uploading = 0;

  constructor(label = "拍照 / 选择照片") {
    const input = h("input", { type: "file", accept: "image/jpeg,image/png,image/*", capture: "environment", multiple: true, class: "file-input", name: "photos" });
    input.addEventListener("change", () => {
      const files = Array.from(input.files ?? []);
      input.value = "";
      replace(this.error);
      for (const file of files) void this.add(file);
    });
    this.list = h("div", { class: "thumbs" });
    this.error = h("div", { class: "form-error", role: "alert" });
    this.el = h("div", { class: "picker" }, h("label", { class: "btn camera" }, label, input), this.list, this.error);
  }

  get refs(): string[] {
    return this.entries.flatMap((e) => (e.ref ? [e.ref] : []));
  }

  busy(): boolean {
    return this.uploading > 0;
  }

  private async add(file: File): Promise<void> {
    this.uploading += 1;
    const canvas = h("canvas", { class: "thumb", width: 160, height: 120 });
    placeholder(canvas, "上传中…");
    const item = h("div", { class: "thumb-item" }, canvas);
    this.list.appendChild(item);
    const entry: { ref: string | null } = { ref: null };
    this.entries.push(entry);
    try {
      const ref = await uploadPhoto(file);
      entry.ref = ref;
      canvas.dataset.photo = ref;
      try {
        const image = await createImageBitmap(file);
        uploaded.set(ref, image);
        draw(canvas, image, 160, 120);
      } catch {
        placeholder(canvas, file.name);
      }
      canvas.dataset.state = "uploaded";
      item.appendChild(
        button("删除", () => {
          const i = this.entries.indexOf(entry);
          if (i >= 0) this.entries.splice(i, 1);
          item.remove();
        }, "link small"),
      );
    } catch (e) {
      const i = this.entries.indexOf(entry);
      if (i >= 0) this.entries.splice(i, 1);
      item.remove();
      const notPhoto = e instanceof ApiError && e.code === "invalid";
      replace(
        this.error,
        notPhoto ? `照片“${file.name}”上传失败:文件不是 JPEG 或 PNG 照片,请重新拍照。` : `照片“${file.name}”上传失败。${describe(e)}`,
        notPhoto ? h("span", { class: "hint" }, ` (${e.message})`) : null,
      );
    } finally {
      this.uploading -= 1;
    }
  }

  clear(): void {
    this.entries.length = 0;
    replace(this.list);
    replace(this.error);
  }
}
