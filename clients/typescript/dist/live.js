const PING = JSON.stringify({ action: "ping" });
export function subscribe(http, onEvent, options = {}) {
    const Socket = options.WebSocket ?? globalThis.WebSocket;
    const pingMs = options.pingMs ?? 4 * 60 * 1000;
    const firstRetryMs = options.firstRetryMs ?? 500;
    const maxRetryMs = options.maxRetryMs ?? 30_000;
    const versions = new Map(); // per asset the largest version seen: events may repeat or cross
    let wanted = true;
    let opened = 0;
    let failures = 0;
    let socket = null;
    let connected = false;
    let pingTimer;
    let retryTimer;
    const retry = () => {
        if (!wanted || retryTimer)
            return;
        const ceiling = Math.min(maxRetryMs, firstRetryMs * 2 ** failures);
        failures += 1;
        retryTimer = setTimeout(() => {
            retryTimer = undefined;
            void connect();
        }, ceiling / 2 + Math.random() * (ceiling / 2));
    };
    const fresh = (message) => {
        if (message.type !== "asset.created" && message.type !== "asset.updated" && message.type !== "asset.deleted")
            return true;
        const id = "asset" in message ? message.asset.id : message.id;
        const version = BigInt(message.version);
        const seen = versions.get(id);
        if (seen !== undefined && seen >= version)
            return false;
        versions.set(id, version);
        return true;
    };
    const connect = async () => {
        if (!wanted)
            return;
        let url;
        try {
            url = (await http.request("post", "/realtime/ticket")).url;
        }
        catch {
            retry();
            return;
        }
        if (!wanted)
            return;
        const ws = new Socket(url);
        socket = ws;
        ws.addEventListener("open", () => {
            if (socket !== ws)
                return;
            failures = 0;
            connected = true;
            pingTimer = setInterval(() => ws.readyState === ws.OPEN && ws.send(PING), pingMs);
            opened += 1;
            void options.onOpen?.(opened > 1);
        });
        ws.addEventListener("message", (event) => {
            if (socket !== ws || typeof event.data !== "string")
                return;
            let message;
            try {
                message = JSON.parse(event.data);
            }
            catch {
                return; // not ours to read; events are hints anyway
            }
            if (message && typeof message === "object" && typeof message.type === "string" && fresh(message))
                onEvent(message);
        });
        ws.addEventListener("close", () => {
            if (socket !== ws)
                return;
            socket = null;
            connected = false;
            clearInterval(pingTimer);
            options.onClose?.();
            retry();
        });
    };
    void connect();
    return {
        get connected() {
            return connected;
        },
        close() {
            wanted = false;
            clearTimeout(retryTimer);
            clearInterval(pingTimer);
            const open = socket;
            socket = null;
            connected = false;
            open?.close(1000, "closed");
        },
    };
}
