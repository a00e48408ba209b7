// On a phone the main menu folds behind a "Menu" button that opens all of it, sub-items
// included. Without this script every item shows in wrapped rows instead.
(() => {
  for (const nav of document.querySelectorAll("[data-site-nav]")) {
    const button = nav.querySelector(".site-nav__toggle");
    if (!button) continue;
    const open = (yes) => {
      nav.classList.toggle("site-nav--open", yes);
      button.setAttribute("aria-expanded", String(yes));
    };
    nav.classList.add("site-nav--collapsible");
    button.hidden = false;
    button.addEventListener("click", () => open(button.getAttribute("aria-expanded") !== "true"));
    nav.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && nav.classList.contains("site-nav--open")) {
        open(false);
        button.focus();
      }
    });
  }
})();
