"""What the Python package's errors say, and what they never say.

Every secret-carrying call is sent with recognisable secrets (all holding
S3CR3T) to a sandbox that echoes the whole request into the answer's Code
and Message (fault action Echo): no exception message may contain one, and
neither may the messages of malformed URLs and bad arguments. Argument
errors name the key the caller wrote, not the C parameter."""
import unittest

import dfx
from sandbox import URL as SANDBOX, control, fault, reset

LIB = dfx.load_library()
MARK = "S3CR3T"
SESSION = {"deviceToken": "S3CR3T-device-token", "deviceRefreshToken": "S3CR3T-device-refresh",
           "userToken": "S3CR3T-user-token", "userRefreshToken": "S3CR3T-user-refresh"}
PAIR = {"Token": "S3CR3T-explicit-token", "RefreshToken": "S3CR3T-explicit-refresh"}
LOGIN = {"Email": "a@example.com", "Password": "S3CR3T-password", "MFAToken": "S3CR3T-mfa-123456"}


class SecretsTest(unittest.TestCase):
    def setUp(self):
        reset()
        self.api = dfx.client(url=SANDBOX, library=LIB)

    def tearDown(self):
        self.api.close()
        reset()

    def assertClean(self, what, text):
        self.assertNotIn(MARK, text, f"{what}: a secret leaked")

    def test_an_echoing_server_never_puts_a_secret_into_an_exception(self):
        # API answers are Responses, not exceptions: an echo reaches the
        # caller in r.body, which is the server's, and in the last error
        # message, which must be redacted.
        fault(Action="Echo", Status=500, Count=0)
        for key, value in SESSION.items():
            self.api.session.set(key, value)
        http = self.api.http
        calls = {
            "renew": lambda: http.auths.renew(dict(PAIR)),
            "register": lambda: http.organizations.registerLicense(
                {"Key": "S3CR3T-license-key", "DeviceTypeID": "LINUX", "Name": "py", "Identifier": "dfxdemo",
                 "Version": "1"}),
            "org login": lambda: http.organizations.login(dict(LOGIN, Identifier="dfxdemo")),
            "user login": lambda: http.users.login(dict(LOGIN)),
            "generate token": lambda: http.auths.generateToken(dict(PAIR)),
            "phone login": lambda: http.users.loginWithPhoneCode(
                {"LoginCode": "S3CR3T-login-code", "PhoneNumber": "+15555550100", "OrgKey": "dfxdemo"}),
            "reset": lambda: http.auths.requestResetPasswordLink({"Email": "a@b.c", "Identifier": "dfxdemo"}),
            "reset mobile": lambda: http.auths.sendResetMobile({"Email": "a@b.c"}),
            "verify": lambda: http.general.verifyToken("S3CR3T-explicit-token"),
            "session renew": lambda: self.api.session.renew("device"),
            "session renew user": lambda: self.api.session.renew("user"),
        }
        for what, call in calls.items():
            r = call()
            self.assertEqual(r.status, "500", what)
            self.assertIn(MARK, r.body["Message"], f"{what}: the body is the server's")
            self.assertClean(what, repr(r))
            # What a C program would log: the thread's last error message.
            message = LIB.dfx_last_error_message().decode()
            self.assertIn("\u2026", message, f"{what}: the echo is there, redacted")
            self.assertClean(what, message)

    def test_malformed_urls_and_bad_arguments_never_echo_a_secret(self):
        for url in ["http://user:S3CR3T@[::1", "https://user:S3CR3T@example.com", "https://x/?token=S3CR3T",
                    "http://example.com/S3CR3T", "user:S3CR3T@example.com"]:
            with self.assertRaises(dfx.ArgumentError) as ctx:
                dfx.client(url=url, library=LIB)
            self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_URL")
            self.assertClean(url, str(ctx.exception))
        auths = self.api.http.auths
        for data in [{"Token": "S3CR3T\r\nX: y", "RefreshToken": "S3CR3T-r"},
                     {"Token": "S3CR3T-t", "RefreshToken": "S3CR3T\udcff"},
                     {"Token": "S3CR3T-t\0cut", "RefreshToken": "S3CR3T-r"},
                     {"Token": "S3CR3T-t", "RefreshToken": ""}]:
            with self.assertRaises(dfx.ArgumentError) as ctx:
                auths.renew(data)
            self.assertClean(repr(data), str(ctx.exception))
        for bad in ['{"deviceToken": "S3CR3T-a", "bogus": "S3CR3T-b"}', '{"deviceToken": "S3CR3T-a"']:
            with self.assertRaises(dfx.ArgumentError) as ctx:
                self.api.session.load(bad)
            self.assertClean(bad, str(ctx.exception))
        with self.assertRaises(dfx.ArgumentError) as ctx:
            dfx.token_expiry("S3CR3T.S3CR3T.S3CR3T", library=LIB)
        self.assertClean("token_expiry", str(ctx.exception))
        self.assertEqual(control("GET", "/_sandbox/requests"), [])


class KeyNamesTest(unittest.TestCase):
    """A dict without a key the call needs is named by that key."""

    def setUp(self):
        self.api = dfx.client(url=SANDBOX, library=LIB)

    def tearDown(self):
        self.api.close()

    def fails(self, name, call, data):
        with self.assertRaises(dfx.ArgumentError) as ctx:
            call(data)
        self.assertEqual(ctx.exception.name, name)
        return str(ctx.exception)

    def test_missing_and_empty_keys_are_named_as_written(self):
        http = self.api.http
        m = self.fails("DFX_ERR_INVALID_ARGUMENT", http.auths.renew, {"RefreshToken": "r"})
        self.assertIn("auths.renew: `data` is missing its required field `Token`", m)
        self.assertNotIn("`token`", m)
        m = self.fails("DFX_ERR_INVALID_ARGUMENT", http.auths.renew, {"Token": "t", "RefreshToken": ""})
        self.assertIn("`data.RefreshToken` must not be empty", m)
        m = self.fails("DFX_ERR_INVALID_ARGUMENT", http.users.loginWithPhoneCode, {"LoginCode": "1", "PhoneNumber": "+1"})
        self.assertIn("`OrgKey`", m)
        self.assertNotIn("org_identifier", m)
        m = self.fails("DFX_ERR_INVALID_ARGUMENT", http.organizations.registerLicense,
                       {"Key": "k", "DeviceTypeID": "LINUX", "Name": "n", "Version": "1"})
        self.assertIn("organizations.registerLicense: `data` is missing its required field `Identifier`", m)
        m = self.fails("DFX_ERR_INVALID_UTF8", http.auths.renew, {"Token": "t", "RefreshToken": "\udcff"})
        self.assertIn("`data.RefreshToken` is not valid UTF-8", m)
        self.assertNotIn("params_json", m)
        m = self.fails("DFX_ERR_INVALID_UTF8", http.auths.renew, {"Token": b"\xff", "RefreshToken": "r"})
        self.assertIn("`data.Token` is not valid UTF-8", m)
        m = self.fails("DFX_ERR_INVALID_ARGUMENT", http.auths.sendResetMobile, {})
        self.assertIn("`Email`", m)
        self.assertIn("`PhoneNumber`", m)
        # Optional keys stay optional: the call is made, the API answers.
        self.assertTrue(http.users.login({"Email": "a@b.c", "Password": "p"}).status)
