// The demo SPA's entry: Create (uploads, ingest), Gallery (grid, views, filters, bulk) and Trash, on the gallery API.
import { renderAccount } from "./account.js";
import { startLive } from "./live.js";
import { setUpMenu } from "./menu.js";
import { showError } from "./messages.js";
import { route } from "./router.js";
import { api } from "./session.js";

setUpMenu();
addEventListener("hashchange", route);
addEventListener("unhandledrejection", (event) => showError("Unexpected error", event.reason));

renderAccount(route);
route();
if (api.signedIn) startLive();
