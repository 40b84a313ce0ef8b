// The demo SPA: Create (uploads, ingest), Gallery (grid, views, filters, bulk) and Trash, on the gallery API.
import { Api, ApiError } from "./api.js";
import { blurhashCanvas } from "./blurhash.js";

const api = new Api();
const params = new URLSearchParams(location.search);
const PAGE_SIZE = Math.min(100, Math.max(1, Number(params.get("pageSize")) || 30));
const POLL_MS = 800;
const FINAL = new Set(["ready", "failed"]);
const ASSET_TYPES = ["generated", "uploaded", "edited", "reference"];
const TITLES = { create: "Create", gallery: "Gallery", trash: "Trash" };
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const ICONS = {
  star: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"><path d="M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1L3.2 9.5l6.1-.9z"/></svg>',
  download: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M12 4v11m0 0l-4-4m4 4l4-4M5 20h14"/></svg>',
  open: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/></svg>',
  trash: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/></svg>',
};

// ---------------------------------------------------------------------------------------------- small helpers

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "className") element.className = value;
    else if (name === "html") element.innerHTML = value;
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

function displayName(asset) {
  if (asset.filename) return asset.filename;
  if (asset.sourceUrl) {
    try {
      const last = new URL(asset.sourceUrl).pathname.split("/").filter(Boolean).pop();
      if (last) return decodeURIComponent(last);
    } catch {
      /* fall through to the id */
    }
  }
  return asset.id;
}

function formatBytes(size) {
  if (!size) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 && unit ? 1 : 0)} ${units[unit]}`;
}

// ------------------------------------------------------------------------------------------------- messages

const alerts = document.getElementById("alerts");

/** Show an error from the API (problem+json title, detail and code) where people see it; never swallow it. */
function showError(context, error) {
  const isApi = error instanceof ApiError;
  const text = isApi ? `${context}: ${error.detail || error.title}` : `${context}: ${error.message || error}`;
  console.error(context, error);
  addAlert(text, isApi && error.code ? error.code : "", "error");
}

function showInfo(text) {
  addAlert(text, "", "info");
}

function addAlert(text, code, kind) {
  const item = h(
    "div",
    { className: `alert ${kind}`, role: kind === "error" ? "alert" : "status" },
    h("span", { className: "alert-text" }, text, code ? h("span", {}, " ", h("code", {}, `(${code})`)) : null),
    h("button", { type: "button", "aria-label": "Dismiss message", onclick: () => item.remove() }, "✕"),
  );
  alerts.append(item);
  if (kind === "info") setTimeout(() => item.remove(), 6000);
}

// -------------------------------------------------------------------------------------------- confirmations

const confirmDialog = document.getElementById("confirm");

function confirmAction(title, text, actionLabel) {
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  const ok = document.getElementById("confirm-ok");
  ok.textContent = actionLabel;
  return new Promise((resolve) => {
    const finish = (answer) => {
      ok.removeEventListener("click", onOk);
      cancel.removeEventListener("click", onCancel);
      confirmDialog.removeEventListener("cancel", onCancel);
      if (confirmDialog.open) confirmDialog.close();
      resolve(answer);
    };
    const cancel = document.getElementById("confirm-cancel");
    const onOk = () => finish(true);
    const onCancel = () => finish(false);
    ok.addEventListener("click", onOk);
    cancel.addEventListener("click", onCancel);
    confirmDialog.addEventListener("cancel", onCancel);
    confirmDialog.showModal();
    cancel.focus();
  });
}

// ------------------------------------------------------------------- asset cache, status polling, re-signing

const assets = new Map(); // id → latest asset seen
const listeners = new Set(); // called with each updated asset
const watched = new Set(); // ids whose status is not final yet
let pollTimer = null;

function remember(asset) {
  assets.set(asset.id, asset);
  for (const listener of listeners) listener(asset);
  if (FINAL.has(asset.status)) watched.delete(asset.id);
  else watch(asset.id);
}

function watch(id) {
  watched.add(id);
  if (!pollTimer) pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  const ids = [...watched];
  await Promise.all(
    ids.map(async (id) => {
      try {
        remember(await api.asset(id));
      } catch (error) {
        watched.delete(id);
        if (!(error instanceof ApiError && error.status === 404)) showError(`Checking ${displayName(assets.get(id) || { id })}`, error);
      }
    }),
  );
  pollTimer = watched.size && api.signedIn ? setTimeout(poll, POLL_MS) : null;
}

// Signed URLs expire: images that fail to load are re-signed in one batch instead of staying broken.
const resignQueue = new Map(); // id → [img]
let resignTimer = null;

function onImageError(img, asset) {
  if (img.dataset.resigned) {
    img.replaceWith(h("span", { className: "pending-note" }, "Image unavailable"));
    return;
  }
  img.dataset.resigned = "1";
  const waiting = resignQueue.get(asset.id) || [];
  waiting.push(img);
  resignQueue.set(asset.id, waiting);
  clearTimeout(resignTimer);
  resignTimer = setTimeout(flushResign, 50);
}

async function flushResign() {
  const batch = new Map(resignQueue);
  resignQueue.clear();
  const ids = [...batch.keys()];
  for (let start = 0; start < ids.length; start += 100) {
    const chunk = ids.slice(start, start + 100);
    try {
      const answer = await api.signRead(chunk, "thumb");
      for (const id of chunk) {
        const signed = answer.urls[id];
        for (const img of batch.get(id)) {
          if (signed) img.src = signed.url;
          else img.replaceWith(h("span", { className: "pending-note" }, "Image no longer available"));
        }
        const known = assets.get(id);
        if (signed && known) assets.set(id, { ...known, thumbUrl: signed.url });
      }
    } catch (error) {
      showError("Refreshing image links", error);
    }
  }
}

async function openOriginal(asset) {
  // Re-sign at click time so a page left open for hours still opens the original.
  try {
    const answer = await api.signRead([asset.id], "original");
    const signed = answer.urls[asset.id];
    if (!signed) throw new ApiError(404, "Not found", "The original is no longer stored.", "not_found");
    window.open(signed.url, "_blank", "noopener");
  } catch (error) {
    showError(`Opening ${displayName(asset)}`, error);
  }
}

async function downloadAsset(asset) {
  try {
    const blob = await api.download(asset.id);
    const href = URL.createObjectURL(blob);
    const link = h("a", { href, download: displayName(asset), className: "visually-hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  } catch (error) {
    showError(`Downloading ${displayName(asset)}`, error);
  }
}

// ------------------------------------------------------------------------------------------------ asset card

function thumbBox(asset) {
  const box = h("div", { className: "thumb" });
  box.style.backgroundColor = asset.placeholder?.color || "#e6e8f0";
  if (asset.placeholder?.blurhash) {
    const canvas = blurhashCanvas(asset.placeholder.blurhash);
    if (canvas) box.append(canvas);
  }
  if (asset.thumbUrl) {
    const img = h("img", { alt: displayName(asset), loading: "lazy", decoding: "async" });
    img.addEventListener("load", () => img.classList.add("loaded"));
    img.addEventListener("error", () => onImageError(img, asset));
    img.src = asset.thumbUrl;
    box.append(img);
  } else if (!FINAL.has(asset.status)) {
    box.append(h("span", { className: "pending-note" }, asset.status === "ingesting" ? "Fetching…" : "Processing…"));
  }
  if (asset.status !== "ready") box.append(h("span", { className: `badge ${asset.status}` }, asset.status));
  return box;
}

function assetCard(asset, grid) {
  const name = displayName(asset);
  const inTrash = Boolean(asset.trashedAt);
  const selected = grid.selection.has(asset.id);
  const card = h("li", { className: `card${selected ? " selected" : ""}`, "data-id": asset.id, "aria-label": name });
  // The box's shape is known before the thumbnail arrives, so the grid never jumps; extremes are cropped.
  const ratio = asset.width && asset.height ? Math.min(2.2, Math.max(0.75, asset.width / asset.height)) : 1;
  card.style.setProperty("--ar", String(ratio));
  const box = thumbBox(asset);
  box.prepend(
    h("input", {
      type: "checkbox",
      className: "select",
      "aria-label": `Select ${name}`,
      checked: selected,
      onchange: (event) => grid.toggleSelected(asset.id, event.target.checked),
    }),
  );
  const facts = [asset.assetType, asset.width && asset.height ? `${asset.width}×${asset.height}` : "", formatBytes(asset.size)];
  const body = h(
    "div",
    { className: "card-body" },
    h("div", { className: "card-title", title: name }, name),
    h("div", { className: "card-sub" }, facts.filter(Boolean).join(" · ")),
  );
  if (asset.status === "failed") {
    const reason = asset.error?.message || "Processing failed.";
    body.append(h("p", { className: "card-error" }, `Failed: ${reason}`));
  }
  if (inTrash && asset.purgeAt) {
    body.append(
      h("div", { className: "card-sub" }, "Deleted forever on ", h("time", { datetime: asset.purgeAt }, dateFormat.format(new Date(asset.purgeAt)))),
    );
  }
  const outcome = grid.outcomes.get(asset.id);
  if (outcome) body.append(h("div", { className: "card-outcome", role: "note" }, outcome));
  body.append(h("div", { className: "card-actions" }, inTrash ? trashActions(asset, name, grid) : galleryActions(asset, name, grid)));
  card.append(box, body);
  return card;
}

function iconButton(label, icon, onclick, extra = {}) {
  return h("button", { type: "button", className: "icon-button", "aria-label": label, title: label, html: ICONS[icon], onclick, ...extra });
}

function galleryActions(asset, name, grid) {
  const actions = [
    iconButton(`Star ${name}`, "star", () => grid.patch(asset, { starred: !asset.starred }), { "aria-pressed": String(asset.starred) }),
  ];
  if (asset.url) {
    actions.push(iconButton(`Download ${name}`, "download", () => downloadAsset(asset)));
    actions.push(iconButton(`Open original of ${name}`, "open", () => openOriginal(asset)));
  }
  actions.push(iconButton(`Move ${name} to trash`, "trash", () => grid.patch(asset, { trashed: true })));
  if (asset.status === "failed") {
    actions.push(h("button", { type: "button", className: "button", "aria-label": `Retry ${name}`, onclick: () => grid.retry(asset) }, "Retry"));
  }
  return actions;
}

function trashActions(asset, name, grid) {
  return [
    h("button", { type: "button", className: "button", "aria-label": `Restore ${name}`, onclick: () => grid.patch(asset, { trashed: false }) }, "Restore"),
    h("button", { type: "button", className: "button", "aria-label": `Delete ${name} forever`, onclick: () => grid.deleteForever(asset) }, "Delete forever"),
  ];
}

// ----------------------------------------------------------------------------------- gallery and trash views

const BULK_WORDS = {
  star: "starred",
  unstar: "unstarred",
  trash: "moved to trash",
  restore: "restored",
  delete: "deleted forever",
};
const OUTCOME_WORDS = { not_found: "not found (already gone)", conflict: "conflict (its state changed)" };

class Grid {
  constructor(root, view) {
    this.root = root;
    this.isTrash = view === "trash";
    this.view = this.isTrash ? "trash" : sessionStorage.getItem("gallery.view") || "all";
    this.assetType = sessionStorage.getItem("gallery.assetType") || "";
    this.selection = new Set();
    this.outcomes = new Map();
    this.generation = 0;
    this.listener = (asset) => this.update(asset);
    listeners.add(this.listener);
    this.render();
    this.reload();
  }

  dispose() {
    listeners.delete(this.listener);
    this.observer?.disconnect();
  }

  render() {
    const toolbar = h("div", { className: "toolbar" });
    if (this.isTrash) {
      toolbar.append(
        h("p", { className: "hint" }, "Items in the trash are deleted forever on the date shown."),
        h("span", { className: "spacer" }),
        h("button", { type: "button", className: "button danger", onclick: () => this.emptyTrash() }, "Empty trash"),
      );
    } else {
      const group = h("div", { className: "segmented", role: "group", "aria-label": "View" });
      for (const [value, label] of [["all", "All"], ["starred", "Starred"]]) {
        group.append(
          h("button", { type: "button", "aria-pressed": String(this.view === value), onclick: () => this.setView(value) }, label),
        );
      }
      const select = h(
        "select",
        { onchange: (event) => this.setAssetType(event.target.value) },
        h("option", { value: "" }, "All types"),
        ASSET_TYPES.map((type) => h("option", { value: type, selected: this.assetType === type }, type[0].toUpperCase() + type.slice(1))),
      );
      toolbar.append(group, h("span", { className: "spacer" }), h("label", { className: "filter" }, "Asset type", select));
    }
    this.bulkbar = h("div", { className: "bulkbar", role: "region", "aria-label": "Selection", hidden: true });
    this.outcomeList = h("ul", { className: "outcomes", "aria-label": "Bulk results", hidden: true });
    this.list = h("ul", { className: "grid", "aria-label": this.isTrash ? "Trash" : "Assets" });
    this.status = h("div", { className: "list-status", role: "status" });
    this.sentinel = h("div", { className: "sentinel", "aria-hidden": "true" });
    this.root.replaceChildren(toolbar, this.bulkbar, this.outcomeList, this.list, this.status, this.sentinel);
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.loadMore();
    }, { rootMargin: "600px" });
    this.observer.observe(this.sentinel);
  }

  setView(view) {
    sessionStorage.setItem("gallery.view", view);
    this.view = view;
    this.dispose();
    listeners.add(this.listener);
    this.render();
    this.reload();
  }

  setAssetType(type) {
    sessionStorage.setItem("gallery.assetType", type);
    this.assetType = type;
    this.reload();
  }

  reload() {
    this.generation += 1;
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.order = [];
    this.selection.clear();
    this.outcomes.clear();
    this.list.replaceChildren();
    this.renderBulkbar();
    this.loadMore();
  }

  async loadMore() {
    if (this.loading || this.done) return;
    this.loading = true;
    const generation = this.generation;
    this.status.textContent = "Loading…";
    try {
      const page = await api.gallery({ view: this.view, assetType: this.assetType, cursor: this.cursor, limit: PAGE_SIZE });
      if (generation !== this.generation) return;
      for (const asset of page.items) {
        if (this.order.includes(asset.id)) continue;
        this.order.push(asset.id);
        remember(asset);
        this.list.append(assetCard(asset, this));
      }
      this.cursor = page.nextCursor;
      this.done = !page.nextCursor;
    } catch (error) {
      if (generation !== this.generation) return;
      this.done = true;
      showError("Loading the gallery", error);
    } finally {
      if (generation === this.generation) {
        this.loading = false;
        this.renderStatus();
      }
    }
    // The observer only fires on changes: keep loading while the end of the list is still on screen.
    if (!this.done && this.sentinel.getBoundingClientRect().top < innerHeight + 600) this.loadMore();
  }

  renderStatus() {
    if (this.order.length === 0 && this.done) {
      const [title, text] = this.isTrash
        ? ["The trash is empty", "Things you move to the trash show up here."]
        : this.view === "starred"
          ? ["Nothing starred yet", "Star an image to find it here."]
          : ["No images yet", "Upload or ingest some in Create."];
      this.status.replaceChildren(h("div", { className: "empty" }, h("strong", {}, title), text));
    } else {
      this.status.textContent = this.done ? (this.order.length ? `${this.order.length} shown · end of ${this.isTrash ? "trash" : "gallery"}` : "") : "";
    }
  }

  belongs(asset) {
    if (this.isTrash) return Boolean(asset.trashedAt);
    if (asset.trashedAt) return false;
    if (this.view === "starred" && !asset.starred) return false;
    return !this.assetType || asset.assetType === this.assetType;
  }

  update(asset) {
    const existing = this.list.querySelector(`[data-id="${CSS.escape(asset.id)}"]`);
    if (!existing) return;
    if (this.belongs(asset)) existing.replaceWith(assetCard(asset, this));
    else this.drop(asset.id);
  }

  drop(id) {
    this.list.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
    this.order = this.order.filter((known) => known !== id);
    this.selection.delete(id);
    this.renderBulkbar();
    this.renderStatus();
  }

  toggleSelected(id, on) {
    if (on) this.selection.add(id);
    else this.selection.delete(id);
    this.list.querySelector(`[data-id="${CSS.escape(id)}"]`)?.classList.toggle("selected", on);
    this.renderBulkbar();
  }

  renderBulkbar() {
    const count = this.selection.size;
    this.bulkbar.hidden = count === 0;
    if (!count) return;
    const button = (label, action, className = "button") =>
      h("button", { type: "button", className, onclick: () => this.bulk(action) }, label);
    const actions = this.isTrash
      ? [button("Restore selected", "restore"), button("Delete selected forever", "delete", "button danger")]
      : [button("Star selected", "star"), button("Unstar selected", "unstar"), button("Move selected to trash", "trash")];
    this.bulkbar.replaceChildren(
      h("span", { className: "count" }, `${count} selected`),
      ...actions,
      h("button", { type: "button", className: "button", onclick: () => this.clearSelection() }, "Clear selection"),
    );
  }

  clearSelection() {
    for (const id of this.selection) this.list.querySelector(`[data-id="${CSS.escape(id)}"]`)?.classList.remove("selected");
    this.selection.clear();
    for (const box of this.list.querySelectorAll("input.select")) box.checked = false;
    this.renderBulkbar();
  }

  async bulk(action) {
    const ids = [...this.selection];
    if (action === "delete") {
      const sure = await confirmAction("Delete forever?", `${ids.length} item(s) will be deleted forever. This cannot be undone.`, "Delete forever");
      if (!sure) return;
    }
    try {
      const answer = await api.bulk(action, ids);
      this.outcomes.clear();
      const lines = [];
      for (const result of answer.results) {
        const known = assets.get(result.id) || { id: result.id };
        const name = displayName(known);
        if (result.result === "ok") {
          lines.push(h("li", { className: "good" }, `${name}: ${BULK_WORDS[action]}`));
          this.selection.delete(result.id);
          if (result.asset) remember(result.asset);
          else this.drop(result.id);
        } else {
          const why = OUTCOME_WORDS[result.result] || result.result;
          lines.push(h("li", { className: "bad" }, `${name}: ${why}`));
          this.outcomes.set(result.id, `Not ${BULK_WORDS[action]}: ${why}`);
          if (assets.has(result.id)) this.update(assets.get(result.id));
        }
      }
      this.outcomeList.replaceChildren(...lines);
      this.outcomeList.hidden = false;
      this.renderBulkbar();
    } catch (error) {
      showError(`Bulk ${action}`, error);
    }
  }

  async patch(asset, changes) {
    try {
      remember(await api.patch(asset.id, changes));
    } catch (error) {
      showError(`Updating ${displayName(asset)}`, error);
    }
  }

  async retry(asset) {
    try {
      await api.reprocess(asset.id);
      remember({ ...asset, status: "processing", error: null });
    } catch (error) {
      showError(`Retrying ${displayName(asset)}`, error);
    }
  }

  async deleteForever(asset) {
    const name = displayName(asset);
    if (!(await confirmAction("Delete forever?", `“${name}” will be deleted forever. This cannot be undone.`, "Delete forever"))) return;
    try {
      await api.remove(asset.id);
      assets.delete(asset.id);
      this.drop(asset.id);
      showInfo(`${name} was deleted forever.`);
    } catch (error) {
      showError(`Deleting ${name}`, error);
    }
  }

  async emptyTrash() {
    if (!(await confirmAction("Empty the trash?", "Everything in the trash will be deleted forever. This cannot be undone.", "Empty trash"))) return;
    try {
      const answer = await api.emptyTrash();
      showInfo(`Trash emptied: ${answer.deleted} item(s) deleted forever.`);
      this.reload();
    } catch (error) {
      showError("Emptying the trash", error);
    }
  }
}

// ------------------------------------------------------------------------------------------------ create view

function jobRow(name, label) {
  const mini = h("div", { className: "mini", "aria-hidden": "true" });
  const progress = h("progress", { max: 1, value: 0, "aria-label": label });
  const status = h("div", { className: "job-status", role: "status" }, "Waiting…");
  const row = h("li", { className: "job", "aria-label": name }, mini, h("div", {}, h("div", { className: "job-name", title: name }, name), progress), status);
  return {
    row,
    progress,
    setStatus(text, state = "") {
      status.textContent = text;
      row.className = `job ${state}`;
      if (state === "ready") progress.value = 1;
      if (state === "failed") progress.hidden = true;
    },
    showAsset(asset) {
      if (asset.thumbUrl && !(mini instanceof HTMLImageElement && mini.src === asset.thumbUrl)) {
        const img = h("img", { className: "mini", src: asset.thumbUrl, alt: "" });
        mini.replaceWith(img);
      }
    },
  };
}

/** Keep a job row in step with its asset until it is ready or failed. */
function followAsset(job, asset, { bytesSent = false } = {}) {
  const describe = (current) => {
    if (current.status === "ready") job.setStatus("ready", "ready");
    else if (current.status === "failed") job.setStatus(`failed: ${current.error?.message || "unknown reason"}`, "failed");
    // The bytes are in storage: the asset stays `pending` only until storage's event arrives, so it is being processed.
    else if (bytesSent && current.status === "pending") job.setStatus("processing");
    else job.setStatus(current.status);
    job.showAsset(current);
    if (FINAL.has(current.status)) listeners.delete(listener);
  };
  const listener = (current) => {
    if (current.id === asset.id) describe(current);
  };
  listeners.add(listener);
  remember(asset);
}

async function uploadFile(file, list) {
  const job = jobRow(file.name, `Upload progress for ${file.name}`);
  list.prepend(job.row);
  try {
    job.setStatus("Signing…");
    const signed = await api.signUpload(file);
    job.setStatus("Uploading 0%");
    await api.postToStorage(signed.upload, file, (fraction) => {
      job.progress.value = fraction;
      job.setStatus(`Uploading ${Math.round(fraction * 100)}%`);
    });
    job.progress.value = 1;
    followAsset(job, signed.asset, { bytesSent: true });
  } catch (error) {
    job.setStatus(`failed: ${error instanceof ApiError ? error.detail || error.title : error.message}`, "failed");
    showError(`Uploading ${file.name}`, error);
  }
}

async function ingestUrl(url, list) {
  const job = jobRow(url, `Ingest progress for ${url}`);
  job.progress.removeAttribute("value"); // indeterminate: the server fetches in the background
  list.prepend(job.row);
  try {
    const asset = await api.ingest(url);
    followAsset(job, asset);
  } catch (error) {
    job.setStatus(`failed: ${error instanceof ApiError ? error.detail || error.title : error.message}`, "failed");
    showError("Ingesting a URL", error);
  }
}

function renderCreate(root) {
  const uploads = h("ul", { className: "jobs", "aria-label": "Uploads" });
  const input = h("input", {
    type: "file",
    id: "file-input",
    multiple: true,
    accept: "image/jpeg,image/png,image/webp,image/gif,image/avif,image/heic,image/heif",
    onchange: () => {
      for (const file of input.files) uploadFile(file, uploads);
      input.value = "";
    },
  });
  const zone = h(
    "div",
    { className: "dropzone" },
    h("strong", {}, "Drop images here"),
    h("span", { className: "hint" }, "JPEG, PNG, WebP, GIF, AVIF or HEIC — or "),
    h("label", { for: "file-input", className: "button primary" }, "Choose images"),
    input,
  );
  input.classList.add("visually-hidden");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    for (const file of event.dataTransfer.files) uploadFile(file, uploads);
  });

  const ingests = h("ul", { className: "jobs", "aria-label": "Ingests" });
  const urlInput = h("input", { type: "url", id: "ingest-url", name: "url", placeholder: "https://…/image.png", required: true });
  const form = h(
    "form",
    {
      className: "inline-form",
      "aria-label": "Ingest from a URL",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const url = urlInput.value.trim();
        if (!url) {
          showError("Ingesting a URL", new Error("Enter the address of an image first."));
          return;
        }
        ingestUrl(url, ingests);
        urlInput.value = "";
      },
    },
    h("div", { className: "field" }, h("label", { for: "ingest-url" }, "Image URL"), urlInput),
    h("button", { type: "submit", className: "button primary" }, "Ingest"),
  );
  root.replaceChildren(
    h(
      "div",
      { className: "stack" },
      h(
        "section",
        { className: "panel", "aria-labelledby": "upload-title" },
        h("h2", { id: "upload-title" }, "Upload"),
        h("p", { className: "hint" }, "Files go straight to storage with a presigned POST; thumbnails appear when they are ready."),
        zone,
        uploads,
      ),
      h(
        "section",
        { className: "panel", "aria-labelledby": "ingest-title" },
        h("h2", { id: "ingest-title" }, "Ingest from a URL"),
        h("p", { className: "hint" }, "The server fetches the image in the background, waiting for generators that are not done yet."),
        form,
        ingests,
      ),
    ),
  );
}

// --------------------------------------------------------------------------------------- sign-in and routing

const main = document.getElementById("main");
const account = document.getElementById("account");
let currentGrid = null;

function renderAccount() {
  if (!api.signedIn) {
    account.replaceChildren();
    return;
  }
  account.replaceChildren(
    h("span", { className: "avatar", "aria-hidden": "true" }, api.user.slice(0, 1)),
    h("span", { className: "who" }, "Signed in as ", h("strong", { "data-testid": "current-user" }, api.user)),
    h("button", { type: "button", className: "button", onclick: signOut }, "Sign out"),
  );
}

function renderSignIn() {
  const input = h("input", { id: "user-name", name: "user", autocomplete: "username", required: true, value: "alice" });
  main.replaceChildren(
    h(
      "section",
      { className: "panel signin", "aria-labelledby": "signin-title" },
      h("h2", { id: "signin-title" }, "Sign in"),
      h("p", { className: "hint" }, "Sign in as any local user: the local server issues a token for that name."),
      h(
        "form",
        {
          className: "stack",
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              await api.signIn(input.value.trim());
              renderAccount();
              route();
            } catch (error) {
              showError("Signing in", error);
            }
          },
        },
        h("div", { className: "field" }, h("label", { for: "user-name" }, "User name"), input),
        h("button", { type: "submit", className: "button primary" }, "Sign in"),
      ),
    ),
  );
}

function signOut() {
  api.signOut();
  assets.clear();
  watched.clear();
  renderAccount();
  route();
}

function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const page = TITLES[name] ? name : "gallery";
  currentGrid?.dispose();
  currentGrid = null;
  document.getElementById("page-title").textContent = api.signedIn ? TITLES[page] : "Sign in";
  document.title = `${api.signedIn ? TITLES[page] : "Sign in"} · Gallery`;
  for (const link of document.querySelectorAll(".sidebar nav a")) {
    if (link.dataset.route === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  closeMenu();
  if (!api.signedIn) {
    renderSignIn();
    return;
  }
  if (page === "create") renderCreate(main);
  else currentGrid = new Grid(main, page);
}

// The sidebar collapses behind a menu button on narrow screens.
const sidebar = document.getElementById("sidebar");
const menuToggle = document.getElementById("menu-toggle");
const scrim = document.getElementById("scrim");

function closeMenu() {
  sidebar.classList.remove("open");
  menuToggle.setAttribute("aria-expanded", "false");
  scrim.hidden = true;
}

menuToggle.addEventListener("click", () => {
  const open = !sidebar.classList.contains("open");
  sidebar.classList.toggle("open", open);
  menuToggle.setAttribute("aria-expanded", String(open));
  scrim.hidden = !open;
});
scrim.addEventListener("click", closeMenu);
addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeMenu();
});
addEventListener("hashchange", route);
addEventListener("unhandledrejection", (event) => showError("Unexpected error", event.reason));

renderAccount();
route();
