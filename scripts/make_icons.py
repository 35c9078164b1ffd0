#!/usr/bin/env python3
"""Draws the application icon (assets/icons/icon-SIZE.png).

A blue rounded square with a white shield and a keyhole. Drawn large and
scaled down, so every size stays smooth. Needs Pillow: pip install pillow.
"""
from pathlib import Path

from PIL import Image, ImageDraw

SIZES = [16, 32, 48, 64, 128, 256, 512]
BIG = 1024
OUT = Path(__file__).resolve().parent.parent / "assets" / "icons"


def draw(size: int) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    s = size / 1024

    # Background: a rounded square, lighter at the top than at the bottom.
    gradient = Image.new("RGBA", (size, size))
    gd = ImageDraw.Draw(gradient)
    for y in range(size):
        t = y / max(size - 1, 1)
        gd.line([(0, y), (size, y)], fill=(int(59 - 29 * t), int(130 - 66 * t), int(246 - 71 * t), 255))
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle([64 * s, 64 * s, 960 * s, 960 * s], radius=200 * s, fill=255)
    img.paste(gradient, (0, 0), mask)

    # Shield: straight shoulders, curved sides meeting in a point.
    shield = [
        (512, 200), (760, 280), (760, 520), (720, 650), (620, 770),
        (512, 840), (404, 770), (304, 650), (264, 520), (264, 280),
    ]
    d.polygon([(x * s, y * s) for x, y in shield], fill=(255, 255, 255, 255))

    # Keyhole: a circle and a tapering slot.
    blue = (30, 64, 175, 255)
    d.ellipse([452 * s, 400 * s, 572 * s, 520 * s], fill=blue)
    d.polygon(
        [(480 * s, 490 * s), (544 * s, 490 * s), (566 * s, 680 * s), (458 * s, 680 * s)],
        fill=blue,
    )
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw(BIG)
    for size in SIZES:
        big.resize((size, size), Image.LANCZOS).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
