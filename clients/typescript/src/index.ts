// The gallery API client: the generated routes (`call`/`request`) plus the helpers every SPA ends up writing.
import { HttpClient, sleep, type ClientOptions } from "./http.js";
import { subscribe, type RealtimeMessage, type SubscribeOptions, type Subscription } from "./live.js";
import type { components } from "./schema.js";
import {
  DEFAULT_MULTIPART_THRESHOLD,
  sha256Hex,
  uploadMultipart,
  uploadSigned,
  type Asset,
  type Transfer,
  type UploadBody,
  type UploadMetadata,
} from "./upload.js";
import { UrlCache, type UrlCacheOptions } from "./urls.js";

export * from "./http.js";
export type { RealtimeMessage, SubscribeOptions, Subscription } from "./live.js";
export type { Asset, ContentType, Transfer, UploadBody, UploadMetadata } from "./upload.js";
export { sha256Hex } from "./upload.js";
export { UrlCache, type ReadVariant, type UrlCacheOptions } from "./urls.js";
export type { components, operations, paths } from "./schema.js";

type Schemas = components["schemas"];
export type GalleryPage = Schemas["GalleryPage"];
export type View = Schemas["View"];
export type IngestMetadata = Partial<Omit<Schemas["IngestRequest"], "url">>;
/** Every view and filter of `GET /gallery` (the server refuses `kind` with `assetType` or `folderId`: 422). */
export type GalleryQuery = { view?: View; assetType?: Schemas["AssetType"]; kind?: Schemas["AssetKind"]; folderId?: string; limit?: number };

export interface GalleryClientOptions extends ClientOptions {
  /** Files above this many bytes use the multipart routes (default 64 MiB; the server's MULTIPART_THRESHOLD_MB). */
  multipartThreshold?: number;
  /** Files up to this many bytes are hashed before the upload (WebCrypto digests a whole buffer; default 64 MiB). */
  hashLimit?: number;
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up (reject with a TimeoutError) after this long (default 120 000 ms). */
  timeoutMs?: number;
}

export interface UploadOptions extends Transfer, WaitOptions {
  /** Resolve as soon as storage has the bytes, without waiting for `ready`/`failed` (default false). */
  noWait?: boolean;
}

const FINAL = new Set(["ready", "failed"]);

export class GalleryClient extends HttpClient {
  private readonly multipartThreshold: number;
  private readonly hashLimit: number;
  private live: Subscription | undefined;
  private readonly watchers = new Map<string, Set<(asset: Asset) => void>>();

  constructor(options: GalleryClientOptions) {
    super(options);
    this.multipartThreshold = options.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
    this.hashLimit = options.hashLimit ?? DEFAULT_MULTIPART_THRESHOLD;
  }

  /**
   * Upload a file: its sha256 first, up to `hashLimit` (a duplicate of a stored original skips the upload and
   * resolves with that asset), then a presigned POST with progress, or the multipart routes above the threshold;
   * resolves once the asset is `ready` or `failed` (over the live connection when `subscribe` has one open, else by
   * polling).
   */
  async uploadFile(file: UploadBody, metadata: UploadMetadata = {}, options: UploadOptions = {}): Promise<Asset> {
    const sha256 = file.size <= this.hashLimit ? await sha256Hex(file) : undefined;
    const upload = file.size > this.multipartThreshold ? uploadMultipart : uploadSigned;
    const { asset, duplicate } = await upload(this, file, metadata, sha256, options);
    if (duplicate || options.noWait) return asset;
    return this.waitForAsset(asset.id, options);
  }

  /** `POST /ingest` with an Idempotency-Key (so it is retried on 503/429); `wait` seconds server-side (≤ 25), and
   * `untilDone` keeps waiting here until the asset is `ready` or `failed`. */
  async ingest(
    url: string,
    metadata: IngestMetadata = {},
    options: { wait?: number; untilDone?: boolean; idempotencyKey?: string } & WaitOptions = {},
  ): Promise<Asset> {
    const key = options.idempotencyKey ?? crypto.randomUUID();
    const asset = await this.request("post", "/ingest", {
      params: { query: { wait: options.wait ?? 0 }, header: { "idempotency-key": key } },
      body: { ...metadata, assetType: metadata.assetType ?? "generated", url },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return options.untilDone && !FINAL.has(asset.status) ? this.waitForAsset(asset.id, options) : asset;
  }

  /** The asset once it is `ready` or `failed`: woken by live events when connected, polled with backoff always. */
  async waitForAsset(id: string, { signal, timeoutMs = 120_000 }: WaitOptions = {}): Promise<Asset> {
    const deadline = Date.now() + timeoutMs;
    let wake: (() => void) | undefined;
    let latest: Asset | undefined;
    const watcher = (asset: Asset) => {
      latest = asset;
      wake?.();
    };
    let watching = this.watchers.get(id);
    if (!watching) this.watchers.set(id, (watching = new Set()));
    watching.add(watcher);
    try {
      for (let delay = 200; ; delay = Math.min(5_000, delay * 1.5)) {
        const asset = latest ?? (await this.request("get", "/assets/{id}", { params: { path: { id } }, ...(signal ? { signal } : {}) }));
        latest = undefined;
        if (FINAL.has(asset.status)) return asset;
        if (Date.now() > deadline) throw new DOMException(`asset ${id} is still ${asset.status}`, "TimeoutError");
        // Connected: events say when; the slow poll only covers an event lost in a reconnect.
        const pause = this.live?.connected ? Math.max(delay, 5_000) : delay;
        const pausing = new AbortController(); // an event ends the pause early (and its timer with it)
        const cancel = () => pausing.abort(signal?.reason);
        signal?.addEventListener("abort", cancel, { once: true });
        wake = () => pausing.abort("woken");
        try {
          await sleep(pause, pausing.signal);
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
        } finally {
          signal?.removeEventListener("abort", cancel);
          wake = undefined;
        }
      }
    } finally {
      watching.delete(watcher);
      if (watching.size === 0) this.watchers.delete(id);
    }
  }

  /** Every page of a gallery view (with its filters), following `nextCursor` until the last. */
  async *pages(query: GalleryQuery = {}, { signal }: { signal?: AbortSignal } = {}): AsyncGenerator<GalleryPage> {
    let cursor: string | undefined;
    do {
      const page = await this.request("get", "/gallery", { params: { query: { ...query, ...(cursor ? { cursor } : {}) } }, ...(signal ? { signal } : {}) });
      yield page;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** Every asset of a view, page by page. */
  async *assets(query: GalleryQuery = {}, options: { signal?: AbortSignal } = {}): AsyncGenerator<Asset> {
    for await (const page of this.pages(query, options)) yield* page.items;
  }

  /** A cache of signed read URLs of one rendition, re-signed in batches shortly before they expire. */
  urlCache(options: UrlCacheOptions = {}): UrlCache {
    return new UrlCache(this, options);
  }

  /** The live connection: `onEvent` gets each message once per version; reconnects, and `onOpen` refetches. */
  subscribe(onEvent: (message: RealtimeMessage) => void, options: SubscribeOptions = {}): Subscription {
    const subscription = subscribe(
      this,
      (message) => {
        if (message.type === "asset.created" || message.type === "asset.updated") {
          for (const watcher of this.watchers.get(message.asset.id) ?? []) watcher(message.asset);
        }
        onEvent(message);
      },
      options,
    );
    this.live = subscription;
    const close = subscription.close.bind(subscription);
    return {
      get connected() {
        return subscription.connected;
      },
      close: () => {
        if (this.live === subscription) this.live = undefined;
        close();
      },
    };
  }
}

/** A client for the API at `baseUrl`, with `token` asked for a bearer token (again after a 401). */
export function createClient(options: GalleryClientOptions): GalleryClient {
  return new GalleryClient(options);
}
