"""Decodes frames dicomserve transcoded with pydicom and its plugins (an independent decoder) and compares
them with the source instance's own pixels as pydicom decodes them.

Usage: transcoded_frames_check.py DIR. DIR holds, for each check, SOURCE.dcm (the stored instance) and
SOURCE.TRANSFERSYNTAX.frame1 (frame 1 as served). Lossless syntaxes must match exactly (within the two
decoders' difference when the source itself is lossy JPEG); JPEG baseline
(1.2.840.10008.1.2.4.50) within 8 grey levels at the 99.9th percentile. Prints one line per check and
exits 1 if any failed.
"""
import pathlib
import sys
import warnings

import numpy as np
from pydicom import dcmread
from pydicom.encaps import encapsulate
from pydicom.uid import UID

warnings.simplefilter("ignore")
LOSSY_JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"}
failures = 0
checks = 0
for frame_file in sorted(pathlib.Path(sys.argv[1]).glob("*.frame1")):
    stem, syntax = frame_file.name[: -len(".frame1")].split(".", 1)[0], frame_file.name[: -len(".frame1")].split(".", 1)[1]
    source = dcmread(frame_file.parent / f"{stem}.dcm")
    stored_syntax = str(source.file_meta.TransferSyntaxUID)  # before the (shallow) copy below shares file_meta
    expected = source.pixel_array
    if int(source.get("NumberOfFrames", 1) or 1) > 1:
        expected = expected[0]
    made = source.copy()
    made.file_meta = source.file_meta.copy()
    made.file_meta.TransferSyntaxUID = UID(syntax)
    made.NumberOfFrames = 1
    made.PixelData = encapsulate([frame_file.read_bytes()])
    made["PixelData"].VR = "OB"
    if syntax == "1.2.840.10008.1.2.4.50" and int(source.SamplesPerPixel) == 3:
        made.PhotometricInterpretation = "YBR_FULL_422"
    if "PlanarConfiguration" in made:
        made.PlanarConfiguration = 0
    checks += 1
    try:
        decoded = made.pixel_array
        if syntax == "1.2.840.10008.1.2.4.50" and int(source.SamplesPerPixel) == 3:
            from pydicom.pixels import convert_color_space
            decoded = convert_color_space(decoded, "YBR_FULL", "RGB")
            if str(source.PhotometricInterpretation).startswith("YBR"):
                expected = convert_color_space(expected, str(source.PhotometricInterpretation).replace("_422", ""), "RGB")
    except Exception as error:  # a frame pydicom cannot decode is a failure
        print(f"{frame_file.name}: pydicom cannot decode it: {error}")
        failures += 1
        continue
    difference = np.abs(decoded.astype(np.int64) - expected.astype(np.int64))
    if syntax == "1.2.840.10008.1.2.4.50":
        ok = decoded.shape == expected.shape and np.percentile(difference, 99.9) <= 8
    elif stored_syntax in LOSSY_JPEG:
        # A lossless transcode of a lossy JPEG source holds what dicomserve's decoder (DCMTK's IJG) made of
        # it; pydicom's libjpeg makes up to 8 levels more or less of some samples (as in the corpus tests).
        ok = decoded.shape == expected.shape and difference.max() <= 8
    else:
        ok = decoded.shape == expected.shape and difference.max() == 0
    print(f"{frame_file.name}: {'ok' if ok else 'DIFFERS'} (max difference {difference.max()}, shape {decoded.shape})")
    failures += 0 if ok else 1
print(f"{checks} checked, {failures} failed")
sys.exit(1 if failures or not checks else 0)
