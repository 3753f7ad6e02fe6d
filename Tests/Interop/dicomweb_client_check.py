"""Drives a running dicomserve with the PyPI DICOMweb client (dicomweb-client): store, search,
retrieve metadata, frames, instances and rendered images. Exits non-zero on the first mismatch.

Usage: dicomweb_client_check.py BASE_URL FILE.dcm...   (run by Tests/EndToEndTests/InteropAndCrashTests.swift)
"""
import sys

import pydicom
from dicomweb_client.api import DICOMwebClient


def check(condition, message):
    if not condition:
        sys.exit(f"interop: {message}")


base, *paths = sys.argv[1:]
client = DICOMwebClient(url=base.rstrip("/") + "/dicomweb")
datasets = [pydicom.dcmread(path) for path in paths]

# STOW-RS
response = client.store_instances(datasets=datasets)
referenced = response.get("ReferencedSOPSequence", [])
check(len(referenced) == len(datasets), f"stored {len(referenced)} of {len(datasets)}: {response}")

first = datasets[0]
study, series, sop = first.StudyInstanceUID, first.SeriesInstanceUID, first.SOPInstanceUID

# QIDO-RS
studies = client.search_for_studies(search_filters={"PatientID": first.PatientID})
check(any(s["0020000D"]["Value"][0] == study for s in studies), "study not found by PatientID")
found_series = client.search_for_series(study_instance_uid=study)
check(any(s["0020000E"]["Value"][0] == series for s in found_series), "series not found in its study")
instances = client.search_for_instances(study_instance_uid=study, series_instance_uid=series, limit=1000)
check(any(i["00080018"]["Value"][0] == sop for i in instances), "instance not found in its series")

# WADO-RS metadata: DICOM JSON that pydicom reads back
metadata = client.retrieve_series_metadata(study_instance_uid=study, series_instance_uid=series)
check(len(metadata) >= 1, "no series metadata")
parsed = pydicom.Dataset.from_json(
    next(m for m in metadata if m["00080018"]["Value"][0] == sop), bulk_data_uri_handler=lambda *args: b""
)
check(parsed.Rows == first.Rows and parsed.Columns == first.Columns, "metadata rows/columns differ")

# WADO-RS instance and frames
instance = client.retrieve_instance(study_instance_uid=study, series_instance_uid=series, sop_instance_uid=sop)
check(instance.SOPInstanceUID == sop, "retrieved instance differs")
frames = client.retrieve_instance_frames(
    study_instance_uid=study, series_instance_uid=series, sop_instance_uid=sop, frame_numbers=[1]
)
expected = first.Rows * first.Columns * first.SamplesPerPixel * first.BitsAllocated // 8
check(len(frames) == 1 and len(frames[0]) == expected, f"frame of {len(frames[0])} bytes, expected {expected}")

# WADO-RS rendered
png = client.retrieve_instance_rendered(
    study_instance_uid=study, series_instance_uid=series, sop_instance_uid=sop, media_types=("image/png",)
)
check(png[:8] == b"\x89PNG\r\n\x1a\n", "rendered is not a PNG")
jpeg = client.retrieve_instance_rendered(
    study_instance_uid=study, series_instance_uid=series, sop_instance_uid=sop, media_types=("image/jpeg",)
)
check(jpeg[:2] == b"\xff\xd8", "rendered is not a JPEG")

print(f"interop: ok ({len(datasets)} stored; searched, metadata, instance, frame and rendered retrieved)")
