// The gallery API client: bearer auth, problem+json errors as ApiError, presigned POST uploads with progress.
import { apiBase, devTokens } from "./config.js";

export class ApiError extends Error {
  constructor(status, title, detail, code) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = code;
  }
}

async function parse(response) {
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (response.ok) return data;
  if (data && typeof data === "object") {
    throw new ApiError(response.status, data.title || `HTTP ${response.status}`, data.detail || data.message || "", data.code || "");
  }
  const text = typeof data === "string" ? data.trim().slice(0, 300) : "";
  throw new ApiError(response.status, response.statusText || `HTTP ${response.status}`, text, "");
}

function s3Message(xml) {
  const found = /<Message>([^<]*)<\/Message>/.exec(xml || "");
  return found ? found[1] : (xml || "").slice(0, 200);
}

export class Api {
  constructor() {
    this.user = sessionStorage.getItem("gallery.user");
    this.token = sessionStorage.getItem("gallery.token");
  }

  get signedIn() {
    return Boolean(this.token);
  }

  async signIn(user) {
    // The local server's token endpoint; a deployed SPA would run the Cognito (or OIDC) sign-in here instead.
    if (!devTokens) throw new ApiError(0, "Sign-in unavailable", "This build has no local token endpoint.", "no_dev_tokens");
    const body = await parse(await this.#fetch(`/__dev/token?sub=${encodeURIComponent(user)}`, {}));
    this.user = user;
    this.token = body.token;
    sessionStorage.setItem("gallery.user", user);
    sessionStorage.setItem("gallery.token", body.token);
  }

  signOut() {
    this.user = null;
    this.token = null;
    sessionStorage.removeItem("gallery.user");
    sessionStorage.removeItem("gallery.token");
  }

  async #fetch(path, init) {
    let response;
    try {
      response = await fetch(apiBase + path, init);
    } catch (error) {
      throw new ApiError(0, "Network error", `The API at ${apiBase} could not be reached (${error.message}).`, "network_error");
    }
    return response;
  }

  async #send(method, path, body, renewed = false) {
    const headers = { Authorization: `Bearer ${this.token}` };
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await this.#fetch(path, init);
    if (response.status === 401 && !renewed && devTokens && this.user) {
      // Local tokens are short-lived: get a fresh one once, then give up with the real error.
      await this.signIn(this.user);
      return this.#send(method, path, body, true);
    }
    return response;
  }

  async request(method, path, body) {
    return parse(await this.#send(method, path, body));
  }

  gallery({ view, assetType, cursor, limit }) {
    const query = new URLSearchParams({ view, limit: String(limit) });
    if (assetType) query.set("assetType", assetType);
    if (cursor) query.set("cursor", cursor);
    return this.request("GET", `/gallery?${query}`);
  }

  asset(id) {
    return this.request("GET", `/assets/${encodeURIComponent(id)}`);
  }

  patch(id, changes) {
    return this.request("PATCH", `/assets/${encodeURIComponent(id)}`, changes);
  }

  remove(id) {
    return this.request("DELETE", `/assets/${encodeURIComponent(id)}`);
  }

  bulk(action, ids) {
    return this.request("POST", "/assets/bulk", { action, ids });
  }

  signRead(ids, variant) {
    return this.request("POST", "/assets/sign-read", { ids, variant });
  }

  reprocess(id) {
    return this.request("POST", `/assets/${encodeURIComponent(id)}/reprocess`);
  }

  emptyTrash() {
    return this.request("POST", "/trash/empty");
  }

  ingest(url) {
    return this.request("POST", "/ingest", { url, assetType: "reference" });
  }

  signUpload(file) {
    return this.request("POST", "/uploads/sign", {
      contentType: file.type || "application/octet-stream",
      size: file.size,
      filename: file.name,
      assetType: "uploaded",
    });
  }

  async download(id) {
    // The route answers 302 to a presigned URL; fetch follows it (dropping our Authorization header cross-origin).
    const response = await this.#send("GET", `/assets/${encodeURIComponent(id)}/download`);
    if (!response.ok) await parse(response);
    return response.blob();
  }

  /** A browser-to-S3 presigned POST: every policy field first, then the file; progress from XHR. */
  postToStorage(upload, file, onProgress) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append("file", file);
      const xhr = new XMLHttpRequest();
      xhr.open(upload.method || "POST", upload.url);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(new ApiError(xhr.status, "Storage refused the upload", s3Message(xhr.responseText), "upload_refused"));
      });
      xhr.addEventListener("error", () =>
        reject(new ApiError(0, "Upload failed", "The storage service could not be reached (network or CORS).", "network_error")),
      );
      xhr.send(form);
    });
  }
}
