// Signing in and out: the form shown to strangers and the user in the corner; `onChange` re-routes afterwards.
import { forgetAll } from "./assets.js";
import { h } from "./dom.js";
import { startLive, stopLive } from "./live.js";
import { showError } from "./messages.js";
import { api } from "./session.js";

const account = document.getElementById("account");

export function renderAccount(onChange) {
  if (!api.signedIn) {
    account.replaceChildren();
    return;
  }
  account.replaceChildren(
    h("span", { className: "avatar", "aria-hidden": "true" }, api.user.slice(0, 1)),
    h("span", { className: "who" }, "Signed in as ", h("strong", { "data-testid": "current-user" }, api.user)),
    h("span", { id: "live-status", className: "live-status", role: "status", "aria-label": "Live updates" }, liveText()),
    h("button", { type: "button", className: "button", onclick: () => signOut(onChange) }, "Sign out"),
  );
}

export function renderSignIn(root, onChange) {
  const input = h("input", { id: "user-name", name: "user", autocomplete: "username", required: true, value: "alice" });
  root.replaceChildren(
    h(
      "section",
      { className: "panel signin", "aria-labelledby": "signin-title" },
      h("h2", { id: "signin-title" }, "Sign in"),
      h("p", { className: "hint" }, "Sign in as any local user: the local server issues a token for that name."),
      h(
        "form",
        {
          className: "stack",
          onsubmit: async (event) => {
            event.preventDefault();
            try {
              await api.signIn(input.value.trim());
              startLive();
              renderAccount(onChange);
              onChange();
            } catch (error) {
              showError("Signing in", error);
            }
          },
        },
        h("div", { className: "field" }, h("label", { for: "user-name" }, "User name"), input),
        h("button", { type: "submit", className: "button primary" }, "Sign in"),
      ),
    ),
  );
}

function liveText() {
  return document.documentElement.dataset.live === "connected" ? "Live" : "Offline";
}

function signOut(onChange) {
  stopLive();
  api.signOut();
  forgetAll();
  renderAccount(onChange);
  onChange();
}
