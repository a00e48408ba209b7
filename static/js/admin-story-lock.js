// Story locks: while the story form is open its browser sends a heartbeat; when someone else has
// the story open, the form says who and since when, its buttons wait, and "Take over" takes the
// lock. The saved story is never at stake: a lock never refuses a save, the version check does.
const banner = document.getElementById("desk-lock");
if (banner) {
  const url = banner.dataset.lockUrl;
  const every = Number(banner.dataset.heartbeatSeconds) * 1000;
  const token = document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
  const text = banner.querySelector(".desk-lock__text");
  const takeOver = banner.querySelector("button[name=take_over]");
  const buttons = [...document.querySelectorAll(".desk-actions button[name=publishing]")];
  const t = (message, params) =>
    window.interpolate(window.gettext ? window.gettext(message) : message, params, true);

  const show = (answer) => {
    const waiting = !answer.mine;
    banner.hidden = !waiting && !answer.taken_over;
    buttons.forEach((button) => (button.disabled = waiting));
    if (!waiting) return;
    text.textContent = answer.taken_over
      ? t("%(who)s took this story over at %(when)s. Your text is still here: copy what you need, or take it back.", answer)
      : t("%(who)s is editing this story, since %(when)s. You can read it; to change it, take it over.", answer);
  };

  const beat = async (takeIt = false) => {
    const body = new URLSearchParams(takeIt ? { take_over: "1" } : {});
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        headers: { "X-CSRFToken": token, Accept: "application/json" },
        credentials: "same-origin",
      });
      if (response.ok) show(await response.json());
    } catch {
      // Offline for a moment: the next heartbeat tries again; the lock may lapse meanwhile.
    }
  };

  takeOver?.addEventListener("click", (event) => {
    event.preventDefault();
    beat(true);
  });
  beat();
  setInterval(beat, every);
  // Leaving the story (or saving it) lets it go at once rather than a minute later.
  window.addEventListener("pagehide", () => {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", token);
    body.append("release", "1");
    navigator.sendBeacon(url, body);
  });
}
