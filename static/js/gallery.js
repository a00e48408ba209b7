// The gallery viewer: a gallery (an <ol class="gallery"> of figures) shows one picture at a
// time, with previous and next buttons, an "n of N" counter read out as it changes, and the
// arrow, Home and End keys; a last button shows the plain list of them all again, and back.
// Its controls, with their words in the site's language, wait in the page's
// <template id="gallery-viewer">. Without this script a gallery stays the plain list.

// In the viewer a picture takes the body's width, as a lone picture in the body does
// (BODY_SIZES in articles/bodypictures.py), so the browser picks a rendition that wide.
const WIDE = "(min-width: 75rem) 760px, (min-width: 60rem) 62vw, 100vw";

const template = document.getElementById("gallery-viewer");

const galleries = document.querySelectorAll("ol.gallery");

const enhance = (list, number) => {
  const items = [...list.children];
  if (!template || items.length < 2) return;
  const controls = template.content.firstElementChild.cloneNode(true);
  const counter = controls.querySelector(".gallery-viewer__counter");
  const previous = controls.querySelector(".gallery-viewer__previous");
  const next = controls.querySelector(".gallery-viewer__next");
  const all = controls.querySelector(".gallery-viewer__all");
  const region = document.createElement("section");
  region.className = "gallery-viewer";
  const label = template.dataset.label;
  region.setAttribute("aria-label", galleries.length > 1 ? `${label} ${number}` : label);
  list.id ||= `gallery-${number}`;
  previous.setAttribute("aria-controls", list.id);
  next.setAttribute("aria-controls", list.id);
  list.before(region);
  region.append(list, controls);
  const sources = [...list.querySelectorAll("img[sizes], source[sizes]")];
  const listSizes = sources.map((source) => source.sizes);
  const stepping = [previous, counter, next];
  const labels = { all: all?.textContent, one: all?.dataset.one };

  let current = 0;
  let showingAll = false;
  // One at a time: a picture takes the body's width; all: the list's own grid and sizes.
  const layOut = () => {
    list.classList.toggle("gallery--viewer", !showingAll);
    sources.forEach((source, index) => {
      source.sizes = showingAll ? listSizes[index] : WIDE;
    });
    for (const control of stepping) control.hidden = showingAll;
    if (all) all.textContent = showingAll ? labels.one : labels.all;
  };
  const show = (index) => {
    current = (index + items.length) % items.length;
    items.forEach((item, position) => {
      item.hidden = position !== current;
    });
    counter.textContent = counter.dataset.format
      .replace("{number}", current + 1)
      .replace("{total}", items.length);
  };
  previous.addEventListener("click", () => show(current - 1));
  next.addEventListener("click", () => show(current + 1));
  all?.addEventListener("click", () => {
    showingAll = !showingAll;
    layOut();
    if (showingAll) {
      for (const item of items) item.hidden = false;
    } else {
      show(current);
    }
  });
  region.addEventListener("keydown", (event) => {
    if (showingAll) return;
    const moves = {
      ArrowLeft: current - 1,
      ArrowRight: current + 1,
      Home: 0,
      End: items.length - 1,
    };
    if (!(event.key in moves) || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    show(moves[event.key]);
    // Keys pressed on a picture's link (or anywhere in the viewer) leave focus on the buttons,
    // never on a picture now hidden.
    if (!controls.contains(document.activeElement)) {
      (event.key === "ArrowLeft" || event.key === "Home" ? previous : next).focus();
    }
  });
  layOut();
  show(0);
};

galleries.forEach((list, index) => enhance(list, index + 1));
