// The Create view: files dropped or picked go straight to storage; URLs are ingested by the server.
import { ApiError } from "./api.js";
import { h } from "./dom.js";
import { followAsset, jobRow } from "./jobs.js";
import { showError } from "./messages.js";
import { uploadMultipart, usesMultipart } from "./multipart.js";
import { api } from "./session.js";

/** A section titled `title` (its heading labels it), a hint under the heading, then its content. */
function panel(name, title, hint, ...content) {
  return h(
    "section",
    { className: "panel", "aria-labelledby": `${name}-title` },
    h("h2", { id: `${name}-title` }, title),
    h("p", { className: "hint" }, hint),
    ...content,
  );
}

const ACCEPTED = [
  "image/jpeg",
  "image/png",
  "image/webp",
  "image/gif",
  "image/avif",
  "image/heic",
  "image/heif",
  "video/mp4",
  "video/quicktime",
  "video/webm",
  "video/x-matroska",
];

function reasonOf(error) {
  return error instanceof ApiError ? error.detail || error.title : error.message;
}

/** A large file, through the multipart routes: its row shows the parts' progress and offers Cancel until the end. */
async function uploadLarge(file, job) {
  const cancelling = new AbortController();
  const cancel = job.addAction(`Cancel upload of ${file.name}`, "Cancel", () => cancelling.abort());
  try {
    job.setStatus("Starting…");
    const done = await uploadMultipart(api, file, {
      signal: cancelling.signal,
      onStart: () => job.setStatus("Uploading 0%"),
      onProgress: (fraction) => {
        job.progress.value = fraction;
        job.setStatus(`Uploading ${Math.round(fraction * 100)}%`);
      },
    });
    job.progress.value = 1;
    followAsset(job, done.asset || done, { bytesSent: true });
  } catch (error) {
    if (cancelling.signal.aborted) {
      job.setStatus("cancelled", "failed");
      return;
    }
    job.setStatus(`failed: ${reasonOf(error)}`, "failed");
    showError(`Uploading ${file.name}`, error);
  } finally {
    cancel.remove();
  }
}

async function uploadFile(file, list) {
  const job = jobRow(file.name, `Upload progress for ${file.name}`);
  list.prepend(job.row);
  if (usesMultipart(file)) {
    await uploadLarge(file, job);
    return;
  }
  try {
    job.setStatus("Signing…");
    // The client hashes the file first: the same bytes as a stored original come back as that asset, with no upload.
    const asset = await api.upload(file, {
      onStart: () => job.setStatus("Uploading 0%"),
      onProgress: (fraction) => {
        job.progress.value = fraction;
        job.setStatus(`Uploading ${Math.round(fraction * 100)}%`);
      },
    });
    job.progress.value = 1;
    followAsset(job, asset, { bytesSent: true });
  } catch (error) {
    job.setStatus(`failed: ${reasonOf(error)}`, "failed");
    showError(`Uploading ${file.name}`, error);
  }
}

async function ingestUrl(url, list) {
  const job = jobRow(url, `Ingest progress for ${url}`);
  job.progress.removeAttribute("value"); // indeterminate: the server fetches in the background
  list.prepend(job.row);
  try {
    const asset = await api.ingest(url);
    followAsset(job, asset);
  } catch (error) {
    job.setStatus(`failed: ${error instanceof ApiError ? error.detail || error.title : error.message}`, "failed");
    showError("Ingesting a URL", error);
  }
}

export function renderCreate(root) {
  const uploads = h("ul", { className: "jobs", "aria-label": "Uploads" });
  const input = h("input", {
    type: "file",
    id: "file-input",
    multiple: true,
    accept: ACCEPTED.join(","),
    onchange: () => {
      for (const file of input.files) uploadFile(file, uploads);
      input.value = "";
    },
  });
  const zone = h(
    "div",
    { className: "dropzone" },
    h("strong", {}, "Drop images or videos here"),
    h("span", { className: "hint" }, "JPEG, PNG, WebP, GIF, AVIF or HEIC; MP4, MOV, WebM or MKV — or "),
    h("label", { for: "file-input", className: "button primary" }, "Choose images or videos"),
    input,
  );
  input.classList.add("visually-hidden");
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    for (const file of event.dataTransfer.files) uploadFile(file, uploads);
  });

  const ingests = h("ul", { className: "jobs", "aria-label": "Ingests" });
  const urlInput = h("input", { type: "url", id: "ingest-url", name: "url", placeholder: "https://…/image.png", required: true });
  const form = h(
    "form",
    {
      className: "inline-form",
      "aria-label": "Ingest from a URL",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        const url = urlInput.value.trim();
        if (!url) {
          showError("Ingesting a URL", new Error("Enter the address of an image first."));
          return;
        }
        ingestUrl(url, ingests);
        urlInput.value = "";
      },
    },
    h("div", { className: "field" }, h("label", { for: "ingest-url" }, "Image URL"), urlInput),
    h("button", { type: "submit", className: "button primary" }, "Ingest"),
  );
  root.replaceChildren(
    h(
      "div",
      { className: "stack" },
      panel(
        "upload",
        "Upload",
        "Files go straight to storage with a presigned POST (large ones in parts, three at a time); thumbnails and " +
          "video posters appear when they are ready.",
        zone,
        uploads,
      ),
      panel(
        "ingest",
        "Ingest from a URL",
        "The server fetches the image in the background, waiting for generators that are not done yet.",
        form,
        ingests,
      ),
    ),
  );
}
