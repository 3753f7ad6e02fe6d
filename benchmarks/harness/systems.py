"""The systems under test, each started on a free loopback port with its own data directory and stopped
(with everything it started) by `stop()`: dicomserve, Orthanc (kept on loopback by loopback_bind.so),
the Python baseline (uvicorn), and Redis."""
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

HARNESS = Path(__file__).parent
REPOSITORY = HARNESS.parent.parent


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(url, timeout=60, headers=None):
    """Polls `url` until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
                if response.status == 200:
                    response.read()
                    return time.monotonic() - started
        except Exception:
            pass
        time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def process_tree_stats(pid):
    """(RSS in MiB, CPU seconds) of a process and its descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except OSError:
                continue
    rss_kib, cpu = 0, 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / ticks
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss_kib += int(line.split()[1])
        except OSError:
            continue
        pending += children.get(current, [])
    return rss_kib / 1024, cpu


class Process:
    """A child process whose output goes to a log file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, command, log, environment=None, cwd=None):
        self.log = open(log, "ab")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, cwd=cwd,
                                        env={**os.environ, **(environment or {})}, start_new_session=True)

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class Redis:
    def __init__(self, work):
        self.work = work
        self.port = free_port()

    def start(self):
        self.process = Process(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--loglevel", "warning"], self.work / "redis.log")
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.process.stop()
        raise TimeoutError("redis-server did not start")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self):
        subprocess.run(["redis-cli", "-p", str(self.port), "FLUSHALL"], check=True, capture_output=True)

    def stop(self):
        self.process.stop()


class System:
    """Common shape: `base` URL, paths for each kind of request, start/stop, stats."""

    name = ""
    dicomweb = ""  # DICOMweb root under base, e.g. /dicomweb
    window_function = ""  # appended to ?window=center,width (Orthanc requires the third value)

    def rendered(self, study, series, instance, window=None, viewport=None):
        """DICOMweb rendered instance, with a window (center, width) and a square viewport when given."""
        query = []
        if window:
            query.append(f"window={window[0]},{window[1]}{self.window_function}")
        if viewport:
            query.append(f"viewport={viewport},{viewport}")
        path = f"{self.dicomweb}/studies/{study}/series/{series}/instances/{instance}/rendered"
        return path + ("?" + "&".join(query) if query else "")

    def stats(self):
        return process_tree_stats(self.process.pid)

    def stop(self):
        self.process.stop()


class DicomServe(System):
    dicomweb = "/dicomweb"

    def __init__(self, name, binary, data, work, arguments=()):
        self.name, self.binary, self.data, self.work, self.arguments = name, binary, data, work, list(arguments)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self):
        self.process = Process([self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data),
                                "--presets", str(REPOSITORY / "presets"), "--web-dir", "none", "--rate-limit", "off",
                                # Access logs off, as Orthanc (warnings only) and the baseline (uvicorn --log-level warning) run;
                                # audit rows are still written.
                                "--log-level", "warning"] + self.arguments,
                               self.work / f"{self.name}.log")
        return self

    def ready(self):
        return wait_until(self.base + "/api/v1/health")

    def json_image(self, instance, preset):
        return f"/api/v1/dicom/images/{instance}?preset={preset}"

    def thumbnail(self, study, series, instance):
        return f"/api/v1/dicom/images/{instance}/thumbnail"


class Orthanc(System):
    dicomweb = "/dicom-web"
    window_function = ",linear"

    def __init__(self, storage, work):
        self.name, self.storage, self.work = "orthanc", storage, work
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.shim = work / "loopback_bind.so"
        if not self.shim.exists():
            subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(self.shim), str(HARNESS / "loopback_bind.c"), "-ldl"], check=True)
        plugins = ["/usr/share/orthanc/plugins/libOrthancDicomWeb.so"]
        if Path("/usr/share/orthanc/plugins/libOrthancGdcm.so").exists():
            plugins.append("/usr/share/orthanc/plugins/libOrthancGdcm.so")  # JPEG 2000 and JPEG-LS decoding
        self.config = work / "orthanc.json"
        self.config.write_text(
            '{"Name": "benchmark", "StorageDirectory": "%s", "IndexDirectory": "%s", "HttpPort": %d, '
            '"DicomServerEnabled": false, "RemoteAccessAllowed": false, "AuthenticationEnabled": false, '
            '"HttpCompressionEnabled": false, "Plugins": [%s], '
            '"DicomWeb": {"Enable": true, "Root": "/dicom-web/", "EnableWado": false, "Host": "127.0.0.1"}}'
            % (storage, storage, self.port, ", ".join(f'"{plugin}"' for plugin in plugins)))

    def start(self):
        # Orthanc 1.10 has no bind-address setting: the shim turns its wildcard bind into 127.0.0.1.
        self.process = Process(["Orthanc", str(self.config)], self.work / "orthanc.log", environment={"LD_PRELOAD": str(self.shim)})
        return self

    def ready(self):
        return wait_until(self.base + "/system")

    def listens_on_loopback_only(self):
        listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True).stdout
        mine = [line for line in listening.splitlines() if f"pid={self.process.pid}," in line]
        return bool(mine) and all(" 127.0.0.1:" in line or " [::1]:" in line for line in mine)



class PythonBaseline(System):
    def __init__(self, name, python, data, work, redis_url=None, workers=2):
        self.name, self.python, self.data, self.work, self.redis_url, self.workers = name, python, data, work, redis_url, workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self):
        environment = {"DATA_DIR": str(self.data)}
        if self.redis_url:
            environment["REDIS_URL"] = self.redis_url
        self.process = Process([self.python, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(self.port),
                                "--workers", str(self.workers), "--log-level", "warning"],
                               self.work / f"{self.name}.log", environment=environment, cwd=REPOSITORY / "benchmarks" / "baseline-python")
        return self

    def ready(self):
        return wait_until(self.base + "/api/v1/health")

    def rendered_png(self, instance, preset, image_format="png"):
        return f"/api/v1/dicom/images/{instance}/rendered?preset={preset}&format={image_format}"

    def json_image(self, instance, preset):
        return f"/api/v1/dicom/images/{instance}?preset={preset}"

    def thumbnail(self, study, series, instance):
        return f"/api/v1/dicom/images/{instance}/thumbnail"
