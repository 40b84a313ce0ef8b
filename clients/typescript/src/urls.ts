// Signed read URLs that never break an image: each is handed out until shortly before it expires, then re-signed,
// and every id asked for in the same tick goes in one `POST /assets/sign-read` (at most 100 ids a call).
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

interface Entry {
  url: string;
  expiresAt: number;
}

const BATCH = 100; // SignReadRequest.ids maxItems

export class UrlCache {
  private readonly entries = new Map<string, Entry>();
  private readonly waiting = new Map<string, { resolve: (url: string | null) => void; reject: (error: unknown) => void }[]>();
  private flushing = false;
  private readonly variant: ReadVariant;
  private readonly marginMs: number;
  private readonly now: () => number;
  /** How many `POST /assets/sign-read` calls this cache made. */
  signCalls = 0;

  constructor(private readonly http: HttpClient, options: UrlCacheOptions = {}) {
    this.variant = options.variant ?? "thumb";
    this.marginMs = options.marginMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /** A signed URL of `id` that is good for at least the margin, or null when the asset is gone (or not readable). */
  get(id: string): Promise<string | null> {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt - this.marginMs > this.now()) return Promise.resolve(entry.url);
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(id);
      if (queue) queue.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      if (!this.flushing) {
        this.flushing = true;
        queueMicrotask(() => void this.flush());
      }
    });
  }

  /** Remember a URL the API already gave (an asset's `thumbUrl`, say) with its expiry. */
  prime(id: string, url: string, expiresAt: string | number): void {
    this.entries.set(id, { url, expiresAt: typeof expiresAt === "number" ? expiresAt : Date.parse(expiresAt) });
  }

  /** Drop `id` (an image failed to load with it): the next `get` re-signs. */
  invalidate(id: string): void {
    this.entries.delete(id);
  }

  private async flush(): Promise<void> {
    this.flushing = false;
    const batch = new Map(this.waiting);
    this.waiting.clear();
    const ids = [...batch.keys()];
    for (let start = 0; start < ids.length; start += BATCH) {
      const chunk = ids.slice(start, start + BATCH);
      try {
        this.signCalls += 1;
        const answer = await this.http.request("post", "/assets/sign-read", { body: { ids: chunk, variant: this.variant } });
        for (const id of chunk) {
          const signed = answer.urls[id];
          if (signed) this.entries.set(id, { url: signed.url, expiresAt: Date.parse(signed.expiresAt) });
          else this.entries.delete(id);
          for (const waiter of batch.get(id) ?? []) waiter.resolve(signed ? signed.url : null);
        }
      } catch (error) {
        for (const id of chunk) for (const waiter of batch.get(id) ?? []) waiter.reject(error);
      }
    }
  }
}
