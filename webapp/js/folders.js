// The caller's folders: the sidebar list (name, count, cover), creating, renaming and deleting one, and the counts
// kept current as assets move, leave for the trash or come back (in this tab or, through live events, another).
import { subscribe, subscribeRemovals } from "./assets.js";
import { confirmAction } from "./confirm.js";
import { askName } from "./dialogs.js";
import { h } from "./dom.js";
import { showError, showInfo } from "./messages.js";
import { api } from "./session.js";

const REFRESH_MS = 300;
const section = document.getElementById("folders");
const listeners = new Set(); // called with the list whenever it changes
let folders = [];
let loaded = false;
let firstLoad = null;
let refreshTimer = null;
const placed = new Map(); // asset id → "folderId|trashed" last seen: a change there changes some folder's count

export function allFolders() {
  return folders;
}

export function folderById(id) {
  return folders.find((folder) => folder.id === id);
}

/** Resolves once the folders have been fetched for this sign-in (a page naming folders waits for it). */
export function whenFoldersLoaded() {
  return firstLoad || Promise.resolve();
}

export function onFoldersChanged(listener) {
  listeners.add(listener);
}

/** Show the sidebar's folders for the signed-in user (loading them once), or nothing when signed out. */
export function showFolders() {
  if (!api.signedIn) {
    folders = [];
    loaded = false;
    firstLoad = null;
    placed.clear();
    section.hidden = true;
    section.replaceChildren();
    return;
  }
  section.hidden = false;
  if (!loaded) {
    loaded = true;
    firstLoad = refreshFolders();
  }
  render();
}

/** Fetch the folders again (their counts and covers change with their assets). */
export async function refreshFolders() {
  clearTimeout(refreshTimer);
  refreshTimer = null;
  try {
    const answer = await api.folders();
    if (!api.signedIn) return;
    folders = answer.items;
  } catch (error) {
    showError("Loading the folders", error);
  }
  render();
  for (const listener of listeners) listener(folders);
}

function refreshSoon() {
  if (!refreshTimer && api.signedIn) refreshTimer = setTimeout(refreshFolders, REFRESH_MS);
}

function render() {
  const current = (location.hash.match(/^#\/folder\/([^/?#]+)/) || [])[1];
  const items = folders.map((folder) => {
    const cover = folder.coverThumbUrl
      ? h("img", { className: "folder-cover", src: folder.coverThumbUrl, alt: "", loading: "lazy" })
      : h("span", { className: "folder-cover", "aria-hidden": "true" });
    const link = h(
      "a",
      { href: `#/folder/${encodeURIComponent(folder.id)}`, "data-folder": folder.id, "aria-current": folder.id === current ? "page" : null },
      cover,
      h("span", { className: "folder-name" }, folder.name),
      h("span", { className: "folder-count" }, String(folder.assetCount), h("span", { className: "visually-hidden" }, " items")),
    );
    return h("li", {}, link);
  });
  section.replaceChildren(
    h(
      "div",
      { className: "folders-head" },
      h("h2", { id: "folders-title" }, "Folders"),
      h("button", { type: "button", className: "folder-add", onclick: createFolder, title: "New folder", "aria-label": "New folder" }, "+"),
    ),
    items.length
      ? h("ul", { className: "folder-list", "aria-labelledby": "folders-title" }, items)
      : h("p", { className: "folders-empty" }, loaded ? "No folders yet." : ""),
  );
}

export async function createFolder() {
  const folder = await askName("New folder", "Folder name", "", "Create", (name) => api.createFolder(name));
  if (!folder) return;
  await refreshFolders();
  location.hash = `#/folder/${encodeURIComponent(folder.id)}`;
}

export async function renameFolder(folder) {
  const renamed = await askName(`Rename “${folder.name}”`, "Folder name", folder.name, "Rename", (name) => api.renameFolder(folder.id, name));
  if (renamed) await refreshFolders();
  return renamed;
}

/** Delete a folder, confirmed; one with assets goes only if they move out of it (they stay in the gallery). */
export async function deleteFolder(folder) {
  const count = folder.assetCount;
  const emptyText = `The folder “${folder.name}” will be deleted.`;
  const fullText =
    `“${folder.name}” holds ${count || "some"} item(s). They will be moved out of it ` +
    "(they stay in the gallery, nothing is deleted) and the folder deleted.";
  if (!(await confirmAction("Delete folder?", count ? fullText : emptyText, count ? "Move assets out and delete" : "Delete folder"))) return false;
  try {
    try {
      await api.deleteFolder(folder.id, count > 0);
    } catch (error) {
      // Its count was stale (an asset arrived meanwhile): ask again before moving anything out.
      if (error.code !== "folder_not_empty") throw error;
      if (!(await confirmAction("The folder is not empty", fullText, "Move assets out and delete"))) return false;
      await api.deleteFolder(folder.id, true);
    }
    showInfo(`Folder ${folder.name} was deleted.`);
    if (location.hash.startsWith(`#/folder/${encodeURIComponent(folder.id)}`)) location.hash = "#/gallery";
    await refreshFolders();
    return true;
  } catch (error) {
    showError(`Deleting the folder ${folder.name}`, error);
    return false;
  }
}

// A move, a trash or a restore seen anywhere (an API answer, a live event) changes a folder's count and cover.
subscribe((asset) => {
  const where = `${asset.folderId || ""}|${asset.trashedAt ? "trashed" : ""}`;
  const before = placed.get(asset.id);
  placed.set(asset.id, where);
  if (before !== undefined && before !== where && loaded) refreshSoon();
});
subscribeRemovals((id) => {
  if ((placed.get(id) || "|").split("|")[0] && loaded) refreshSoon();
  placed.delete(id);
});
