"""The dfx-sandbox's control plane (DFX_SANDBOX_URL), for the tests."""
import contextlib
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

URL = os.environ.get("DFX_SANDBOX_URL")
BINARY = os.environ.get("DFX_SANDBOX_BIN") or str(Path(__file__).resolve().parents[2] / "target/debug/dfx-sandbox")


def control(method, path, body=None, url=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request((url or URL) + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def pair(kind="Device"):
    p = control("POST", "/_sandbox/pairs", {"Type": kind})
    return p["Token"], p["RefreshToken"]


def fault(**kw):
    control("POST", "/_sandbox/faults", kw)


def reset():
    control("POST", "/_sandbox/reset", {})


def clear_faults():
    """Every fault: HTTP faults and the stream's (the results delay goes to 0)."""
    control("DELETE", "/_sandbox/faults")


# The measurement stream (WebSocket): faults and counters.

def ws_drop(after_frames, count=1):
    """The next `count` sockets (0 = all until cleared) are cut after they
    received `after_frames` frames: the last one takes effect, its answer is lost."""
    control("POST", "/_sandbox/ws/drop", {"AfterFrames": after_frames, "Count": count})


def ws_refuse(status, count=1, body=None):
    """The next `count` upgrades (0 = all until cleared) get HTTP `status`
    (and `body`, default {"Code":"UPGRADE_REFUSED",...}) instead of 101."""
    req = {"Status": status, "Count": count}
    if body is not None:
        req["Body"] = body
    control("POST", "/_sandbox/ws/refuse", req)


def results_delay(ms):
    """Each chunk result is computed `ms` after its chunk (0 = at once)."""
    control("POST", "/_sandbox/results-delay", {"DelayMs": ms})


def rate_limit(chunks):
    """The next `chunks` data calls (socket 0506 and HTTP) get 429 RATE_LIMIT."""
    control("POST", "/_sandbox/rate-limit", {"Chunks": chunks})


def ws_stats():
    """{"Opened", "Refused", "Frames", "MalformedFrames", "DroppedByFault"}."""
    return control("GET", "/_sandbox/ws/stats")


def measurement_stats(measurement_id):
    """{"ChunksAccepted", "Duplicates", "ResultsComputed", "StatusID"}."""
    return control("GET", f"/_sandbox/measurements/{measurement_id}")


def chunk_results(measurement_id):
    """The chunk results computed so far, in chunk order, as pushed to 0510 subscribers."""
    return control("GET", f"/_sandbox/measurements/{measurement_id}/results")


@contextlib.contextmanager
def own_sandbox():
    """A new dfx-sandbox process of the test's own (a fresh state: /_sandbox/reset
    keeps users and tokens), stopped on exit; yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        process = subprocess.Popen([BINARY, "--port", "0", "--port-file", str(port_file)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while not (port_file.exists() and port_file.read_text().strip()):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{BINARY} did not start")
                time.sleep(0.005)
            yield f"http://127.0.0.1:{port_file.read_text().strip()}"
        finally:
            process.terminate()
            process.wait()
