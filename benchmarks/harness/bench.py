"""`make bench`: dicomserve side by side with Orthanc and the Python baseline, on loopback, bounded in
time, stopping everything it started. Writes results/<date>-<host>.json, a Markdown report and charts.

usage: bench.py --binary .build/release/dicomserve --data DATASET --baseline-python VENV_PYTHON --out benchmarks/results [--quick]
"""
import argparse
import concurrent.futures
import contextlib
import datetime
import json
import platform
import shutil
import socket
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pydicom

import report
import wrkrun
from systems import DicomServe, Orthanc, PythonBaseline, Redis, wait_until

LUNG = (-600, 1500)
SOFT = (40, 400)


@contextlib.contextmanager
def running(system):
    """A started system, stopped (with everything it started) when the block ends, however it ends."""
    system.start()
    try:
        yield system
    finally:
        system.stop()


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def series_of(directory):
    """(study, series, sop) of each file in a directory, in slice (instance number) order."""
    rows = []
    for path in sorted(Path(directory).glob("*.dcm")):
        dataset = pydicom.dcmread(path, stop_before_pixels=True)
        rows.append((int(dataset.get("InstanceNumber", 0) or 0), str(dataset.StudyInstanceUID), str(dataset.SeriesInstanceUID),
                     str(dataset.SOPInstanceUID), path))
    rows.sort()
    return [row[1:] for row in rows]


def stow(system, files, concurrency=4):
    """Sends each file in its own STOW-RS request, `concurrency` at a time; returns instances per second."""
    def send(path):
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Type: application/dicom\r\n\r\n".encode() + Path(path).read_bytes()
                + f"\r\n--{boundary}--\r\n".encode())
        request = urllib.request.Request(system.base + system.dicomweb + "/studies", data=body, method="POST", headers={
            "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}', "Accept": "application/dicom+json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"STOW answered {response.status}")

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, files))
    return len(files) / (time.monotonic() - started)


def fetch(system, path, accept=""):
    request = urllib.request.Request(system.base + path, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


class Bench:
    def __init__(self, arguments):
        self.quick = arguments.quick
        self.seconds = arguments.seconds or (1 if self.quick else 5)
        self.warmup = 1  # wrk takes whole seconds
        self.concurrencies = arguments.concurrency or ([8] if self.quick else [1, 8, 32])
        self.binary = arguments.binary
        self.data = Path(arguments.data)
        self.python = arguments.baseline_python
        self.out = Path(arguments.out)
        self.work = Path(tempfile.mkdtemp(prefix="dicomserve-bench-"))
        self.results = []
        self.measures = {}
        self.ct = series_of(self.data / "ct")
        self.j2k = series_of(self.data / "jpeg2000")
        self.jls = series_of(self.data / "jpegls")
        self.all_files = [path for directory in ("ct", "mr", "cr", "jpeg2000", "jpegls") for path in sorted((self.data / directory).glob("*.dcm"))]
        self.started_at = time.monotonic()

    # --- measuring -----------------------------------------------------------------------------------

    def paths_file(self, name, paths):
        file = self.work / f"{name}.paths"
        file.write_text("\n".join(paths) + "\n")
        return file

    def measure(self, scenario, system, paths, accept="", concurrencies=None, cpu=False, warm_all=False):
        """wrk over `paths` at each concurrency; every path fetched once first when `warm_all` (cached scenarios)."""
        if warm_all:
            for path in dict.fromkeys(paths):
                fetch(system, path, accept)
        file = self.paths_file(f"{system.name}-{scenario}", paths)
        for concurrency in concurrencies or self.concurrencies:
            wrkrun.run(system.base, file, concurrency, self.warmup, accept)  # warm-up, not recorded
            _, cpu_before = system.stats() if cpu else (0, 0)
            result = wrkrun.run(system.base, file, concurrency, self.seconds, accept)
            if cpu:
                _, cpu_after = system.stats()
                result["cpu_seconds_per_1000"] = round((cpu_after - cpu_before) / max(result["requests"], 1) * 1000, 3)
            self.results.append({"scenario": scenario, "system": system.name, "concurrency": concurrency, **result})
            log(f"  {scenario:22} {system.name:22} c={concurrency:<3} {result['throughput']:>9.1f} req/s  "
                f"p50 {result['latency_ms']['p50']:.2f} ms  p99 {result['latency_ms']['p99']:.2f} ms"
                + (f"  errors {result['errors']}" if result["errors"] else ""))

    def record(self, system, key, value):
        self.measures.setdefault(system.name, {})[key] = value

    def rss(self, system):
        rss, _ = system.stats()
        self.record(system, "rss_mib_after_load", round(rss, 1))

    def png_bytes(self, system, path, accept=""):
        self.record(system, "lung_png_bytes", len(fetch(system, path, accept)))

    # --- the systems ---------------------------------------------------------------------------------

    def rendered_paths(self, system, series, window, viewport=None):
        return [system.rendered(study, series_uid, sop, window=window, viewport=viewport) for study, series_uid, sop, _ in series]

    def run_dicomserve(self, redis):
        data = self.work / "dicomserve-data"
        log("dicomserve: loading the data set by STOW-RS")
        with running(DicomServe("dicomserve", self.binary, data, self.work)) as server:
            server.ready()
            self.record(server, "stow_ct_instances_per_second", round(stow(server, [row[3] for row in self.ct]), 1))
            stow(server, [path for path in self.all_files if path.parent.name != "ct"])

        log("dicomserve, caches off (uncached scenarios)")
        with running(DicomServe("dicomserve-uncached", self.binary, data, self.work, ["--cache-mb", "0", "--frame-cache-mb", "0"])) as uncached:
            uncached.ready()
            lung = self.rendered_paths(uncached, self.ct, LUNG)
            self.png_bytes(uncached, lung[60], "image/png")
            self.measure("png_uncached_lung", uncached, lung, "image/png", cpu=True)
            if not self.quick:
                self.measure("png_uncached_soft", uncached, self.rendered_paths(uncached, self.ct, SOFT), "image/png")
            self.measure("jpeg_uncached", uncached, lung, "image/jpeg")
            self.measure("json_uncached", uncached, [uncached.json_image(row[2], "lung") for row in self.ct], concurrencies=self.latency_concurrencies())
            if not self.quick:
                self.measure("thumbnail", uncached, [uncached.thumbnail(*row[:3]) for row in self.ct], "image/png")
                self.measure("j2k_render", uncached, self.rendered_paths(uncached, self.j2k, LUNG), "image/png")
                self.measure("jls_render", uncached, self.rendered_paths(uncached, self.jls, LUNG), "image/png")
            self.rss(uncached)

        log("dicomserve, default caches")
        cached = DicomServe("dicomserve", self.binary, data, self.work)
        cold = time.monotonic()
        with running(cached):
            wait_until(cached.base + self.rendered_paths(cached, self.ct[60:61], LUNG)[0], headers={"Accept": "image/png"})
            self.record(cached, "cold_start_to_first_render_seconds", round(time.monotonic() - cold, 3))
            lung = self.rendered_paths(cached, self.ct, LUNG)
            self.measure("png_cached", cached, lung, "image/png", warm_all=True)
            self.measure("json_cached", cached, [cached.json_image(row[2], "lung") for row in self.ct], warm_all=True,
                         concurrencies=self.latency_concurrencies())
            self.measure("window_change", cached, self.window_paths(cached), "image/png")
            self.measure("qido", cached, self.qido_paths(cached), "application/dicom+json")
            self.measure("series_metadata", cached, [f"/dicomweb/studies/{self.ct[0][0]}/series/{self.ct[0][1]}/metadata"],
                         "application/dicom+json")
            self.rss(cached)

        log("dicomserve with Redis (in-process render cache off: every hit comes from Redis)")
        redis.flush()
        with running(DicomServe("dicomserve-redis", self.binary, data, self.work, ["--cache-mb", "0", "--redis-url", redis.url])) as shared:
            shared.ready()
            self.measure("png_cached", shared, self.rendered_paths(shared, self.ct, LUNG), "image/png", warm_all=True)
            self.measure("json_cached", shared, [shared.json_image(row[2], "lung") for row in self.ct], warm_all=True,
                         concurrencies=self.latency_concurrencies())
            self.rss(shared)

    def run_orthanc(self):
        storage = self.work / "orthanc-storage"
        log("Orthanc: loading the data set by STOW-RS")
        with running(Orthanc(storage, self.work)) as orthanc:
            orthanc.ready()
            if not orthanc.listens_on_loopback_only():
                raise RuntimeError("Orthanc is listening beyond loopback; stopping")
            self.record(orthanc, "stow_ct_instances_per_second", round(stow(orthanc, [row[3] for row in self.ct]), 1))
            stow(orthanc, [path for path in self.all_files if path.parent.name != "ct"])
        orthanc = Orthanc(storage, self.work)
        cold = time.monotonic()
        with running(orthanc):
            wait_until(orthanc.base + self.rendered_paths(orthanc, self.ct[60:61], LUNG)[0], headers={"Accept": "image/png"})
            self.record(orthanc, "cold_start_to_first_render_seconds", round(time.monotonic() - cold, 3))
            lung = self.rendered_paths(orthanc, self.ct, LUNG)
            self.png_bytes(orthanc, lung[60], "image/png")
            self.measure("png_uncached_lung", orthanc, lung, "image/png", cpu=True)
            self.measure("png_uncached_soft", orthanc, self.rendered_paths(orthanc, self.ct, SOFT), "image/png")
            self.measure("jpeg_uncached", orthanc, lung, "image/jpeg")
            self.measure("qido", orthanc, self.qido_paths(orthanc), "application/dicom+json")
            self.measure("series_metadata", orthanc, [f"/dicom-web/studies/{self.ct[0][0]}/series/{self.ct[0][1]}/metadata"],
                         "application/dicom+json")
            if not self.quick:
                self.measure("orthanc_preview", orthanc, [f"/instances/{self.orthanc_id(orthanc, row)}/preview" for row in self.ct], "image/png")
                self.measure("thumbnail", orthanc, self.rendered_paths(orthanc, self.ct, None, viewport=256), "image/png")
                self.measure("window_change", orthanc, self.window_paths(orthanc), "image/png")
                self.measure("j2k_render", orthanc, self.rendered_paths(orthanc, self.j2k, LUNG), "image/png")
                self.measure("jls_render", orthanc, self.rendered_paths(orthanc, self.jls, LUNG), "image/png")
            self.rss(orthanc)

    def orthanc_id(self, orthanc, row):
        request = urllib.request.Request(orthanc.base + "/tools/lookup", data=row[2].encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())[0]["ID"]

    def run_python(self, redis):
        log("Python baseline, no cache")
        with running(PythonBaseline("python-uncached", self.python, self.data, self.work)) as uncached:
            uncached.ready()
            self.png_bytes(uncached, uncached.rendered_png(self.ct[60][2], "lung"))
            self.measure("png_uncached_lung", uncached, [uncached.rendered_png(row[2], "lung") for row in self.ct], cpu=True)
            self.measure("jpeg_uncached", uncached, [uncached.rendered_png(row[2], "lung", "jpeg") for row in self.ct])
            self.measure("json_uncached", uncached, [uncached.json_image(row[2], "lung") for row in self.ct],
                         concurrencies=self.latency_concurrencies())
            if not self.quick:
                self.measure("thumbnail", uncached, [uncached.thumbnail(*row[:3]) for row in self.ct])
            self.rss(uncached)

        log("Python baseline with its Redis cache (1800 s TTL)")
        redis.flush()
        baseline = PythonBaseline("python", self.python, self.data, self.work, redis_url=redis.url)
        cold = time.monotonic()
        with running(baseline):
            wait_until(baseline.base + baseline.json_image(self.ct[60][2], "lung"), timeout=120)
            self.record(baseline, "cold_start_to_first_render_seconds", round(time.monotonic() - cold, 3))
            # No cached raw-PNG run: uvicorn answers raw bytes in two writes that stall on delayed ACKs (40 ms)
            # at concurrency > 1, and the replaced service served its cache through the JSON endpoint only.
            self.measure("json_cached", baseline, [baseline.json_image(row[2], "lung") for row in self.ct], warm_all=True,
                         concurrencies=self.latency_concurrencies())
            self.rss(baseline)

    # --- request lists -------------------------------------------------------------------------------

    def latency_concurrencies(self):
        """The JSON scenarios' goals are p50 at concurrency 1, so quick mode measures 1 and 8."""
        return sorted(set([1, 8] + self.concurrencies)) if self.quick else self.concurrencies

    def window_paths(self, system):
        """One slice, a different window on every request (more windows than any run can use)."""
        study, series, sop, _ = self.ct[60]
        return [system.rendered(study, series, sop, window=(center, width))
                for width in range(1000, 2001, 50) for center in range(-1000, 1001)]

    def qido_paths(self, system):
        study, series = self.ct[0][0], self.ct[0][1]
        root = system.dicomweb
        return [f"{root}/studies", f"{root}/studies?PatientID=DEMO-CT-001", f"{root}/studies?ModalitiesInStudy=CT",
                f"{root}/studies?StudyDate=20240101-20241231", f"{root}/studies/{study}/series", f"{root}/series?Modality=MR"]

    # --- the run -------------------------------------------------------------------------------------

    def run(self):
        with running(Redis(self.work)) as redis:
            self.run_dicomserve(redis)
            self.run_orthanc()
            self.run_python(redis)
        host = socket.gethostname()
        stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H%M")
        document = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "host": host,
            "machine": {"cpus": len(__import__("os").sched_getaffinity(0)), "platform": platform.platform(),
                        "processor": report.processor_name()},
            "quick": self.quick,
            "seconds_per_run": self.seconds,
            "concurrencies": self.concurrencies,
            "wall_seconds": round(time.monotonic() - self.started_at, 1),
            "results": self.results,
            "measures": self.measures,
        }
        self.out.mkdir(parents=True, exist_ok=True)
        name = f"{stamp}-{host}{'-quick' if self.quick else ''}"
        (self.out / f"{name}.json").write_text(json.dumps(document, indent=2))
        markdown = report.write(document, self.out, name)
        shutil.rmtree(self.work, ignore_errors=True)
        log(f"report: {markdown}")
        return document


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--baseline-python", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--quick", action="store_true", help="short runs at concurrency 8, the scenarios the goals need")
    parser.add_argument("--seconds", type=int, help="seconds per measured run (default 5, QUICK 1)")
    parser.add_argument("--concurrency", type=int, action="append", help="a concurrency level (repeatable; default 1, 8, 32)")
    Bench(parser.parse_args()).run()


if __name__ == "__main__":
    main()
