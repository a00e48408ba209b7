// A live page asks, every few seconds, for the updates changed since the moment it holds. Every
// reader who loaded or polled within the same interval asks the same address, so one cached
// answer serves them all. New updates wait behind an "N new updates" button (the page does not
// jump); edited and deleted ones change in place. Without this script a reload shows everything.
(() => {
  const live = document.querySelector("[data-live-updates]");
  if (!live || !window.fetch) return;
  const labels = JSON.parse(document.getElementById("live-labels").textContent);
  const list = live.querySelector(".live__entries");
  const status = live.querySelector(".live__status");
  const seconds = Math.max(1, parseFloat(live.dataset.liveSeconds) || 10);
  const newestFirst = live.dataset.liveOrder !== "oldest";
  // New updates belong on the first page (newest first) or the last (oldest first).
  const placesNew = live.dataset.livePlacesNew === "1";
  const plural = new Intl.PluralRules(document.documentElement.lang || undefined);
  const versions = new Map();
  for (const element of live.querySelectorAll("[data-entry]")) {
    versions.set(element.dataset.entry, Number(element.dataset.version));
  }
  const waiting = new Map();
  let cursor = live.dataset.liveCursor;
  let delay = seconds;
  let timer = null;
  let stopped = false;
  let button = null;

  const render = (html) => {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  };

  const say = (text) => {
    if (status) status.textContent = text;
  };

  const showWaiting = () => {
    if (!waiting.size) {
      if (button) button.hidden = true;
      return;
    }
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "live__new";
      button.addEventListener("click", bringIn);
      list.before(button);
    }
    const forms = labels.new;
    const text = (forms[plural.select(waiting.size)] || forms.other).replace("{n}", waiting.size);
    button.textContent = text;
    button.hidden = false;
    say(text);
  };

  function bringIn() {
    if (!placesNew) {
      window.location.assign(window.location.pathname + "#live-heading");
      window.location.reload();
      return;
    }
    const entries = [...waiting.values()].sort((a, b) =>
      a.posted_at === b.posted_at ? a.id - b.id : a.posted_at < b.posted_at ? -1 : 1,
    );
    live.querySelector(".live__empty")?.remove();
    let first = null;
    for (const entry of entries) {
      const element = render(entry.html);
      if (newestFirst) list.prepend(element);
      else list.append(element);
      versions.set(String(entry.id), entry.version);
      first = newestFirst || !first ? element : first;
    }
    waiting.clear();
    showWaiting();
    say("");
    if (first) {
      first.tabIndex = -1;
      first.focus({ preventScroll: !newestFirst });
    }
  }

  const apply = (entry) => {
    const id = String(entry.id);
    const shown = live.querySelectorAll(`[data-entry="${id}"]`);
    if (!entry.shown) {
      for (const element of shown) element.remove();
      waiting.delete(id);
      versions.delete(id);
      return;
    }
    if (shown.length) {
      if ((versions.get(id) || 0) >= entry.version) return;
      for (const element of shown) {
        const fresh = render(entry.html);
        // A pinned copy on top of the same update in the stream carries no id: one anchor a page.
        if (shown.length > 1 && element.closest(".live__pinned")) fresh.removeAttribute("id");
        element.replaceWith(fresh);
      }
      versions.set(id, entry.version);
    } else if (!versions.has(id)) {
      waiting.set(id, entry);
    }
  };

  const stop = (text) => {
    stopped = true;
    clearTimeout(timer);
    live.removeAttribute("data-live-updates");
    say(text);
    const badge = live.querySelector(".live-badge");
    if (badge) badge.remove();
  };

  const poll = async () => {
    timer = null;
    if (stopped) return;
    if (document.hidden) return; // resumed by visibilitychange
    try {
      const url = `${live.dataset.liveUpdates}?after=${encodeURIComponent(cursor)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const answer = await response.json();
      cursor = String(answer.cursor);
      if (answer.reload) {
        stop(labels.reload);
        return;
      }
      for (const entry of answer.entries) apply(entry);
      showWaiting();
      delay = seconds;
      if (answer.ended) {
        stop(labels.ended);
        return;
      }
    } catch {
      delay = Math.min(delay * 2, 120); // the server or the network is having trouble
    }
    timer = setTimeout(poll, delay * 1000);
  };

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !stopped && timer === null) poll();
  });
  timer = setTimeout(poll, seconds * 1000);
})();
