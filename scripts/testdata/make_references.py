"""Reference pixels from an independent decoder (pydicom + pylibjpeg) and the standard's formulas.

For every file in the corpus and every frame tested, writes under OUT/reference/:
  NAME.fN.stored  greyscale: stored values (int32 LE) as pydicom decodes them
  NAME.fN.render  expected 8-bit output of the automatic VOI (first window, else VOI LUT, else min/max),
                  computed here with numpy from PS3.3 C.11 (greyscale), or pydicom's RGB (colour)
and OUT/manifest.json describing each entry: transfer syntax, photometric, tolerances and why.
"""
import json
import pathlib
import sys
import warnings

import numpy as np
from pydicom import dcmread
from pydicom.pixels import apply_color_lut

warnings.simplefilter("ignore")
out = pathlib.Path(sys.argv[1])
ref = out / "reference"
ref.mkdir(parents=True, exist_ok=True)

LOSSY_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}
# Irreversible (9/7) HTJ2K: decoders may round the inverse wavelet's floats differently, by one stored
# value (OpenJPH against OpenJPEG in the files made here); dicomserve and pydicom both use OpenJPEG now.
LOSSY_HTJ2K = {"1.2.840.10008.1.2.4.203"}
# Files whose decoded pixels are known to differ between decoders for reasons outside our control.
NOTES = {
    "J2K_pixelrep_mismatch.dcm": "codestream signedness differs from Pixel Representation; pydicom corrects it, "
                                 "we follow the header",
}
# Files without a reference, each with why (written to skipped.json; CorpusTests prints the list and checks
# that every corpus file is either referenced or listed here).
SKIP = {
    "OT-PAL-8-face.dcm": "no Part 10 header (no DICM prefix): refused by design, like the NoMeta files",
    "ExplVR_BigEndNoMeta.dcm": "no Part 10 header: refused by design (bad-input tests)",
    "ExplVR_LitEndNoMeta.dcm": "no Part 10 header: refused by design (bad-input tests)",
    "no_meta.dcm": "no Part 10 header: refused by design (bad-input tests)",
    "meta_missing_tsyntax.dcm": "no Transfer Syntax UID in the meta header: refused (bad-input tests)",
    "nested_priv_SQ.dcm": "no pixel data",
    "rtstruct.dcm": "no pixel data",
    "MR_truncated.dcm": "truncated: refused with a typed error (bad-input tests)",
    "emri_small_jpeg_2k_lossless_too_short.dcm": "pixel data shorter than its frames: refused (bad-input tests)",
    "badVR.dcm": "a malformed VR: refused (bad-input tests)",
    "J2K_pixelrep_mismatch.dcm": NOTES["J2K_pixelrep_mismatch.dcm"] + ": the two disagree by design, so no reference",
    "JPEG2000-embedded-sequence-delimiter.dcm": "a sequence delimiter inside the codestream: refused (bad-input tests)",
    # Malformed: a non-standard VR in (0008,0008) and an element longer than the file. pydicom guesses on,
    # DCMTK (and so dicomserve) refuses it with a typed error; the bad-input tests cover that behaviour.
    "SC_rgb_jpeg.dcm": "malformed: a non-standard VR and an element longer than the file; refused (bad-input tests)",
}


def quantize(y):
    return np.clip(np.floor(y + 0.5), 0, 255).astype(np.uint8)


def lut_from(item, signed):
    count, first, bits = [int(v) for v in item.LUTDescriptor]
    count = count or 65536
    if signed and first >= 32768:
        first -= 65536
    data = item["LUTData"].value
    entries = np.frombuffer(data, dtype="<u2") if isinstance(data, (bytes, bytearray)) else np.asarray(data)
    return first, bits, np.asarray(entries[:count], dtype=np.int64) & ((1 << bits) - 1)


def lookup(table, values):
    first, _, entries = table
    return entries[np.clip(values - first, 0, len(entries) - 1)]


def frame_attributes(ds, frame):
    """Top level, then shared, then this frame's functional groups (PS3.3 C.7.6.16)."""
    sources = [ds]
    if "SharedFunctionalGroupsSequence" in ds:
        sources.append(ds.SharedFunctionalGroupsSequence[0])
    if "PerFrameFunctionalGroupsSequence" in ds and frame <= len(ds.PerFrameFunctionalGroupsSequence):
        sources.append(ds.PerFrameFunctionalGroupsSequence[frame - 1])
    rescale, modality_lut, windows, voi_luts = None, None, None, None
    signed = ds.PixelRepresentation == 1
    for source in sources:
        transformation = source.PixelValueTransformationSequence[0] if "PixelValueTransformationSequence" in source else source
        if "RescaleSlope" in transformation and "RescaleIntercept" in transformation:
            rescale = (float(transformation.RescaleSlope), float(transformation.RescaleIntercept))
        if "ModalityLUTSequence" in source:
            modality_lut = lut_from(source.ModalityLUTSequence[0], signed)
        voi = source.FrameVOILUTSequence[0] if "FrameVOILUTSequence" in source else source
        if "WindowCenter" in voi and "WindowWidth" in voi:
            centers = voi.WindowCenter if voi["WindowCenter"].VM > 1 else [voi.WindowCenter]
            widths = voi.WindowWidth if voi["WindowWidth"].VM > 1 else [voi.WindowWidth]
            function = str(voi.get("VOILUTFunction", "LINEAR")).strip().upper() or "LINEAR"
            windows = [(float(c), float(w), function) for c, w in zip(centers, widths)]
        if "VOILUTSequence" in source:
            voi_luts = [lut_from(item, signed) for item in source.VOILUTSequence]
    return rescale, modality_lut, windows, voi_luts


def window(x, center, width, function):
    if function == "LINEAR_EXACT":
        y = quantize(((x - center) / width + 0.5) * 255)
        return np.where(x <= center - width / 2, 0, np.where(x > center + width / 2, 255, y)).astype(np.uint8)
    if function == "SIGMOID":
        return quantize(255 / (1 + np.exp(-4 * (x - center) / width)))
    y = quantize(((x - (center - 0.5)) / (width - 1) + 0.5) * 255)
    lower, upper = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    return np.where(x <= lower, 0, np.where(x > upper, 255, y)).astype(np.uint8)


def render_grey(ds, stored, frame):
    rescale, modality_lut, windows, voi_luts = frame_attributes(ds, frame)
    if modality_lut is not None:
        x = lookup(modality_lut, stored).astype(np.float64)
    elif rescale is not None and rescale[0] != 0:
        x = stored.astype(np.float64) * rescale[0] + rescale[1]
    else:
        x = stored.astype(np.float64)
    valid = [w for w in (windows or []) if (w[1] >= 1 if w[2] == "LINEAR" else w[1] > 0)]
    if valid:
        y = window(x, *valid[0])
    elif voi_luts:
        first, bits, entries = voi_luts[0]
        y = quantize(lookup(voi_luts[0], np.floor(x).astype(np.int64)) * 255 / ((1 << bits) - 1))
    else:
        low, high = x.min(), x.max()
        y = window(x, (low + high) / 2 + 0.5, high - low + 1, "LINEAR")
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 255 - y
    return y


def scale8(values, bits):
    if bits == 8:
        return values.astype(np.uint8)
    maximum = (1 << bits) - 1
    return ((values.astype(np.uint64) * 255 + maximum // 2) // maximum).astype(np.uint8)


manifest = []
skipped = []
for directory in sorted((out / "dicom").iterdir()):
    for path in sorted(directory.glob("*.dcm")):
        if path.name in SKIP:
            skipped.append({"file": f"dicom/{directory.name}/{path.name}", "reason": SKIP[path.name]})
            continue
        try:
            ds = dcmread(path)
            if "PixelData" not in ds or "PhotometricInterpretation" not in ds:
                skipped.append({"file": f"dicom/{directory.name}/{path.name}", "reason": "no pixel data"})
                continue
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            if path.name == "jpegls_extended_offset_table.dcm":
                # Re-fragmented copy of this file (same codestreams); pydicom 3.0.2 mis-assembles some frames
                # of the two-fragment layout, so the reference pixels come from the original.
                array = dcmread(out / "jpegls_one_fragment_per_frame.dcm").pixel_array
            else:
                array = ds.pixel_array
        except Exception as error:  # not a reference we can make: listed with the reason
            print(f"  skip {path.name}: {error}")
            skipped.append({"file": f"dicom/{directory.name}/{path.name}", "reason": f"pydicom cannot decode it: {error}"})
            continue
        if frames == 1:
            array = array[np.newaxis]
        tested = sorted({1, frames, (frames + 1) // 2})
        xfer = str(ds.file_meta.TransferSyntaxUID)
        photometric = str(ds.PhotometricInterpretation)
        lossy_jpeg = xfer in LOSSY_JPEG
        key = f"{directory.name}/{path.stem}"
        (ref / directory.name).mkdir(exist_ok=True)
        for frame in tested:
            pixels = array[frame - 1]
            if photometric.startswith("MONOCHROME") and int(ds.HighBit) != int(ds.BitsStored) - 1:
                # pydicom assumes High Bit = Bits Stored − 1; PS3.5 8.1.1 puts the field's top at High Bit.
                raw = np.frombuffer(ds.PixelData, dtype="<u2").reshape(frames, int(ds.Rows), int(ds.Columns))[frame - 1]
                pixels = (raw.astype(np.int64) >> (int(ds.HighBit) + 1 - int(ds.BitsStored))) & ((1 << int(ds.BitsStored)) - 1)
            stem = ref / directory.name / f"{path.stem}.f{frame}"
            entry = {"file": f"dicom/{directory.name}/{path.name}", "frame": frame, "frames": frames,
                     "transferSyntax": xfer, "photometric": photometric, "set": directory.name,
                     "bitsAllocated": int(ds.BitsAllocated)}
            if photometric.startswith("MONOCHROME"):
                pixels.astype("<i4").tofile(f"{stem}.stored")
                render_grey(ds, pixels.astype(np.int64), frame).tofile(f"{stem}.render")
                entry.update(kind="grey", storedTolerance=8 if lossy_jpeg else 0, renderTolerance=1)
                if lossy_jpeg:
                    entry["why"] = "lossy JPEG: IJG (DCMTK) and libjpeg 9 (pylibjpeg) IDCTs may differ slightly"
                if xfer in LOSSY_HTJ2K:
                    # One stored value moves the display by d = 255·slope/(width−1) grey levels under the
                    # file's window (the automatic VOI), so two roundings differ by at most ⌊d⌋ + 1.
                    width = float(np.ravel(ds.WindowWidth)[0]) if "WindowWidth" in ds else 256.0
                    step = 255 * float(ds.get("RescaleSlope", 1) or 1) / max(width - 1, 1)
                    entry.update(storedTolerance=1, renderTolerance=int(step) + 1,
                                 why="lossy HTJ2K: decoders may round the inverse 9/7 wavelet differently "
                                     "(one stored value, so ⌊255·slope/(width−1)⌋ + 1 grey levels)")
            else:
                if photometric == "PALETTE COLOR":
                    bits = int(ds.RedPaletteColorLookupTableDescriptor[2])
                    if "SegmentedRedPaletteColorLookupTableData" in ds:
                        rgb = apply_color_lut(pixels, ds)
                    else:
                        # numpy, not apply_color_lut: pydicom 3.0.2 reads big-endian LUT Data as little-endian.
                        order = "<" if ds.original_encoding[1] else ">"
                        channels = []
                        for colour in ("Red", "Green", "Blue"):
                            count, first, _ = [int(v) for v in ds[f"{colour}PaletteColorLookupTableDescriptor"].value]
                            data = ds[f"{colour}PaletteColorLookupTableData"].value
                            entries = np.frombuffer(data, dtype=f"{order}u2").astype(np.int64)[: count or 65536]
                            channels.append(entries[np.clip(pixels.astype(np.int64) - first, 0, len(entries) - 1)])
                        rgb = np.stack(channels, axis=-1)
                else:
                    rgb = pixels  # pydicom converts YBR to RGB itself (as_rgb)
                    bits = int(ds.BitsStored)
                scale8(np.asarray(rgb), bits).tofile(f"{stem}.render")
                entry.update(kind="colour", renderTolerance=1)
                if lossy_jpeg or "YBR" in photometric:
                    entry["renderTolerance"] = 8 if lossy_jpeg else 1
                    entry["why"] = ("lossy JPEG and YBR→RGB: decoders differ in IDCT, chroma upsampling and "
                                    "conversion rounding" if lossy_jpeg else "YBR→RGB rounding")
            entry["name"] = f"{key}.f{frame}"
            manifest.append(entry)

(out / "manifest.json").write_text(json.dumps(manifest, indent=1))
(out / "skipped.json").write_text(json.dumps(skipped, indent=1))
print(f"  {len(manifest)} reference frames from {len({e['file'] for e in manifest})} files")
