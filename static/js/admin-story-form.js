// The story form: live character counts under the headline and standfirst, and the byline
// ordered with arrows (the position numbers are kept in step, hidden). Without JavaScript the
// counts are absent and the position boxes stay, so nothing depends on this file.
const t = (text, params) => {
  const translated = window.gettext ? window.gettext(text) : text;
  return window.interpolate ? window.interpolate(translated, params, true) : translated;
};

const countCharacters = (field) => {
  const limit = Number(field.dataset.countLimit || 0);
  const recommended = Number(field.dataset.countRecommended || 0);
  const counter = document.createElement("p");
  counter.className = "desk-count";
  counter.id = `${field.id}-count`;
  counter.setAttribute("aria-live", "polite");
  field.setAttribute("aria-describedby", [field.getAttribute("aria-describedby"), counter.id].filter(Boolean).join(" "));
  const show = () => {
    const count = [...field.value].length;
    const over = limit ? count > limit : count > recommended;
    counter.classList.toggle("desk-count--over", over);
    counter.textContent = limit
      ? t("%(count)s of %(limit)s characters (what Google shows)", { count, limit })
      : t("%(count)s characters (recommended: at most %(limit)s)", { count, limit: recommended });
  };
  field.after(counter);
  field.addEventListener("input", show);
  show();
};
document.querySelectorAll("[data-count-limit], [data-count-recommended]").forEach(countCharacters);

const group = document.getElementById("bylines-group");
if (group) {
  const rows = () => [...group.querySelectorAll("tr.form-row:not(.empty-form)")];
  // Only rows with an author are numbered: an empty row given a position would count as
  // changed, and the form would ask for its author.
  const renumber = () =>
    rows()
      .filter((row) => row.querySelector("td.field-author select")?.value)
      .forEach((row, index) => {
        const position = row.querySelector("td.field-position input");
        if (position) position.value = String(index + 1);
      });
  const move = (row, step) => {
    const all = rows();
    const target = all[all.indexOf(row) + step];
    if (!target) return;
    if (step < 0) target.before(row);
    else target.after(row);
    renumber();
    row.querySelector(`button[data-step="${step}"]`)?.focus();
  };
  const arrows = (row) => {
    const cell = row.querySelector("td.field-position");
    if (!cell || cell.querySelector(".desk-move")) return;
    cell.querySelector("input").type = "hidden";
    for (const [step, label, symbol] of [[-1, t("Move up"), "↑"], [1, t("Move down"), "↓"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "desk-move";
      button.dataset.step = String(step);
      button.setAttribute("aria-label", label);
      button.title = label;
      button.textContent = symbol;
      button.addEventListener("click", () => move(row, step));
      cell.append(button);
    }
  };
  rows().forEach(arrows);
  renumber();
  group.closest("form")?.addEventListener("submit", renumber);
  document.addEventListener("formset:added", (event) => {
    if (event.detail?.formsetName === "bylines") {
      arrows(event.target);
      renumber();
    }
  });
}
