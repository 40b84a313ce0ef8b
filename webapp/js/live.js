// The live connection, through the TypeScript client's `subscribe` (/client/): a WebSocket opened with a single-use
// ticket, pinged, reopened with backoff and jitter when it drops. While it is up nothing is polled; when it drops the
// app polls again, and each (re)open refetches the first page, since events sent while it was down are lost (README,
// "Real time").
import { applyMessage, resync, setLive } from "./assets.js";
import { api } from "./session.js";

let subscription = null;

/** Open the connection (signing in, or a page of a signed-in user loading) and keep it open. */
export function startLive() {
  if (subscription || !api.signedIn) return;
  subscription = api.client.subscribe(applyMessage, {
    onOpen: () => {
      setLive(true);
      show("connected");
      resync(null);
    },
    onClose: stopped,
  });
}

/** Close it for good (signing out). */
export function stopLive() {
  const open = subscription;
  subscription = null;
  open?.close();
  stopped();
}

function show(state) {
  document.documentElement.dataset.live = state;
  const status = document.getElementById("live-status");
  if (status) {
    status.textContent = state === "connected" ? "Live" : "Offline";
    status.title = state === "connected" ? "Changes appear as they happen" : "Reconnecting; checking for changes meanwhile";
  }
}

function stopped() {
  setLive(false);
  show("disconnected");
}
