// The rich-text editor's editing area (role=textbox) takes its accessible name from the
// field's <label>, which points at the hidden <textarea> the editor stands in for.
const labelEditingArea = (area) => {
  const textarea = area.closest(".prose-editor")?.querySelector("textarea[id]");
  const label = textarea && document.querySelector(`label[for="${textarea.id}"]`);
  if (!label) return;
  label.id ||= `${textarea.id}-label`;
  area.setAttribute("aria-labelledby", label.id);
};

document.addEventListener("prose-editor:ready", (event) => {
  labelEditingArea(event.detail.editor.view.dom);
});
// Editors made before this module ran.
document.querySelectorAll(".prose-editor .ProseMirror").forEach(labelEditingArea);
