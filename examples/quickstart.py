#!/usr/bin/env python3
"""dfx from Python with ctypes: renew a token pair, request a login code and a
password-reset link, and handle each outcome.

    python3 examples/quickstart.py BASE_URL TOKEN REFRESH_TOKEN

The library is found through DFX_LIBRARY (a path to libdfx.so), else
target/debug or target/release of this checkout. `load()` declares argtypes
and restype for every function: without them ctypes truncates pointers.
"""
import ctypes
import json
import os
import sys
from pathlib import Path

# Status values from include/dfx.h (append-only).
DFX_OK = 0
DFX_ERR_API = 5
DFX_ERR_OUTCOME_UNKNOWN = 13


class DfxError(Exception):
    """A call that did not get an answer from the API."""

    def __init__(self, status, name, message):
        super().__init__(f"{name}: {message}")
        self.status, self.name, self.message = status, name, message


class Response:
    """The JavaScript client's shape: status is a string, body is parsed JSON."""

    def __init__(self, lib, handle):
        self.status = str(lib.dfx_response_status(handle))
        self.body = json.loads(lib.dfx_response_body(handle).decode())
        code = lib.dfx_response_error_code(handle)
        message = lib.dfx_response_error_message(handle)
        self.error_code = code.decode() if code else None
        self.error_message = message.decode() if message else None


def find_library():
    env = os.environ.get("DFX_LIBRARY")
    if env:
        return env
    root = Path(__file__).resolve().parent.parent
    for profile in ("debug", "release"):
        candidate = root / "target" / profile / "libdfx.so"
        if candidate.exists():
            return str(candidate)
    return "libdfx.so"


def load(path=None):
    lib = ctypes.CDLL(path or find_library())
    c_str, client, response = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p
    status = ctypes.c_int32
    declarations = {
        "dfx_client_new": (status, [c_str, ctypes.POINTER(client)]),
        "dfx_client_free": (None, [client]),
        "dfx_client_set_timeout_ms": (status, [client, ctypes.c_uint64]),
        "dfx_auth_renew": (status, [client, c_str, c_str, ctypes.POINTER(response)]),
        "dfx_auth_request_login_code": (status, [client, c_str, c_str, ctypes.POINTER(response)]),
        "dfx_auth_request_reset_password_link": (status, [client, c_str, c_str, ctypes.POINTER(response)]),
        "dfx_response_status": (ctypes.c_uint16, [response]),
        "dfx_response_body": (c_str, [response]),
        "dfx_response_get_string": (c_str, [response, c_str]),
        "dfx_response_error_code": (c_str, [response]),
        "dfx_response_error_message": (c_str, [response]),
        "dfx_response_free": (None, [response]),
        "dfx_status_name": (c_str, [status]),
        "dfx_status_description": (c_str, [status]),
        "dfx_last_error_message": (c_str, []),
        "dfx_version": (c_str, []),
    }
    for name, (restype, argtypes) in declarations.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


class Client:
    """A thin owner of a DfxClient: `with Client(url) as api: api.renew(...)`."""

    def __init__(self, url=None, lib=None):
        self.lib = lib or load()
        self.handle = ctypes.c_void_p()
        self._check(self.lib.dfx_client_new(url.encode() if url else None, ctypes.byref(self.handle)))

    def _check(self, status):
        if status != DFX_OK:
            raise DfxError(status, self.lib.dfx_status_name(status).decode(),
                           self.lib.dfx_last_error_message().decode())

    def _call(self, fn, *args):
        out = ctypes.c_void_p()
        status = fn(self.handle, *(a.encode() if isinstance(a, str) else a for a in args), ctypes.byref(out))
        try:
            if status in (DFX_OK, DFX_ERR_API):
                return Response(self.lib, out)
            self._check(status)
        finally:
            self.lib.dfx_response_free(out)

    def set_timeout_ms(self, ms):
        self._check(self.lib.dfx_client_set_timeout_ms(self.handle, ms))

    def renew(self, token, refresh_token):
        return self._call(self.lib.dfx_auth_renew, token, refresh_token)

    def request_login_code(self, phone_number, org_identifier):
        return self._call(self.lib.dfx_auth_request_login_code, phone_number, org_identifier)

    def request_reset_password_link(self, email, org_identifier):
        return self._call(self.lib.dfx_auth_request_reset_password_link, email, org_identifier)

    def close(self):
        if self.handle:
            self.lib.dfx_client_free(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    url, token, refresh_token = argv[1:4]
    with Client(url) as api:
        try:
            r = api.renew(token, refresh_token)
        except DfxError as e:
            # DFX_ERR_OUTCOME_UNKNOWN: the pair may be consumed; keep it and be
            # ready to register again. Anything else: nothing was answered.
            print(f"renew: {e}")
            return 1
        if r.status == "200":
            print(f"renew: {r.status}, new Token of {len(r.body['Token'])} chars")
        else:
            print(f"renew: {r.status} {r.error_code}: {r.error_message}")
        r = api.request_login_code("+15555550100", "dfxdemo")
        print(f"request login code: {r.status} {r.body}")
        r = api.request_reset_password_link("developer@example.com", "dfxdemo")
        print(f"request reset password link: {r.status} {r.body}")
        r = api.request_login_code("+15555550100", "no-such-org")
        print(f"unknown org (expected to fail): {r.status} {r.error_code}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
