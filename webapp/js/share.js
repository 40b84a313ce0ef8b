// Sharing: the dialog that makes a link for a folder or a selection (its options, then the link shown once with a
// copy button), and the Shares page listing the caller's links with a new link (rotate) and revoke.
import { confirmAction } from "./confirm.js";
import { formActions, formError, modal } from "./dialogs.js";
import { h } from "./dom.js";
import { folderById, whenFoldersLoaded } from "./folders.js";
import { formatDate } from "./format.js";
import { showError, showInfo } from "./messages.js";
import { api } from "./session.js";

export const MAX_SHARED_ASSETS = 500;

/** The share's link as people open it: the API may answer a path (`/g/…`) on this app's own origin. */
function absolute(url) {
  return new URL(url, location.origin).href;
}

function checkbox(name, label, hint) {
  const input = h("input", { type: "checkbox", name });
  return [input, h("label", { className: "check" }, input, h("span", {}, label, hint ? h("small", {}, hint) : null))];
}

/** Share a folder (`{ folderId, name }`) or a selection (`{ assetIds }`): options first, then the link once. */
export async function openShareDialog(target) {
  const what = target.folderId ? `the folder “${target.name}”` : `${target.assetIds.length} item(s)`;
  if (target.assetIds && target.assetIds.length > MAX_SHARED_ASSETS) {
    showError("Sharing", new Error(`A link shares at most ${MAX_SHARED_ASSETS} items; select fewer or share a folder.`));
    return;
  }
  const { body, close, closed } = modal(`Share ${what}`, { wide: true });
  const title = h("input", { name: "title", maxlength: "200", autocomplete: "off" });
  const expires = h("input", { type: "datetime-local", name: "expiresAt" });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", maxlength: "200" });
  const maxViews = h("input", { type: "number", name: "maxViews", min: "1", step: "1", inputmode: "numeric" });
  const [allowDownload, downloadRow] = checkbox("allowDownload", "Allow downloads", "People can save the originals (without camera or location data).");
  const [showMetadata, metadataRow] = checkbox("showMetadata", "Show metadata", "Prompt, model and parameters; downloads keep their EXIF.");
  const error = formError();
  const form = h(
    "form",
    {
      className: "stack share-form",
      onsubmit: async (event) => {
        event.preventDefault();
        error.clear();
        const options = target.folderId ? { folderId: target.folderId } : { assetIds: target.assetIds };
        if (title.value.trim()) options.title = title.value.trim();
        if (expires.value) options.expiresAt = new Date(expires.value).toISOString();
        if (password.value) options.password = password.value;
        if (maxViews.value) options.maxViews = Number(maxViews.value);
        options.allowDownload = allowDownload.checked;
        options.showMetadata = showMetadata.checked;
        try {
          const created = await api.createShare(options);
          showLink(body, close, created.url, "Anyone with this link can see what you shared, signed out.");
        } catch (failure) {
          error.show(failure);
        }
      },
    },
    h("label", { className: "field" }, "Title (optional)", title),
    h(
      "div",
      { className: "field-row" },
      h("label", { className: "field" }, "Expires (optional)", expires),
      h("label", { className: "field" }, "Max views (optional)", maxViews),
    ),
    h("label", { className: "field" }, "Password (optional)", password),
    downloadRow,
    metadataRow,
    error.box,
    formActions(close, "Create link"),
  );
  body.append(form);
  title.focus();
  await closed;
}

/** Replace a dialog's content with a link shown this once, a copy button and Done. */
function showLink(body, close, url, text) {
  const link = absolute(url);
  const field = h("input", { readonly: true, value: link, "aria-label": "Share link", className: "share-link", spellcheck: "false" });
  const copied = h("span", { className: "copied", role: "status" });
  const copy = async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(link);
      copied.textContent = "Copied";
    } catch {
      copied.textContent = "Select the link and copy it (the clipboard is not available here).";
    }
  };
  body.replaceChildren(
    h("p", {}, text),
    h("div", { className: "link-row" }, field, h("button", { type: "button", className: "button primary", onclick: copy }, "Copy link")),
    copied,
    h("p", { className: "hint" }, "This link is shown only once: copy it now. You can revoke it, or replace it with a new one, in Shares."),
    h("div", { className: "dialog-actions" }, h("button", { type: "button", className: "button", onclick: close }, "Done")),
  );
  field.focus();
  field.select();
}

function describe(share) {
  if (share.folderId) {
    const folder = folderById(share.folderId);
    return folder ? `Folder “${folder.name}”` : "A folder";
  }
  return `${share.assetCount ?? "Some"} item(s)`;
}

function facts(share) {
  const options = [];
  if (share.hasPassword) options.push("password");
  if (share.allowDownload) options.push("downloads allowed");
  if (share.showMetadata) options.push("metadata shown");
  const views = share.maxViews ? `${share.views} of ${share.maxViews} views` : `${share.views} view(s)`;
  const expiry = share.expiresAt ? `expires ${formatDate(share.expiresAt)}` : "never expires";
  return [describe(share), views, expiry, ...options].join(" · ");
}

/** The Shares page: every link of the caller's, with a new link (the old one stops working) and revoke. */
export async function renderShares(root) {
  const list = h("ul", { className: "share-list", "aria-label": "Shares" });
  const status = h("div", { className: "list-status", role: "status" }, "Loading…");
  root.replaceChildren(
    h("div", { className: "toolbar" }, h("p", { className: "hint" }, "Links you made from a folder or a selection. A revoked link stops working at once.")),
    list,
    status,
  );
  let answer;
  try {
    [answer] = await Promise.all([api.shares(), whenFoldersLoaded()]);
  } catch (error) {
    status.textContent = "";
    showError("Loading the shares", error);
    return;
  }
  const rows = answer.items.map((share) => shareRow(share, list, status));
  list.replaceChildren(...rows);
  renderEmpty(list, status);
}

function renderEmpty(list, status) {
  status.replaceChildren(
    list.children.length
      ? ""
      : h("div", { className: "empty" }, h("strong", {}, "No shares yet"), "Share a folder, or select images in the gallery and share them."),
  );
}

function shareRow(share, list, status) {
  const name = share.title || "Untitled share";
  const row = h(
    "li",
    { className: "share-row", "aria-label": name, "data-id": share.id },
    h(
      "div",
      { className: "share-main" },
      h("strong", {}, name),
      h("div", { className: "card-sub" }, facts(share)),
      h("div", { className: "card-sub" }, `Created ${formatDate(share.createdAt)}`),
    ),
    h("button", { type: "button", className: "button", "aria-label": `New link for ${name}`, onclick: () => rotate(share, name) }, "New link"),
    h(
      "button",
      { type: "button", className: "button danger", "aria-label": `Revoke ${name}`, onclick: () => revoke(share, name, row, list, status) },
      "Revoke",
    ),
  );
  return row;
}

async function rotate(share, name) {
  if (!(await confirmAction("Make a new link?", `The current link of “${name}” stops working at once.`, "New link"))) return;
  try {
    const rotated = await api.rotateShare(share.id);
    const { body, close, closed } = modal(`New link for ${name}`, { wide: true });
    showLink(body, close, rotated.url, "The old link no longer works; this one does.");
    await closed;
  } catch (error) {
    showError(`New link for ${name}`, error);
  }
}

async function revoke(share, name, row, list, status) {
  if (!(await confirmAction("Revoke this link?", `Nobody can open “${name}” any more. This cannot be undone.`, "Revoke"))) return;
  try {
    await api.revokeShare(share.id);
    row.remove();
    renderEmpty(list, status);
    showInfo(`${name} was revoked.`);
  } catch (error) {
    showError(`Revoking ${name}`, error);
  }
}
