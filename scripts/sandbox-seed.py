#!/usr/bin/env python3
"""Helpers for scripts that drive the sandbox at DFX_SANDBOX_URL:

    sandbox-seed.py pair                 print "TOKEN REFRESH_TOKEN" (a live device pair)
    sandbox-seed.py pairs N              print N such lines
    sandbox-seed.py FIELD                print a seed value (LicenseKey, Organization, PhoneNumber, ...)
    sandbox-seed.py login-code PHONE     wait (up to 30 s) for the login code "sent" to PHONE and print it
"""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

BASE = os.environ["DFX_SANDBOX_URL"]


def call(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.load(resp)


def main(argv):
    if len(argv) == 2 and argv[1] == "pair":
        pair = call("POST", "/_sandbox/pairs", {})
        print(pair["Token"], pair["RefreshToken"])
    elif len(argv) == 3 and argv[1] == "pairs":
        for pair in call("POST", "/_sandbox/pairs", {"Count": int(argv[2])})["Pairs"]:
            print(pair["Token"], pair["RefreshToken"])
    elif len(argv) == 3 and argv[1] == "login-code":
        deadline = time.monotonic() + 30
        while True:
            try:
                print(call("GET", "/_sandbox/login-code?phone=" + urllib.parse.quote(argv[2]))["LoginCode"], flush=True)
                return 0
            except urllib.error.HTTPError as e:
                if e.code != 404 or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    elif len(argv) == 2:
        print(call("GET", "/_sandbox/seed")[argv[1]])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
