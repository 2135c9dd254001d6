#!/usr/bin/env python3
"""dfx from Python with ctypes: the whole token lifecycle.

    python3 examples/quickstart.py BASE_URL LICENSE_KEY [ORG] [PHONE] [SESSION_FILE]

Registers the license (unless SESSION_FILE holds a device pair), saves every
change of the session to SESSION_FILE through the session listener, renews
and verifies the device token, logs a user in with the SMS code read from
standard input, renews the user pair, and unregisters.

The library is found through DFX_LIBRARY (a path to libdfx.so), else
target/debug or target/release of this checkout. `load()` declares argtypes
and restype for every function: without them ctypes truncates pointers.
"""
import ctypes
import json
import os
import sys
from pathlib import Path

# Values from include/dfx.h (append-only).
DFX_OK = 0
DFX_ERR_API = 5
DFX_ERR_OUTCOME_UNKNOWN = 13
DFX_SESSION_FIELDS = ("deviceToken", "deviceRefreshToken", "userToken", "userRefreshToken",
                      "deviceId", "userId", "roleId")
DFX_TOKEN_DEVICE, DFX_TOKEN_USER = 0, 1

SESSION_LISTENER = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_char_p)


class DfxError(Exception):
    """A call that did not get an answer from the API (or bad input)."""

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
    s, p, i32 = ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int32
    out = ctypes.POINTER(ctypes.c_void_p)
    declarations = {
        "dfx_client_new": (i32, [s, out]),
        "dfx_client_free": (None, [p]),
        "dfx_client_set_timeout_ms": (i32, [p, ctypes.c_uint64]),
        "dfx_client_set_auto_renew": (i32, [p, ctypes.c_uint32]),
        "dfx_client_set_session_listener": (i32, [p, SESSION_LISTENER, p]),
        "dfx_session_get": (i32, [p, i32, out]),
        "dfx_session_set": (i32, [p, i32, s]),
        "dfx_session_to_json": (i32, [p, out]),
        "dfx_session_from_json": (i32, [p, s]),
        "dfx_session_renew": (i32, [p, i32, out]),
        "dfx_session_token_expiry": (i32, [p, i32, ctypes.POINTER(ctypes.c_int64)]),
        "dfx_token_expiry": (i32, [s, ctypes.POINTER(ctypes.c_int64)]),
        "dfx_auth_renew": (i32, [p, s, s, out]),
        "dfx_auth_request_login_code": (i32, [p, s, s, out]),
        "dfx_auth_request_reset_password_link": (i32, [p, s, s, out]),
        "dfx_auth_send_reset_mobile": (i32, [p, s, s, out]),
        "dfx_auth_generate_token": (i32, [p, s, s, out]),
        "dfx_auth_get_org_client_credentials": (i32, [p, s, out]),
        "dfx_organization_register_license": (i32, [p, s, s, s, s, s, out]),
        "dfx_organization_unregister_license": (i32, [p, out]),
        "dfx_organization_login": (i32, [p, s, s, s, s, out]),
        "dfx_user_login": (i32, [p, s, s, s, out]),
        "dfx_user_login_with_phone_code": (i32, [p, s, s, s, out]),
        "dfx_general_verify_token": (i32, [p, s, out]),
        "dfx_general_status": (i32, [p, out]),
        "dfx_response_status": (ctypes.c_uint16, [p]),
        "dfx_response_body": (s, [p]),
        "dfx_response_get_string": (s, [p, s]),
        "dfx_response_error_code": (s, [p]),
        "dfx_response_error_message": (s, [p]),
        "dfx_response_free": (None, [p]),
        "dfx_string_free": (None, [p]),
        "dfx_status_name": (s, [i32]),
        "dfx_status_description": (s, [i32]),
        "dfx_last_error_message": (s, []),
        "dfx_version": (s, []),
    }
    for name, (restype, argtypes) in declarations.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def _arg(value):
    return value.encode() if isinstance(value, str) else value


class Client:
    """Owns a DfxClient: `with Client(url) as api: api.renew(...)`."""

    def __init__(self, url=None, lib=None):
        self.lib = lib or load()
        self.handle = ctypes.c_void_p()
        self._listener = None  # the CFUNCTYPE object must outlive its use
        self._check(self.lib.dfx_client_new(_arg(url), ctypes.byref(self.handle)))

    def _check(self, status):
        if status != DFX_OK:
            raise DfxError(status, self.lib.dfx_status_name(status).decode(),
                           self.lib.dfx_last_error_message().decode())

    def _call(self, fn, *args):
        out = ctypes.c_void_p()
        status = fn(self.handle, *map(_arg, args), ctypes.byref(out))
        try:
            if status in (DFX_OK, DFX_ERR_API):
                return Response(self.lib, out)
            self._check(status)
        finally:
            self.lib.dfx_response_free(out)

    def _take_string(self, fn, *args):
        out = ctypes.c_void_p()
        self._check(fn(self.handle, *args, ctypes.byref(out)))
        try:
            return ctypes.string_at(out).decode()
        finally:
            self.lib.dfx_string_free(out)

    # Settings
    def set_timeout_ms(self, ms):
        self._check(self.lib.dfx_client_set_timeout_ms(self.handle, ms))

    def set_auto_renew(self, seconds_before_expiry):
        self._check(self.lib.dfx_client_set_auto_renew(self.handle, seconds_before_expiry))

    # The session
    def session_get(self, field):
        return self._take_string(self.lib.dfx_session_get, DFX_SESSION_FIELDS.index(field))

    def session_set(self, field, value):
        self._check(self.lib.dfx_session_set(self.handle, DFX_SESSION_FIELDS.index(field), _arg(value)))

    def session_to_json(self):
        return json.loads(self._take_string(self.lib.dfx_session_to_json))

    def session_from_json(self, session):
        self._check(self.lib.dfx_session_from_json(self.handle, json.dumps(session).encode()))

    def set_session_listener(self, callback):
        """callback(session_dict), called after every change, before the call returns."""
        listener = SESSION_LISTENER(lambda _ud, text: callback(json.loads(text.decode()))) if callback else \
            SESSION_LISTENER()
        self._check(self.lib.dfx_client_set_session_listener(self.handle, listener, None))
        self._listener = listener

    def session_renew(self, kind):
        return self._call(self.lib.dfx_session_renew, kind)

    def token_expiry(self, kind):
        exp = ctypes.c_int64()
        self._check(self.lib.dfx_session_token_expiry(self.handle, kind, ctypes.byref(exp)))
        return exp.value

    # Calls
    def renew(self, token, refresh_token):
        return self._call(self.lib.dfx_auth_renew, token, refresh_token)

    def request_login_code(self, phone_number, org_identifier):
        return self._call(self.lib.dfx_auth_request_login_code, phone_number, org_identifier)

    def request_reset_password_link(self, email, org_identifier):
        return self._call(self.lib.dfx_auth_request_reset_password_link, email, org_identifier)

    def register_license(self, key, device_type_id, name, identifier, version):
        return self._call(self.lib.dfx_organization_register_license, key, device_type_id, name, identifier,
                          version)

    def unregister_license(self):
        return self._call(self.lib.dfx_organization_unregister_license)

    def organization_login(self, email, password, identifier, mfa_token=None):
        return self._call(self.lib.dfx_organization_login, email, password, identifier, mfa_token)

    def user_login(self, email, password, mfa_token=None):
        return self._call(self.lib.dfx_user_login, email, password, mfa_token)

    def login_with_phone_code(self, login_code, phone_number, org_key):
        return self._call(self.lib.dfx_user_login_with_phone_code, login_code, phone_number, org_key)

    def verify_token(self, token=None):
        return self._call(self.lib.dfx_general_verify_token, token)

    def status(self):
        return self._call(self.lib.dfx_general_status)

    def close(self):
        if self.handle:
            self.lib.dfx_client_free(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def show(what, r):
    if r.status.startswith("2"):
        print(f"{what:28} {r.status}")
    else:
        print(f"{what:28} {r.status} {r.error_code}: {r.error_message}")
    return r.status.startswith("2")


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    url, license_key = argv[1:3]
    org = argv[3] if len(argv) > 3 else "dfxdemo"
    phone = argv[4] if len(argv) > 4 else "+15555550100"
    session_file = Path(argv[5] if len(argv) > 5 else "dfx-session.json")

    def persist(session):
        tmp = session_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(session))
        tmp.replace(session_file)  # atomic: never half a session on disk
        print(f"  (session saved to {session_file})")

    ok = True
    with Client(url) as api:
        if session_file.exists():
            api.session_from_json(json.loads(session_file.read_text()))
        api.set_session_listener(persist)
        try:
            ok &= show("status", api.status())
            if not api.session_get("deviceToken"):
                ok &= show("register license", api.register_license(license_key, "LINUX", "dfx quickstart", org, "1.0"))
            print(f"  the device token expires at {api.token_expiry(DFX_TOKEN_DEVICE)} (Unix time)")
            ok &= show("renew device pair", api.session_renew(DFX_TOKEN_DEVICE))
            r = api.verify_token()
            ok &= show("verify token", r)
            if show("request login code", api.request_login_code(phone, org)):
                code = input(f"  login code sent to {phone}; enter it: ").strip()
                print()
                ok &= show("login with phone code", api.login_with_phone_code(code, phone, org))
                ok &= show("renew user pair", api.session_renew(DFX_TOKEN_USER))
            show("login with a wrong code", api.login_with_phone_code("000000", phone, org))
            ok &= show("request reset password link", api.request_reset_password_link("developer@example.com", org))
            ok &= show("unregister license", api.unregister_license())
        except DfxError as e:
            # No answer from the API. DFX_ERR_OUTCOME_UNKNOWN from a renew: the
            # session kept the old pair, which the server may have consumed.
            print(f"failed: {e}")
            ok = False
    print("quickstart: every step succeeded" if ok else "quickstart: some steps failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
