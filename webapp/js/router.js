// Which page shows: `#/create`, `#/gallery` or `#/trash` when signed in, the sign-in form otherwise.
import { renderSignIn } from "./account.js";
import { renderCreate } from "./create.js";
import { Grid } from "./grid.js";
import { closeMenu } from "./menu.js";
import { api } from "./session.js";

const TITLES = { create: "Create", gallery: "Gallery", trash: "Trash" };
const main = document.getElementById("main");
let currentGrid = null;

export function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const page = TITLES[name] ? name : "gallery";
  currentGrid?.dispose();
  currentGrid = null;
  document.getElementById("page-title").textContent = api.signedIn ? TITLES[page] : "Sign in";
  document.title = `${api.signedIn ? TITLES[page] : "Sign in"} · Gallery`;
  for (const link of document.querySelectorAll(".sidebar nav a")) {
    if (link.dataset.route === page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  closeMenu();
  if (!api.signedIn) {
    renderSignIn(main, route);
    return;
  }
  if (page === "create") renderCreate(main);
  else currentGrid = new Grid(main, page);
}
