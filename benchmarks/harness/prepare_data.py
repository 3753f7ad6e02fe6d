"""Builds the benchmark's data set once (into the directory given), the same files for every system:

  ct/      the demo head CT: 120 real-derived 512² slices (`dicomserve demo-data`)
  mr/      the demo shoulder MR series (20 slices)
  cr/      the demo's real CR radiograph (1841×1955, from pydicom-data)
  jpeg2000/ the first 40 CT slices as JPEG 2000 lossless, encoded by OpenJPEG's opj_compress
  jpegls/   the first 40 CT slices as JPEG-LS lossless, encoded by DCMTK's dcmcjpls

The JPEG 2000 and JPEG-LS series get their own series and instance UIDs (same study), so that every
system stores them beside the uncompressed originals.

usage: prepare_data.py DICOMSERVE_BINARY TEST_DATA_DIR OUTPUT_DIR
"""
import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import JPEG2000Lossless

binary, test_data, output = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
COMPRESSED_SLICES = 40


def uid(*parts):
    """A deterministic 2.25 UID, so prepared data is the same on every run."""
    return "2.25." + str(int(hashlib.sha256("/".join(parts).encode()).hexdigest()[:30], 16))


def relabel(dataset, series_uid, description, number, index):
    dataset.SeriesInstanceUID = series_uid
    dataset.SeriesDescription = description
    dataset.SeriesNumber = number
    dataset.SOPInstanceUID = uid("bench", description, str(index))
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID


def main():
    if (output / ".complete").exists():
        print(f"data set ready in {output}")
        return
    if output.exists():
        shutil.rmtree(output)
    demo = output / "demo"
    subprocess.run([binary, "demo-data", str(demo), "--source", str(test_data)], check=True, stdout=subprocess.DEVNULL)
    shutil.move(str(demo / "ct"), output / "ct")
    shutil.move(str(demo / "mr"), output / "mr")
    (output / "cr").mkdir()
    shutil.move(str(demo / "other" / "cr_radiograph.dcm"), output / "cr" / "cr_radiograph.dcm")
    shutil.rmtree(demo)

    slices = sorted((output / "ct").glob("*.dcm"))[:COMPRESSED_SLICES]
    jls, j2k = output / "jpegls", output / "jpeg2000"
    jls.mkdir()
    j2k.mkdir()
    jls_series, j2k_series = uid("bench", "jpegls"), uid("bench", "jpeg2000")
    with tempfile.TemporaryDirectory() as scratch:
        for index, path in enumerate(slices):
            # JPEG-LS lossless by DCMTK, then new UIDs.
            encoded = Path(scratch) / f"{index}.jls.dcm"
            subprocess.run(["dcmcjpls", "--encode-lossless", str(path), str(encoded)], check=True)
            dataset = pydicom.dcmread(encoded)
            relabel(dataset, jls_series, "JPEG-LS lossless", 901, index)
            dataset.save_as(jls / f"slice_{index:03d}.dcm", enforce_file_format=True)

            # JPEG 2000 lossless by OpenJPEG's opj_compress from the raw stored values.
            dataset = pydicom.dcmread(path)
            pixels = dataset.pixel_array
            signed = int(dataset.PixelRepresentation) == 1
            raw = Path(scratch) / f"{index}.rawl"
            pixels.astype("<i2" if signed else "<u2").tofile(raw)
            codestream = Path(scratch) / f"{index}.j2k"
            subprocess.run(
                ["opj_compress", "-i", str(raw), "-o", str(codestream),
                 "-F", f"{dataset.Columns},{dataset.Rows},1,{dataset.BitsStored},{'s' if signed else 'u'}"],
                check=True, stdout=subprocess.DEVNULL,
            )
            dataset.PixelData = encapsulate([codestream.read_bytes()])
            dataset["PixelData"].VR = "OB"
            dataset.file_meta.TransferSyntaxUID = JPEG2000Lossless
            relabel(dataset, j2k_series, "JPEG 2000 lossless", 902, index)
            dataset.save_as(j2k / f"slice_{index:03d}.dcm", enforce_file_format=True)
            assert np.array_equal(pydicom.dcmread(j2k / f"slice_{index:03d}.dcm").pixel_array, pixels), "J2K is not lossless"
    (output / ".complete").touch()
    print(f"data set ready in {output}")


main()
