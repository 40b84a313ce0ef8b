// The demo SPA's entry: Create (uploads, ingest), Gallery (grid, views, filters, bulk), folders, shares and Trash, on
// the gallery API; or, at `/g/<token>`, a share's public page, signed out.
import { renderAccount } from "./account.js";
import { startLive } from "./live.js";
import { setUpMenu } from "./menu.js";
import { showError } from "./messages.js";
import { publicShareToken, renderPublicShare } from "./public.js";
import { route } from "./router.js";
import { api } from "./session.js";

addEventListener("unhandledrejection", (event) => showError("Unexpected error", event.reason));

const shareToken = publicShareToken();
if (shareToken) {
  renderPublicShare(shareToken);
} else {
  setUpMenu();
  addEventListener("hashchange", route);
  renderAccount(route);
  route();
  if (api.signedIn) startLive();
}
