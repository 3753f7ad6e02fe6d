"""The Python service dicomserve replaces, re-implemented small and faithfully for the benchmark:
FastAPI + uvicorn, pydicom + numpy + Pillow, base64 PNG in JSON, results cached in Redis for 1800 s.

Each request reads the file with pydicom, applies Rescale Slope/Intercept and a linear window
(PS3.3 C.11.2.1.2), encodes with Pillow and, for the JSON endpoint, base64-encodes into a data URL, as
the old service did. Files are found through an index built at start-up from DATA_DIR.

Like the old service, the JSON endpoint returns a dict that FastAPI serialises, and a cache hit is the
JSON text from Redis parsed back into that dict.

Environment: DATA_DIR (required), REDIS_URL (optional: no cache without it), PNG_COMPRESS_LEVEL (default 6,
Pillow's default; the lung-window PNG of the demo CT is then 54.6 KB against dicomserve's 55.8 KB).
"""
import base64
import io
import json
import os
from pathlib import Path

import numpy as np
import pydicom
from fastapi import FastAPI, HTTPException, Query, Response
from PIL import Image

DATA_DIR = Path(os.environ["DATA_DIR"])
PNG_LEVEL = int(os.environ.get("PNG_COMPRESS_LEVEL", "6"))
TTL_SECONDS = 1800
PRESETS = {"lung": (-600.0, 1500.0), "soft-tissue": (40.0, 400.0), "bone": (480.0, 2500.0), "brain": (40.0, 80.0)}

redis_client = None
if os.environ.get("REDIS_URL"):
    import redis

    redis_client = redis.Redis.from_url(os.environ["REDIS_URL"])

app = FastAPI(title="baseline")


def build_index():
    index = {}
    for path in DATA_DIR.rglob("*"):
        if not path.is_file():
            continue
        try:
            dataset = pydicom.dcmread(path, stop_before_pixels=True)
            index[str(dataset.SOPInstanceUID)] = {
                "path": str(path),
                "study_uid": str(dataset.StudyInstanceUID),
                "series_uid": str(dataset.SeriesInstanceUID),
                "patient_name": str(dataset.get("PatientName", "")),
                "patient_id": str(dataset.get("PatientID", "")),
                "study_date": str(dataset.get("StudyDate", "")),
                "modality": str(dataset.get("Modality", "")),
            }
        except Exception:  # not DICOM: skipped, as the old service did
            continue
    return index


INDEX = build_index()


def window_for(dataset, preset, window, level):
    if preset:
        if preset not in PRESETS:
            raise HTTPException(400, f"unknown preset {preset}")
        return PRESETS[preset]
    if window is not None and level is not None:
        return level, window
    center, width = dataset.get("WindowCenter"), dataset.get("WindowWidth")
    if center is not None and width is not None:
        first = lambda value: float(value[0]) if isinstance(value, pydicom.multival.MultiValue) else float(value)
        return first(center), first(width)
    return None


def render(sop_uid, preset, window, level, image_format, size=None):
    entry = INDEX.get(sop_uid)
    if entry is None:
        raise HTTPException(404, "image not found")
    dataset = pydicom.dcmread(entry["path"])
    pixels = dataset.pixel_array.astype(np.float64)
    pixels = pixels * float(dataset.get("RescaleSlope", 1)) + float(dataset.get("RescaleIntercept", 0))
    chosen = window_for(dataset, preset, window, level)
    if chosen is None:
        low, high = pixels.min(), pixels.max()
        center, width = (low + high) / 2, max(high - low, 1)
    else:
        center, width = chosen
    # PS3.3 C.11.2.1.2.1, linear.
    scaled = ((pixels - (center - 0.5)) / (width - 1) + 0.5) * 255
    scaled = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    if dataset.get("PhotometricInterpretation") == "MONOCHROME1":
        scaled = 255 - scaled
    image = Image.fromarray(scaled)
    if size:
        image.thumbnail((size, size), Image.BOX)
    buffer = io.BytesIO()
    if image_format == "jpeg":
        image.save(buffer, format="JPEG", quality=90)
    else:
        image.save(buffer, format="PNG", compress_level=PNG_LEVEL)
    return buffer.getvalue(), center, width, entry


def cached(key, produce):
    if redis_client is not None:
        hit = redis_client.get(key)
        if hit is not None:
            return hit, True
    value = produce()
    if redis_client is not None:
        redis_client.set(key, value, ex=TTL_SECONDS)
    return value, False


@app.get("/api/v1/health")
def health():
    return {"status": "ok", "images": len(INDEX), "redis": redis_client is not None}


@app.get("/api/v1/dicom/studies")
def studies():
    seen = {}
    for entry in INDEX.values():
        seen.setdefault(entry["study_uid"], {k: entry[k] for k in ("study_uid", "patient_name", "patient_id", "study_date", "modality")})
    return {"studies": list(seen.values()), "total": len(seen)}


@app.get("/api/v1/dicom/images/{sop_uid}")
def image_json(sop_uid: str, preset: str | None = None, window: float | None = None, level: float | None = None,
               format: str = Query("png", pattern="^(png|jpeg)$")):
    key = f"baseline:json:{sop_uid}:{preset}:{window}:{level}:{format}"

    def produce():
        data, center, width, entry = render(sop_uid, preset, window, level, format)
        media = "image/jpeg" if format == "jpeg" else "image/png"
        return json.dumps({
            "image_data_url": f"data:{media};base64,{base64.b64encode(data).decode()}",
            "window": width, "level": center, "preset": preset, "cached": False,
            "metadata": {"image_uid": sop_uid, "series_uid": entry["series_uid"], "study_uid": entry["study_uid"]},
        }).encode()

    body, hit = cached(key, produce)
    payload = json.loads(body)
    payload["cached"] = hit
    return payload


@app.get("/api/v1/dicom/images/{sop_uid}/rendered")
def image_rendered(sop_uid: str, preset: str | None = None, window: float | None = None, level: float | None = None,
                   format: str = Query("png", pattern="^(png|jpeg)$")):
    key = f"baseline:rendered:{sop_uid}:{preset}:{window}:{level}:{format}"
    body, hit = cached(key, lambda: render(sop_uid, preset, window, level, format)[0])
    return Response(body, media_type="image/jpeg" if format == "jpeg" else "image/png", headers={"X-Cache": "redis" if hit else "miss"})


@app.get("/api/v1/dicom/images/{sop_uid}/thumbnail")
def image_thumbnail(sop_uid: str, preset: str | None = None):
    key = f"baseline:thumbnail:{sop_uid}:{preset}"
    body, hit = cached(key, lambda: render(sop_uid, preset, None, None, "png", size=256)[0])
    return Response(body, media_type="image/png", headers={"X-Cache": "redis" if hit else "miss"})
