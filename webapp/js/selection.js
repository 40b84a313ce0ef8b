// A grid's multi-select: which cards are chosen, the bar of bulk actions, and each bulk action's per-item outcome.
import { known, remember } from "./assets.js";
import { confirmAction } from "./confirm.js";
import { chooseFolder } from "./dialogs.js";
import { h } from "./dom.js";
import { allFolders, folderById, refreshFolders } from "./folders.js";
import { displayName } from "./format.js";
import { showError } from "./messages.js";
import { api } from "./session.js";
import { openShareDialog } from "./share.js";

const BULK_WORDS = {
  star: "starred",
  unstar: "unstarred",
  trash: "moved to trash",
  restore: "restored",
  delete: "deleted forever",
  move: "moved",
};
const OUTCOME_WORDS = { not_found: "not found (already gone)", conflict: "conflict (its state changed)" };

export class Selection {
  constructor(grid) {
    this.grid = grid;
    this.ids = new Set();
    this.outcomes = new Map();
  }

  /** The bulk bar and the bulk results list, made anew each time the grid renders. */
  mount() {
    this.bulkbar = h("div", { className: "bulkbar", role: "region", "aria-label": "Selection", hidden: true });
    this.outcomeList = h("ul", { className: "outcomes", "aria-label": "Bulk results", hidden: true });
    return [this.bulkbar, this.outcomeList];
  }

  has(id) {
    return this.ids.has(id);
  }

  outcome(id) {
    return this.outcomes.get(id);
  }

  /** Nothing chosen and no outcomes: the grid is loading afresh. */
  reset() {
    this.ids.clear();
    this.outcomes.clear();
    this.render();
  }

  /** An asset that left the grid is no longer chosen. */
  remove(id) {
    this.ids.delete(id);
    this.render();
  }

  toggle(id, on) {
    if (on) this.ids.add(id);
    else this.ids.delete(id);
    this.grid.list.querySelector(`[data-id="${CSS.escape(id)}"]`)?.classList.toggle("selected", on);
    this.render();
  }

  render() {
    const count = this.ids.size;
    this.bulkbar.hidden = count === 0;
    if (!count) return;
    const button = (label, action, className = "button") =>
      h("button", { type: "button", className, onclick: () => this.bulk(action) }, label);
    const actions = this.grid.isTrash
      ? [button("Restore selected", "restore"), button("Delete selected forever", "delete", "button danger")]
      : [
          button("Star selected", "star"),
          button("Unstar selected", "unstar"),
          h("button", { type: "button", className: "button", onclick: () => this.move() }, "Move selected to folder"),
          h("button", { type: "button", className: "button", onclick: () => openShareDialog({ assetIds: [...this.ids] }) }, "Share selected"),
          button("Move selected to trash", "trash"),
        ];
    this.bulkbar.replaceChildren(
      h("span", { className: "count" }, `${count} selected`),
      ...actions,
      h("button", { type: "button", className: "button", onclick: () => this.clear() }, "Clear selection"),
    );
  }

  clear() {
    const list = this.grid.list;
    for (const id of this.ids) list.querySelector(`[data-id="${CSS.escape(id)}"]`)?.classList.remove("selected");
    this.ids.clear();
    for (const box of list.querySelectorAll("input.select")) box.checked = false;
    this.render();
  }

  /** Move every chosen asset to one folder (or out of any), chosen in a dialog. */
  async move() {
    const folderId = await chooseFolder(`${this.ids.size} item(s)`, allFolders(), this.grid.folderId);
    if (folderId === undefined) return;
    await this.bulk("move", { folderId });
    refreshFolders();
  }

  async bulk(action, extra = {}) {
    const ids = [...this.ids];
    if (action === "delete") {
      const sure = await confirmAction("Delete forever?", `${ids.length} item(s) will be deleted forever. This cannot be undone.`, "Delete forever");
      if (!sure) return;
    }
    try {
      const answer = await api.bulk(action, ids, extra);
      this.outcomes.clear();
      const lines = [];
      for (const result of answer.results) {
        const name = displayName(known(result.id) || { id: result.id });
        if (result.result === "ok") {
          const moved = extra.folderId ? `moved to ${folderById(extra.folderId)?.name || "the folder"}` : "moved out of its folder";
          const words = action === "move" ? moved : BULK_WORDS[action];
          lines.push(h("li", { className: "good" }, `${name}: ${words}`));
          this.ids.delete(result.id);
          if (result.asset) remember(result.asset);
          else if (action === "move" && known(result.id)) remember({ ...known(result.id), folderId: extra.folderId });
          else this.grid.drop(result.id);
        } else {
          const why = OUTCOME_WORDS[result.result] || result.result;
          lines.push(h("li", { className: "bad" }, `${name}: ${why}`));
          this.outcomes.set(result.id, `Not ${BULK_WORDS[action]}: ${why}`);
          if (known(result.id)) this.grid.update(known(result.id));
        }
      }
      this.outcomeList.replaceChildren(...lines);
      this.outcomeList.hidden = false;
      this.render();
    } catch (error) {
      showError(`Bulk ${action}`, error);
    }
  }
}
