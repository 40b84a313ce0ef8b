import type { components, paths } from "./schema.js";
export type Method = "get" | "post" | "patch" | "delete";
/** The routes that answer `method`. */
export type PathsWith<M extends Method> = {
    [P in keyof paths]: paths[P][M] extends {
        responses: unknown;
    } ? P : never;
}[keyof paths];
type Operation<P extends keyof paths, M extends Method> = paths[P][M] extends infer O ? (O extends {
    responses: unknown;
} ? O : never) : never;
type Responses<P extends keyof paths, M extends Method> = Operation<P, M>["responses"];
type JsonOf<R> = R extends {
    content: {
        "application/json": infer J;
    };
} ? J : R extends {
    content?: never;
} ? undefined : never;
/** The body of a 2xx answer of `method path` (undefined for a 204). */
export type Success<P extends keyof paths, M extends Method> = {
    [S in keyof Responses<P, M>]: S extends 200 | 201 | 202 | 204 ? JsonOf<Responses<P, M>[S]> : never;
}[keyof Responses<P, M>];
type ProblemOf<R> = R extends {
    content: {
        "application/problem+json": infer J;
    };
} ? J : never;
/** Every problem+json body `method path` declares. */
export type RouteProblem<P extends keyof paths, M extends Method> = {
    [S in keyof Responses<P, M>]: ProblemOf<Responses<P, M>[S]>;
}[keyof Responses<P, M>];
/** The `code` union of `method path`, as its OpenAPI operation declares it. */
export type ErrorCode<P extends keyof paths, M extends Method> = Extract<RouteProblem<P, M> extends {
    code?: infer C;
} ? C : never, string>;
/** Codes the client itself gives: the API unreachable, or an answer that was not problem+json (a proxy, a gateway). */
export type ClientCode = "network_error" | "http_error";
export type Problem = components["schemas"]["Problem"];
type Params<P extends keyof paths, M extends Method> = Operation<P, M> extends {
    parameters: infer Q;
} ? Q : never;
type Body<P extends keyof paths, M extends Method> = Operation<P, M> extends {
    requestBody?: {
        content: {
            "application/json": infer B;
        };
    };
} ? B : never;
/** A refused request: the problem+json body's fields, with `code` narrowed to the route's declared codes. */
export declare class ApiError<C extends string = string> extends Error {
    readonly status: number;
    readonly code: C | ClientCode;
    readonly title: string;
    readonly detail: string;
    readonly problem: Partial<Problem> | undefined;
    readonly retryAfterSeconds: number | undefined;
    readonly name = "ApiError";
    constructor(status: number, code: C | ClientCode, title: string, detail: string, problem?: Partial<Problem> | undefined, retryAfterSeconds?: number | undefined);
}
/** True when `error` is an ApiError, optionally with one of `codes`. */
export declare function isApiError<C extends string>(error: unknown, ...codes: C[]): error is ApiError<C>;
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
export type CallResult<P extends keyof paths, M extends Method> = {
    data: Success<P, M>;
    error?: undefined;
    response: Response;
} | {
    data?: undefined;
    error: ApiError<ErrorCode<P, M>>;
    response: Response | undefined;
};
/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
export declare function sleep(ms: number, signal?: AbortSignal): Promise<void>;
/** Seconds from a Retry-After header (delta-seconds or an HTTP date), or undefined. */
export declare function retryAfterSeconds(value: string | null, now?: number): number | undefined;
/** An answer's body as an ApiError (problem+json, any other JSON, or text). */
export declare function toApiError(response: Response): Promise<ApiError<string>>;
export declare class HttpClient {
    readonly baseUrl: string;
    readonly fetch: typeof fetch;
    private readonly tokenProvider;
    private readonly maxRetries;
    private readonly maxRetryDelayMs;
    private token;
    constructor(options: ClientOptions);
    private bearer;
    /** Forget the cached token (signing out); the provider is asked again on the next request. */
    resetToken(): void;
    /** One route, typed end to end: `{data}` on 2xx, `{error}` (an ApiError with the route's codes) otherwise. */
    call<P extends keyof paths, M extends Method>(method: M, path: P, options?: CallOptions<P, M>): Promise<CallResult<P, M>>;
    /** Like `call`, but resolves with the data and rejects with the ApiError. */
    request<P extends keyof paths, M extends Method>(method: M, path: P, options?: CallOptions<P, M>): Promise<Success<P, M>>;
    private parse;
}
export {};
