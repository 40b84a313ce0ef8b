// A row on Create for one upload or ingest: its progress, status and thumbnail, in step with its asset.
import { isFinal, remember, subscribe, unsubscribe } from "./assets.js";
import { h } from "./dom.js";

export function jobRow(name, label) {
  const mini = h("div", { className: "mini", "aria-hidden": "true" });
  const progress = h("progress", { max: 1, value: 0, "aria-label": label });
  const status = h("div", { className: "job-status", role: "status" }, "Waiting…");
  const side = h("div", { className: "job-side" }, status);
  const row = h("li", { className: "job", "aria-label": name }, mini, h("div", {}, h("div", { className: "job-name", title: name }, name), progress), side);
  return {
    row,
    progress,
    /** A button next to the status (Cancel while a large upload runs); the caller removes it when done. */
    addAction(label, text, onclick) {
      const button = h("button", { type: "button", className: "button small", "aria-label": label, onclick }, text);
      side.append(button);
      return button;
    },
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
export function followAsset(job, asset, { bytesSent = false } = {}) {
  const describe = (current) => {
    if (current.status === "ready") job.setStatus("ready", "ready");
    else if (current.status === "failed") job.setStatus(`failed: ${current.error?.message || "unknown reason"}`, "failed");
    // The bytes are in storage: the asset stays `pending` only until storage's event arrives, so it is being processed.
    else if (bytesSent && current.status === "pending") job.setStatus("processing");
    else job.setStatus(current.status);
    job.showAsset(current);
    if (isFinal(current.status)) unsubscribe(listener);
  };
  const listener = (current) => {
    if (current.id === asset.id) describe(current);
  };
  subscribe(listener);
  remember(asset);
}
