// The built client (dist/) against the real local server, which tests/e2e/test_ts_client.py starts and describes in
// the environment: GALLERY_API_URL, GALLERY_INGEST_URL (an HTTPS image the server may fetch), GALLERY_IMAGES (a folder
// of distinct PNGs). A small proxy in front of the API answers 503/429 on demand, to see what the client retries.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import http from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { ApiError, createClient, isApiError } from "../dist/index.js";

const API = process.env.GALLERY_API_URL;
const IMAGES = process.env.GALLERY_IMAGES;
const INGEST_URL = process.env.GALLERY_INGEST_URL;
if (!API || !IMAGES || !INGEST_URL) throw new Error("run through tests/e2e/test_ts_client.py (it starts the server)");

async function devToken(sub) {
  const response = await fetch(`${API}/__dev/token?sub=${encodeURIComponent(sub)}`);
  assert.equal(response.status, 200);
  return (await response.json()).token;
}

function clientFor(sub, options = {}) {
  return createClient({ baseUrl: API, token: () => devToken(sub), ...options });
}

async function png(name) {
  const bytes = await readFile(join(IMAGES, name));
  return new File([bytes], name, { type: "image/png" });
}

/** A proxy to the API that answers the next `plan` entries (status, Retry-After) itself, then forwards. */
function faultyProxy() {
  const plan = [];
  const seen = [];
  const server = http.createServer(async (request, response) => {
    seen.push(`${request.method} ${request.url}`);
    const fault = plan.shift();
    if (fault) {
      response.writeHead(fault.status, { "Content-Type": "application/problem+json", "Retry-After": fault.retryAfter });
      response.end(JSON.stringify({ type: "about:blank", title: "Busy", status: fault.status, detail: "", code: fault.code }));
      return;
    }
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const headers = { ...request.headers };
    delete headers.host;
    const upstream = await fetch(API + request.url, {
      method: request.method,
      headers,
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    response.writeHead(upstream.status, Object.fromEntries(upstream.headers));
    response.end(Buffer.from(await upstream.arrayBuffer()));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}`, plan, seen, server })),
  );
}

describe("the gallery client against the local server", () => {
  const alice = clientFor("ts-alice");

  test("uploadFile resolves with the ready asset, and the same bytes again are a duplicate with no upload", async () => {
    // Given an image and its progress reports
    const progress = [];
    // When it is uploaded twice
    const first = await alice.uploadFile(await png("a.png"), { filename: "a.png" }, { onProgress: (f) => progress.push(f) });
    const again = await alice.uploadFile(await png("a.png"), {}, { onProgress: (f) => progress.push(-f) });
    // Then the first is ready with its size, the second names the same asset and sent nothing
    assert.equal(first.status, "ready");
    assert.equal(first.width, 30);
    assert.equal(progress.at(-1), 1);
    assert.equal(again.id, first.id);
    assert.equal(again.duplicate, true);
    assert.ok(!progress.some((f) => f < 0), "a duplicate reports no upload progress");
  });

  test("uploadFile resolves over the live connection when one is open", async () => {
    // Given a subscription that has opened
    const bob = clientFor("ts-bob", { WebSocket });
    const events = [];
    let opened;
    const open = new Promise((resolve) => (opened = resolve));
    const live = bob.subscribe((message) => events.push(message), { onOpen: (reconnected) => opened(reconnected) });
    try {
      assert.equal(await open, false);
      // When an image is uploaded
      const asset = await bob.uploadFile(await png("b.png"));
      // Then it ends ready, and the connection carried its events
      assert.equal(asset.status, "ready");
      assert.ok(events.some((m) => m.type !== "assets.changed" && "asset" in m && m.asset.id === asset.id));
    } finally {
      live.close();
    }
  });

  test("ingest with wait fetches the image through the worker", async () => {
    // Given an HTTPS image the server may fetch / When it is ingested, waiting until it is done
    const asset = await alice.ingest(INGEST_URL, { prompt: "from the ts client" }, { wait: 20, untilDone: true });
    // Then
    assert.equal(asset.status, "ready");
    assert.equal(asset.prompt, "from the ts client");
    assert.equal(asset.source, "ingest");
  });

  test("pages follow the cursor through every page of a view, and assets through every item", async () => {
    // Given a user with three images
    const carol = clientFor("ts-carol");
    const ids = [];
    for (const name of ["c1.png", "c2.png", "c3.png"]) ids.push((await carol.uploadFile(await png(name), {}, { noWait: true })).id);
    // When the gallery is read two at a time
    const pages = [];
    for await (const page of carol.pages({ view: "all", limit: 2 })) pages.push(page.items.map((a) => a.id));
    const all = [];
    for await (const asset of carol.assets({ view: "all", kind: "image", limit: 1 })) all.push(asset.id);
    const trash = [];
    for await (const page of carol.pages({ view: "trash" })) trash.push(...page.items);
    // Then
    assert.equal(pages.length, 2);
    assert.deepEqual(pages.flat().sort(), [...ids].sort());
    assert.deepEqual([...all].sort(), [...ids].sort());
    assert.deepEqual(trash, []);
  });

  test("the URL cache hands out a URL until shortly before expiry, then re-signs in one batch", async () => {
    // Given two ready assets and a cache on a clock the test moves
    const dave = clientFor("ts-dave");
    const one = await dave.uploadFile(await png("d1.png"));
    const two = await dave.uploadFile(await png("d2.png"));
    let now = Date.now();
    const cache = dave.urlCache({ variant: "thumb", marginMs: 30_000, now: () => now });
    // When one URL is asked for twice
    const first = await cache.get(one.id);
    assert.equal(await cache.get(one.id), first);
    // Then it was signed once and it reads
    assert.equal(cache.signCalls, 1);
    assert.equal((await fetch(first)).status, 200);
    // When the clock passes its expiry and both URLs are asked for together
    const expires = Number(new URL(first).searchParams.get("X-Amz-Expires") ?? "3600");
    now += expires * 1000;
    const [again, other, gone] = await Promise.all([cache.get(one.id), cache.get(two.id), cache.get("01ARZ3NDEKTSV4RRFFQ69G5FAV")]);
    // Then one more sign-read call covered all three, and the fresh URLs read
    assert.equal(cache.signCalls, 2);
    assert.equal((await fetch(again)).status, 200);
    assert.equal((await fetch(other)).status, 200);
    assert.equal(gone, null);
  });

  test("a 404 is an ApiError typed not_found", async () => {
    // When an unknown asset is read
    const { data, error } = await alice.call("get", "/assets/{id}", { params: { path: { id: "01ARZ3NDEKTSV4RRFFQ69G5FAV" } } });
    // Then
    assert.equal(data, undefined);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    assert.equal(error.code, "not_found");
    assert.ok(isApiError(error, "not_found"));
    await assert.rejects(alice.request("get", "/assets/{id}", { params: { path: { id: "nope" } } }), (e) => isApiError(e, "not_found"));
  });

  test("a 401 asks the token provider again, once", async () => {
    // Given a provider whose first token is refused
    const asked = [];
    const client = createClient({ baseUrl: API, token: async (renew) => (asked.push(renew), renew ? devToken("ts-erin") : "expired") });
    // When a route is called
    const page = await client.request("get", "/gallery", { params: { query: { view: "all" } } });
    // Then it was asked twice (the second time to renew) and the call went through
    assert.deepEqual(asked, [false, true]);
    assert.deepEqual(page.items, []);
  });

  describe("behind a proxy answering 503 and 429", () => {
    let proxy;
    let client;
    before(async () => {
      proxy = await faultyProxy();
      client = createClient({ baseUrl: proxy.url, token: () => devToken("ts-frank") });
    });
    after(() => {
      proxy.server.close();
      proxy.server.closeAllConnections();
    });

    test("an idempotent GET is retried after Retry-After", async () => {
      // Given a 503 then a 429, each asking for a second
      proxy.seen.length = 0;
      proxy.plan.push({ status: 503, retryAfter: "1", code: "unavailable" }, { status: 429, retryAfter: "1", code: "too_many_attempts" });
      // When the gallery is read
      const started = Date.now();
      const page = await client.request("get", "/gallery", { params: { query: { view: "all" } } });
      // Then it went through on the third try, having waited as told
      assert.deepEqual(page.items, []);
      assert.equal(proxy.seen.length, 3);
      assert.ok(Date.now() - started >= 1900, "waited Retry-After twice");
    });

    test("ingest (an Idempotency-Key) is retried; a POST without one is not", async () => {
      // Given a 503 before each call
      proxy.seen.length = 0;
      proxy.plan.push({ status: 503, retryAfter: "0", code: "unavailable" });
      // When a folder is created (not idempotent)
      const { error } = await client.call("post", "/folders", { body: { name: "once" } });
      // Then the 503 reaches the caller, typed
      assert.equal(error?.code, "unavailable");
      assert.equal(proxy.seen.length, 1);
      // When an ingest meets the same
      proxy.plan.push({ status: 503, retryAfter: "0", code: "unavailable" });
      const asset = await client.ingest(INGEST_URL, {}, { wait: 20, untilDone: true });
      // Then it was retried with the same key and went through
      assert.equal(asset.status, "ready");
      assert.equal(proxy.seen.filter((line) => line.startsWith("POST /ingest")).length, 2);
    });
  });
});
