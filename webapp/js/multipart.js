// Large files go to storage as a multipart upload; the TypeScript client (/client/) drives the routes: part URLs
// signed in batches of 100, parts three at a time with progress, each retried once with a fresh URL, and the upload
// aborted on the server when anything fails or the user cancels. This module keeps the page's threshold.
const MIB = 1024 * 1024;

/** Files larger than this many bytes use the multipart routes: 64 MiB, or the page's `?multipartAbove=<bytes>`. */
export function multipartThreshold(search = location.search) {
  const given = new URLSearchParams(search).get("multipartAbove");
  const bytes = given === null || given.trim() === "" ? NaN : Number(given);
  return Number.isFinite(bytes) && bytes >= 0 ? bytes : 64 * MIB;
}

export function usesMultipart(file) {
  return file.size > multipartThreshold();
}

/**
 * Upload `file` through the multipart routes (the client picks them above the same threshold). `onStart(asset)` gets
 * the pending asset, `onProgress(fraction)` the share of bytes sent; resolves with `{asset}` once it is completed.
 */
export async function uploadMultipart(api, file, { onStart = () => {}, onProgress = () => {}, signal } = {}) {
  return { asset: await api.upload(file, { onStart, onProgress, signal }) };
}
