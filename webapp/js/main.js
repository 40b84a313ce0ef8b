// The demo SPA's entry: Create (uploads, ingest), Gallery (grid, views, filters, bulk) and Trash, on the gallery API.
import { renderAccount } from "./account.js";
import { setUpMenu } from "./menu.js";
import { showError } from "./messages.js";
import { route } from "./router.js";

setUpMenu();
addEventListener("hashchange", route);
addEventListener("unhandledrejection", (event) => showError("Unexpected error", event.reason));

renderAccount(route);
route();
