import { type HttpClient } from "./http.js";
import type { components } from "./schema.js";
type Schemas = components["schemas"];
export type Asset = Schemas["AssetOut"];
export type ContentType = Schemas["SignUploadRequest"]["contentType"];
/** What an upload may say about its asset (everything but the bytes' own facts). */
export type UploadMetadata = Partial<Omit<Schemas["SignUploadRequest"], "contentType" | "size" | "sha256">>;
/** A Blob with the optional name and type of a browser `File`. */
export type UploadBody = Blob & {
    name?: string;
};
export interface Transfer {
    /** The share of the bytes storage has taken, 0 to 1. */
    onProgress?: (fraction: number) => void;
    /** The pending asset, as soon as the upload is signed (before any byte is sent). */
    onStart?: (asset: Asset) => void;
    signal?: AbortSignal;
}
export declare const DEFAULT_MULTIPART_THRESHOLD: number;
/** The hex sha256 of `blob`, from WebCrypto (browsers and Node both have `crypto.subtle`). */
export declare function sha256Hex(blob: Blob): Promise<string>;
/** Send `body` to storage: XHR where there is one (upload progress), else fetch (progress only at the end). */
export declare function send(method: "POST" | "PUT", url: string, body: Blob | FormData, onBytes: (loaded: number) => void, signal: AbortSignal | undefined, fetcher: typeof fetch): Promise<void>;
/** The presigned POST: sign (with the sha256), then every policy field and the file. Resolves with the asset. */
export declare function uploadSigned(http: HttpClient, file: UploadBody, metadata: UploadMetadata, sha256: string | undefined, { onProgress, onStart, signal }: Transfer): Promise<{
    asset: Asset;
    duplicate: boolean;
}>;
/** The multipart routes: start, part URLs in batches of 100, parts three at a time, complete; abort on any failure. */
export declare function uploadMultipart(http: HttpClient, file: UploadBody, metadata: UploadMetadata, sha256: string | undefined, { onProgress, onStart, signal }: Transfer): Promise<{
    asset: Asset;
    duplicate: boolean;
}>;
export {};
