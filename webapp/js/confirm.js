// The one confirmation dialog (index.html's <dialog id="confirm">), asked before anything that cannot be undone.
const confirmDialog = document.getElementById("confirm");

/** Resolves true when the action is confirmed, false when cancelled (button, Escape). */
export function confirmAction(title, text, actionLabel) {
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
