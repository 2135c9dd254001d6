"""The dfx Python package against a running dfx-sandbox (DFX_SANDBOX_URL):
the JavaScript client's shape (api.http.<group>.<method>, r.status,
r.body), typed errors for calls that got no answer, and the session."""
import asyncio
import ctypes
import gc
import json
import os
import re
import sys
import threading
import unittest
import urllib.parse
import weakref
from pathlib import Path

import dfx
from sandbox import URL as SANDBOX, control, fault, pair, reset

ROOT = Path(__file__).resolve().parents[2]
LIB = dfx.load_library()


class PackageTest(unittest.TestCase):
    def test_the_installed_package_is_tested(self):
        # scripts/test.sh runs these tests with the package pip-installed into
        # a fresh virtual environment: make sure that copy is the one imported.
        if os.environ.get("DFX_TEST_INSTALLED") == "1":
            self.assertNotIn(str(ROOT / "python"), str(Path(dfx.__file__).resolve()))
            self.assertIn("site-packages", dfx.__file__)

    def test_renew_in_four_lines_as_the_readme_shows(self):
        reset()
        token, refresh_token = pair()
        api = dfx.client(url=SANDBOX)
        r = api.http.auths.renew({"Token": token, "RefreshToken": refresh_token})
        self.assertEqual(r.status, "200")
        self.assertTrue(r.body["RefreshToken"])
        api.close()


class AsyncioTest(unittest.TestCase):
    """api.aio: the same calls, awaitable, settled on the event loop's thread."""

    def setUp(self):
        reset()
        self.api = dfx.client(url=SANDBOX, library=LIB)

    def tearDown(self):
        self.api.close()

    def test_many_renews_at_once(self):
        pairs = [(p["Token"], p["RefreshToken"]) for p in control("POST", "/_sandbox/pairs", {"Count": 300})["Pairs"]]

        async def main():
            loop_thread = threading.get_ident()
            results = await asyncio.gather(*(self.api.aio.auths.renew({"Token": t, "RefreshToken": r})
                                             for t, r in pairs))
            return loop_thread, results

        loop_thread, results = asyncio.run(main())
        self.assertEqual([r.status for r in results], ["200"] * len(pairs))
        new_tokens = {r.body["Token"] for r in results}
        self.assertEqual(len(new_tokens), len(pairs), "no answer lost or duplicated")
        self.assertTrue(new_tokens.isdisjoint(t for t, _ in pairs))

    def test_api_errors_resolve_and_transport_errors_raise(self):
        async def main():
            r = await self.api.aio.auths.requestLoginCode({"PhoneNumber": "+1", "Identifier": "nope"})
            self.assertEqual((r.status, r.body["Code"]), ("404", "ORGANIZATION_NOT_FOUND"))
            fault(Path="auths/renew", Phase="After", Action="Drop")
            t, rt = pair()
            with self.assertRaises(dfx.OutcomeUnknownError) as ctx:
                await self.api.aio.auths.renew({"Token": t, "RefreshToken": rt})
            self.assertEqual(ctx.exception.name, "DFX_ERR_OUTCOME_UNKNOWN")
            self.assertNotIn(rt, ctx.exception.message)
            # Argument errors raise at once, before anything is awaited.
            with self.assertRaises(dfx.ArgumentError):
                self.api.aio.auths.renew({"Token": "", "RefreshToken": "r"})
            status = await self.api.aio.general.status()
            self.assertEqual(status.body["StatusID"], "ACTIVE")

        asyncio.run(main())

    def test_session_renew_async_is_single_flight(self):
        seed = control("GET", "/_sandbox/seed")
        self.api.http.organizations.registerLicense({"Key": seed["LicenseKey"], "DeviceTypeID": "LINUX",
                                                    "Name": "py", "Identifier": seed["Organization"],
                                                    "Version": "1"})
        fault(Path="auths/renew", Phase="After", DelayMs=200)

        async def main():
            return await asyncio.gather(*(self.api.session.renew_async("device") for _ in range(16)))

        results = asyncio.run(main())
        self.assertEqual({r.body["Token"] for r in results}, {self.api.session.get("deviceToken")})
        self.assertEqual(control("GET", "/_sandbox/stats")["Requests"]["POST auths/renew"], 1)


class AuthsTest(unittest.TestCase):
    def setUp(self):
        reset()
        self.api = dfx.client(url=SANDBOX, library=LIB)
        self.auths = self.api.http.auths

    def tearDown(self):
        self.api.close()

    def renew(self, token, refresh):
        return self.auths.renew({"Token": token, "RefreshToken": refresh})

    def test_renew_and_the_dead_old_pair(self):
        token, refresh = pair()
        r = self.renew(token, refresh)
        self.assertEqual(r.status, "200")
        self.assertNotEqual(r.body["Token"], token)
        self.assertIn("RefreshToken", r.body)
        again = self.renew(token, refresh)
        self.assertEqual(again.status, "401")
        self.assertEqual(again.error_code, "INVALID_REFRESH_TOKEN")
        self.assertEqual(again.body["Code"], "INVALID_REFRESH_TOKEN")
        self.assertFalse(again.ok)
        self.assertNotIn(token, repr(r) + repr(again))

    def test_login_code_and_reset_link(self):
        r = self.auths.requestLoginCode({"PhoneNumber": "+15555550100", "Identifier": "dfxdemo"})
        self.assertEqual((r.status, r.body), ("200", {"success": True}))
        r = self.auths.requestResetPasswordLink({"Email": "me@example.com", "Identifier": "dfxdemo"})
        self.assertEqual((r.status, r.body), ("200", {"success": True}))
        r = self.auths.requestLoginCode({"PhoneNumber": "+15555550100", "Identifier": "nope"})
        self.assertEqual((r.status, r.error_code), ("404", "ORGANIZATION_NOT_FOUND"))
        wire = control("GET", "/_sandbox/requests")
        self.assertEqual([(q["Method"], q["Path"]) for q in wire],
                         [("PATCH", "auths/users/code"), ("PATCH", "auths/users/reset"),
                          ("PATCH", "auths/users/code")])
        self.assertEqual(json.loads(wire[0]["Body"]), {"PhoneNumber": "+15555550100", "Identifier": "dfxdemo"})

    def test_the_other_auths_calls(self):
        r = self.auths.sendResetMobile({"PhoneNumber": "+15555550100"})
        self.assertEqual((r.status, r.body), ("200", {"success": True}))
        token, refresh = pair()
        r = self.auths.generateToken({"Token": token, "RefreshToken": refresh})
        self.assertEqual(r.status, "200")
        self.assertEqual(dfx.token_expiry(r.body["Token"], library=LIB) > 0, True)
        self.assertEqual(self.renew(token, refresh).status, "200")  # generateToken did not consume the pair
        r = self.auths.getOrgClientCredentials("6c0d7a2e-4b1f-4e3a-9d5c-3f8e2a1b0dfd")
        self.assertEqual(r.status, "401")  # needs a user token in the session
        wire = control("GET", "/_sandbox/requests")
        self.assertEqual([(q["Method"], q["Path"]) for q in wire],
                         [("PATCH", "auths/users/reset/mobile"), ("POST", "auths/generateToken"),
                          ("POST", "auths/renew"),
                          ("GET", "auths/organization/credentials/6c0d7a2e-4b1f-4e3a-9d5c-3f8e2a1b0dfd")])
        self.assertEqual(json.loads(wire[0]["Body"]), {"PhoneNumber": "+15555550100"})

    def test_synthesized_error_codes(self):
        fault(Path="auths/users/code", Action="Status", Status=429, Body="slow", ContentType="text/plain")
        r = self.auths.requestLoginCode({"PhoneNumber": "+1", "Identifier": "dfxdemo"})
        self.assertEqual((r.status, r.body["Code"]), ("429", "TOO_MANY_REQUESTS"))

    def assertFails(self, name, call, *args):
        with self.assertRaises(dfx.DfxError) as ctx:
            call(*args)
        self.assertEqual(ctx.exception.name, name)
        self.assertTrue(ctx.exception.message)
        self.assertEqual(ctx.exception.status, getattr(dfx, name))
        return ctx.exception

    def test_transport_failures(self):
        code = {"PhoneNumber": "+1", "Identifier": "dfxdemo"}
        fault(Path="auths/users/code", Action="Drop")
        self.assertFails("DFX_ERR_CONNECTION_LOST", self.auths.requestLoginCode, code)
        fault(Path="auths/users/code", Phase="After", Action="Truncate")
        self.assertFails("DFX_ERR_TRUNCATED", self.auths.requestLoginCode, code)
        fault(Path="auths/users/code", Action="Status", Status=200, Body="nope", ContentType="text/plain")
        e = self.assertFails("DFX_ERR_DECODE", self.auths.requestLoginCode, code)
        self.assertIsInstance(e, dfx.TransportError)
        self.api.set_timeout_ms(300)
        fault(Path="auths/users/reset", DelayMs=3000)
        e = self.assertFails("DFX_ERR_TIMEOUT", self.auths.requestResetPasswordLink,
                             {"Email": "a@b.c", "Identifier": "dfxdemo"})
        self.assertIsInstance(e, dfx.TransportError)
        token, refresh = pair()
        fault(Path="auths/renew", Phase="After", Action="Drop")
        e = self.assertFails("DFX_ERR_OUTCOME_UNKNOWN", self.renew, token, refresh)
        self.assertIsInstance(e, dfx.OutcomeUnknownError)
        self.assertNotIn(token, e.message)
        self.assertNotIn(refresh, e.message)
        self.assertNotIn(token, str(e))

    def test_connect_refused(self):
        with dfx.client(url="http://127.0.0.1:1", library=LIB) as api:
            e = self.assertFails("DFX_ERR_CONNECT", api.http.auths.renew, {"Token": "t", "RefreshToken": "r"})
            self.assertIsInstance(e, dfx.ConnectError)

    def test_bad_input(self):
        self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.renew, "", "r")
        self.assertFails("DFX_ERR_INVALID_UTF8", self.renew, b"\xff", b"r")
        # A missing or null field is refused by libdfx, naming it (not its value).
        e = self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.renew, None, "r")
        self.assertIn("data.Token", e.message)
        e = self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.auths.renew, {"RefreshToken": "r"})  # a missing key
        self.assertIn("`Token`", e.message)
        self.assertIsInstance(e, dfx.ArgumentError)
        self.assertIsInstance(e, ValueError)
        self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.renew, "t\0oops", "r")  # not a header value
        self.assertFails("DFX_ERR_INVALID_UTF8", self.renew, "\udcff", "r")
        with self.assertRaises(dfx.DfxError) as ctx:
            dfx.client(url="http://example.com", library=LIB)
        self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_URL")
        # Wrong JSON types, a wrong tokenType, an incomplete body: refused
        # before anything is sent (optional fields such as
        # RefreshTokenExpiresIn pass through: see test_operations_table.py).
        e = self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.auths.renew, {"Token": 1, "RefreshToken": "r"})
        self.assertIn("must be a string", e.message)
        e = self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.auths.renew, "not a dict")
        self.assertIn("must be an object", e.message)
        e = self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.api.http.organizations.registerLicense, {"Key": "k"},
                             True)
        self.assertIn("DeviceTypeID", e.message)
        e = self.assertFails("DFX_ERR_INVALID_ARGUMENT", self.auths.renew, {"Token": "t", "RefreshToken": "r"},
                             "nobody")
        self.assertIn("tokenType", e.message)
        self.assertNotIn("nobody", e.message)
        self.assertEqual(control("GET", "/_sandbox/requests"), [])
        # NULL handles and responses are harmless.
        out = dfx._native.ResponseP()
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
        self.assertEqual(dfx.version(LIB), version)
        self.assertEqual(dfx.status_name(dfx.DFX_ERR_API, LIB), "DFX_ERR_API")
        self.assertTrue(dfx.status_description(dfx.DFX_ERR_CONNECT, LIB))


class ClientTest(unittest.TestCase):
    def test_close_is_idempotent_and_a_closed_client_refuses_calls(self):
        api = dfx.client(url=SANDBOX, library=LIB, timeout_ms=5000, auto_renew=0)
        api.close()
        api.close()
        with self.assertRaises(ValueError):
            api.http.general.status()
        with dfx.client(url=SANDBOX, library=LIB) as api:
            self.assertEqual(api.http.general.status().status, "200")
        with self.assertRaises(ValueError):
            api.session.dict()

    def test_a_forgotten_client_is_freed(self):
        api = dfx.client(url=SANDBOX, library=LIB)
        api.session.listener = lambda s: api  # a listener that refers to its client
        finalizer = api._finalizer
        ref = weakref.ref(api)
        del api
        gc.collect()
        self.assertIsNone(ref())
        self.assertFalse(finalizer.alive)


class TrustTest(unittest.TestCase):
    """Extra CAs and trust sources: argument errors as ArgumentError, the
    not-TLS message (TLS successes are tested in C, tests/c/test_tls.c)."""

    def test_bad_pem_and_files_raise_argument_errors_without_quoting_them(self):
        with dfx.client(url=SANDBOX, library=LIB) as api:
            for pem in ("", "not a certificate", b"-----BEGIN CERTIFICATE-----\nQUJD"):
                with self.assertRaises(dfx.ArgumentError) as caught:
                    api.add_ca_pem(pem)
                self.assertNotIn("QUJD", str(caught.exception))
            with self.assertRaises(dfx.ArgumentError) as caught:
                api.add_ca_file("/no/such/ca.pem")
            self.assertIn("/no/such/ca.pem", str(caught.exception))
            api.set_trust(builtin=False)  # the added CAs only (none): valid
            api.set_trust()

    def test_https_to_the_plain_sandbox_says_it_does_not_speak_tls(self):
        url = SANDBOX.replace("http://", "https://", 1)
        with dfx.client(url=url, library=LIB) as api:
            with self.assertRaises(dfx.TransportError) as caught:
                api.http.general.status()
            self.assertIn("does not speak TLS", str(caught.exception))
            self.assertNotIn("corrupt message", str(caught.exception))


class SessionTest(unittest.TestCase):
    def setUp(self):
        reset()
        self.seed = control("GET", "/_sandbox/seed")
        self.api = dfx.client(url=SANDBOX, library=LIB)
        self.heard = []
        self.api.session.listener = self.heard.append

    def tearDown(self):
        self.api.close()

    def register(self):
        r = self.api.http.organizations.registerLicense({
            "Key": self.seed["LicenseKey"], "DeviceTypeID": "LINUX", "Name": "py-test",
            "Identifier": self.seed["Organization"], "Version": "1.0"})
        self.assertEqual(r.status, "200")
        return r

    def test_lifecycle(self):
        http, session = self.api.http, self.api.session
        r = self.register()
        self.assertEqual(session.get("deviceToken"), r.body["Token"])
        self.assertEqual(session["deviceId"], r.body["DeviceID"])
        self.assertEqual(self.heard[-1]["deviceToken"], r.body["Token"])
        self.assertGreater(session.token_expiry(dfx.DFX_TOKEN_DEVICE), 0)
        self.assertEqual(session.token_expiry("device"), dfx.token_expiry(r.body["Token"], LIB))
        self.assertEqual(http.general.verifyToken().body["Type"], "Device")
        r = http.users.login({"Email": self.seed["Email"], "Password": self.seed["Password"]})
        self.assertEqual(r.status, "200")
        self.assertEqual(session.get("userToken"), r.body["Token"])
        old = session.get("userToken")
        r = session.renew(dfx.DFX_TOKEN_USER)
        self.assertEqual(r.status, "200")
        self.assertNotEqual(session.get("userToken"), old)
        self.assertEqual(http.general.verifyToken(old).status, "401")  # an explicit token
        r = http.auths.getOrgClientCredentials(self.seed["OrganizationID"])
        self.assertEqual((r.status, r.body["orgName"]), ("200", "dfxdemo"))
        phone, org = self.seed["PhoneNumber"], self.seed["Organization"]
        self.assertEqual(http.auths.requestLoginCode({"PhoneNumber": phone, "Identifier": org}).status, "200")
        code = control("GET", "/_sandbox/login-code?phone=" + urllib.parse.quote(phone))["LoginCode"]
        r = http.users.loginWithPhoneCode({"LoginCode": code, "PhoneNumber": phone, "OrgKey": org})
        self.assertEqual(r.status, "200")
        r = http.organizations.login({"Email": self.seed["Email"], "Password": self.seed["Password"],
                                      "Identifier": org})
        self.assertEqual(r.status, "200")
        self.assertEqual(session.get("userToken"), r.body["Token"])
        self.assertEqual(http.organizations.unregisterLicense().status, "200")
        self.assertEqual(session.get("deviceToken"), "")
        self.assertEqual(self.heard[-1]["deviceId"], "")
        self.assertEqual(http.general.status().body["StatusID"], "ACTIVE")

    def test_outcome_unknown_keeps_the_pair_and_is_not_announced(self):
        self.register()
        before, heard = self.api.session.dict(), len(self.heard)
        fault(Path="auths/renew", Phase="After", Action="Drop")
        with self.assertRaises(dfx.DfxError) as ctx:
            self.api.session.renew(dfx.DFX_TOKEN_DEVICE)
        self.assertEqual(ctx.exception.name, "DFX_ERR_OUTCOME_UNKNOWN")
        self.assertIsInstance(ctx.exception, dfx.OutcomeUnknownError)
        self.assertEqual(self.api.session.dict(), before)
        self.assertEqual(len(self.heard), heard)
        self.assertEqual(control("GET", "/_sandbox/stats")["Requests"].get("POST auths/renew"), 1)

    def test_session_moves_to_a_new_client_as_json(self):
        self.register()
        exported = self.api.session.dict()
        self.assertEqual(set(exported), set(dfx.SESSION_FIELDS))
        with dfx.client(url=SANDBOX, library=LIB) as other:
            other.session.load(exported)
            self.assertEqual(other.http.general.verifyToken().status, "200")
            self.assertEqual(other.session.renew("device").status, "200")
        with dfx.client(url=SANDBOX, library=LIB) as third:
            third.session.load(self.api.session.json())  # JSON text works too
            self.assertEqual(third.session.get("deviceId"), exported["deviceId"])

    def test_bad_session_input(self):
        with self.assertRaises(dfx.DfxError) as ctx:
            self.api.session.load({"nope": "x"})
        self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_ARGUMENT")
        out = dfx._native.OwnedString()
        self.assertEqual(LIB.dfx_session_get(self.api.handle, 42, ctypes.byref(out)), 2)
        self.assertIsNone(ctypes.cast(out, ctypes.c_void_p).value)
        with self.assertRaises(dfx.DfxError) as ctx:
            self.api.session.renew(dfx.DFX_TOKEN_DEVICE)
        self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_ARGUMENT")
        with self.assertRaises(KeyError):
            self.api.session.get("nope")
        with self.assertRaises(KeyError):
            self.api.session.renew("nobody")

    def test_set_and_clear_fields(self):
        self.api.session.set("roleId", "r-1")
        self.assertEqual(self.api.session["roleId"], "r-1")
        self.assertEqual(self.heard[-1]["roleId"], "r-1")
        self.api.session["roleId"] = None
        self.assertEqual(self.api.session.get(dfx.DFX_SESSION_ROLE_ID), "")

    def test_the_listener_cannot_change_the_session_and_may_fail(self):
        outcomes = []

        def listener(session):
            try:
                self.api.session.set("roleId", "again")
            except dfx.WouldDeadlockError as e:
                outcomes.append(e.name)
            outcomes.append(self.api.session.get("deviceId"))  # reading is fine
            raise RuntimeError("a failing listener does not break dfx")

        self.api.session.listener = listener
        self.assertIs(self.api.session.listener, listener)
        reported, hook = [], sys.unraisablehook
        sys.unraisablehook = reported.append
        try:
            self.api.session.set("deviceId", "d-1")
        finally:
            sys.unraisablehook = hook
        self.assertEqual(outcomes, ["DFX_ERR_WOULD_DEADLOCK", "d-1"])
        self.assertEqual([type(r.exc_value) for r in reported], [RuntimeError])
        self.api.session.listener = None
        self.api.session.set("deviceId", "d-2")
        self.assertEqual(len(outcomes), 2)

    def test_threads_renewing_at_once_send_one_request(self):
        self.register()
        heard = len(self.heard)
        fault(Path="auths/renew", DelayMs=300)  # keep the first renew in flight while the others arrive
        results, errors = [], []

        def renew():
            try:
                results.append(self.api.session.renew("device"))
            except dfx.DfxError as e:
                errors.append(e)

        threads = [threading.Thread(target=renew) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual({r.status for r in results}, {"200"})
        self.assertEqual(len({r.body["Token"] for r in results}), 1)
        self.assertEqual(control("GET", "/_sandbox/stats")["Requests"].get("POST auths/renew"), 1)
        self.assertEqual(len(self.heard), heard + 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
