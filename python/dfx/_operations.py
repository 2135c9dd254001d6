"""api.http.<group>.<method> and api.aio.<group>.<method>: every operation of
libdfx's endpoint table, built at run time from dfx_operations_json().

Nothing here is written per operation: each row of the table becomes one
method taking the JavaScript client's arguments, positionally in the
JavaScript order or by keyword, that sends them as dfx_call()'s params_json.
libdfx checks them (unknown or misspelt names, missing or mistyped values)
and does the request; a `None` argument is an argument not given.

_operations.pyi, generated from the same table by scripts/gen-python-stub.py,
tells editors and type checkers every group, method and argument.
"""
import inspect
import json

_tables = {}  # library -> (operations, {group: (http class, aio class)})


def operations(lib):
    """The endpoint table as parsed JSON: one dict per operation, in the order
    of the JavaScript client's endpoints.json (see dfx_operations_json() in
    include/dfx.h for the keys). Parsed once per library; a fresh copy each call."""
    return json.loads(_table(lib)[0])


def _table(lib):
    if lib not in _tables:
        text = lib.dfx_operations_json().decode()
        _tables[lib] = (text, _build_groups(json.loads(text)))
    return _tables[lib]


class Group:
    """One group of operations (api.http.measurements, ...) on one client."""

    __slots__ = ("_api",)

    def __init__(self, api):
        self._api = api

    def __repr__(self):
        return f"<dfx {type(self).__name__}: {', '.join(self._methods)}>"


class _Groups:
    _asynchronous = False

    def __init__(self, api):
        groups = _table(api.lib)[1]
        for name, classes in groups.items():
            setattr(self, name, classes[self._asynchronous](api))
        self._groups = tuple(groups)

    def __repr__(self):
        return f"<dfx {type(self).__name__}: {', '.join(self._groups)}>"


class Http(_Groups):
    """api.http: the groups of operations by the JavaScript client's names
    (api.http.measurements.create(...)); each call blocks and returns a
    Response."""


class Aio(_Groups):
    """api.aio: the same operations for asyncio; each call checks its arguments
    at once and returns an awaitable asyncio Future resolving to a Response."""

    _asynchronous = True


def _build_groups(table):
    rows = {}
    for op in table:
        rows.setdefault(op["group"], []).append(op)
    groups = {}
    for group, ops in rows.items():
        classes = []
        for asynchronous, suffix in ((False, "Http"), (True, "Aio")):
            methods = {op["method"]: _method(op, asynchronous) for op in ops}
            name = group[0].upper() + group[1:] + suffix
            namespace = dict(methods, __slots__=(), _methods=tuple(methods), __module__=__name__,
                             __qualname__=name, __doc__=f"api.{suffix.lower()}.{group}: {len(ops)} operations.")
            classes.append(type(name, (Group,), namespace))
        groups[group] = tuple(classes)
    return groups


def _method(op, asynchronous):
    """One operation as a method: binds the JavaScript arguments, then
    api._operation() sends them through dfx_call / dfx_call_async."""
    operation = op["operation"]
    encoded = operation.encode()
    names = tuple(p["name"] for p in op["params"])

    def call(self, *args, **kwargs):
        if len(args) > len(names):
            raise self._api._argument_error(
                f"{operation}() takes at most {len(names)} argument{'s' * (len(names) != 1)} "
                f"({', '.join(names) or 'none'}), {len(args)} given")
        params = {name: value for name, value in zip(names, args) if value is not None}
        for name, value in kwargs.items():
            if name in names[:len(args)]:
                raise self._api._argument_error(f"{operation}: `{name}` given both by position and by keyword")
            if value is not None or name not in names:
                params[name] = value  # an unknown name goes to libdfx, which names the nearest real one
        return self._api._operation(encoded, params, asynchronous)

    call.__name__ = op["method"]
    call.__qualname__ = f"{op['group']}.{op['method']}"
    call.__doc__ = _doc(op, asynchronous)
    call.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)] +
        [inspect.Parameter(p["name"], inspect.Parameter.POSITIONAL_OR_KEYWORD,
                           default=inspect.Parameter.empty if p["required"] else None) for p in op["params"]])
    return call


_IN = {
    "path": "a path value",
    "body": "the JSON body",
    "query": "query options",
    "query_value": "sent as ?{wire}=",
    "body_field": "the body's {wire} field",
    "bearer": "the Bearer token (default: the session's user token, else its device token)",
    "token_type": "which session pair: \"device\" or \"user\"",
    "session_flag": "true: the x-nura-session header",
}


def _doc(op, asynchronous):
    """The method's docstring, from its row (shared with the typing stub)."""
    lines = [f"{op['http_method']} {op['path']} (bearer: {op['bearer']}"
             + (f"; Action ID {op['action_id']})." if op["action_id"] else ").")]
    for p in op["params"]:
        where = _IN[p["in"]].format(wire=p.get("wire"))
        fields = p.get("fields") or []
        if fields:
            where += ": " + ", ".join(f["name"] + ("" if f["required"] else "?") for f in fields)
        lines.append(f"{p['name']}{'' if p['required'] else '?'} ({p['type']}): {where}")
    if op["correction"]:
        lines.append("Corrected: " + op["correction"])
    lines.append("Returns an asyncio Future of a Response." if asynchronous else "Returns a Response.")
    return "\n".join(lines)
