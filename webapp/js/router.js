// Which page shows: `#/create`, `#/gallery`, `#/folder/<id>`, `#/shares` or `#/trash` when signed in, the sign-in
// form otherwise.
import { renderSignIn } from "./account.js";
import { renderCreate } from "./create.js";
import { folderById, onFoldersChanged, showFolders } from "./folders.js";
import { Grid } from "./grid.js";
import { closeMenu } from "./menu.js";
import { api } from "./session.js";
import { renderShares } from "./share.js";

const TITLES = { create: "Create", gallery: "Gallery", folder: "Folder", shares: "Shares", trash: "Trash" };
const main = document.getElementById("main");
let currentGrid = null;

function current() {
  const [, name, id] = location.hash.match(/^#\/(\w+)(?:\/([^/?#]+))?/) || [];
  if (name === "folder" && id) return { page: "folder", folderId: decodeURIComponent(id) };
  return { page: TITLES[name] && name !== "folder" ? name : "gallery", folderId: null };
}

function setTitle(text) {
  document.getElementById("page-title").textContent = text;
  document.title = `${text} · Gallery`;
}

function pageTitle({ page, folderId }) {
  if (!api.signedIn) return "Sign in";
  return page === "folder" ? folderById(folderId)?.name || TITLES.folder : TITLES[page];
}

export function route() {
  const here = current();
  currentGrid?.dispose();
  currentGrid = null;
  setTitle(pageTitle(here));
  for (const link of document.querySelectorAll(".sidebar nav a")) {
    if (link.dataset.route === here.page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  showFolders();
  closeMenu();
  if (!api.signedIn) {
    renderSignIn(main, route);
    return;
  }
  if (here.page === "create") renderCreate(main);
  else if (here.page === "shares") renderShares(main);
  else currentGrid = new Grid(main, here.page, { folderId: here.folderId });
}

// A folder's page knows its name once the folders are loaded (or renamed).
onFoldersChanged(() => {
  const here = current();
  if (here.page === "folder" && api.signedIn) setTitle(pageTitle(here));
});
