/** A refused request: the problem+json body's fields, with `code` narrowed to the route's declared codes. */
export class ApiError extends Error {
    status;
    code;
    title;
    detail;
    problem;
    retryAfterSeconds;
    name = "ApiError";
    constructor(status, code, title, detail, problem = undefined, retryAfterSeconds = undefined) {
        super(detail ? `${title}: ${detail}` : title);
        this.status = status;
        this.code = code;
        this.title = title;
        this.detail = detail;
        this.problem = problem;
        this.retryAfterSeconds = retryAfterSeconds;
    }
}
/** True when `error` is an ApiError, optionally with one of `codes`. */
export function isApiError(error, ...codes) {
    return error instanceof ApiError && (codes.length === 0 || codes.includes(error.code));
}
const IDEMPOTENT = new Set(["GET", "HEAD", "DELETE", "PUT"]);
/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted)
            return reject(signal.reason);
        const timer = setTimeout(() => {
            signal?.removeEventListener("abort", stop);
            resolve();
        }, ms);
        const stop = () => {
            clearTimeout(timer);
            reject(signal?.reason);
        };
        signal?.addEventListener("abort", stop, { once: true });
    });
}
/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or undefined. */
export function retryAfterSeconds(value, now = Date.now()) {
    if (!value)
        return undefined;
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed))
        return Number(trimmed);
    const at = Date.parse(trimmed);
    return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}
function fill(path, values) {
    return path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(values?.[name] ?? "")));
}
function query(values) {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(values ?? {})) {
        if (value !== undefined && value !== null && value !== "")
            search.set(name, String(value));
    }
    const text = search.toString();
    return text ? `?${text}` : "";
}
/** An answer's body as an ApiError (problem+json, any other JSON, or text). */
export async function toApiError(response) {
    const type = response.headers.get("content-type") ?? "";
    const wait = retryAfterSeconds(response.headers.get("retry-after"));
    const text = await response.text().catch(() => "");
    let body;
    if (type.includes("json")) {
        try {
            body = JSON.parse(text);
        }
        catch {
            body = undefined;
        }
    }
    if (body && typeof body === "object") {
        const problem = body;
        const title = problem.title ?? `HTTP ${response.status}`;
        return new ApiError(response.status, problem.code ?? "http_error", title, problem.detail ?? problem.message ?? "", problem, wait);
    }
    return new ApiError(response.status, "http_error", response.statusText || `HTTP ${response.status}`, text.trim().slice(0, 300), undefined, wait);
}
export class HttpClient {
    baseUrl;
    fetch;
    tokenProvider;
    maxRetries;
    maxRetryDelayMs;
    token;
    constructor(options) {
        this.baseUrl = options.baseUrl.replace(/\/+$/, "");
        this.tokenProvider = options.token;
        this.maxRetries = options.maxRetries ?? 3;
        this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
        this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    }
    bearer(renew) {
        if (!this.tokenProvider)
            return Promise.resolve(undefined);
        if (renew || !this.token)
            this.token = Promise.resolve(this.tokenProvider(renew));
        return this.token;
    }
    /** Forget the cached token (signing out); the provider is asked again on the next request. */
    resetToken() {
        this.token = undefined;
    }
    /** One route, typed end to end: `{data}` on 2xx, `{error}` (an ApiError with the route's codes) otherwise. */
    async call(method, path, options = {}) {
        const params = (options.params ?? {});
        const url = this.baseUrl + fill(path, params.path) + query(params.query);
        const headers = { ...options.headers };
        for (const [name, value] of Object.entries(params.header ?? {}))
            if (value !== undefined && value !== null)
                headers[name] = String(value);
        const verb = method.toUpperCase();
        const idempotent = IDEMPOTENT.has(verb) || Object.keys(headers).some((name) => name.toLowerCase() === "idempotency-key");
        const init = { method: verb, headers, ...(options.signal ? { signal: options.signal } : {}) };
        if (options.body !== undefined) {
            headers["Content-Type"] = "application/json";
            init.body = JSON.stringify(options.body);
        }
        let renewed = false;
        for (let attempt = 0;; attempt += 1) {
            const token = await this.bearer(false);
            if (token)
                headers.Authorization = `Bearer ${token}`;
            let response;
            try {
                response = await this.fetch(url, init);
            }
            catch (error) {
                if (options.signal?.aborted)
                    throw options.signal.reason;
                const why = error instanceof Error ? error.message : String(error);
                const failure = new ApiError(0, "network_error", "Network error", `${this.baseUrl} could not be reached (${why}).`);
                return { error: failure, response: undefined };
            }
            if (response.ok || (response.status >= 300 && response.status < 400)) {
                return { data: (await this.parse(response)), response };
            }
            if (response.status === 401 && !renewed && this.tokenProvider) {
                renewed = true;
                await response.body?.cancel();
                await this.bearer(true);
                attempt -= 1;
                continue;
            }
            const error = await toApiError(response);
            if ((response.status === 503 || response.status === 429) && idempotent && attempt < this.maxRetries) {
                const delay = error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 250 * 2 ** attempt;
                if (delay <= this.maxRetryDelayMs) {
                    await sleep(delay, options.signal);
                    continue;
                }
            }
            return { error: error, response };
        }
    }
    /** Like `call`, but resolves with the data and rejects with the ApiError. */
    async request(method, path, options = {}) {
        const result = await this.call(method, path, options);
        if (result.error)
            throw result.error;
        return result.data;
    }
    async parse(response) {
        if (response.status === 204)
            return undefined;
        const type = response.headers.get("content-type") ?? "";
        if (type.includes("json"))
            return response.json();
        return response.text();
    }
}
