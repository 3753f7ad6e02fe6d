"""Decodes PNGs with Pillow and compares each with the raw pixels written beside it.

Usage: png_pixels_equal.py DIR. For every NAME.png in DIR, NAME.raw holds the expected 8-bit samples
(grey or RGB, rows packed). Prints one line per mismatch and exits 1 if there was any.
"""
import pathlib
import sys

import numpy as np
from PIL import Image

failures = 0
checked = 0
for png in sorted(pathlib.Path(sys.argv[1]).glob("*.png")):
    with Image.open(png) as image:
        image.load()
        mode = image.mode
        pixels = np.asarray(image)
    expected = np.fromfile(png.with_suffix(".raw"), dtype=np.uint8)
    checked += 1
    if mode not in ("L", "RGB") or pixels.size != expected.size or not np.array_equal(pixels.reshape(-1), expected):
        failures += 1
        print(f"{png.name}: mode {mode}, {pixels.size} samples, expected {expected.size}; differs")
print(f"{checked} checked, {failures} differ")
sys.exit(1 if failures or not checked else 0)
