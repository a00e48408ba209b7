"""Pictures for `seed_demo`, drawn with Pillow in the colours of `data/palettes.json`."""

import functools
import io
import random
import unicodedata

from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from .datafiles import load

RGB = tuple[int, int, int]

_palettes = load("palettes")

# Two colours per section: the gradient runs from the first to the second. Pillow wants colours
# as tuples, so JSON's lists are turned back into them.
PALETTES: dict[str, list[tuple[RGB, RGB]]] = {
    section: [(tuple(start), tuple(end)) for start, end in palette["gradients"]]
    for section, palette in _palettes.items()
}
# The same colours in words, for the pictures' alt text.
COLOUR_NAMES: dict[str, str] = {
    section: palette["colours"] for section, palette in _palettes.items()
}
LEAD_SIZE = (2400, 1350)


# Fonts with Romanian letters, looked up in the system's font folders; Pillow's built-in font
# lacks "ă", "ș" and "ț", so with it the label falls back to plain letters.
FONT_FILES = ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "Arial Bold.ttf", "Arial.ttf"]


@functools.cache
def _font(size: int) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, bool]:
    """A font at this size, and whether it draws Romanian letters."""
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _draw_text(draw: ImageDraw.ImageDraw, xy, text: str, size: int, **kwargs) -> None:
    font, has_diacritics = _font(size)
    if not has_diacritics:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    draw.text(xy, text, font=font, **kwargs)


def lead_image(rng: random.Random, section: str) -> bytes:
    """A 2400×1350 JPEG: the section's gradient and a few translucent shapes, no lettering (so
    every crop reads; the caption says it is an illustration). Wide enough that each crop a
    search engine asks for exists at 1,200 px or more."""
    start, end = rng.choice(PALETTES[section])
    gradient = Image.linear_gradient("L").rotate(rng.choice([0, 90, 180, 270]))
    picture = ImageOps.colorize(gradient.resize(LEAD_SIZE), start, end).convert("RGBA")
    width, height = LEAD_SIZE

    shapes = Image.new("RGBA", LEAD_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(shapes)
    for _shape in range(rng.randint(6, 10)):
        x, y = rng.randint(-300, width), rng.randint(-300, height - 300)
        size = rng.randint(180, 920)
        colour = (*rng.choice([start, end, (255, 255, 255)]), rng.randint(60, 140))
        if rng.random() < 0.5:
            draw.ellipse([x, y, x + size, y + size], fill=colour)
        else:
            draw.rectangle([x, y, x + size, y + size // 2], fill=colour)
    picture = Image.alpha_composite(picture, shapes.filter(ImageFilter.GaussianBlur(4)))
    buffer = io.BytesIO()
    picture.convert("RGB").save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue()


def lead_image_alt(section: str) -> str:
    return (
        f"Ilustrație abstractă în nuanțe de {COLOUR_NAMES[section]}, "
        "cu cercuri și dreptunghiuri translucide"
    )


def portrait(rng: random.Random, initials: str) -> bytes:
    """A 400×400 JPEG: a head-and-shoulders silhouette on a coloured ground, with initials."""
    background = rng.choice([colour for pair in PALETTES.values() for colour, _end in pair])
    picture = Image.new("RGB", (400, 400), background)
    draw = ImageDraw.Draw(picture)
    shade = tuple(min(255, channel + 90) for channel in background)
    draw.ellipse([130, 70, 270, 210], fill=shade)
    draw.ellipse([60, 230, 340, 520], fill=shade)
    _draw_text(draw, (200, 345), initials, 40, fill=background, anchor="mm")
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
