// A library picture's focal point, set by clicking its preview (or with the arrow keys): the
// two number fields hold it, as fractions of the width and height, and a marker shows it.
const STEP = 0.02;

const clamp = (value) => Math.min(1, Math.max(0, value));

for (const picker of document.querySelectorAll("[data-focal-picker]")) {
  const image = picker.querySelector("img");
  const marker = picker.querySelector(".focal-picker__marker");
  const across = document.getElementById(picker.dataset.focalX);
  const down = document.getElementById(picker.dataset.focalY);
  if (!image || !marker || !across || !down) continue;

  const read = (input) => {
    const value = Number.parseFloat(input.value);
    return Number.isFinite(value) ? clamp(value) : 0.5;
  };
  const show = () => {
    // Through the CSSOM, which the admin's style-src allows (a style attribute it would not).
    marker.style.left = `${read(across) * 100}%`;
    marker.style.top = `${read(down) * 100}%`;
  };
  const set = (x, y) => {
    across.value = clamp(x).toFixed(3);
    down.value = clamp(y).toFixed(3);
    show();
  };

  image.addEventListener("click", (event) => {
    const box = image.getBoundingClientRect();
    set((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  });
  picker.addEventListener("keydown", (event) => {
    const moves = {
      ArrowLeft: [-STEP, 0],
      ArrowRight: [STEP, 0],
      ArrowUp: [0, -STEP],
      ArrowDown: [0, STEP],
    };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    set(read(across) + move[0], read(down) + move[1]);
  });
  across.addEventListener("input", show);
  down.addEventListener("input", show);
  show();
  marker.hidden = false;
}
