// Messages in the alerts area: errors stay until dismissed, information fades after a few seconds.
import { ApiError } from "./api.js";
import { h } from "./dom.js";

const alerts = document.getElementById("alerts");

/** Show an error from the API (problem+json title, detail and code) where people see it; never swallow it. */
export function showError(context, error) {
  const isApi = error instanceof ApiError;
  const text = isApi ? `${context}: ${error.detail || error.title}` : `${context}: ${error.message || error}`;
  console.error(context, error);
  addAlert(text, isApi && error.code ? error.code : "", "error");
}

export function showInfo(text) {
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
