// Large files go to storage as a multipart upload: the server cuts the file into parts of `partSize`, signs a PUT per
// part (in batches of at most 100), and completes the upload itself once every part is there. Parts go three at a time
// with XHR (upload progress), each retried once with a fresh URL; a failure or a cancel aborts the upload.
import { ApiError, s3Message } from "./api.js";

const MIB = 1024 * 1024;
const PARALLEL_PARTS = 3;
const URL_BATCH = 100; // MULTIPART_MAX_PART_URLS in functions/system.py

/** Files larger than this many bytes use the multipart routes: 64 MiB, or the page's `?multipartAbove=<bytes>`. */
export function multipartThreshold(search = location.search) {
  const given = new URLSearchParams(search).get("multipartAbove");
  const bytes = given === null || given.trim() === "" ? NaN : Number(given);
  return Number.isFinite(bytes) && bytes >= 0 ? bytes : 64 * MIB;
}

export function usesMultipart(file) {
  return file.size > multipartThreshold();
}

/** One part's bytes PUT to its presigned URL; resolves when storage took them, with progress in bytes sent. */
function putPart(url, blob, onProgress, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    signal.addEventListener("abort", abort, { once: true });
    const settle = (fn, value) => {
      signal.removeEventListener("abort", abort);
      fn(value);
    };
    xhr.open("PUT", url);
    xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) settle(resolve);
      else settle(reject, new ApiError(xhr.status, "Storage refused a part", s3Message(xhr.responseText), "upload_refused"));
    });
    xhr.addEventListener("error", () =>
      settle(reject, new ApiError(0, "Upload failed", "The storage service could not be reached (network or CORS).", "network_error")),
    );
    xhr.addEventListener("abort", () => settle(reject, signal.reason || new DOMException("Cancelled", "AbortError")));
    xhr.send(blob);
  });
}

/**
 * Upload `file` through the multipart routes. `onStart(answer)` gets the start's answer (its pending asset) as soon
 * as there is one, `onProgress(fraction)` the share of bytes sent; resolves with the completed upload's answer.
 * Aborting `signal` cancels: the upload is aborted on the server (as it is when anything fails).
 */
export async function uploadMultipart(api, file, { onStart = () => {}, onProgress = () => {}, signal } = {}) {
  const cancel = new AbortController();
  const stop = () => cancel.abort(signal.reason || new DOMException("Cancelled", "AbortError"));
  if (signal) {
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
  }
  const started = await api.startMultipart(file);
  onStart(started);
  if (!started.uploadId) return { asset: started.asset }; // a duplicate of a stored original: nothing to send
  const id = started.asset.id;
  try {
    const sent = new Map(); // part number → bytes of it sent so far
    const report = () => {
      let total = 0;
      for (const bytes of sent.values()) total += bytes;
      onProgress(file.size ? Math.min(1, total / file.size) : 1);
    };
    const urls = new Map(); // part number → its URL, fetched a batch ahead of the part that needs it
    const batches = new Map(); // first number of a batch → its pending request
    const urlOf = async (number) => {
      if (!urls.has(number)) {
        const first = number - ((number - 1) % URL_BATCH);
        if (!batches.has(first)) {
          const numbers = [];
          for (let n = first; n < first + URL_BATCH && n <= started.partCount; n += 1) numbers.push(n);
          batches.set(first, api.multipartParts(id, numbers).then((answer) => {
            for (const [n, url] of Object.entries(answer.urls)) urls.set(Number(n), url);
          }));
        }
        await batches.get(first);
      }
      const url = urls.get(number);
      if (!url) throw new ApiError(0, "Upload failed", `No URL was signed for part ${number}.`, "upload_refused");
      urls.delete(number); // used once: a retry asks for a fresh one
      return url;
    };
    const sendPart = async (number) => {
      const start = (number - 1) * started.partSize;
      const blob = file.slice(start, Math.min(file.size, start + started.partSize));
      for (let attempt = 0; ; attempt += 1) {
        try {
          const url = attempt === 0 ? await urlOf(number) : (await api.multipartParts(id, [number])).urls[String(number)];
          await putPart(url, blob, (bytes) => { sent.set(number, bytes); report(); }, cancel.signal);
          sent.set(number, blob.size);
          report();
          return;
        } catch (error) {
          sent.set(number, 0);
          if (attempt >= 1 || cancel.signal.aborted) throw error;
        }
      }
    };
    let next = 1;
    const worker = async () => {
      while (next <= started.partCount && !cancel.signal.aborted) {
        const number = next;
        next += 1;
        await sendPart(number);
      }
    };
    const workers = Array.from({ length: Math.min(PARALLEL_PARTS, started.partCount) }, worker);
    // One part failing for good stops the others at once (their XHRs are aborted), then the upload is aborted.
    await Promise.all(workers.map((running) => running.catch((error) => {
      if (!cancel.signal.aborted) cancel.abort(error);
      throw error;
    }))).catch(() => {
      throw cancel.signal.reason;
    });
    if (cancel.signal.aborted) throw cancel.signal.reason;
    return await api.completeMultipart(id);
  } catch (error) {
    cancel.abort(error);
    // Best effort: the bucket's lifecycle rule and the purge abort what this leaves behind.
    await api.abortMultipart(id).catch(() => {});
    throw error;
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}
