// Slugs typed from a headline or a name: Latin letters with diacritics become plain ASCII first
// (Romanian's cedilla ş ţ, which Django's URLify drops, and comma-below ș ț, ă â î and the rest),
// then Django's URLify does the rest as before (Cyrillic and other scripts included). The server
// makes tag slugs the same way (articles/slugs.py).
const latinToAscii = (text) =>
  text
    .replace(/[şșŞȘ]/g, (letter) => (letter === letter.toLowerCase() ? "s" : "S"))
    .replace(/[ţțŢȚ]/g, (letter) => (letter === letter.toLowerCase() ? "t" : "T"))
    .normalize("NFD")
    .replace(/([A-Za-z])[\u0300-\u036f]+/g, "$1")
    .normalize("NFC");

if (typeof window.URLify === "function" && !window.URLify.latinToAscii) {
  const urlify = window.URLify;
  window.URLify = (text, length, allowUnicode) => urlify(latinToAscii(text), length, allowUnicode);
  window.URLify.latinToAscii = latinToAscii;
}
