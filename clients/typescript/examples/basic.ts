// The README's example: sign in, upload with progress, list, show thumbnails that never expire, stay live.
import { createClient, isApiError } from "../src/index.js";

declare function getToken(renew: boolean): Promise<string>; // your sign-in (Cognito, OIDC, …)
declare const file: File;

const gallery = createClient({ baseUrl: "https://api.example.com", token: getToken });

const asset = await gallery.uploadFile(file, { prompt: "a red fox" }, { onProgress: (f) => console.log(`${Math.round(f * 100)}%`) });
console.log(asset.status, asset.duplicate ? "(already there)" : "");

const thumbs = gallery.urlCache({ variant: "thumb" });
for await (const item of gallery.assets({ view: "starred" })) {
  console.log(item.filename, await thumbs.get(item.id)); // re-signed in batches shortly before expiry
}

const live = gallery.subscribe((event) => console.log(event.type), { onOpen: () => console.log("refetch the first page") });

const { error } = await gallery.call("get", "/assets/{id}", { params: { path: { id: asset.id } } });
if (error?.code === "not_found") console.log("deleted meanwhile");
if (isApiError(error, "unauthorized")) live.close();
