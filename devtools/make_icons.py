"""Draw the offline app's icons (issue 12): werkbon/static/werkbon/icon-192.png and -512.png.

Run once after changing the design and commit the PNGs (set-up does not run this):

    .venv/bin/python devtools/make_icons.py

A white clipboard with a tick on Werkbon's blue, drawn with Pillow (a project dependency);
the artwork stays inside the middle 80 % so the icon also works as a "maskable" icon.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

TARGET = Path(__file__).resolve().parents[1] / "werkbon" / "static" / "werkbon"
BLUE = (31, 95, 139)
WHITE = (255, 255, 255)


def icon(size: int) -> Image.Image:
    image = Image.new("RGB", (size, size), BLUE)
    draw = ImageDraw.Draw(image)
    s = size / 100
    draw.rounded_rectangle((28 * s, 22 * s, 72 * s, 80 * s), radius=5 * s, fill=WHITE)
    draw.rounded_rectangle((40 * s, 16 * s, 60 * s, 28 * s), radius=3 * s, fill=(200, 214, 226))
    draw.line([(37 * s, 52 * s), (47 * s, 62 * s), (64 * s, 40 * s)], fill=BLUE, width=round(6 * s))
    return image


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size).save(TARGET / f"icon-{size}.png", optimize=True)
        print(TARGET / f"icon-{size}.png")


if __name__ == "__main__":
    main()
