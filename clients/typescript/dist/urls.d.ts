import type { HttpClient } from "./http.js";
import type { components } from "./schema.js";
export type ReadVariant = components["schemas"]["ReadVariant"];
export interface UrlCacheOptions {
    /** Which rendition (default "thumb"). */
    variant?: ReadVariant;
    /** Re-sign this long before a URL expires (default 60 000 ms), so a page load never starts on a dying URL. */
    marginMs?: number;
    /** The clock, in epoch milliseconds (tests move it). */
    now?: () => number;
}
export declare class UrlCache {
    private readonly http;
    private readonly entries;
    private readonly waiting;
    private flushing;
    private readonly variant;
    private readonly marginMs;
    private readonly now;
    /** How many `POST /assets/sign-read` calls this cache made. */
    signCalls: number;
    constructor(http: HttpClient, options?: UrlCacheOptions);
    /** A signed URL of `id` that is good for at least the margin, or null when the asset is gone (or not readable). */
    get(id: string): Promise<string | null>;
    /** Remember a URL the API already gave (an asset's `thumbUrl`, say) with its expiry. */
    prime(id: string, url: string, expiresAt: string | number): void;
    /** Drop `id` (an image failed to load with it): the next `get` re-signs. */
    invalidate(id: string): void;
    private flush;
}
