// One asset's card: its thumbnail box (shaped before the image arrives; a video's with a play mark and its duration,
// opening the viewer), facts, outcome and actions.
import { isFinal } from "./assets.js";
import { blurhashCanvas } from "./blurhash.js";
import { h } from "./dom.js";
import { folderById } from "./folders.js";
import { displayName, formatBytes, formatDate, formatDuration, isVideo } from "./format.js";
import { downloadAsset, onImageError, openOriginal } from "./links.js";
import { openViewer } from "./viewer.js";

const ICONS = {
  star: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"><path d="M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1L3.2 9.5l6.1-.9z"/></svg>',
  download: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M12 4v11m0 0l-4-4m4 4l4-4M5 20h14"/></svg>',
  open: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5"/></svg>',
  folder: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"><path d="M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2.5h8.5A1.5 1.5 0 0 1 21 9v9.5a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 18.5z"/></svg>',
  play: '<svg viewBox="0 0 24 24" fill="currentColor"><path d="M8 5.5v13a1 1 0 0 0 1.5.86l11-6.5a1 1 0 0 0 0-1.72l-11-6.5A1 1 0 0 0 8 5.5z"/></svg>',
  trash: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><path d="M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3"/></svg>',
};

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
  } else if (!isFinal(asset.status)) {
    box.append(h("span", { className: "pending-note" }, asset.status === "ingesting" ? "Fetching…" : "Processing…"));
  }
  if (isVideo(asset)) {
    box.append(h("span", { className: "play-mark", "aria-hidden": "true", html: ICONS.play }));
    const length = formatDuration(asset.durationMs);
    if (length) box.append(h("span", { className: "duration", "aria-label": `Duration ${length}` }, length));
  }
  if (asset.status !== "ready") box.append(h("span", { className: `badge ${asset.status}` }, asset.status));
  return box;
}

/** The card of an asset in a grid, whose selection, outcomes and actions it shows and calls. */
export function assetCard(asset, grid) {
  const name = displayName(asset);
  const inTrash = Boolean(asset.trashedAt);
  const selected = grid.selection.has(asset.id);
  const card = h("li", { className: `card${selected ? " selected" : ""}`, "data-id": asset.id, "aria-label": name });
  // The box's shape is known before the thumbnail arrives, so the grid never jumps; extremes are cropped.
  const ratio = asset.width && asset.height ? Math.min(2.2, Math.max(0.75, asset.width / asset.height)) : 1;
  card.style.setProperty("--ar", String(ratio));
  const box = thumbBox(asset);
  box.classList.toggle("video", isVideo(asset));
  box.prepend(
    h("button", {
      type: "button",
      className: "thumb-open",
      "aria-label": `${isVideo(asset) ? "Play" : "View"} ${name}`,
      onclick: () => openViewer(asset),
    }),
    h("input", {
      type: "checkbox",
      className: "select",
      "aria-label": `Select ${name}`,
      checked: selected,
      onchange: (event) => grid.selection.toggle(asset.id, event.target.checked),
    }),
  );
  const facts = [asset.assetType, asset.width && asset.height ? `${asset.width}×${asset.height}` : "", formatBytes(asset.size)];
  const body = h(
    "div",
    { className: "card-body" },
    h("div", { className: "card-title", title: name }, name),
    h("div", { className: "card-sub" }, facts.filter(Boolean).join(" · ")),
  );
  const folder = asset.folderId && asset.folderId !== grid.folderId ? folderById(asset.folderId) : null;
  if (folder) body.append(h("div", { className: "card-sub card-folder" }, `In ${folder.name}`));
  if (asset.status === "failed") {
    const reason = asset.error?.message || "Processing failed.";
    body.append(h("p", { className: "card-error" }, `Failed: ${reason}`));
  }
  if (inTrash && asset.purgeAt) {
    body.append(
      h("div", { className: "card-sub" }, "Deleted forever on ", h("time", { datetime: asset.purgeAt }, formatDate(asset.purgeAt))),
    );
  }
  const outcome = grid.selection.outcome(asset.id);
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
  actions.push(iconButton(`Move ${name} to a folder`, "folder", () => grid.moveToFolder(asset)));
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
