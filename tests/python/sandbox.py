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
