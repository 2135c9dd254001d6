"""The C ABI from Python ctypes, against a running dfx-sandbox
(DFX_SANDBOX_URL): the three Auths calls, their errors, and that the ctypes
declarations cover the whole header."""
import ctypes
import json
import os
import re
import sys
import unittest
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))
import quickstart as dfx  # noqa: E402  (the example is the binding)

SANDBOX = os.environ["DFX_SANDBOX_URL"]
LIB = dfx.load()


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(SANDBOX + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def pair():
    p = control("POST", "/_sandbox/pairs", {"Type": "Device"})
    return p["Token"], p["RefreshToken"]


def fault(**kw):
    control("POST", "/_sandbox/faults", kw)


class AuthsTest(unittest.TestCase):
    def setUp(self):
        control("POST", "/_sandbox/reset", {})
        self.api = dfx.Client(SANDBOX, lib=LIB)

    def tearDown(self):
        self.api.close()

    def test_renew_and_the_dead_old_pair(self):
        token, refresh = pair()
        r = self.api.renew(token, refresh)
        self.assertEqual(r.status, "200")
        self.assertNotEqual(r.body["Token"], token)
        self.assertIn("RefreshToken", r.body)
        again = self.api.renew(token, refresh)
        self.assertEqual(again.status, "401")
        self.assertEqual(again.error_code, "INVALID_REFRESH_TOKEN")
        self.assertEqual(again.body["Code"], "INVALID_REFRESH_TOKEN")

    def test_login_code_and_reset_link(self):
        r = self.api.request_login_code("+15555550100", "dfxdemo")
        self.assertEqual((r.status, r.body), ("200", {"success": True}))
        r = self.api.request_reset_password_link("me@example.com", "dfxdemo")
        self.assertEqual((r.status, r.body), ("200", {"success": True}))
        r = self.api.request_login_code("+15555550100", "nope")
        self.assertEqual((r.status, r.error_code), ("404", "ORGANIZATION_NOT_FOUND"))
        wire = control("GET", "/_sandbox/requests")
        self.assertEqual([(q["Method"], q["Path"]) for q in wire],
                         [("PATCH", "auths/users/code"), ("PATCH", "auths/users/reset"),
                          ("PATCH", "auths/users/code")])
        self.assertEqual(json.loads(wire[0]["Body"]), {"PhoneNumber": "+15555550100", "Identifier": "dfxdemo"})

    def test_synthesized_error_codes(self):
        fault(Path="auths/users/code", Action="Status", Status=429, Body="slow", ContentType="text/plain")
        r = self.api.request_login_code("+1", "dfxdemo")
        self.assertEqual((r.status, r.body["Code"]), ("429", "TOO_MANY_REQUESTS"))

    def assertFails(self, name, call, *args):
        with self.assertRaises(dfx.DfxError) as ctx:
            call(*args)
        self.assertEqual(ctx.exception.name, name)
        self.assertTrue(ctx.exception.message)
        return ctx.exception

    def test_transport_failures(self):
        fault(Path="auths/users/code", Action="Drop")
        self.assertFails("DFX_ERR_CONNECTION_LOST", self.api.request_login_code, "+1", "dfxdemo")
        fault(Path="auths/users/code", Phase="After", Action="Truncate")
        self.assertFails("DFX_ERR_TRUNCATED", self.api.request_login_code, "+1", "dfxdemo")
        fault(Path="auths/users/code", Action="Status", Status=200, Body="nope", ContentType="text/plain")
        self.assertFails("DFX_ERR_DECODE", self.api.request_login_code, "+1", "dfxdemo")
        self.api.set_timeout_ms(300)
        fault(Path="auths/users/reset", DelayMs=3000)
        self.assertFails("DFX_ERR_TIMEOUT", self.api.request_reset_password_link, "a@b.c", "dfxdemo")
        token, refresh = pair()
        fault(Path="auths/renew", Phase="After", Action="Drop")
        e = self.assertFails("DFX_ERR_OUTCOME_UNKNOWN", self.api.renew, token, refresh)
        self.assertNotIn(token, e.message)
        self.assertNotIn(refresh, e.message)

    def test_connect_refused(self):
        with dfx.Client("http://127.0.0.1:1", lib=LIB) as api:
            self.assertFails("DFX_ERR_CONNECT", api.renew, "t", "r")

    def test_bad_input(self):
        self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.api.renew, "", "r")
        self.assertFails("DFX_ERR_INVALID_UTF8", self.api.renew, b"\xff", b"r")
        self.assertFails("DFX_ERR_NULL_ARGUMENT", self.api.renew, None, "r")
        with self.assertRaises(dfx.DfxError) as ctx:
            dfx.Client("http://example.com", lib=LIB)
        self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_URL")
        self.assertEqual(control("GET", "/_sandbox/requests"), [])
        # NULL handles and responses are harmless.
        out = ctypes.c_void_p()
        self.assertEqual(LIB.dfx_auth_renew(None, b"t", b"r", ctypes.byref(out)), 1)
        self.assertEqual(LIB.dfx_response_status(None), 0)
        LIB.dfx_response_free(None)
        LIB.dfx_client_free(None)

    def test_names_and_version(self):
        self.assertEqual(LIB.dfx_status_name(0), b"DFX_OK")
        self.assertEqual(LIB.dfx_status_name(9999), b"DFX_UNRECOGNIZED_STATUS")
        header = (ROOT / "include" / "dfx.h").read_text()
        version = re.search(r'#define DFX_VERSION_STRING "([^"]+)"', header).group(1)
        self.assertEqual(LIB.dfx_version().decode(), version)

    def test_declarations_cover_the_header(self):
        header = (ROOT / "include" / "dfx.h").read_text()
        declared = set(re.findall(r"\b(dfx_[a-z0-9_]+)\(", header))
        source = (ROOT / "examples" / "quickstart.py").read_text()
        bound = set(re.findall(r'"(dfx_[a-z0-9_]+)"', source))
        self.assertEqual(declared, bound)


class SessionTest(unittest.TestCase):
    def setUp(self):
        control("POST", "/_sandbox/reset", {})
        self.seed = control("GET", "/_sandbox/seed")
        self.api = dfx.Client(SANDBOX, lib=LIB)
        self.heard = []
        self.api.set_session_listener(self.heard.append)

    def tearDown(self):
        self.api.close()

    def register(self):
        r = self.api.register_license(self.seed["LicenseKey"], "LINUX", "py-test", self.seed["Organization"], "1.0")
        self.assertEqual(r.status, "200")
        return r

    def test_lifecycle(self):
        r = self.register()
        self.assertEqual(self.api.session_get("deviceToken"), r.body["Token"])
        self.assertEqual(self.api.session_get("deviceId"), r.body["DeviceID"])
        self.assertEqual(self.heard[-1]["deviceToken"], r.body["Token"])
        self.assertGreater(self.api.token_expiry(dfx.DFX_TOKEN_DEVICE), 0)
        self.assertEqual(self.api.verify_token().body["Type"], "Device")
        r = self.api.user_login(self.seed["Email"], self.seed["Password"])
        self.assertEqual(r.status, "200")
        self.assertEqual(self.api.session_get("userToken"), r.body["Token"])
        old = self.api.session_get("userToken")
        r = self.api.session_renew(dfx.DFX_TOKEN_USER)
        self.assertEqual(r.status, "200")
        self.assertNotEqual(self.api.session_get("userToken"), old)
        phone, org = self.seed["PhoneNumber"], self.seed["Organization"]
        self.assertEqual(self.api.request_login_code(phone, org).status, "200")
        code = control("GET", "/_sandbox/login-code?phone=" + urllib.parse.quote(phone))["LoginCode"]
        self.assertEqual(self.api.login_with_phone_code(code, phone, org).status, "200")
        self.assertEqual(self.api.unregister_license().status, "200")
        self.assertEqual(self.api.session_get("deviceToken"), "")
        self.assertEqual(self.heard[-1]["deviceId"], "")
        self.assertEqual(self.api.status().body["StatusID"], "ACTIVE")

    def test_outcome_unknown_keeps_the_pair_and_is_not_announced(self):
        self.register()
        before, heard = self.api.session_to_json(), len(self.heard)
        fault(Path="auths/renew", Phase="After", Action="Drop")
        with self.assertRaises(dfx.DfxError) as ctx:
            self.api.session_renew(dfx.DFX_TOKEN_DEVICE)
        self.assertEqual(ctx.exception.name, "DFX_ERR_OUTCOME_UNKNOWN")
        self.assertEqual(self.api.session_to_json(), before)
        self.assertEqual(len(self.heard), heard)
        self.assertEqual(control("GET", "/_sandbox/stats")["Requests"].get("POST auths/renew"), 1)

    def test_session_moves_to_a_new_client_as_json(self):
        self.register()
        exported = self.api.session_to_json()
        self.assertEqual(set(exported), set(dfx.DFX_SESSION_FIELDS))
        with dfx.Client(SANDBOX, lib=LIB) as other:
            other.session_from_json(exported)
            self.assertEqual(other.verify_token().status, "200")
            self.assertEqual(other.session_renew(dfx.DFX_TOKEN_DEVICE).status, "200")

    def test_bad_session_input(self):
        with self.assertRaises(dfx.DfxError) as ctx:
            self.api.session_from_json({"nope": "x"})
        self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_ARGUMENT")
        out = ctypes.c_void_p()
        self.assertEqual(LIB.dfx_session_get(self.api.handle, 42, ctypes.byref(out)), 2)
        self.assertIsNone(out.value)
        with self.assertRaises(dfx.DfxError) as ctx:
            self.api.session_renew(dfx.DFX_TOKEN_DEVICE)
        self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_ARGUMENT")


if __name__ == "__main__":
    unittest.main(verbosity=2)
