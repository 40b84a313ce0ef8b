// The latest state of every asset seen, told to whoever listens, with assets not ready or failed yet polled.
import { ApiError } from "./api.js";
import { displayName } from "./format.js";
import { showError } from "./messages.js";
import { api } from "./session.js";

const POLL_MS = 800;
const FINAL = new Set(["ready", "failed"]);

const assets = new Map(); // id → latest asset seen
const listeners = new Set(); // called with each updated asset
const watched = new Set(); // ids whose status is not final yet
let pollTimer = null;

/** Whether an asset in this status will change no more by itself. */
export function isFinal(status) {
  return FINAL.has(status);
}

/** Record the asset's latest state, tell the listeners, and poll it until its status is final. */
export function remember(asset) {
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
}

export function subscribe(listener) {
  listeners.add(listener);
}

export function unsubscribe(listener) {
  listeners.delete(listener);
}

function watch(id) {
  watched.add(id);
  if (!pollTimer) pollTimer = setTimeout(poll, POLL_MS);
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
  pollTimer = watched.size && api.signedIn ? setTimeout(poll, POLL_MS) : null;
}
