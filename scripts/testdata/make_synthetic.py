"""Synthetic DICOM files for what the public samples miss, written with pydicom.

Each file isolates one rule of PS3.3 C.11 / PS3.5 so a failure names its cause. Usage:
    make_synthetic.py OUTPUT_DIR [DCMTK_MADE_DIR]
Deterministic: the same script writes the same files.
"""
import pathlib
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

out = pathlib.Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(20261122)
ROOT = "1.2.826.0.1.3680043.10.1420."  # fixed prefix: deterministic UIDs from names


def uid(name):
    return generate_uid(prefix=ROOT, entropy_srcs=[name])


def base(name, rows, columns, bits_allocated, bits_stored, signed, photometric="MONOCHROME2", frames=1):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = uid(name)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = uid(name)
    ds.StudyInstanceUID = uid("study")
    ds.SeriesInstanceUID = uid("series-" + name)
    ds.PatientName = "Synthetic^" + name
    ds.PatientID = "SYNTH"
    ds.Modality = "OT"
    ds.Rows, ds.Columns = rows, columns
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits_allocated, bits_stored, bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    return ds


def save(ds, name):
    ds.save_as(out / f"{name}.dcm", enforce_file_format=True)


def ramp(low, high, rows, columns):
    """Every value from low to high (wrapping), row-major, so each stored value is exercised."""
    values = np.arange(rows * columns, dtype=np.int64) % (high - low + 1) + low
    return values.reshape(rows, columns)


# --- VOI LUT functions on a signed 12-bit ramp (-2048…2047) with a rescale --------------------------
for function in ["LINEAR", "LINEAR_EXACT", "SIGMOID"]:
    name = f"voi_{function.lower()}"
    ds = base(name, 64, 64, 16, 12, True)
    ds.RescaleSlope, ds.RescaleIntercept = 1, -24
    ds.WindowCenter, ds.WindowWidth = 40, 400
    ds.VOILUTFunction = function
    ds.PixelData = ramp(-2048, 2047, 64, 64).astype(np.int16).tobytes()
    save(ds, name)

# --- non-integer rescale (DCMTK keeps modality values as integers and drifts) --------------------------
ds = base("rescale_fractional", 32, 32, 16, 16, False)
ds.RescaleSlope, ds.RescaleIntercept = "0.37", "-10.25"
ds.WindowCenter, ds.WindowWidth = 60, 120
ds.PixelData = ramp(0, 400, 32, 32).astype(np.uint16).tobytes()
save(ds, "rescale_fractional")

# --- non-linear Modality LUT Sequence (square-root curve, 12-bit input, 16-bit entries) ----------------
ds = base("modality_lut_nonlinear", 64, 64, 16, 12, False)
item = Dataset()
entries = np.round(np.sqrt(np.arange(4096) / 4095.0) * 65535).astype(np.uint16)
item.LUTDescriptor = [4096, 0, 16]
item.ModalityLUTType = "US"
item.LUTData = entries.astype("<u2").tobytes()
ds.ModalityLUTSequence = Sequence([item])
ds.WindowCenter, ds.WindowWidth = 32768, 65536
ds.PixelData = ramp(0, 4095, 64, 64).astype(np.uint16).tobytes()
save(ds, "modality_lut_nonlinear")

# --- non-linear VOI LUT Sequence (gamma 2.2, 12-bit output) on signed input with first mapped < 0 -----------
ds = base("voi_lut_nonlinear", 64, 64, 16, 12, True)
item = Dataset()
count = 3000
curve = np.round(((np.arange(count) / (count - 1)) ** (1 / 2.2)) * 4095).astype(np.uint16)
item.LUTDescriptor = [count, -1000 & 0xFFFF, 12]
item["LUTDescriptor"].VR = "US"
item.LUTData = curve.astype("<u2").tobytes()
item.LUTExplanation = "gamma 2.2"
ds.VOILUTSequence = Sequence([item])
ds.PixelData = ramp(-2048, 2047, 64, 64).astype(np.int16).tobytes()
save(ds, "voi_lut_nonlinear")

# --- signed 12-bit stored in 16 bits with junk (overlay-like) in the high bits ------------------------------
values = ramp(-2048, 2047, 64, 64)
junk = rng.integers(0, 16, size=values.shape) << 12
ds = base("signed12_junk_high_bits", 64, 64, 16, 12, True)
ds.WindowCenter, ds.WindowWidth = 0, 4096
ds.PixelData = ((values & 0x0FFF) | junk).astype(np.uint16).tobytes()
save(ds, "signed12_junk_high_bits")

# --- 10 stored bits ending at high bit 13 (shifted field), junk below and above ----------------------------
values = ramp(0, 1023, 32, 32)
ds = base("shifted_high_bit", 32, 32, 16, 10, False)
ds.HighBit = 13
ds.WindowCenter, ds.WindowWidth = 512, 1024
noise = rng.integers(0, 16, size=values.shape) | (rng.integers(0, 4, size=values.shape) << 14)
ds.PixelData = ((values << 4) | noise).astype(np.uint16).tobytes()
save(ds, "shifted_high_bit")

# --- 8-bit signed ------------------------------------------------------------------------------------------
ds = base("signed8", 16, 16, 8, 8, True)
ds.PixelData = ramp(-128, 127, 16, 16).astype(np.int8).tobytes()
save(ds, "signed8")

# --- 1-bit, 3 frames of 13×7 (frames do not start on byte boundaries) ------------------------------------
bits = (rng.integers(0, 2, size=3 * 13 * 7)).astype(np.uint8)
ds = base("one_bit_multiframe", 7, 13, 1, 1, False, frames=3)
packed = np.packbits(bits, bitorder="little").tobytes()
ds.PixelData = packed + (b"\0" if len(packed) % 2 else b"")
save(ds, "one_bit_multiframe")

# --- MONOCHROME1 with a window: inversion after VOI ------------------------------------------------------
ds = base("monochrome1_window", 32, 32, 16, 12, False, photometric="MONOCHROME1")
ds.WindowCenter, ds.WindowWidth = 1000, 500
ds.PixelData = ramp(0, 4095, 32, 32).astype(np.uint16).tobytes()
save(ds, "monochrome1_window")

# --- enhanced multi-frame: per-frame rescale and window in functional groups -------------------------------
ds = base("enhanced_per_frame", 32, 32, 16, 12, False, frames=3)
shared = Dataset()
shared.PixelValueTransformationSequence = Sequence([Dataset()])
shared.PixelValueTransformationSequence[0].RescaleSlope = 1
shared.PixelValueTransformationSequence[0].RescaleIntercept = 0
shared.PixelValueTransformationSequence[0].RescaleType = "US"
ds.SharedFunctionalGroupsSequence = Sequence([shared])
per_frame = []
for index, (slope, intercept, center, width) in enumerate([(1, -1024, 40, 400), (2, 0, 2000, 1000), (0.5, 100, 600, 800)]):
    group = Dataset()
    transformation = Dataset()
    transformation.RescaleSlope, transformation.RescaleIntercept, transformation.RescaleType = slope, intercept, "US"
    group.PixelValueTransformationSequence = Sequence([transformation])
    voi = Dataset()
    voi.WindowCenter, voi.WindowWidth = center, width
    group.FrameVOILUTSequence = Sequence([voi])
    per_frame.append(group)
ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
ds.PixelData = np.concatenate([ramp(0, 4095, 32, 32) for _ in range(3)]).astype(np.uint16).tobytes()
save(ds, "enhanced_per_frame")

# --- PALETTE COLOR with 16-bit entries and a non-zero first mapped value -----------------------------------
ds = base("palette16", 16, 16, 8, 8, False, photometric="PALETTE COLOR")
for colour, phase in [("Red", 0.0), ("Green", 2.1), ("Blue", 4.2)]:
    entries = np.round((np.sin(np.arange(200) / 30.0 + phase) * 0.5 + 0.5) * 65535).astype(np.uint16)
    setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [200, 20, 16])
    setattr(ds, f"{colour}PaletteColorLookupTableData", entries.tobytes())
ds.PixelData = ramp(0, 255, 16, 16).astype(np.uint8).tobytes()
save(ds, "palette16")

# --- 32-bit unsigned greyscale (bits stored 32) with a rescale --------------------------------------------
ds = base("unsigned32", 16, 16, 32, 32, False)
ds.RescaleSlope, ds.RescaleIntercept = "0.001", 0
ds.PixelData = (np.arange(256, dtype=np.uint64) * 16_777_259).astype(np.uint32).tobytes()
save(ds, "unsigned32")

# --- encapsulated multi-frame layouts, from a JPEG-LS file DCMTK made with one fragment per frame ------------
if len(sys.argv) > 2:
    from pydicom import dcmread
    from pydicom.encaps import generate_frames

    made = pathlib.Path(sys.argv[2])
    source = dcmread(made / "jpegls_one_fragment_per_frame.dcm")
    frames = list(generate_frames(source.PixelData, number_of_frames=int(source.NumberOfFrames)))
    # Two fragments per frame with an Extended Offset Table (PS3.5 A.4) and an empty Basic Offset Table.
    fragments, offsets, lengths, position = [], [], [], 0
    for frame in frames:
        half = (len(frame) // 2) & ~1
        parts = [frame[:half], frame[half:] + (b"\0" if (len(frame) - half) % 2 else b"")]
        offsets.append(position)
        lengths.append(len(frame))
        for part in parts:
            fragments.append(part)
            position += 8 + len(part)
    item = lambda data: b"\xfe\xff\x00\xe0" + len(data).to_bytes(4, "little") + data
    extended = source.copy()
    # pydicom writes the closing Sequence Delimitation Item of undefined-length Pixel Data itself.
    extended.PixelData = item(b"") + b"".join(item(part) for part in fragments)
    extended["PixelData"].VR = "OB"
    extended["PixelData"].is_undefined_length = True
    extended.ExtendedOffsetTable = np.array(offsets, dtype=np.uint64).tobytes()
    extended.ExtendedOffsetTableLengths = np.array(lengths, dtype=np.uint64).tobytes()
    extended.SOPInstanceUID = extended.file_meta.MediaStorageSOPInstanceUID = uid("extended_offset_table")
    extended.save_as(out / "jpegls_extended_offset_table.dcm", enforce_file_format=True)
