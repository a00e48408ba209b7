// "Copy link" is a plain link to the story; with this script, a click copies the address.
(() => {
  for (const link of document.querySelectorAll("[data-copy-link]")) {
    link.addEventListener("click", (event) => {
      if (!navigator.clipboard) return;
      event.preventDefault();
      navigator.clipboard.writeText(link.href).then(() => {
        link.textContent = link.dataset.copied;
      }, () => {});
    });
  }
})();
