// Click-to-load embeds: nothing is asked of a provider until the reader presses its button.
// The provider's markup waits in the placeholder's inert <template>; this inserts it and, for
// providers that draw their embed with a script, loads that one script (the page's
// Content-Security-Policy allows only the providers embedded on it). Without this script the
// placeholder's link to the original still works.
(() => {
  // Widget scripts already on the page scan new markup when asked, rather than loading twice.
  const rescan = {
    x: () => window.twttr && window.twttr.widgets && window.twttr.widgets.load(),
    instagram: () => window.instgrm && window.instgrm.Embeds.process(),
  };

  const loadScript = (figure, frame) => {
    const src = figure.dataset.embedScript;
    if (!src) return;
    const again = rescan[figure.dataset.embed];
    if (again && document.querySelector(`script[src="${CSS.escape(src)}"]`) && again()) return;
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    // A widget that is its own script tag (Telegram's) takes the attributes of its stand-in.
    const host = frame.querySelector("[data-embed-script-host]");
    if (host) {
      for (const { name, value } of host.attributes) {
        if (name.startsWith("data-") && name !== "data-embed-script-host") {
          script.setAttribute(name, value);
        }
      }
      host.replaceWith(script);
    } else {
      frame.append(script);
    }
  };

  const load = (figure) => {
    const code = figure.querySelector("template.embed__code");
    if (!code) return;
    const frame = document.createElement("div");
    frame.className = "embed__loaded";
    frame.append(code.content.cloneNode(true));
    for (const part of figure.querySelectorAll(".embed__thumb, .embed__note, .embed__load")) {
      part.remove();
    }
    code.remove();
    figure.append(frame);
    figure.classList.add("embed--loaded");
    loadScript(figure, frame);
    const iframe = frame.querySelector("iframe");
    if (iframe) iframe.focus();
  };

  for (const figure of document.querySelectorAll("figure[data-embed]")) {
    const button = figure.querySelector(".embed__load");
    if (!button) continue;
    button.hidden = false;
    button.addEventListener("click", () => load(figure), { once: true });
  }
})();
