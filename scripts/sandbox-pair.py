#!/usr/bin/env python3
"""Print a live "TOKEN REFRESH_TOKEN" pair from the sandbox at DFX_SANDBOX_URL
(its control plane: POST /_sandbox/pairs)."""
import json
import os
import urllib.request

req = urllib.request.Request(os.environ["DFX_SANDBOX_URL"] + "/_sandbox/pairs", data=b"{}", method="POST",
                             headers={"Content-Type": "application/json"})
with urllib.request.urlopen(req, timeout=10) as resp:
    pair = json.load(resp)
print(pair["Token"], pair["RefreshToken"])
