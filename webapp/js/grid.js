// The Gallery, folder and Trash views: a grid of cards paged over the cursor as it scrolls, kept in step with the assets
// (live events included: a card changes, appears or leaves as its asset does, in this tab or another).
import { ApiError } from "./api.js";
import {
  forget,
  known,
  remember,
  subscribe,
  subscribeRemovals,
  subscribeResync,
  unsubscribe,
  unsubscribeRemovals,
  unsubscribeResync,
} from "./assets.js";
import { assetCard } from "./card.js";
import { confirmAction } from "./confirm.js";
import { chooseFolder } from "./dialogs.js";
import { h } from "./dom.js";
import { allFolders, deleteFolder, folderById, refreshFolders, renameFolder } from "./folders.js";
import { displayName } from "./format.js";
import { showError, showInfo } from "./messages.js";
import { Selection } from "./selection.js";
import { api } from "./session.js";
import { openShareDialog } from "./share.js";

const PAGE_SIZE = Math.min(100, Math.max(1, Number(new URLSearchParams(location.search).get("pageSize")) || 30));
const ASSET_TYPES = ["generated", "uploaded", "edited", "reference"];
const KINDS = [["", "All"], ["image", "Images"], ["video", "Videos"]];
// The API pages a kind in one Query per view, but not combined with a type filter or inside a folder (422 there).
const KIND_ALONE = "Not with an asset type filter or inside a folder";

export class Grid {
  /** `view` is "gallery", "trash" or "folder" (with `folderId`: the gallery of one folder, in the same views). */
  constructor(root, view, { folderId = null } = {}) {
    this.root = root;
    this.isTrash = view === "trash";
    this.folderId = this.isTrash ? null : folderId;
    this.view = this.isTrash ? "trash" : sessionStorage.getItem("gallery.view") || "all";
    this.assetType = sessionStorage.getItem("gallery.assetType") || "";
    this.kind = this.folderId ? "" : sessionStorage.getItem("gallery.kind") || "";
    if (this.kind && this.assetType) this.assetType = "";
    this.selection = new Selection(this);
    this.generation = 0;
    this.listener = (asset) => this.update(asset);
    this.removalListener = (id) => this.drop(id);
    this.resyncListener = (ids) => this.refresh(ids);
    this.listen();
    this.render();
    this.reload();
  }

  listen() {
    subscribe(this.listener);
    subscribeRemovals(this.removalListener);
    subscribeResync(this.resyncListener);
  }

  dispose() {
    unsubscribe(this.listener);
    unsubscribeRemovals(this.removalListener);
    unsubscribeResync(this.resyncListener);
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
      this.kindButtons = KINDS.map(([value, label]) =>
        h("button", { type: "button", "data-kind": value, "aria-pressed": String(this.kind === value), onclick: () => this.setKind(value) }, label),
      );
      const kinds = h("div", { className: "segmented", role: "group", "aria-label": "Kind" }, this.kindButtons);
      this.typeSelect = h(
        "select",
        { onchange: (event) => this.setAssetType(event.target.value) },
        h("option", { value: "" }, "All types"),
        ASSET_TYPES.map((type) => h("option", { value: type, selected: this.assetType === type }, type[0].toUpperCase() + type.slice(1))),
      );
      toolbar.append(group, kinds, h("span", { className: "spacer" }), h("label", { className: "filter" }, "Asset type", this.typeSelect));
      this.syncFilters();
      if (this.folderId) toolbar.append(this.folderActions());
    }
    const [bulkbar, outcomeList] = this.selection.mount();
    this.list = h("ul", { className: "grid", "aria-label": this.isTrash ? "Trash" : "Assets" });
    this.status = h("div", { className: "list-status", role: "status" });
    this.sentinel = h("div", { className: "sentinel", "aria-hidden": "true" });
    this.root.replaceChildren(toolbar, bulkbar, outcomeList, this.list, this.status, this.sentinel);
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.loadMore();
    }, { rootMargin: "600px" });
    this.observer.observe(this.sentinel);
  }

  folderActions() {
    const folder = () => folderById(this.folderId) || { id: this.folderId, name: "this folder", assetCount: this.order.length };
    return h(
      "div",
      { className: "folder-actions", role: "group", "aria-label": "Folder" },
      h(
        "button",
        { type: "button", className: "button primary", onclick: () => openShareDialog({ folderId: this.folderId, name: folder().name }) },
        "Share folder",
      ),
      h("button", { type: "button", className: "button", onclick: () => renameFolder(folder()) }, "Rename"),
      h("button", { type: "button", className: "button", onclick: () => deleteFolder(folder()) }, "Delete folder"),
    );
  }

  setView(view) {
    sessionStorage.setItem("gallery.view", view);
    this.view = view;
    this.dispose();
    this.listen();
    this.render();
    this.reload();
  }

  setAssetType(type) {
    sessionStorage.setItem("gallery.assetType", type);
    this.assetType = type;
    this.syncFilters();
    this.reload();
  }

  /** Images or videos only (""; both): the choice is kept for the session, as the view and the type are. */
  setKind(kind) {
    if (!this.folderId) sessionStorage.setItem("gallery.kind", kind);
    this.kind = kind;
    this.syncFilters();
    this.reload();
  }

  /** Offer only the combinations the API takes: a kind, or a type filter or a folder, not both. */
  syncFilters() {
    const kindLocked = Boolean(this.assetType || this.folderId);
    for (const button of this.kindButtons || []) {
      const value = button.dataset.kind;
      button.setAttribute("aria-pressed", String(this.kind === value));
      button.disabled = kindLocked && value !== "";
      button.title = button.disabled ? KIND_ALONE : "";
    }
    if (this.typeSelect) {
      this.typeSelect.disabled = Boolean(this.kind);
      this.typeSelect.title = this.kind ? "Not with Images or Videos: choose All first" : "";
    }
  }

  reload() {
    this.generation += 1;
    this.cursor = null;
    this.done = false;
    this.loading = false;
    this.order = [];
    this.list.replaceChildren();
    this.selection.reset();
    this.loadMore();
  }

  async loadMore() {
    if (this.loading || this.done) return;
    this.loading = true;
    const generation = this.generation;
    this.status.textContent = "Loading…";
    try {
      const page = await api.gallery({ view: this.view, assetType: this.assetType, kind: this.kind, folderId: this.folderId, cursor: this.cursor, limit: PAGE_SIZE });
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
          : this.folderId
            ? ["This folder is empty", "Select images in the gallery and move them here."]
            : this.kind === "video"
              ? ["No videos yet", "Upload some in Create."]
              : ["No images yet", "Upload or ingest some in Create."];
      this.status.replaceChildren(h("div", { className: "empty" }, h("strong", {}, title), text));
    } else {
      const where = this.isTrash ? "trash" : this.folderId ? "folder" : "gallery";
      this.status.textContent = this.done ? (this.order.length ? `${this.order.length} shown · end of ${where}` : "") : "";
    }
  }

  belongs(asset) {
    if (this.isTrash) return Boolean(asset.trashedAt);
    if (asset.trashedAt) return false;
    if (this.folderId && asset.folderId !== this.folderId) return false;
    if (this.view === "starred" && !asset.starred) return false;
    if (this.kind && (asset.kind || "image") !== this.kind) return false;
    return !this.assetType || asset.assetType === this.assetType;
  }

  update(asset) {
    const existing = this.list.querySelector(`[data-id="${CSS.escape(asset.id)}"]`);
    if (!existing) {
      // A page being loaded remembers its assets before it shows them (they are in `order` already).
      if (!this.order.includes(asset.id) && this.belongs(asset)) this.insert(asset);
      return;
    }
    if (this.belongs(asset)) existing.replaceWith(assetCard(asset, this));
    else this.drop(asset.id);
  }

  /** The view's order, newest first: by id (a ULID), and in the trash by the time it was trashed. */
  sortKey(asset) {
    return this.isTrash ? `${asset.trashedAt || ""}|${asset.id}` : asset.id;
  }

  /** Show an asset that now belongs here (made, restored, starred elsewhere) where the view's order puts it. */
  insert(asset) {
    const key = this.sortKey(asset);
    const before = [...this.list.children].find((card) => {
      const shown = known(card.dataset.id);
      return shown && this.sortKey(shown) < key;
    });
    // Past the loaded pages it shows up when the grid scrolls there (an empty grid still loading takes it: it is
    // newer than anything its first page can hold).
    if (!before && !this.done && this.list.children.length) return;
    const card = assetCard(asset, this);
    if (before) before.before(card);
    else this.list.append(card);
    this.order.push(asset.id);
    this.renderStatus();
  }

  /** Live events were lost or coalesced: refetch the first page (and the listed ids this grid shows). */
  async refresh(ids) {
    const generation = this.generation;
    try {
      const page = await api.gallery({ view: this.view, assetType: this.assetType, kind: this.kind, folderId: this.folderId, limit: PAGE_SIZE });
      if (generation !== this.generation) return;
      for (const asset of page.items) remember(asset);
      const fresh = new Set(page.items.map((asset) => asset.id));
      const shown = (ids || []).filter((id) => this.order.includes(id) && !fresh.has(id));
      await Promise.all(shown.map((id) => this.recheck(id, generation)));
    } catch (error) {
      showError("Refreshing the gallery", error);
    }
  }

  async recheck(id, generation) {
    try {
      const asset = await api.asset(id);
      if (generation === this.generation) remember(asset);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        forget(id);
        this.drop(id);
      } else throw error;
    }
  }

  drop(id) {
    this.list.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
    this.order = this.order.filter((known) => known !== id);
    this.selection.remove(id);
    this.renderStatus();
  }

  async patch(asset, changes) {
    try {
      remember(await api.patch(asset.id, changes));
    } catch (error) {
      showError(`Updating ${displayName(asset)}`, error);
    }
  }

  /** Move one asset to a folder (or out of any), chosen in a dialog. */
  async moveToFolder(asset) {
    const name = displayName(asset);
    const folderId = await chooseFolder(`“${name}”`, allFolders(), asset.folderId || null);
    if (folderId === undefined || folderId === (asset.folderId || null)) return;
    try {
      remember(await api.patch(asset.id, { folderId }));
      refreshFolders();
    } catch (error) {
      showError(`Moving ${name}`, error);
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
      forget(asset.id);
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
