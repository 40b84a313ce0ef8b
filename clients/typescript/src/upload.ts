// Uploads: the file's sha256 (WebCrypto) lets the server answer a duplicate without any bytes sent; small files go as
// one presigned POST, large ones as a multipart upload (parts PUT three at a time, each retried once with a fresh URL).
import { ApiError, type HttpClient } from "./http.js";
import type { components } from "./schema.js";

type Schemas = components["schemas"];
export type Asset = Schemas["AssetOut"];
export type ContentType = Schemas["SignUploadRequest"]["contentType"];
/** What an upload may say about its asset (everything but the bytes' own facts). */
export type UploadMetadata = Partial<Omit<Schemas["SignUploadRequest"], "contentType" | "size" | "sha256">>;
/** A Blob with the optional name and type of a browser `File`. */
export type UploadBody = Blob & { name?: string };

export interface Transfer {
  /** The share of the bytes storage has taken, 0 to 1. */
  onProgress?: (fraction: number) => void;
  /** The pending asset, as soon as the upload is signed (before any byte is sent). */
  onStart?: (asset: Asset) => void;
  signal?: AbortSignal;
}

const PARALLEL_PARTS = 3;
const URL_BATCH = 100; // MULTIPART_MAX_PART_URLS in functions/system.py
export const DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024;

/** The hex sha256 of `blob`, from WebCrypto (browsers and Node both have `crypto.subtle`). */
export async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function s3Message(xml: string): string {
  const found = /<Message>([^<]*)<\/Message>/.exec(xml);
  return found?.[1] ?? xml.slice(0, 200);
}

function refused(status: number, text: string): ApiError {
  return new ApiError(status, "http_error", "Storage refused the upload", s3Message(text));
}

function unreachable(): ApiError {
  return new ApiError(0, "network_error", "Upload failed", "The storage service could not be reached (network or CORS).");
}

/** Send `body` to storage: XHR where there is one (upload progress), else fetch (progress only at the end). */
export function send(
  method: "POST" | "PUT",
  url: string,
  body: Blob | FormData,
  onBytes: (loaded: number) => void,
  signal: AbortSignal | undefined,
  fetcher: typeof fetch,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (typeof XMLHttpRequest === "undefined") {
    return fetcher(url, { method, body, ...(signal ? { signal } : {}) }).then(
      async (response) => {
        if (!response.ok) throw refused(response.status, await response.text());
        onBytes(body instanceof Blob ? body.size : Number.MAX_SAFE_INTEGER);
      },
      (error: unknown) => {
        throw signal?.aborted ? signal.reason : unreachable();
      },
    );
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const abort = () => xhr.abort();
    signal?.addEventListener("abort", abort, { once: true });
    const settle = (done: () => void) => {
      signal?.removeEventListener("abort", abort);
      done();
    };
    xhr.open(method, url);
    xhr.upload.addEventListener("progress", (event) => onBytes(event.loaded));
    xhr.addEventListener("load", () =>
      settle(() => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(refused(xhr.status, xhr.responseText)))),
    );
    xhr.addEventListener("error", () => settle(() => reject(unreachable())));
    xhr.addEventListener("abort", () => settle(() => reject(signal?.reason ?? new DOMException("Cancelled", "AbortError"))));
    xhr.send(body);
  });
}

function declaration(file: UploadBody, metadata: UploadMetadata, sha256: string | undefined) {
  return {
    ...(file.name ? { filename: file.name } : {}),
    ...metadata,
    assetType: metadata.assetType ?? "uploaded",
    contentType: (file.type || "application/octet-stream") as ContentType,
    size: file.size,
    ...(sha256 ? { sha256 } : {}),
  };
}

/** The presigned POST: sign (with the sha256), then every policy field and the file. Resolves with the asset. */
export async function uploadSigned(
  http: HttpClient,
  file: UploadBody,
  metadata: UploadMetadata,
  sha256: string | undefined,
  { onProgress, onStart, signal }: Transfer,
): Promise<{ asset: Asset; duplicate: boolean }> {
  const signed = await http.request("post", "/uploads/sign", { body: declaration(file, metadata, sha256), ...(signal ? { signal } : {}) });
  onStart?.(signed.asset);
  if (!signed.upload) return { asset: signed.asset, duplicate: true };
  const form = new FormData();
  for (const [name, value] of Object.entries(signed.upload.fields)) form.append(name, value);
  form.append("file", file, file.name || "upload");
  const method = signed.upload.method === "PUT" ? "PUT" : "POST";
  await send(method, signed.upload.url, form, (loaded) => onProgress?.(file.size ? Math.min(1, loaded / file.size) : 1), signal, http.fetch);
  onProgress?.(1);
  return { asset: signed.asset, duplicate: false };
}

/** The multipart routes: start, part URLs in batches of 100, parts three at a time, complete; abort on any failure. */
export async function uploadMultipart(
  http: HttpClient,
  file: UploadBody,
  metadata: UploadMetadata,
  sha256: string | undefined,
  { onProgress, onStart, signal }: Transfer,
): Promise<{ asset: Asset; duplicate: boolean }> {
  const started = await http.request("post", "/uploads/multipart", { body: declaration(file, metadata, sha256), ...(signal ? { signal } : {}) });
  onStart?.(started.asset);
  const { uploadId, partSize, partCount } = started;
  if (!uploadId || !partSize || !partCount) return { asset: started.asset, duplicate: true };
  const id = started.asset.id;
  const cancel = new AbortController();
  const stop = () => cancel.abort(signal?.reason ?? new DOMException("Cancelled", "AbortError"));
  signal?.addEventListener("abort", stop, { once: true });
  if (signal?.aborted) stop();
  const sent = new Map<number, number>();
  const report = () => {
    let total = 0;
    for (const bytes of sent.values()) total += bytes;
    onProgress?.(file.size ? Math.min(1, total / file.size) : 1);
  };
  const urls = new Map<number, string>();
  const batches = new Map<number, Promise<void>>();
  const sign = (numbers: number[]) =>
    http.request("post", "/uploads/multipart/{id}/parts", { params: { path: { id } }, body: { partNumbers: numbers }, signal: cancel.signal });
  const urlOf = async (number: number, fresh: boolean): Promise<string> => {
    if (fresh) return (await sign([number])).urls[String(number)] ?? "";
    if (!urls.has(number)) {
      const first = number - ((number - 1) % URL_BATCH);
      if (!batches.has(first)) {
        const numbers: number[] = [];
        for (let n = first; n < first + URL_BATCH && n <= partCount; n += 1) numbers.push(n);
        batches.set(first, sign(numbers).then((answer) => {
          for (const [n, url] of Object.entries(answer.urls)) urls.set(Number(n), url);
        }));
      }
      await batches.get(first);
    }
    const url = urls.get(number) ?? "";
    urls.delete(number); // used once: a retry asks for a fresh one
    return url;
  };
  const sendPart = async (number: number) => {
    const start = (number - 1) * partSize;
    const blob = file.slice(start, Math.min(file.size, start + partSize));
    for (let attempt = 0; ; attempt += 1) {
      try {
        const url = await urlOf(number, attempt > 0);
        await send("PUT", url, blob, (bytes) => { sent.set(number, Math.min(bytes, blob.size)); report(); }, cancel.signal, http.fetch);
        sent.set(number, blob.size);
        report();
        return;
      } catch (error) {
        sent.set(number, 0);
        if (attempt >= 1 || cancel.signal.aborted) throw error;
      }
    }
  };
  try {
    let next = 1;
    const worker = async () => {
      while (next <= partCount && !cancel.signal.aborted) {
        const number = next;
        next += 1;
        await sendPart(number);
      }
    };
    const workers = Array.from({ length: Math.min(PARALLEL_PARTS, partCount) }, () =>
      worker().catch((error: unknown) => {
        if (!cancel.signal.aborted) cancel.abort(error);
        throw error;
      }),
    );
    await Promise.all(workers).catch(() => {
      throw cancel.signal.reason;
    });
    const completed = await http.request("post", "/uploads/multipart/{id}/complete", { params: { path: { id } }, signal: cancel.signal });
    return { asset: completed.asset, duplicate: false };
  } catch (error) {
    if (!cancel.signal.aborted) cancel.abort(error);
    // Best effort: the bucket's lifecycle rule and the purge abort what this leaves behind.
    await http.call("delete", "/uploads/multipart/{id}", { params: { path: { id } } }).catch(() => undefined);
    throw error;
  } finally {
    signal?.removeEventListener("abort", stop);
  }
}
