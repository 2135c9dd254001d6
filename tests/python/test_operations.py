"""api.http.<group>.<method> beyond the seed's calls, against a running
dfx-sandbox (DFX_SANDBOX_URL): the JavaScript arguments positionally in the
JavaScript order and by keyword, each checked on the wire (the sandbox's
recorded requests), with expectations written from endpoints.json and
NOTES.md (as tests/fixtures/expected_requests.json), not from the table.

unittest classes, so `python -m unittest discover` (scripts/test.sh) and
pytest both run them."""
import asyncio
import json
import unittest

import dfx
from sandbox import URL as SANDBOX, control, reset

LIB = dfx.load_library()
CHUNK = {"Action": "FIRST::PROCESS", "Payload": "AAECAw=="}


class OperationsOnTheWireTest(unittest.TestCase):
    """A session with both pairs (the seed licence registered, the seed user
    logged in), then one operation at a time, each the only request sent."""

    def setUp(self):
        reset()
        self.api = dfx.client(url=SANDBOX, library=LIB)
        seed = control("GET", "/_sandbox/seed")
        http = self.api.http
        r = http.organizations.registerLicense({"Key": seed["LicenseKey"], "DeviceTypeID": "LINUX", "Name": "py-ops",
                                                "Identifier": seed["Organization"], "Version": "1.0"})
        self.assertEqual(r.status, "200")
        r = http.users.login({"Email": seed["Email"], "Password": seed["Password"]})
        self.assertEqual(r.status, "200")
        self.device = self.api.session.get("deviceToken")
        self.user = self.api.session.get("userToken")
        self.assertTrue(self.device and self.user and self.device != self.user)

    def tearDown(self):
        self.api.close()

    def sent(self, call):
        """Run `call` with an empty request log: its Response and the one
        request it put on the wire."""
        control("DELETE", "/_sandbox/requests")
        r = call()
        self.assertIsInstance(r, dfx.Response)
        wire = control("GET", "/_sandbox/requests")
        self.assertEqual(len(wire), 1, [(q["Method"], q["Path"]) for q in wire])
        return r, wire[0]

    def check(self, req, method, path, query, bearer, body):
        self.assertEqual((req["Method"], req["Path"], req["Query"]), (method, path, query))
        self.assertEqual(req["Headers"].get("authorization"), "Bearer " + bearer if bearer else None,
                         "the expected bearer")
        self.assertEqual(req["Headers"].get("content-type"), "application/json")
        self.assertNotIn("x-nura-session", req["Headers"])
        if body is None:
            self.assertEqual(req["Body"], "")
        else:
            self.assertEqual(json.loads(req["Body"]), body)

    def both_ways(self, positional, keyword, *expected, labels=("positional", "keyword")):
        """The same call positionally and by keyword: the same request."""
        for how, call in zip(labels, (positional, keyword)):
            with self.subTest(how):
                _, req = self.sent(call)
                self.check(req, *expected)

    def test_a_list_with_query_data(self):
        m = self.api.http.measurements
        data = {"statusId": "COMPLETE", "partnerId": "a&b=c", "userName": "x+y@example.com", "limit": "10"}
        # Wire keys in the JavaScript client's order, values percent-encoded
        # (NOTES §2, §11), only those given.
        query = "StatusID=COMPLETE&PartnerID=a%26b%3Dc&Limit=10&UserName=x%2By%40example.com"
        self.both_ways(lambda: m.list(data), lambda: m.list(data=data),
                       "GET", "measurements", query, self.user, None)
        # No argument, or an empty object: no query string at all (no bare "?").
        self.both_ways(lambda: m.list(), lambda: m.list(data={}), "GET", "measurements", None, self.user, None,
                       labels=("no argument", "an empty object"))

    def test_measurements_create(self):
        m = self.api.http.measurements
        data = {"StudyID": "study-1", "Resolution": 100, "PartnerID": "Zoë"}
        self.both_ways(lambda: m.create(data), lambda: m.create(data=data),
                       "POST", "measurements", None, self.user, data)

    def test_measurements_data(self):
        m = self.api.http.measurements
        # (id, data): the id is a path value, percent-encoded.
        self.both_ways(lambda: m.data("m 1/2", CHUNK), lambda: m.data(id="m 1/2", data=CHUNK),
                       "POST", "measurements/m%201%2F2/data", None, self.user, CHUNK)
        _, req = self.sent(lambda: m.data("m-1", data=CHUNK))  # mixed
        self.check(req, "POST", "measurements/m-1/data", None, self.user, CHUNK)

    def test_two_positional_arguments_and_scalars(self):
        http = self.api.http
        # retrieveMeasurement(measurementId, expandResults?)
        orgs = http.organizations
        self.both_ways(lambda: orgs.retrieveMeasurement("measurement-1", True),
                       lambda: orgs.retrieveMeasurement(measurementId="measurement-1", expandResults=True),
                       "GET", "organizations/measurements/measurement-1", "ExpandResults=true", self.user, None)
        # deleteConfigFile(StudyTemplateID, SDKID): a DELETE with a JSON body.
        body = {"StudyTemplateID": "template-1", "SDKID": "sdk-1"}
        self.both_ways(lambda: http.templates.deleteConfigFile("template-1", "sdk-1"),
                       lambda: http.templates.deleteConfigFile(StudyTemplateID="template-1", SDKID="sdk-1"),
                       "DELETE", "sdkconfig", None, self.user, body)
        # studies.types(statusId): one scalar sent as ?StatusID=.
        self.both_ways(lambda: http.studies.types("ACTIVE"), lambda: http.studies.types(statusId="ACTIVE"),
                       "GET", "studies/types", "StatusID=ACTIVE", self.user, None)

    def test_renew_with_token_type(self):
        auths, session = self.api.http.auths, self.api.session
        # renew(data, tokenType): the bearer is the token being renewed
        # (NOTES §7, §11: not the device token JS always sends), and the
        # session stores the new pair of that kind.
        pair = {"Token": self.device, "RefreshToken": session.get("deviceRefreshToken")}
        r, req = self.sent(lambda: auths.renew(pair, "device"))
        self.check(req, "POST", "auths/renew", None, self.device, pair)
        self.assertEqual(r.status, "200")
        self.assertEqual(session.get("deviceToken"), r.body["Token"])

        pair = {"Token": self.user, "RefreshToken": session.get("userRefreshToken")}
        r, req = self.sent(lambda: auths.renew(data=pair, tokenType="user"))
        self.check(req, "POST", "auths/renew", None, self.user, pair)
        self.assertEqual(r.status, "200")
        self.assertEqual(session.get("userToken"), r.body["Token"])
        self.assertEqual(session.get("userRefreshToken"), r.body["RefreshToken"])

    def test_argument_errors_send_nothing(self):
        m = self.api.http.measurements
        control("DELETE", "/_sandbox/requests")
        with self.assertRaises((TypeError, dfx.ArgumentError)):
            m.data(idd="m-1", data=CHUNK)  # a misspelt JavaScript argument name
        with self.assertRaises((TypeError, dfx.ArgumentError)):
            m.data("m-1")  # data is required
        with self.assertRaises(dfx.ArgumentError):
            m.create({"StudyID": "study-1", "Resolution": "high"})  # Resolution is a number
        self.assertEqual(control("GET", "/_sandbox/requests"), [])

    def test_the_aio_form_sends_the_same_request(self):
        m = self.api.aio.measurements

        async def main():
            return await m.data("m-1", CHUNK)

        _, req = self.sent(lambda: asyncio.run(main()))
        self.check(req, "POST", "measurements/m-1/data", None, self.user, CHUNK)


if __name__ == "__main__":
    unittest.main()
