"""api.http / api.aio as built from the endpoint table, against a running
dfx-sandbox (DFX_SANDBOX_URL): every operation is a method of both, with the
JavaScript arguments in the JavaScript order; every case of the wire fixture
(tests/fixtures/expected_requests.json, written from endpoints.json and
NOTES.md, not from the table) goes through api.http by keyword and through
api.aio positionally, and reaches the wire as the fixture says; argument
errors name the argument and send nothing; the committed typing stub is the
one the table generates, and is installed with the package."""
import ast
import asyncio
import contextlib
import importlib.util
import inspect
import json
import os
import unittest
from pathlib import Path

import dfx
from sandbox import URL as SANDBOX, control, own_sandbox, reset

ROOT = Path(__file__).resolve().parents[2]
LIB = dfx.load_library()
FIXTURE = json.loads((ROOT / "tests" / "fixtures" / "expected_requests.json").read_text())
STUB = ROOT / "python" / "dfx" / "_operations.pyi"
TOKENS = ("deviceToken", "deviceRefreshToken", "userToken", "userRefreshToken")


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_python_stub", ROOT / "scripts" / "gen-python-stub.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def new_session(url=SANDBOX):
    """A client holding both pairs (as the fixture assumes), on a sandbox with
    an empty request log."""
    control("POST", "/_sandbox/reset", {}, url)
    api = dfx.client(url=url, library=LIB, timeout_ms=10000)
    seed = control("GET", "/_sandbox/seed", url=url)
    r = api.http.organizations.registerLicense({"Key": seed["LicenseKey"], "DeviceTypeID": "LINUX", "Name": "walk",
                                                "Identifier": seed["Organization"], "Version": "1.0"})
    assert r.status == "200", r.body
    r = api.http.users.login({"Email": seed["Email"], "Password": seed["Password"]})
    assert r.status == "200", r.body
    tokens = {name: api.session.get(name) for name in TOKENS}
    assert len(set(tokens.values())) == 4 and all(tokens.values()), "four distinct tokens"
    control("DELETE", "/_sandbox/requests", url=url)
    return api, tokens


def fill(value, tokens):
    """The fixture's $deviceToken etc. replaced by the session's values."""
    if isinstance(value, str) and value.startswith("$") and value[1:] in tokens:
        return tokens[value[1:]]
    if isinstance(value, dict):
        return {k: fill(v, tokens) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, tokens) for v in value]
    return value


def mismatches(expect, req, tokens):
    """How the recorded request differs from the fixture's expectation."""
    out = []
    for key, got in (("method", req["Method"]), ("path", req["Path"]), ("query", req["Query"])):
        if got != expect[key]:
            out.append(f"{key}: expected {expect[key]!r}, sent {got!r}")
    headers = req["Headers"]
    auth = expect["authorization"]
    wanted = {"none": None, "device": tokens["deviceToken"], "user": tokens["userToken"]}.get(auth)
    if auth.startswith("explicit:"):
        wanted = fill(auth[len("explicit:"):], tokens)
    if headers.get("authorization") != (None if wanted is None else "Bearer " + wanted):
        out.append(f"authorization: expected {auth.split(':')[0]}")
    for name, value in expect["headers"].items():
        if headers.get(name) != value:
            out.append(f"header {name}: expected {value!r}, sent {headers.get(name)!r}")
    if "x-nura-session" not in expect["headers"] and "x-nura-session" in headers:
        out.append("header x-nura-session: sent, but enableSession was not given")
    if expect["body"] is None:
        if req["Body"]:
            out.append(f"body: expected none, sent {len(req['Body'])} bytes")
    elif not req["Body"] or json.loads(req["Body"]) != fill(expect["body"], tokens):
        out.append("body: differs")
    return out


class EveryOperationTest(unittest.TestCase):
    def setUp(self):
        self.api = dfx.client(url=SANDBOX, library=LIB)
        self.table = dfx.operations(LIB)

    def tearDown(self):
        self.api.close()

    def test_the_table_and_the_fixture_list_the_same_operations(self):
        names = [op["operation"] for op in self.table]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual(set(names), {case["operation"] for case in FIXTURE["cases"]})
        self.assertEqual(names, [op["operation"] for op in self.api.operations()])

    def test_every_operation_is_a_method_of_http_and_aio_with_the_javascript_arguments(self):
        groups = sorted({op["group"] for op in self.table})
        for space in (self.api.http, self.api.aio):
            self.assertEqual(sorted(space._groups), groups)
        for op in self.table:
            with self.subTest(op["operation"]):
                params = [(p["name"], p["required"]) for p in op["params"]]
                for space in (self.api.http, self.api.aio):
                    method = getattr(getattr(space, op["group"]), op["method"])
                    self.assertTrue(callable(method))
                    signature = inspect.signature(method).parameters.values()
                    self.assertEqual([(p.name, p.default is inspect.Parameter.empty) for p in signature], params)
                    self.assertIn(f"{op['http_method']} {op['path']}", method.__doc__)
                # The fixture's arguments (written from endpoints.json's js_args)
                # come in the order of the method's signature.
                order = [name for name, _ in params]
                for case in FIXTURE["cases"]:
                    if case["operation"] == op["operation"]:
                        given = [order.index(k) if k in order else -1 for k in case["params"] or {}]
                        self.assertEqual(given, sorted(given), f"fixture arguments {list(case['params'] or {})}")
                        self.assertNotIn(-1, given)

    def test_every_fixture_case_through_http_by_keyword_and_aio_positionally(self):
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(own_sandbox())
            failures = []
            for case in FIXTURE["cases"]:
                for how in ("http by keyword", "aio positionally"):
                    try:
                        api, tokens = new_session(url)
                    except (AssertionError, dfx.DfxError):
                        # An earlier case changed the sandbox (users.remove
                        # removes the seed user): go on with a new one.
                        stack.close()
                        url = stack.enter_context(own_sandbox())
                        api, tokens = new_session(url)
                    with api:
                        problems = self.walk(api, case, how, tokens)
                    wire = control("GET", "/_sandbox/requests", url=url)
                    if len(wire) != 1:
                        problems.append(f"{len(wire)} requests sent")
                    else:
                        problems += mismatches(case["expect"], wire[0], tokens)
                    if problems:
                        failures.append(f"{case['operation']} {how}: {'; '.join(problems)}")
        self.assertEqual(failures, [], f"{len(failures)} of {2 * len(FIXTURE['cases'])} calls differ")

    @staticmethod
    def walk(api, case, how, tokens):
        """One fixture case through api.http by keyword or api.aio by position:
        what went wrong (nothing: [])."""
        group, method = case["operation"].split(".")
        params = fill(case["params"] or {}, tokens)
        try:
            if how == "http by keyword":
                r = getattr(getattr(api.http, group), method)(**params)
            else:
                call = getattr(getattr(api.aio, group), method)
                order = list(inspect.signature(call).parameters)
                # The given arguments by position up to the first gap, the rest by keyword.
                n = next((i for i, name in enumerate(order) if name not in params), len(order))
                args = [params[name] for name in order[:n]]
                kwargs = {k: v for k, v in params.items() if k not in order[:n]}

                async def run():
                    return await call(*args, **kwargs)
                r = asyncio.run(run())
        except dfx.DfxError as e:
            return [f"raised {e.name}: {e.message}"]
        return [] if isinstance(r, dfx.Response) else [f"returned {r!r}"]

    def test_call_by_name(self):
        api, tokens = new_session()
        with api:
            r = api.call("measurements.data", {"id": "m 1", "data": {"Action": "LAST::PROCESS", "Payload": "AA=="}})
            self.assertIsInstance(r, dfx.Response)
            req, = control("GET", "/_sandbox/requests")
            self.assertEqual((req["Method"], req["Path"]), ("POST", "measurements/m%201/data"))
            self.assertEqual(api.call("general.status").body["StatusID"], "ACTIVE")

            async def main():
                return await api.call_async("general.verifyToken", {"token": tokens["deviceToken"]})
            self.assertEqual(asyncio.run(main()).body["Type"], "Device")
            with self.assertRaises(dfx.ArgumentError) as ctx:
                api.call("measurements.dat", {})
            self.assertIn("measurements.data", ctx.exception.message)  # the nearest real name

    def test_optional_fields_and_the_session_flag_reach_the_wire(self):
        # Refused by the hand-written methods before issue 12; sent now.
        api, tokens = new_session()
        with api:
            seed = control("GET", "/_sandbox/seed")
            data = {"Key": seed["LicenseKey"], "DeviceTypeID": "LINUX", "Name": "flag",
                    "Identifier": seed["Organization"], "Version": "1.0", "TokenExpiresIn": 3600,
                    "RefreshTokenExpiresIn": 86400}
            r = api.http.organizations.registerLicense(data, True)
            self.assertEqual(r.status, "200")
            req, = control("GET", "/_sandbox/requests")
            self.assertEqual(req["Headers"].get("x-nura-session"), "true")
            self.assertEqual(json.loads(req["Body"]), data)
            self.assertEqual(api.session.get("deviceToken"), r.body["Token"])  # the session effect


class ArgumentErrorTest(unittest.TestCase):
    """Refused at once, naming the argument (never its value); nothing sent."""

    def setUp(self):
        reset()
        self.api = dfx.client(url=SANDBOX, library=LIB)
        self.m = self.api.http.measurements
        self.chunk = {"Action": "FIRST::PROCESS", "Payload": "AAECAw=="}

    def tearDown(self):
        self.assertEqual(control("GET", "/_sandbox/requests"), [], "nothing sent")
        self.api.close()

    def refused(self, call, *names):
        with self.assertRaises(dfx.ArgumentError) as ctx:
            call()
        e = ctx.exception
        self.assertEqual((e.name, e.status), ("DFX_ERR_INVALID_ARGUMENT", dfx.DFX_ERR_INVALID_ARGUMENT))
        for name in names:
            self.assertIn(name, e.message)
        self.assertNotIn("secret-value", e.message)
        return e

    def test_signature_errors(self):
        self.refused(lambda: self.m.data("m-1", self.chunk, "extra"), "measurements.data", "at most 2", "id, data")
        self.refused(lambda: self.api.http.general.status("x"), "general.status", "at most 0")
        self.refused(lambda: self.m.data("m-1", id="m-2", data=self.chunk), "`id`", "both")
        e = self.refused(lambda: self.m.data(idd="secret-value", data=self.chunk), "`idd`")
        self.assertIn("`id`", e.message)  # the nearest real name
        self.refused(lambda: self.m.data("m-1", self.chunk, dat=None), "`dat`")  # unknown even when None
        self.refused(lambda: self.m.data("m-1"), "`data`")
        self.refused(lambda: self.m.data(data=self.chunk), "`id`")
        self.refused(lambda: self.m.data(None, self.chunk), "`id`")  # None is not given

    def test_value_errors(self):
        self.refused(lambda: self.m.create({"StudyID": "s", "Resolution": "secret-value"}), "Resolution")
        self.refused(lambda: self.m.data("m-1", {"Action": "FIRST::PROCESS"}), "Payload")
        self.refused(lambda: self.m.data("", self.chunk), "`id`")
        self.refused(lambda: self.m.list({"statusID": "x"}), "statusID")
        self.refused(lambda: self.m.create({"StudyID": {"secret-value"}}), "measurements.create", "set")
        self.refused(lambda: self.m.create({"StudyID": "s", "Resolution": float("nan")}), "measurements.create")
        self.refused(lambda: self.api.http.auths.renew({"Token": "t", "RefreshToken": "r"}, "both"), "tokenType")
        with self.assertRaises(dfx.ArgumentError) as ctx:
            self.m.data("m-\udcff", self.chunk)  # a lone surrogate is not UTF-8
        self.assertEqual(ctx.exception.name, "DFX_ERR_INVALID_UTF8")

    def test_aio_raises_before_anything_is_awaited(self):
        async def main():
            with self.assertRaises(dfx.ArgumentError):
                self.api.aio.measurements.data(idd="m-1", data=self.chunk)
            with self.assertRaises(dfx.ArgumentError):
                self.api.aio.measurements.data("m-1", self.chunk, "extra")
            with self.assertRaises(dfx.ArgumentError):
                self.api.aio.measurements.create({"StudyID": 1})

        asyncio.run(main())


class StubTest(unittest.TestCase):
    def test_the_committed_stub_is_the_one_the_table_generates(self):
        from dfx import _operations
        generated = load_generator().render(dfx.operations(LIB), _operations._doc)
        self.assertEqual(STUB.read_text(), generated, "run scripts/gen-python-stub.py")

    def test_the_stub_is_installed_with_the_package(self):
        installed = Path(dfx.__file__).parent
        if os.environ.get("DFX_TEST_INSTALLED") == "1":
            self.assertEqual((installed / "_operations.pyi").read_text(), STUB.read_text())
            self.assertTrue((installed / "py.typed").is_file())
        self.assertTrue((installed / "_operations.pyi").is_file())

    def test_the_stub_declares_every_group_method_and_argument(self):
        # Read the stub as Python, independently of the generator's text.
        tree = ast.parse(STUB.read_text())
        classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

        def attributes(cls):
            return {n.target.id: ast.unparse(n.annotation) for n in classes[cls].body if isinstance(n, ast.AnnAssign)}

        def methods(cls):
            return {n.name: n for n in classes[cls].body if isinstance(n, ast.FunctionDef)}

        table = dfx.operations(LIB)
        for space, returns in (("Http", "Response"), ("Aio", "asyncio.Future[Response]")):
            groups = attributes(space)
            self.assertEqual(set(groups), {op["group"] for op in table})
            for op in table:
                with self.subTest(space=space, operation=op["operation"]):
                    fn = methods(groups[op["group"]])[op["method"]]
                    args = [a.arg for a in fn.args.args]
                    self.assertEqual(args, ["self"] + [p["name"] for p in op["params"]])
                    optional = [p["name"] for p in op["params"] if not p["required"]]
                    self.assertEqual(args[len(args) - len(fn.args.defaults):], optional)
                    self.assertEqual(ast.unparse(fn.returns), returns)
            self.assertEqual(sum(len(methods(g)) for g in groups.values()), len(table))
        # A body's fields are completed: measurements.data's data is a TypedDict of them.
        data = methods("MeasurementsHttp")["data"].args.args[2].annotation.id
        fields = set()
        for cls in (data, "_" + data + "Required"):
            fields |= set(attributes(cls)) if cls in classes else set()
        self.assertEqual(fields, {"Action", "Payload"})

    def test_a_changed_row_changes_the_stub(self):
        # The comparison above catches drift: a renamed argument or body
        # field, or a new operation, gives a different stub.
        from dfx import _operations
        render = load_generator().render
        table = dfx.operations(LIB)
        before = render(table, _operations._doc)
        row = next(op for op in table if op["operation"] == "measurements.data")
        row["params"][0]["name"] = "measurementId"
        row["params"][1]["fields"][1]["name"] = "Chunk"
        table.append(dict(row, operation="measurements.upload", method="upload"))
        after = render(table, _operations._doc)
        self.assertNotEqual(before, after)
        for text in ("def data(self, measurementId: str", "    Chunk: str", "def upload(self, measurementId"):
            self.assertIn(text, after)
            self.assertNotIn(text, before)

if __name__ == "__main__":
    unittest.main()
