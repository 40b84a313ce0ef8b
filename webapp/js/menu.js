// The sidebar collapses behind a menu button on narrow screens.
const sidebar = document.getElementById("sidebar");
const menuToggle = document.getElementById("menu-toggle");
const scrim = document.getElementById("scrim");

export function closeMenu() {
  sidebar.classList.remove("open");
  menuToggle.setAttribute("aria-expanded", "false");
  scrim.hidden = true;
}

/** The menu button opens and closes it; the scrim and Escape close it. */
export function setUpMenu() {
  menuToggle.addEventListener("click", () => {
    const open = !sidebar.classList.contains("open");
    sidebar.classList.toggle("open", open);
    menuToggle.setAttribute("aria-expanded", String(open));
    scrim.hidden = !open;
  });
  scrim.addEventListener("click", closeMenu);
  addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeMenu();
  });
}
