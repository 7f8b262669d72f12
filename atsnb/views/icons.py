"""The app's icon — three rising bars in white on the theme colour — drawn as PNG at any size.

Drawn rather than shipped as files: one drawing gives every size a phone or a browser asks for
(the home-screen launcher, the Apple touch icon, the tab's favicon), and a ``maskable`` variant
keeps the bars inside the safe circle Android crops launcher icons to.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

from atsnb.views.home_page import THEME_COLOUR

SIZES = (32, 180, 192, 512)  # favicon, Apple touch icon, the manifest's two launcher sizes


@cache
def icon_png(size: int, maskable: bool = False) -> bytes:
    """The icon as PNG bytes, ``size`` pixels square.  A plain icon has rounded corners; a
    maskable one fills the square (the launcher applies its own shape) and keeps its drawing within
    the middle 60 %."""
    if not 16 <= size <= 1024:
        raise ValueError(f"icon size must be 16..1024 pixels, got {size}")
    scale = 4  # drawn large, then shrunk: smooth edges without an anti-aliasing library
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if maskable:
        pen.rectangle((0, 0, big, big), fill=THEME_COLOUR)
        inset = big * 0.2
    else:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.2, fill=THEME_COLOUR)
        inset = big * 0.16
    room = big - 2 * inset
    gap = room * 0.1
    width = (room - 2 * gap) / 3
    for n, height in enumerate((0.45, 0.7, 1.0)):
        left = inset + n * (width + gap)
        pen.rounded_rectangle((left, inset + room * (1 - height), left + width, inset + room),
                              radius=width * 0.18, fill="white")
    out = io.BytesIO()
    image.resize((size, size), Image.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()
