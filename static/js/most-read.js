// Most read: a story page tells our own endpoint it was read (a beacon: no cookie, nothing
// waits for it), and pages fetch the ranked list, which is cached apart from them.
(() => {
  const story = document.querySelector("[data-read-url]");
  if (story && navigator.sendBeacon) navigator.sendBeacon(story.dataset.readUrl);
  const slots = document.querySelectorAll("[data-most-read]");
  if (!slots.length) return;
  fetch(slots[0].dataset.mostRead, { credentials: "omit" })
    .then((response) => (response.ok ? response.text() : ""))
    .then((html) => {
      if (!html.trim()) return;
      const parsed = new DOMParser().parseFromString(html, "text/html").body;
      for (const slot of slots) slot.replaceChildren(...parsed.cloneNode(true).childNodes);
    })
    .catch(() => {});
})();
