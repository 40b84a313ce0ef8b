const BATCH = 100; // SignReadRequest.ids maxItems
export class UrlCache {
    http;
    entries = new Map();
    waiting = new Map();
    flushing = false;
    variant;
    marginMs;
    now;
    /** How many `POST /assets/sign-read` calls this cache made. */
    signCalls = 0;
    constructor(http, options = {}) {
        this.http = http;
        this.variant = options.variant ?? "thumb";
        this.marginMs = options.marginMs ?? 60_000;
        this.now = options.now ?? Date.now;
    }
    /** A signed URL of `id` that is good for at least the margin, or null when the asset is gone (or not readable). */
    get(id) {
        const entry = this.entries.get(id);
        if (entry && entry.expiresAt - this.marginMs > this.now())
            return Promise.resolve(entry.url);
        return new Promise((resolve, reject) => {
            const queue = this.waiting.get(id);
            if (queue)
                queue.push({ resolve, reject });
            else
                this.waiting.set(id, [{ resolve, reject }]);
            if (!this.flushing) {
                this.flushing = true;
                queueMicrotask(() => void this.flush());
            }
        });
    }
    /** Remember a URL the API already gave (an asset's `thumbUrl`, say) with its expiry. */
    prime(id, url, expiresAt) {
        this.entries.set(id, { url, expiresAt: typeof expiresAt === "number" ? expiresAt : Date.parse(expiresAt) });
    }
    /** Drop `id` (an image failed to load with it): the next `get` re-signs. */
    invalidate(id) {
        this.entries.delete(id);
    }
    async flush() {
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
                    if (signed)
                        this.entries.set(id, { url: signed.url, expiresAt: Date.parse(signed.expiresAt) });
                    else
                        this.entries.delete(id);
                    for (const waiter of batch.get(id) ?? [])
                        waiter.resolve(signed ? signed.url : null);
                }
            }
            catch (error) {
                for (const id of chunk)
                    for (const waiter of batch.get(id) ?? [])
                        waiter.reject(error);
            }
        }
    }
}
