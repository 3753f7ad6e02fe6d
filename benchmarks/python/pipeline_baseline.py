"""The replaced service's render pipeline, timed the same way as RenderBenchmark: pydicom read,
numpy rescale + window, Pillow PNG, base64 data URL. One core, page-cache-hot file, median of runs.

Usage: pipeline_baseline.py FILE [CENTER WIDTH]   (prints one JSON object)
"""
import base64
import io
import json
import statistics
import sys
import time

import numpy as np
import pydicom
from PIL import Image


def render(path, center, width):
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
    low, high = center - width / 2, center + width / 2
    scaled = np.clip((pixels - low) / (high - low) * 255.0, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(scaled).save(buffer, format="PNG")
    png = buffer.getvalue()
    return png, "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def main():
    path = sys.argv[1]
    center, width = (float(sys.argv[2]), float(sys.argv[3])) if len(sys.argv) > 3 else (-600.0, 1500.0)
    for _ in range(3):
        render(path, center, width)
    samples, started = [], time.perf_counter()
    while len(samples) < 20 or time.perf_counter() - started < 2.0:
        began = time.perf_counter()
        png, _ = render(path, center, width)
        samples.append((time.perf_counter() - began) * 1e6)
    print(json.dumps({"pipeline": "pydicom + numpy + Pillow PNG + base64", "median_us": statistics.median(samples),
                      "runs": len(samples), "png_bytes": len(png)}))


if __name__ == "__main__":
    main()
