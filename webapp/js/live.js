// The live connection: a WebSocket opened with a single-use ticket, whose events keep every view current.
// While it is up nothing is polled; when it drops the app polls again and reconnects with backoff, and each (re)open
// refetches the first page, since events sent while it was down are lost (README, "Real time").
import { applyMessage, resync, setLive } from "./assets.js";
import { api } from "./session.js";

// API Gateway closes a connection after 10 idle minutes (only the client's messages count): ping well before.
const PING_MS = 4 * 60 * 1000;
const PING = JSON.stringify({ action: "ping" });
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

let wanted = false;
let socket = null;
let pingTimer = null;
let retryTimer = null;
let failures = 0;

/** Open the connection (signing in, or a page of a signed-in user loading) and keep it open. */
export function startLive() {
  if (wanted) return;
  wanted = true;
  connect();
}

/** Close it for good (signing out). */
export function stopLive() {
  wanted = false;
  clearTimeout(retryTimer);
  retryTimer = null;
  const open = socket;
  socket = null;
  open?.close(1000, "signed out");
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
  clearInterval(pingTimer);
  pingTimer = null;
  setLive(false);
  show("disconnected");
}

async function connect() {
  retryTimer = null;
  if (!wanted || !api.signedIn) return;
  let ticket;
  try {
    ticket = await api.realtimeTicket();
  } catch {
    retry();
    return;
  }
  if (!wanted) return;
  const ws = new WebSocket(ticket.url);
  socket = ws;
  ws.addEventListener("open", () => {
    if (socket !== ws) return;
    failures = 0;
    setLive(true);
    show("connected");
    pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(PING), PING_MS);
    resync(null);
  });
  ws.addEventListener("message", (event) => {
    if (socket !== ws || typeof event.data !== "string") return;
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return; // not ours to read; events are hints anyway
    }
    applyMessage(message);
  });
  ws.addEventListener("close", () => {
    if (socket !== ws) return;
    socket = null;
    stopped();
    retry();
  });
}

function retry() {
  if (!wanted || retryTimer) return;
  // Exponential backoff with jitter, so that many tabs do not come back at once after an outage.
  const ceiling = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** failures);
  failures += 1;
  retryTimer = setTimeout(connect, ceiling / 2 + Math.random() * (ceiling / 2));
}
