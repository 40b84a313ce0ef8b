// Signed URLs expire: images that fail to load are re-signed in one batch, originals are signed at click time.
import { ApiError } from "./api.js";
import { amend } from "./assets.js";
import { h } from "./dom.js";
import { displayName } from "./format.js";
import { showError } from "./messages.js";
import { api } from "./session.js";

const resignQueue = new Map(); // id → [img]
let resignTimer = null;

/** An image that failed to load gets one fresh URL; failing again, it gives way to a note. */
export function onImageError(img, asset) {
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
        if (signed) amend(id, { thumbUrl: signed.url });
      }
    } catch (error) {
      showError("Refreshing image links", error);
    }
  }
}

export async function openOriginal(asset) {
  // Re-sign at click time so a page left open for hours still opens the original.
  try {
    const answer = await api.signRead([asset.id], "original");
    const signed = answer.urls[asset.id];
    if (!signed) throw new ApiError(404, "not_found", "Not found", "The original is no longer stored.");
    window.open(signed.url, "_blank", "noopener");
  } catch (error) {
    showError(`Opening ${displayName(asset)}`, error);
  }
}

export async function downloadAsset(asset) {
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
