// How assets, sizes and dates read on screen.
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** The name people know an asset by: its file name, the last segment of its source URL, or its id. */
export function displayName(asset) {
  if (asset.filename) return asset.filename;
  if (asset.sourceUrl) {
    try {
      const last = new URL(asset.sourceUrl).pathname.split("/").filter(Boolean).pop();
      if (last) return decodeURIComponent(last);
    } catch {
      /* fall through to the id */
    }
  }
  return asset.id;
}

export function formatBytes(size) {
  if (!size) return "";
  const units = ["B", "KB", "MB", "GB"];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 && unit ? 1 : 0)} ${units[unit]}`;
}

export function formatDate(iso) {
  return dateFormat.format(new Date(iso));
}

/** A video's length as a player shows it: m:ss, or h:mm:ss from an hour on (rounded down to the second). */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "";
  const total = Math.floor(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Whether an asset is a video (records from before videos have no `kind`: images). */
export function isVideo(asset) {
  return asset.kind === "video";
}
