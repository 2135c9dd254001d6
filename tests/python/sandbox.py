"""The dfx-sandbox's control plane (DFX_SANDBOX_URL), for the tests."""
import json
import os
import urllib.request

URL = os.environ.get("DFX_SANDBOX_URL")


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + path, data=data, method=method,
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
