// The latest state of every asset seen, told to whoever listens. Assets not ready or failed yet are polled, but only
// while the live connection (live.js) is down: connected, its events say every change.
import { ApiError } from "./api.js";
import { displayName } from "./format.js";
import { showError } from "./messages.js";
import { api } from "./session.js";

const POLL_MS = 800;
const FINAL = new Set(["ready", "failed"]);

const assets = new Map(); // id → latest asset seen
const listeners = new Set(); // called with each updated asset
const watched = new Set(); // ids whose status is not final yet
const removalListeners = new Set(); // called with the id of an asset deleted for good
const resyncListeners = new Set(); // called with ids to refetch (a burst, or a reconnect: null, the first page)
const versions = new Map(); // id → the largest event version applied (a BigInt: stream sequence numbers)
let pollTimer = null;
let live = false;

/** Whether an asset in this status will change no more by itself. */
export function isFinal(status) {
  return FINAL.has(status);
}

/** Record the asset's latest state, tell the listeners, and poll it until its status is final. */
export function remember(asset) {
  const current = assets.get(asset.id);
  // API answers and live events race (an upload's sign answer can land after its `ready` event): an older state
  // than the one known never replaces it; the listeners hear the known one again instead.
  if (current?.updatedAt && asset.updatedAt && Date.parse(asset.updatedAt) < Date.parse(current.updatedAt)) asset = current;
  assets.set(asset.id, asset);
  for (const listener of listeners) listener(asset);
  if (FINAL.has(asset.status)) watched.delete(asset.id);
  else watch(asset.id);
}

export function known(id) {
  return assets.get(id);
}

/** Change what is known of an asset without telling the listeners: a fresh link is no news to show. */
export function amend(id, changes) {
  const current = assets.get(id);
  if (current) assets.set(id, { ...current, ...changes });
}

export function forget(id) {
  assets.delete(id);
}

/** Forget every asset and stop polling (signing out). */
export function forgetAll() {
  assets.clear();
  watched.clear();
  versions.clear();
}

export function subscribeRemovals(listener) {
  removalListeners.add(listener);
}

export function unsubscribeRemovals(listener) {
  removalListeners.delete(listener);
}

export function subscribeResync(listener) {
  resyncListeners.add(listener);
}

export function unsubscribeResync(listener) {
  resyncListeners.delete(listener);
}

/** The live connection is up (no polling: events arrive) or down (poll what is not final yet). */
export function setLive(on) {
  live = on;
  if (live) {
    clearTimeout(pollTimer);
    pollTimer = null;
  } else if (watched.size && !pollTimer) {
    pollTimer = setTimeout(poll, POLL_MS);
  }
}

/** Events are hints, at least once and possibly out of order: apply one only if it is newer than all before it. */
function isNewer(id, version) {
  let value;
  try {
    value = BigInt(version);
  } catch {
    return true; // no usable version: apply it (a refetch would say the same)
  }
  const seen = versions.get(id);
  if (seen !== undefined && value <= seen) return false;
  versions.set(id, value);
  return true;
}

/** One message of the live connection (the WebSocket API's contract, README "Real time"). */
export function applyMessage(message) {
  if (message.type === "asset.created" || message.type === "asset.updated") {
    if (message.asset && isNewer(message.asset.id, message.version)) remember(message.asset);
  } else if (message.type === "asset.deleted") {
    if (isNewer(message.id, message.version)) {
      forget(message.id);
      watched.delete(message.id);
      for (const listener of removalListeners) listener(message.id);
    }
  } else if (message.type === "assets.changed") {
    resync(message.ids || []);
  }
}

/** Tell the views to refetch `ids` (null: the first page, after a reconnect), and refetch what is still changing. */
export function resync(ids) {
  for (const listener of resyncListeners) listener(ids);
  const stale = [...watched].filter((id) => ids === null || ids.includes(id));
  for (const id of stale) refetch(id);
}

async function refetch(id) {
  try {
    remember(await api.asset(id));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      forget(id);
      watched.delete(id);
      for (const listener of removalListeners) listener(id);
    } else {
      showError(`Checking ${displayName(assets.get(id) || { id })}`, error);
    }
  }
}

export function subscribe(listener) {
  listeners.add(listener);
}

export function unsubscribe(listener) {
  listeners.delete(listener);
}

function watch(id) {
  watched.add(id);
  if (!pollTimer && !live) pollTimer = setTimeout(poll, POLL_MS);
}

async function poll() {
  const ids = [...watched];
  await Promise.all(
    ids.map(async (id) => {
      try {
        remember(await api.asset(id));
      } catch (error) {
        watched.delete(id);
        if (!(error instanceof ApiError && error.status === 404)) showError(`Checking ${displayName(assets.get(id) || { id })}`, error);
      }
    }),
  );
  pollTimer = watched.size && api.signedIn && !live ? setTimeout(poll, POLL_MS) : null;
}
