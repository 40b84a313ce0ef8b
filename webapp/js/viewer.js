// An asset seen large in a modal: an image's preview (a ~1440 px WebP, #17; the original one click away), or a video playing in a <video> element straight from its
// presigned GET (storage serves ranges). A video browsers often cannot play (`playable: false`: HEVC, ProRes…) shows
// its poster, a note and the download instead.
import { modal } from "./dialogs.js";
import { h } from "./dom.js";
import { displayName, formatDuration, isVideo } from "./format.js";
import { downloadAsset } from "./links.js";
import { api } from "./session.js";

/** A fresh presigned GET of the original (the one the asset came with may have expired), or null. */
async function freshOriginal(asset) {
  try {
    const answer = await api.signRead([asset.id], "original");
    return answer.urls[asset.id]?.url || null;
  } catch {
    return null;
  }
}

function poster(asset, name) {
  const src = asset.previewUrl || asset.thumbUrl; // the larger poster (#17) when there is one
  return src ? h("img", { className: "viewer-poster", src, alt: `Poster of ${name}` }) : null;
}

function note(text) {
  return h("p", { className: "viewer-note", role: "note" }, text);
}

function videoPlayer(asset, name, stage) {
  const video = h("video", {
    controls: true,
    playsInline: true,
    preload: "metadata",
    "aria-label": `Video ${name}`,
  });
  video.setAttribute("playsinline", "");
  if (asset.previewUrl || asset.thumbUrl) video.poster = asset.previewUrl || asset.thumbUrl;
  let resigned = false;
  video.addEventListener("error", async () => {
    // One fresh URL (an expired signature reads as an error too); failing again, the poster and a note.
    if (!resigned) {
      resigned = true;
      const url = await freshOriginal(asset);
      if (url) {
        video.src = url;
        return;
      }
    }
    video.replaceWith(
      h("div", { className: "viewer-stage" }, poster(asset, name), note("This video could not be played here: download it to watch.")),
    );
  });
  video.src = asset.url;
  stage.append(video);
}

/** Open the viewer on `asset`. */
export function openViewer(asset) {
  const name = displayName(asset);
  const { dialog, body, close } = modal(name, { wide: true });
  dialog.classList.add("viewer");
  const stage = h("div", { className: "viewer-stage" });
  const facts = [asset.width && asset.height ? `${asset.width}×${asset.height}` : ""];
  let original = null; // the button that swaps the preview for the original
  if (isVideo(asset)) {
    facts.push(formatDuration(asset.durationMs), asset.videoCodec || "", asset.hasAudio === false ? "no sound" : "");
    if (!asset.url) {
      stage.append(poster(asset, name) || "", note(asset.status === "failed" ? "This video could not be processed." : "This video is still being processed."));
    } else if (asset.playable === false) {
      stage.append(
        poster(asset, name) || "",
        note("Browsers usually cannot play this video's format (such as HEVC or ProRes): download it to watch."),
      );
    } else {
      videoPlayer(asset, name, stage);
    }
  } else {
    const img = h("img", { className: "viewer-image", alt: name });
    // The preview first (a fraction of the original's bytes); failing that the original; an original browsers
    // cannot show (HEIC) or whose link expired: the thumbnail instead.
    const sources = [asset.previewUrl, asset.url, asset.thumbUrl].filter(Boolean);
    let shown = 0;
    img.addEventListener("error", () => {
      if (shown + 1 < sources.length) img.src = sources[++shown];
    });
    img.src = sources[0] || "";
    stage.append(img);
    if (asset.previewUrl && asset.url) {
      facts.push("preview");
      original = h("button", { type: "button", className: "button viewer-original" }, "Original");
      original.addEventListener("click", () => {
        shown = sources.indexOf(asset.url);
        img.src = asset.url;
        original.remove();
      });
    }
  }
  body.append(
    stage,
    h("p", { className: "hint viewer-facts" }, facts.filter(Boolean).join(" · ")),
    h(
      "div",
      { className: "dialog-actions" },
      original,
      asset.url ? h("button", { type: "button", className: "button", onclick: () => downloadAsset(asset) }, `Download ${name}`) : null,
      h("button", { type: "button", className: "button primary", onclick: close }, "Close"),
    ),
  );
}
