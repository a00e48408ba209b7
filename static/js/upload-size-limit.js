// A picture over the upload limit is refused before the form is sent: through nginx the whole
// request would be refused with a 413 page and the editor would lose what they typed. The
// limit and the message, in the site's language, come from the field (articles/images.py).
const noteId = (input) => `${input.id || input.name}-too-large`;

const describe = (input, id, on) => {
  const ids = new Set((input.getAttribute("aria-describedby") || "").split(/\s+/));
  if (on) ids.add(id);
  else ids.delete(id);
  const value = [...ids].filter(Boolean).join(" ");
  if (value) input.setAttribute("aria-describedby", value);
  else input.removeAttribute("aria-describedby");
};

const checkSize = (input) => {
  const limit = Number(input.dataset.maxBytes);
  const id = noteId(input);
  document.getElementById(id)?.remove();
  describe(input, id, false);
  if (![...input.files].some((file) => file.size > limit)) return;
  input.value = "";
  // A span: the admin puts a file input with a current file inside a <p>.
  const note = document.createElement("span");
  note.id = id;
  note.className = "errornote upload-too-large";
  note.setAttribute("role", "alert");
  note.textContent = input.dataset.tooLarge;
  input.after(note);
  describe(input, id, true);
};

document.addEventListener("change", (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement && input.type === "file" && input.dataset.maxBytes) {
    checkSize(input);
  }
});
