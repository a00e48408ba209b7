/* Live header: the clock follows the minute in the site's zone and language; the weather
   follows /live/header.json. Settings come from data- attributes. */
(() => {
  "use strict";
  const root = document.querySelector("[data-live-header]");
  if (!root || !window.Intl || !window.fetch) return;
  const $ = (selector) => root.querySelector(selector);
  const clock = $(".lh-now"), box = $(".lh-weather"), temp = $(".lh-temp"), label = $(".lh-label"),
    asOf = $(".lh-asof"), icon = $(".lh-icon path"), city = $(".lh-city"), credit = $(".lh-credit");
  const site = { lang: root.dataset.lang, zone: root.dataset.zone, lower: "lowercase" in root.dataset };
  let timer, format, formatKey;

  // The server's format, "luni, 23 decembrie 2024 - 4:17", built from parts.
  const text = (date) => {
    const key = site.lang + "|" + site.zone;
    if (key !== formatKey) {
      format = new Intl.DateTimeFormat(site.lang, {
        timeZone: site.zone, weekday: "long", day: "numeric", month: "long", year: "numeric",
        hour: "numeric", minute: "2-digit", hourCycle: "h23",
      });
      formatKey = key;
    }
    const p = {};
    for (const part of format.formatToParts(date)) p[part.type] = part.value;
    const s = `${p.weekday}, ${+p.day} ${p.month} ${p.year} - ${+p.hour}:${p.minute.padStart(2, "0")}`;
    return site.lower ? s.toLocaleLowerCase(site.lang) : s;
  };

  const tick = () => {
    clearTimeout(timer);
    const now = new Date();
    try {
      clock.textContent = text(now);
      clock.setAttribute("datetime", now.toISOString());
    } catch (e) {
      // Unknown zone or locale: the server's text stays.
    }
    timer = setTimeout(tick, 60000 - (now.getTime() % 60000) + 50);
  };

  const show = (d) => {
    if (!d || typeof d !== "object") return;
    if (typeof d.time_zone === "string") site.zone = d.time_zone;
    if (typeof d.language === "string") site.lang = d.language;
    site.lower = !!d.lowercase;
    if (typeof d.city === "string") city.textContent = d.city;
    const t = d.temperature_display;
    box.hidden = !(typeof t === "string" && t);
    if (!box.hidden) {
      temp.textContent = t;
      label.textContent = d.condition_label || "";
      icon.setAttribute("d", d.icon || "");
      const title = (d.stale && d.stale_title) || "";
      box.classList.toggle("lh-stale", !!title);
      asOf.textContent = title;
      if (title) box.title = title;
      else box.removeAttribute("title");
    }
    credit.hidden = !d.credit;
    tick();
  };

  const load = () =>
    fetch(root.dataset.url, { cache: "no-cache", headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : null))
      .then(show)
      .catch(() => {});

  // Correct at once: the page may come from a full-page cache.
  tick();
  load();
  setInterval(() => document.hidden || load(), 600000);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      tick();
      load();
    }
  });
})();
