// Dialogs made on demand (a name, a folder to move to, a share's options): a modal <dialog>, removed once closed.
import { ApiError } from "./api.js";
import { h } from "./dom.js";

let counter = 0;

/** A modal titled `title`; `closed` resolves when it closes (a button, Escape), and it leaves the page then. */
export function modal(title, { wide = false } = {}) {
  counter += 1;
  const heading = h("h2", { id: `modal-title-${counter}` }, title);
  const body = h("div", { className: "modal-body" });
  const dialog = h("dialog", { className: wide ? "wide" : "", "aria-labelledby": heading.id }, heading, body);
  document.body.append(dialog);
  const closed = new Promise((resolve) =>
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve();
    }),
  );
  dialog.showModal();
  return { dialog, heading, body, closed, close: () => dialog.close() };
}

/** The row of a form's buttons: Cancel (closes) and the submit button. */
export function formActions(close, actionLabel, className = "button primary") {
  return h(
    "div",
    { className: "dialog-actions" },
    h("button", { type: "button", className: "button", onclick: close }, "Cancel"),
    h("button", { type: "submit", className }, actionLabel),
  );
}

/** A message inside a dialog (the page's alerts are behind the modal, out of reach). */
export function formError() {
  const box = h("p", { className: "form-error", role: "alert", hidden: true });
  return {
    box,
    show(error) {
      box.textContent = error instanceof ApiError ? error.detail || error.title : error.message || String(error);
      box.hidden = false;
    },
    clear() {
      box.hidden = true;
      box.textContent = "";
    },
  };
}

/**
 * Ask for a name (a new folder, a rename); `save(name)` runs on submit and the dialog stays open with its error when
 * it throws. Resolves with what `save` returned, or null when cancelled.
 */
export async function askName(title, label, value, actionLabel, save) {
  const { body, close, closed } = modal(title);
  const input = h("input", { name: "name", required: true, maxlength: "100", pattern: ".*\\S.*", autocomplete: "off", value });
  const error = formError();
  let saved = null;
  body.append(
    h(
      "form",
      {
        className: "stack",
        onsubmit: async (event) => {
          event.preventDefault();
          error.clear();
          try {
            saved = await save(input.value.trim());
            close();
          } catch (failure) {
            error.show(failure);
          }
        },
      },
      h("label", { className: "field" }, label, input),
      error.box,
      formActions(close, actionLabel),
    ),
  );
  input.select();
  await closed;
  return saved;
}

/**
 * Choose a folder for `what` (or none); resolves with its id, null for "No folder", or undefined when cancelled.
 */
export async function chooseFolder(what, folders, currentId) {
  const { body, close, closed } = modal(`Move ${what} to a folder`);
  const select = h(
    "select",
    { name: "folder" },
    h("option", { value: "" }, "No folder"),
    folders.map((folder) => h("option", { value: folder.id, selected: folder.id === currentId }, folder.name)),
  );
  let chosen;
  body.append(
    h(
      "form",
      {
        className: "stack",
        onsubmit: (event) => {
          event.preventDefault();
          chosen = select.value || null;
          close();
        },
      },
      folders.length ? null : h("p", { className: "hint" }, "You have no folders yet: make one with New folder in the sidebar."),
      h("label", { className: "field" }, "Folder", select),
      formActions(close, "Move"),
    ),
  );
  select.focus();
  await closed;
  return chosen;
}
