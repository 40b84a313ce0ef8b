import type { HttpClient } from "./http.js";
import type { components } from "./schema.js";
export type RealtimeMessage = components["schemas"]["RealtimeMessage"];
export interface SubscribeOptions {
    /** Called on every open; `reconnected` is false the first time. Refetch what is on screen here. */
    onOpen?: (reconnected: boolean) => void | Promise<void>;
    /** Called when the connection drops (the client polls meanwhile, if it wants). */
    onClose?: () => void;
    /** A WebSocket constructor (Node 20: `--experimental-websocket`, or the `ws` package). */
    WebSocket?: typeof WebSocket;
    pingMs?: number;
    firstRetryMs?: number;
    maxRetryMs?: number;
}
export interface Subscription {
    readonly connected: boolean;
    close(): void;
}
export declare function subscribe(http: HttpClient, onEvent: (message: RealtimeMessage) => void, options?: SubscribeOptions): Subscription;
