// Compile-time checks of the generated typing (tsc --strict --noEmit fails if any of these stop holding).
import type { ClientCode, ErrorCode, GalleryClient, Success } from "../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const holds = <T extends true>(): T | undefined => undefined;

// Each route's code union is exactly what its OpenAPI operation declares.
holds<Equal<ErrorCode<"/assets/{id}", "get">, "unauthorized" | "not_found" | "internal_error" | "unavailable">>();
holds<Equal<ErrorCode<"/realtime/ticket", "post">, "unauthorized" | "internal_error" | "unavailable">>();
holds<Equal<Extract<ErrorCode<"/ingest", "post">, "too_many_ingests" | "url_not_allowed">, "too_many_ingests" | "url_not_allowed">>();
// A 204 route resolves with nothing; a JSON one with its schema.
holds<Equal<Success<"/assets/{id}", "delete">, undefined>>();
holds<Equal<Success<"/gallery", "get">["nextCursor"], string | null>>();

export async function narrowed(client: GalleryClient): Promise<void> {
  const { error } = await client.call("get", "/assets/{id}", { params: { path: { id: "x" } } });
  if (error) {
    const code: "unauthorized" | "not_found" | "internal_error" | "unavailable" | ClientCode = error.code;
    // @ts-expect-error a code this route never answers
    const never: typeof error.code = "quota_exceeded";
    void code, never;
  }
  // @ts-expect-error a route that does not exist
  await client.request("get", "/nowhere");
  // @ts-expect-error a body field the schema does not have
  await client.request("post", "/assets/sign-read", { body: { ids: ["x"], variant: "thumb", extra: 1 } });
}
