// The public page of a share link, `/g/<token>`: signed out, no app shell, nothing of the visitor's session used.
// A password share asks for its password first; its unlock token is kept in memory only and sent with every call.
import { apiBase } from "../config.js";
import { ApiError } from "./api.js";
import { blurhashCanvas } from "./blurhash.js";
import { h } from "./dom.js";
import { formatDate } from "./format.js";
import { api } from "./session.js";

const TOKEN_PATH = /^\/g\/([A-Za-z0-9_-]{1,128})\/?$/;
const main = document.getElementById("main");
const heading = document.getElementById("page-title");

/** The share token of this page's address, or null when this is not a share's page. */
export function publicShareToken() {
  return (TOKEN_PATH.exec(location.pathname) || [])[1] || null;
}

export function renderPublicShare(token) {
  document.documentElement.classList.add("public-page");
  const robots = h("meta", { name: "robots", content: "noindex, nofollow, noimageindex" });
  document.head.append(robots);
  new SharePage(token).load();
}

class SharePage {
  constructor(token) {
    this.token = token;
    this.access = null; // a password share's unlock token: memory only, so closing the tab forgets it
    this.count = 0;
  }

  setTitle(text) {
    heading.textContent = text;
    document.title = `${text} · Gallery`;
  }

  async load() {
    this.setTitle("Shared images");
    main.replaceChildren(h("div", { className: "list-status", role: "status" }, "Loading…"));
    let page;
    try {
      page = await api.publicShare(this.token, { access: this.access });
    } catch (error) {
      this.fail(error);
      return;
    }
    this.count = 0;
    this.setTitle(page.title || "Shared images");
    const notes = [];
    if (page.expiresAt) notes.push(`Available until ${formatDate(page.expiresAt)}`);
    if (page.allowDownload) notes.push("Downloads allowed");
    this.list = h("ul", { className: "grid public-grid", "aria-label": "Shared images" });
    this.status = h("div", { className: "list-status", role: "status" });
    this.more = h("button", { type: "button", className: "button", hidden: true, onclick: () => this.loadMore() }, "Show more");
    main.replaceChildren(
      notes.length ? h("p", { className: "hint public-notes" }, notes.join(" · ")) : "",
      this.list,
      this.status,
      h("div", { className: "more" }, this.more),
    );
    this.show(page);
  }

  async loadMore() {
    this.more.disabled = true;
    try {
      this.show(await api.publicShare(this.token, { cursor: this.cursor, access: this.access }));
    } catch (error) {
      this.fail(error);
    } finally {
      this.more.disabled = false;
    }
  }

  show(page) {
    for (const item of page.items) {
      this.count += 1;
      this.list.append(this.card(item, this.count));
    }
    this.cursor = page.nextCursor;
    this.more.hidden = !page.nextCursor;
    this.status.replaceChildren(
      this.count
        ? page.nextCursor ? "" : `${this.count} item(s)`
        : h("div", { className: "empty" }, h("strong", {}, "Nothing to show"), "This share has no images at the moment."),
    );
  }

  card(item, index) {
    const label = `Image ${index}`;
    const card = h("li", { className: "card", "aria-label": label });
    const ratio = item.width && item.height ? Math.min(2.2, Math.max(0.75, item.width / item.height)) : 1;
    card.style.setProperty("--ar", String(ratio));
    const box = h("div", { className: "thumb" });
    box.style.backgroundColor = item.placeholder?.color || "#e6e8f0";
    const canvas = item.placeholder?.blurhash ? blurhashCanvas(item.placeholder.blurhash) : null;
    if (canvas) box.append(canvas);
    if (item.thumbUrl) {
      const img = h("img", { alt: label, decoding: "async", referrerpolicy: "no-referrer" });
      img.addEventListener("load", () => img.classList.add("loaded"));
      // Its signed URL expired (the page was left open): a reload signs every image again.
      img.addEventListener("error", () => img.replaceWith(h("span", { className: "pending-note" }, "Image unavailable: reload the page")));
      img.src = item.thumbUrl;
      box.append(img);
    }
    const body = h("div", { className: "card-body" });
    const facts = item.width && item.height ? `${item.width}×${item.height}` : "";
    if (facts) body.append(h("div", { className: "card-sub" }, facts));
    const params = item.params && Object.keys(item.params).length ? JSON.stringify(item.params) : null;
    const metadata = [["Prompt", item.prompt], ["Model", item.model], ["Parameters", params]].filter(
      ([, value]) => value !== undefined && value !== null && value !== "",
    );
    if (metadata.length) {
      const rows = metadata.flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, String(value))]);
      body.append(h("dl", { className: "metadata", "aria-label": `Metadata of ${label}` }, rows));
    }
    if (item.downloadUrl || item.previewUrl) {
      body.append(
        h(
          "div",
          { className: "card-actions" },
          // The preview (#17): a larger WebP without metadata, in a new tab.
          item.previewUrl
            ? h("a", { className: "button", href: item.previewUrl, target: "_blank", rel: "noreferrer", "aria-label": `View ${label}` }, "View")
            : null,
          item.downloadUrl
            ? h("a", { className: "button", href: this.downloadHref(item.downloadUrl), rel: "noreferrer", "aria-label": `Download ${label}` }, "Download")
            : null,
        ),
      );
    }
    card.append(box, body);
    return card;
  }

  /** The download route answers a redirect to a short-lived copy; a password share's access rides in the query. */
  downloadHref(url) {
    const href = new URL(url.startsWith("/") ? apiBase.replace(/\/$/, "") + url : url, location.origin);
    if (this.access) href.searchParams.set("access", this.access);
    return href.href;
  }

  fail(error) {
    if (error instanceof ApiError && error.status === 401 && error.code !== "wrong_password") {
      this.access = null;
      this.askPassword();
      return;
    }
    if (error instanceof ApiError && error.status === 404) {
      this.setTitle("Link not available");
      main.replaceChildren(
        h(
          "div",
          { className: "empty" },
          h("strong", {}, "This link is not available"),
          "It may have expired, been revoked or reached its view limit. Ask whoever sent it for a new one.",
        ),
      );
      return;
    }
    this.setTitle("Shared images");
    const why = error instanceof ApiError ? error.detail || error.title : error.message;
    main.replaceChildren(
      h("div", { className: "empty", role: "alert" }, h("strong", {}, "The share could not be loaded"), why),
      h("div", { className: "more" }, h("button", { type: "button", className: "button", onclick: () => this.load() }, "Try again")),
    );
  }

  askPassword() {
    this.setTitle("Password required");
    const input = h("input", { type: "password", id: "share-password", name: "password", autocomplete: "current-password", required: true });
    const message = h("p", { className: "form-error", role: "alert", hidden: true });
    const button = h("button", { type: "submit", className: "button primary" }, "Unlock");
    const form = h(
      "form",
      {
        className: "stack",
        onsubmit: async (event) => {
          event.preventDefault();
          message.hidden = true;
          button.disabled = true;
          try {
            const unlocked = await api.unlockShare(this.token, input.value);
            this.access = unlocked.accessToken;
            await this.load();
          } catch (error) {
            message.textContent = unlockMessage(error);
            message.hidden = false;
            input.select();
          } finally {
            button.disabled = false;
          }
        },
      },
      h("div", { className: "field" }, h("label", { for: "share-password" }, "Password"), input),
      message,
      button,
    );
    main.replaceChildren(
      h(
        "section",
        { className: "panel signin", "aria-labelledby": "unlock-title" },
        h("h2", { id: "unlock-title" }, "This share is protected"),
        h("p", { className: "hint" }, "Enter the password you were given with the link."),
        form,
      ),
    );
    input.focus();
  }
}

function unlockMessage(error) {
  if (!(error instanceof ApiError)) return error.message || String(error);
  if (error.code === "wrong_password") return "That password is not right.";
  if (error.code === "too_many_attempts" || error.status === 429) return "Too many wrong passwords: wait a few minutes, then try again.";
  if (error.status === 404) return "This link is not available any more.";
  return error.detail || error.title;
}
