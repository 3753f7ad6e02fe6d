"""HTJ2K test files made by OpenJPH's own encoder (ojph_compress) from real slices.

Usage: make_htj2k.py OUT_DIR SOURCE_DIR. For the real CT (693_UNCR, 512² signed 16-bit), MR (MR2_UNCR,
1024²) and CR (RG1_UNCR, 1841×1955) it writes, each with its own SOP Instance UID:
  NAME_htj2k_lossless.dcm  1.2.840.10008.1.2.4.201 (HTJ2K Lossless), reversible 5/3, LRCP
  NAME_htj2k_rpcl.dcm      1.2.840.10008.1.2.4.202 (HTJ2K Lossless RPCL), reversible 5/3, RPCL
  NAME_htj2k_lossy.dcm     1.2.840.10008.1.2.4.203 (HTJ2K), irreversible 9/7
Every lossless file is decoded again by an independent decoder (pydicom with pylibjpeg-openjpeg, i.e.
OpenJPEG) and compared with the source pixels; a difference stops the script, so a file that claims to
be lossless is. (ojph_expand cannot check it: OpenJPH 0.9's raw writer clips signed samples.)
"""
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
from pydicom import dcmread
from pydicom.encaps import encapsulate
from pydicom.uid import UID, generate_uid

out = pathlib.Path(sys.argv[1])
source = pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

SOURCES = {"ct": "693_UNCR.dcm", "mr": "MR2_UNCR.dcm", "cr": "RG1_UNCR.dcm"}
VARIANTS = {
    "lossless": ("1.2.840.10008.1.2.4.201", ["-reversible", "true", "-prog_order", "LRCP"]),
    "rpcl": ("1.2.840.10008.1.2.4.202", ["-reversible", "true", "-prog_order", "RPCL"]),
    "lossy": ("1.2.840.10008.1.2.4.203", ["-reversible", "false", "-qstep", "0.0005"]),
}

with tempfile.TemporaryDirectory() as scratch:
    scratch = pathlib.Path(scratch)
    for name, file in SOURCES.items():
        ds = dcmread(source / file)
        pixels = ds.pixel_array
        signed = int(ds.PixelRepresentation) == 1
        bits = int(ds.BitsStored)
        raw = scratch / f"{name}.yuv"
        # OpenJPH 0.9's readers (yuv, pgm, tif) take unsigned samples only. A signed slice is re-expressed
        # unsigned: stored values + 2^(bits-1), the rescale intercept lowered by as much, so every
        # modality value (HU) and so every rendering is the same as the source's.
        offset = 1 << (bits - 1) if signed else 0
        pixels = (pixels.astype(np.int64) + offset).astype(np.uint16)
        pixels.astype("<u2").tofile(raw)
        for variant, (syntax, options) in VARIANTS.items():
            codestream = scratch / f"{name}_{variant}.j2c"
            subprocess.run(
                ["ojph_compress", "-i", str(raw), "-o", str(codestream), "-dims", f"{{{ds.Columns},{ds.Rows}}}",
                 "-num_comps", "1", "-signed", "false", "-bit_depth", str(bits),
                 "-downsamp", "{1,1}", *options],
                check=True, capture_output=True)
            made = dcmread(source / file)
            made.PixelData = encapsulate([codestream.read_bytes()])
            made["PixelData"].VR = "OB"
            made.file_meta.TransferSyntaxUID = UID(syntax)
            if signed:
                made.PixelRepresentation = 0
                made.RescaleIntercept = float(made.get("RescaleIntercept", 0)) - offset * float(made.get("RescaleSlope", 1))
                for keyword in ("SmallestImagePixelValue", "LargestImagePixelValue", "PixelPaddingValue"):
                    if keyword in made:
                        del made[keyword]
            made.SOPInstanceUID = generate_uid()
            made.file_meta.MediaStorageSOPInstanceUID = made.SOPInstanceUID
            if variant == "lossy":
                made.LossyImageCompression = "01"
            target = out / f"{name}_htj2k_{variant}.dcm"
            made.save_as(target, enforce_file_format=True)
            decoded = dcmread(target).pixel_array
            if variant != "lossy" and not np.array_equal(decoded, pixels):
                sys.exit(f"make_htj2k: {target.name} does not decode to the source pixels")
            if variant == "lossy" and np.abs(decoded.astype(np.int64) - pixels).max() > (1 << bits) // 16:
                sys.exit(f"make_htj2k: {target.name} is further from the source than a lossy file should be")
            print(f"  {name}_htj2k_{variant}.dcm: {codestream.stat().st_size:,} B codestream")
