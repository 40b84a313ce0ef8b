import { HttpClient, type ClientOptions } from "./http.js";
import { type RealtimeMessage, type SubscribeOptions, type Subscription } from "./live.js";
import type { components } from "./schema.js";
import { type Asset, type Transfer, type UploadBody, type UploadMetadata } from "./upload.js";
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
export type GalleryQuery = {
    view?: View;
    assetType?: Schemas["AssetType"];
    kind?: Schemas["AssetKind"];
    folderId?: string;
    limit?: number;
};
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
export declare class GalleryClient extends HttpClient {
    private readonly multipartThreshold;
    private readonly hashLimit;
    private live;
    private readonly watchers;
    constructor(options: GalleryClientOptions);
    /**
     * Upload a file: its sha256 first, up to `hashLimit` (a duplicate of a stored original skips the upload and
     * resolves with that asset), then a presigned POST with progress, or the multipart routes above the threshold;
     * resolves once the asset is `ready` or `failed` (over the live connection when `subscribe` has one open, else by
     * polling).
     */
    uploadFile(file: UploadBody, metadata?: UploadMetadata, options?: UploadOptions): Promise<Asset>;
    /** `POST /ingest` with an Idempotency-Key (so it is retried on 503/429); `wait` seconds server-side (≤ 25), and
     * `untilDone` keeps waiting here until the asset is `ready` or `failed`. */
    ingest(url: string, metadata?: IngestMetadata, options?: {
        wait?: number;
        untilDone?: boolean;
        idempotencyKey?: string;
    } & WaitOptions): Promise<Asset>;
    /** The asset once it is `ready` or `failed`: woken by live events when connected, polled with backoff always. */
    waitForAsset(id: string, { signal, timeoutMs }?: WaitOptions): Promise<Asset>;
    /** Every page of a gallery view (with its filters), following `nextCursor` until the last. */
    pages(query?: GalleryQuery, { signal }?: {
        signal?: AbortSignal;
    }): AsyncGenerator<GalleryPage>;
    /** Every asset of a view, page by page. */
    assets(query?: GalleryQuery, options?: {
        signal?: AbortSignal;
    }): AsyncGenerator<Asset>;
    /** A cache of signed read URLs of one rendition, re-signed in batches shortly before they expire. */
    urlCache(options?: UrlCacheOptions): UrlCache;
    /** The live connection: `onEvent` gets each message once per version; reconnects, and `onOpen` refetches. */
    subscribe(onEvent: (message: RealtimeMessage) => void, options?: SubscribeOptions): Subscription;
}
/** A client for the API at `baseUrl`, with `token` asked for a bearer token (again after a 401). */
export declare function createClient(options: GalleryClientOptions): GalleryClient;
