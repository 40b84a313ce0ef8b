// The typed core: one `call` over the generated `paths`, with a token provider (asked again once on a 401), retries of
// idempotent requests on 503/429 honouring Retry-After, and problem+json answers turned into typed `ApiError`s.
import type { components, paths } from "./schema.js";

export type Method = "get" | "post" | "patch" | "delete";
/** The routes that answer `method`. */
export type PathsWith<M extends Method> = { [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never }[keyof paths];
type Operation<P extends keyof paths, M extends Method> = paths[P][M] extends infer O ? (O extends { responses: unknown } ? O : never) : never;
type Responses<P extends keyof paths, M extends Method> = Operation<P, M>["responses"];
type JsonOf<R> = R extends { content: { "application/json": infer J } } ? J : R extends { content?: never } ? undefined : never;

/** The body of a 2xx answer of `method path` (undefined for a 204). */
export type Success<P extends keyof paths, M extends Method> = {
  [S in keyof Responses<P, M>]: S extends 200 | 201 | 202 | 204 ? JsonOf<Responses<P, M>[S]> : never;
}[keyof Responses<P, M>];
type ProblemOf<R> = R extends { content: { "application/problem+json": infer J } } ? J : never;
/** Every problem+json body `method path` declares. */
export type RouteProblem<P extends keyof paths, M extends Method> = { [S in keyof Responses<P, M>]: ProblemOf<Responses<P, M>[S]> }[keyof Responses<P, M>];
/** The `code` union of `method path`, as its OpenAPI operation declares it. */
export type ErrorCode<P extends keyof paths, M extends Method> = Extract<RouteProblem<P, M> extends { code?: infer C } ? C : never, string>;
/** Codes the client itself gives: the API unreachable, or an answer that was not problem+json (a proxy, a gateway). */
export type ClientCode = "network_error" | "http_error";
export type Problem = components["schemas"]["Problem"];
type Params<P extends keyof paths, M extends Method> = Operation<P, M> extends { parameters: infer Q } ? Q : never;
type Body<P extends keyof paths, M extends Method> = Operation<P, M> extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

/** A refused request: the problem+json body's fields, with `code` narrowed to the route's declared codes. */
export class ApiError<C extends string = string> extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: C | ClientCode,
    readonly title: string,
    readonly detail: string,
    readonly problem: Partial<Problem> | undefined = undefined,
    readonly retryAfterSeconds: number | undefined = undefined,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

/** True when `error` is an ApiError, optionally with one of `codes`. */
export function isApiError<C extends string>(error: unknown, ...codes: C[]): error is ApiError<C> {
  return error instanceof ApiError && (codes.length === 0 || (codes as string[]).includes(error.code));
}

/** Returns a bearer token; `renew` is true after the API answered 401 to the last one (get a fresh one). */
export type TokenProvider = (renew: boolean) => string | null | undefined | Promise<string | null | undefined>;

export interface ClientOptions {
  /** The API's base URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com` (no trailing slash needed). */
  baseUrl: string;
  token?: TokenProvider;
  /** Retries of an idempotent request answered 503 or 429 (default 3). */
  maxRetries?: number;
  /** A Retry-After longer than this is not waited for: the error goes to the caller (default 30 000 ms). */
  maxRetryDelayMs?: number;
  fetch?: typeof fetch;
}

export interface CallOptions<P extends keyof paths, M extends Method> {
  params?: Params<P, M>;
  body?: Body<P, M>;
  signal?: AbortSignal;
  /** Extra headers (the generated `header` parameters go in `params.header`). */
  headers?: Record<string, string>;
}

export type CallResult<P extends keyof paths, M extends Method> =
  | { data: Success<P, M>; error?: undefined; response: Response }
  | { data?: undefined; error: ApiError<ErrorCode<P, M>>; response: Response | undefined };

const IDEMPOTENT = new Set(["GET", "HEAD", "DELETE", "PUT"]);

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
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
export function retryAfterSeconds(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

function fill(path: string, values: Record<string, unknown> | undefined): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(values?.[name] ?? "")));
}

function query(values: Record<string, unknown> | undefined): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(values ?? {})) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** An answer's body as an ApiError (problem+json, any other JSON, or text). */
export async function toApiError(response: Response): Promise<ApiError<string>> {
  const type = response.headers.get("content-type") ?? "";
  const wait = retryAfterSeconds(response.headers.get("retry-after"));
  const text = await response.text().catch(() => "");
  let body: unknown;
  if (type.includes("json")) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (body && typeof body === "object") {
    const problem = body as Partial<Problem> & { message?: string };
    const title = problem.title ?? `HTTP ${response.status}`;
    return new ApiError(response.status, problem.code ?? "http_error", title, problem.detail ?? problem.message ?? "", problem, wait);
  }
  return new ApiError(response.status, "http_error", response.statusText || `HTTP ${response.status}`, text.trim().slice(0, 300), undefined, wait);
}

export class HttpClient {
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  private readonly tokenProvider: TokenProvider | undefined;
  private readonly maxRetries: number;
  private readonly maxRetryDelayMs: number;
  private token: Promise<string | null | undefined> | undefined;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.tokenProvider = options.token;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  private bearer(renew: boolean): Promise<string | null | undefined> {
    if (!this.tokenProvider) return Promise.resolve(undefined);
    if (renew || !this.token) this.token = Promise.resolve(this.tokenProvider(renew));
    return this.token;
  }

  /** Forget the cached token (signing out); the provider is asked again on the next request. */
  resetToken(): void {
    this.token = undefined;
  }

  /** One route, typed end to end: `{data}` on 2xx, `{error}` (an ApiError with the route's codes) otherwise. */
  async call<P extends keyof paths, M extends Method>(method: M, path: P, options: CallOptions<P, M> = {}): Promise<CallResult<P, M>> {
    const params = (options.params ?? {}) as { path?: Record<string, unknown>; query?: Record<string, unknown>; header?: Record<string, unknown> };
    const url = this.baseUrl + fill(path as string, params.path) + query(params.query);
    const headers: Record<string, string> = { ...options.headers };
    for (const [name, value] of Object.entries(params.header ?? {})) if (value !== undefined && value !== null) headers[name] = String(value);
    const verb = method.toUpperCase();
    const idempotent = IDEMPOTENT.has(verb) || Object.keys(headers).some((name) => name.toLowerCase() === "idempotency-key");
    const init: RequestInit = { method: verb, headers, ...(options.signal ? { signal: options.signal } : {}) };
    if (options.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    let renewed = false;
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.bearer(false);
      if (token) headers.Authorization = `Bearer ${token}`;
      let response: Response;
      try {
        response = await this.fetch(url, init);
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        const why = error instanceof Error ? error.message : String(error);
        const failure = new ApiError<ErrorCode<P, M>>(0, "network_error", "Network error", `${this.baseUrl} could not be reached (${why}).`);
        return { error: failure, response: undefined };
      }
      if (response.ok || (response.status >= 300 && response.status < 400)) {
        return { data: (await this.parse(response)) as Success<P, M>, response };
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
      return { error: error as ApiError<ErrorCode<P, M>>, response };
    }
  }

  /** Like `call`, but resolves with the data and rejects with the ApiError. */
  async request<P extends keyof paths, M extends Method>(method: M, path: P, options: CallOptions<P, M> = {}): Promise<Success<P, M>> {
    const result = await this.call(method, path, options);
    if (result.error) throw result.error;
    return result.data as Success<P, M>;
  }

  private async parse(response: Response): Promise<unknown> {
    if (response.status === 204) return undefined;
    const type = response.headers.get("content-type") ?? "";
    if (type.includes("json")) return response.json();
    return response.text();
  }
}
