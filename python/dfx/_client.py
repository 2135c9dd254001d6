"""The client, shaped like the JavaScript client (@nuralogix.ai/dfx-api-client)
so the DeepAffex docs read the same:

    api = dfx.client(url="https://api.deepaffex.ai")
    r = api.http.auths.renew({"Token": t, "RefreshToken": rt})
    if r.status == "200":
        save(r.body["Token"], r.body["RefreshToken"])

`r.status` is a string and `r.body` parsed JSON, for every answer the API
gave, 2xx or not. A call that got no answer (or was refused before anything
was sent) raises a DfxError subclass with the status name and message.
"""
import asyncio
import ctypes
import itertools
import json
import threading
import weakref

from . import _native as native
from . import _operations
from ._native import (DFX_ERR_API, DFX_ERR_CONNECT, DFX_ERR_INTERNAL, DFX_ERR_INVALID_ARGUMENT,
                      DFX_ERR_INVALID_MEASUREMENT, DFX_ERR_INVALID_URL, DFX_ERR_INVALID_UTF8,
                      DFX_ERR_MEASUREMENT_CLOSED, DFX_ERR_MISALIGNED_CHUNK, DFX_ERR_NULL_ARGUMENT,
                      DFX_ERR_OUTCOME_UNKNOWN, DFX_ERR_RATE_LIMITED, DFX_ERR_STREAM_ENDED, DFX_ERR_STREAM_FULL,
                      DFX_ERR_WOULD_DEADLOCK, DFX_OK, DFX_TOKEN_DEVICE, DFX_TOKEN_USER)

# The session's fields, in DFX_SESSION_* order, by the JavaScript client's keys.
SESSION_FIELDS = ("deviceToken", "deviceRefreshToken", "userToken", "userRefreshToken", "deviceId", "userId",
                  "roleId")
TOKEN_KINDS = {"device": DFX_TOKEN_DEVICE, "user": DFX_TOKEN_USER}


# Errors ---------------------------------------------------------------------

class DfxError(Exception):
    """A call that got no answer from the API, or was refused before anything
    was sent. `.status` is the DfxStatus value, `.name` its constant's name
    ("DFX_ERR_CONNECT", ...), `.message` what dfx_last_error_message() said.
    An answer from the API, whatever its HTTP status, is never an exception."""

    def __init__(self, status, name, message):
        super().__init__(f"{name}: {message}")
        self.status, self.name, self.message = status, name, message


class ArgumentError(DfxError, ValueError):
    """Bad input: NULL, empty, not UTF-8, a bad URL. Nothing was sent."""


class TransportError(DfxError):
    """No (usable) answer: timeout, TLS, undecodable body, connection lost, ..."""


class ConnectError(TransportError):
    """No connection could be made. Nothing was sent: a renewed pair is intact."""


class OutcomeUnknownError(TransportError):
    """A renew may have reached the server but its answer was lost. The
    session keeps the old pair, which may be dead; dfx never retries. Try
    once more; if the API refuses the pair, register or log in again."""


class WouldDeadlockError(DfxError):
    """A blocking or session-changing call made from a session listener."""


class InternalError(DfxError):
    """A bug in dfx (a caught panic). The client is still usable."""


class StreamError(DfxError):
    """A measurement stream's own failure (see MeasurementStream)."""


class StreamFullError(StreamError):
    """send_chunk(): DFX_STREAM_MAX_UNACKED chunks await their acknowledgement.
    Nothing was taken: send the same chunk again after the next ACK event."""


class StreamEndedError(StreamError):
    """send_chunk(): the last chunk was already sent, or the stream ended."""


class MeasurementRefusedError(StreamError):
    """The server refused a chunk or the measurement; the event's `json`
    holds its answer body. One subclass per refusal code."""


class RateLimitedError(MeasurementRefusedError):
    """RATE_LIMIT (or HTTP 429): chunks came faster than the server allows."""


class MeasurementClosedError(MeasurementRefusedError):
    """MEASUREMENT_CLOSED: the measurement already received its last chunk."""


class MisalignedChunkError(MeasurementRefusedError):
    """MISALIGNED_CHUNK: a chunk out of order (FIRST first, LAST last)."""


class InvalidMeasurementError(MeasurementRefusedError):
    """INVALID_MEASUREMENT: no such measurement for this token."""


_ERRORS = {
    DFX_ERR_NULL_ARGUMENT: ArgumentError,
    DFX_ERR_INVALID_ARGUMENT: ArgumentError,
    DFX_ERR_INVALID_UTF8: ArgumentError,
    DFX_ERR_INVALID_URL: ArgumentError,
    DFX_ERR_CONNECT: ConnectError,
    DFX_ERR_OUTCOME_UNKNOWN: OutcomeUnknownError,
    DFX_ERR_WOULD_DEADLOCK: WouldDeadlockError,
    DFX_ERR_INTERNAL: InternalError,
    DFX_ERR_STREAM_FULL: StreamFullError,
    DFX_ERR_STREAM_ENDED: StreamEndedError,
    DFX_ERR_RATE_LIMITED: RateLimitedError,
    DFX_ERR_MEASUREMENT_CLOSED: MeasurementClosedError,
    DFX_ERR_MISALIGNED_CHUNK: MisalignedChunkError,
    DFX_ERR_INVALID_MEASUREMENT: InvalidMeasurementError,
}


def error_for(lib, status, message=None):
    """The exception for a failed status, with the thread's last error message."""
    name = lib.dfx_status_name(status).decode()
    if message is None:
        message = lib.dfx_last_error_message().decode(errors="replace")
    cls = _ERRORS.get(status, TransportError if status != DFX_ERR_API else DfxError)
    return cls(status, name, message)


def _check(lib, status):
    if status != DFX_OK:
        raise error_for(lib, status)


def _arg(lib, value, what="argument"):
    """A Python value as a C string: str is UTF-8 encoded, bytes pass as they
    are, None is NULL. A NUL character would silently cut the string short in
    C, so it is refused here, as dfx refuses bad input: with ArgumentError."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = value.encode("utf-8")
        except UnicodeEncodeError as e:  # a lone surrogate: what dfx calls DFX_ERR_INVALID_UTF8
            raise error_for(lib, DFX_ERR_INVALID_UTF8,
                            f"{what} is not valid UTF-8 (a lone surrogate at index {e.start})") from None
    elif not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{what} must be str, bytes or None, not {type(value).__name__}")
    if b"\0" in value:
        raise error_for(lib, DFX_ERR_INVALID_ARGUMENT, f"{what} contains a NUL character")
    return bytes(value)


def _text_of_bytes(value):
    """bytes in params go as text; bytes that are not UTF-8 reach dfx as such
    (surrogateescape, then surrogatepass) and get DFX_ERR_INVALID_UTF8."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "surrogateescape")
    raise TypeError(f"a {type(value).__name__} is not JSON")


def _not_utf8(value, path):
    """The path (`data.RefreshToken`) of the first text in `value` that is not
    UTF-8 (a lone surrogate, or bytes that do not decode), or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
    elif isinstance(value, (bytes, bytearray)):
        try:
            bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return path
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            bad = _not_utf8(key, inner) or _not_utf8(item, inner)
            if bad:
                return bad
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            bad = _not_utf8(item, f"{path}[{i}]")
            if bad:
                return bad
    return None


def _params_json(lib, operation, params):
    """params_json for dfx_call: None (NULL) for no arguments. Text that is
    not UTF-8 is refused here, naming the key the caller wrote
    (DFX_ERR_INVALID_UTF8); a value JSON cannot hold is an ArgumentError."""
    if params is None or (isinstance(params, dict) and not params):
        return None
    name = operation.decode(errors="replace") if isinstance(operation, bytes) else operation
    bad = _not_utf8(params, "")
    if bad:
        raise error_for(lib, DFX_ERR_INVALID_UTF8, f"{name}: `{bad}` is not valid UTF-8")
    try:
        text = json.dumps(params, ensure_ascii=False, allow_nan=False, default=_text_of_bytes)
    except (TypeError, ValueError) as e:
        raise error_for(lib, DFX_ERR_INVALID_ARGUMENT, f"invalid argument: {name}: {e}") from None
    return text.encode("utf-8", "surrogatepass")


# Responses ------------------------------------------------------------------

class Response:
    """An answer from the API, as the JavaScript client shapes it.

    `status`: the HTTP status as a string ("200", "401", ...).
    `body`: the parsed JSON body (None for an empty 2xx body). A non-2xx answer
    without a JSON body gets the JavaScript client's made-up error body.
    `error_code`, `error_message`: the API's Code and Message for a non-2xx
    answer, else None. `ok`: a 2xx status.
    The body holds tokens: repr() shows the status alone.
    """

    __slots__ = ("status", "body", "error_code", "error_message")

    def __init__(self, lib, handle):
        self.status = str(lib.dfx_response_status(handle))
        self.body = json.loads(lib.dfx_response_body(handle).decode())
        code, message = lib.dfx_response_error_code(handle), lib.dfx_response_error_message(handle)
        self.error_code = code.decode() if code is not None else None
        self.error_message = message.decode() if message is not None else None

    @property
    def ok(self):
        return self.status.startswith("2")

    def __repr__(self):
        # The status alone: the body and the error code and message are the
        # server's words, which may echo a secret the request carried.
        return f"<dfx.Response {self.status}>"


# Non-blocking calls for asyncio ------------------------------------------------
#
# One C callback for every request, alive as long as the module: dfx calls it
# on an internal thread with user_data = the request's key. It reads the
# answer there (dfx_last_error_message() is set on that thread) and hands the
# result to the waiting event loop with call_soon_threadsafe.

_pending: dict = {}  # key -> (library, event loop, future)
_pending_lock = threading.Lock()
_keys = itertools.count(1)


def _settle(future, result, error):
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _on_complete(user_data, status, response):
    with _pending_lock:
        entry = _pending.pop(user_data or 0, None)
    if entry is None:
        return
    lib, loop, future = entry
    result = error = None
    try:
        if status in (DFX_OK, DFX_ERR_API):
            result = Response(lib, response)
        else:
            error = error_for(lib, status)
    except Exception as e:  # noqa: BLE001 (an undecodable body must still settle the future)
        error = e
    finally:
        lib.dfx_response_free(response)
    try:
        loop.call_soon_threadsafe(_settle, future, result, error)
    except RuntimeError:
        pass  # the event loop is closed: nobody is waiting


_C_ON_COMPLETE = native.DfxCallback(_on_complete)


# The client -----------------------------------------------------------------

def _free_client(lib, handle):
    lib.dfx_client_free(handle)


class Client:
    """A DfxClient: `api = dfx.client(url=...)`. Thread-safe (share one).

    `api.http.<group>.<method>(...)` are the API calls by the JavaScript
    client's names; `api.session` is the token store. Free it with close()
    or a `with` block; it is also freed when garbage-collected.
    """

    def __init__(self, url=None, *, library=None, timeout_ms=None, auto_renew=None) -> None:
        self.lib = library if isinstance(library, ctypes.CDLL) else native.load_library(library)
        handle = native.ClientP()
        _check(self.lib, self.lib.dfx_client_new(_arg(self.lib, url, "url"), ctypes.byref(handle)))
        self.handle = handle
        self.url = url
        # Objects C holds pointers to (the session listener's CFUNCTYPE). They
        # live on the client, not in the finalizer, so that a listener that
        # refers to the client does not keep it alive forever; once the client
        # is unreachable no call can be running, so nothing calls them.
        self._keepalive: dict = {}
        self._finalizer = weakref.finalize(self, _free_client, self.lib, handle)
        self._finalizer.atexit = False  # the process is ending; nothing to free
        # Open measurement streams: close() frees them before the client.
        self._streams: "weakref.WeakSet" = weakref.WeakSet()
        # Every operation of the endpoint table, by the JavaScript client's names.
        self.http: _operations.Http = _operations.Http(self)
        # The same calls for asyncio: `r = await api.aio.auths.renew({...})`.
        self.aio: _operations.Aio = _operations.Aio(self)
        self.session = Session(self)
        if timeout_ms is not None:
            self.set_timeout_ms(timeout_ms)
        if auto_renew is not None:
            self.set_auto_renew(auto_renew)

    def _handle(self):
        if not self._finalizer.alive:
            raise ValueError("the dfx client is closed")
        return self.handle

    def _call(self, fn, *args):
        """Call an API function; an answer (2xx or not) is a Response."""
        out = native.ResponseP()
        status = fn(self._handle(), *args, ctypes.byref(out))
        try:
            if status in (DFX_OK, DFX_ERR_API):
                return Response(self.lib, out)
            raise error_for(self.lib, status)
        finally:
            self.lib.dfx_response_free(out)

    def _call_async(self, fn, *args):
        """Start an `_async` API function; an awaitable asyncio Future that
        resolves to a Response (2xx or not) or raises a DfxError."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        key = next(_keys)
        with _pending_lock:
            _pending[key] = (self.lib, loop, future)
        status = fn(self._handle(), *args, _C_ON_COMPLETE, ctypes.c_void_p(key), None)
        if status != DFX_OK:
            with _pending_lock:
                _pending.pop(key, None)
            raise error_for(self.lib, status)
        return future

    def _operation(self, operation, params, asynchronous=False):
        """One operation through dfx_call (or dfx_call_async): `operation` the
        encoded "group.method", `params` a dict by the JavaScript names."""
        text = _params_json(self.lib, operation, params)
        if asynchronous:
            return self._call_async(self.lib.dfx_call_async, operation, text)
        return self._call(self.lib.dfx_call, operation, text)

    def _argument_error(self, message):
        return error_for(self.lib, DFX_ERR_INVALID_ARGUMENT, "invalid argument: " + message)

    def call(self, operation, params=None):
        """Any operation by the JavaScript client's "group.method" name, with its
        arguments in a dict by their JavaScript names: the same as
        api.http.<group>.<method>(...), e.g.
        `api.call("measurements.data", {"id": m, "data": chunk})`."""
        return self._operation(_arg(self.lib, operation, "operation"), params)

    def call_async(self, operation, params=None):
        """call() for asyncio: an awaitable asyncio Future of a Response."""
        return self._operation(_arg(self.lib, operation, "operation"), params, asynchronous=True)

    def operations(self):
        """The endpoint table (see dfx.operations())."""
        return _operations.operations(self.lib)

    def _take_string(self, fn, *args):
        out = native.OwnedString()
        _check(self.lib, fn(self._handle(), *args, ctypes.byref(out)))
        try:
            return ctypes.string_at(out).decode()
        finally:
            self.lib.dfx_string_free(out)

    def set_timeout_ms(self, ms):
        """The whole-request timeout in milliseconds (0: none; default 30000)."""
        _check(self.lib, self.lib.dfx_client_set_timeout_ms(self._handle(), ms))

    def set_trust(self, builtin=True, system=False):
        """Where trusted CAs come from besides the added ones: the built-in
        Mozilla roots and/or the system's store (both False: the added CAs
        only). Applies to connections made afterwards."""
        sources = (native.DFX_TRUST_BUILTIN if builtin else 0) | (native.DFX_TRUST_SYSTEM if system else 0)
        _check(self.lib, self.lib.dfx_client_set_trust(self._handle(), sources))

    def add_ca_pem(self, pem):
        """Also trust the CA certificate(s) of a PEM text (str or bytes)."""
        data = pem.encode("utf-8", "surrogatepass") if isinstance(pem, str) else bytes(pem)
        _check(self.lib, self.lib.dfx_client_add_ca_pem(self._handle(), data, len(data)))

    def add_ca_file(self, path):
        """Also trust the CA certificate(s) of a PEM file."""
        _check(self.lib, self.lib.dfx_client_add_ca_file(self._handle(), _arg(self.lib, str(path), "path")))

    def set_auto_renew(self, seconds_before_expiry):
        """Renew a stored pair before a call whose token expires within this
        many seconds (0, the default, turns it off)."""
        _check(self.lib, self.lib.dfx_client_set_auto_renew(self._handle(), seconds_before_expiry))

    def measurement_stream(self, measurement_id, on_event=None):
        """Open a measurement stream (dfx_measurement_stream_open()) for a
        measurement made with measurements.create: a dfx.MeasurementStream.
        Over the socket when the server allows one, else over HTTP (the same
        events, without per-chunk results). `on_event(event)`, if given, also
        gets every event, on dfx's thread."""
        from ._stream import MeasurementStream  # noqa: PLC0415 (_stream builds on this module)
        return MeasurementStream(self, measurement_id, on_event)

    def close(self):
        """Free the client (idempotent), after closing its open measurement
        streams. Don't call it from a session listener or a stream's on_event."""
        for stream in list(self._streams):
            stream.close()
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def client(url=None, *, library=None, timeout_ms=None, auto_renew=None) -> Client:
    """A new client for `url` (None: the production cloud https://api.deepaffex.ai;
    plain http:// only on loopback, e.g. the dfx-sandbox). `library`: a path to
    libdfx, else see dfx.library_candidates()."""
    return Client(url, library=library, timeout_ms=timeout_ms, auto_renew=auto_renew)


# The session ----------------------------------------------------------------

def _field(field):
    if isinstance(field, int):
        return field  # a DFX_SESSION_* value; dfx validates it
    try:
        return SESSION_FIELDS.index(field)
    except ValueError:
        raise KeyError(f"{field!r} is not a session field: one of {', '.join(SESSION_FIELDS)}") from None


def _kind(kind):
    if isinstance(kind, int):
        return kind  # DFX_TOKEN_DEVICE or DFX_TOKEN_USER; dfx validates it
    try:
        return TOKEN_KINDS[kind]
    except KeyError:
        raise KeyError(f"{kind!r} is not a token kind: 'device' or 'user'") from None


class Session:
    """The client's token store, by the JavaScript client's keys (deviceToken,
    deviceRefreshToken, userToken, userRefreshToken, deviceId, userId, roleId).

    Calls read the token they need from it and store what they return. Set
    `listener` to persist every change before the call that made it returns.
    """

    def __init__(self, api):
        self._api = api
        self._listener = None

    def get(self, field):
        """One field's value ("" when unset)."""
        return self._api._take_string(self._api.lib.dfx_session_get, _field(field))

    __getitem__ = get

    def set(self, field, value):
        """Set one field; None or "" clears it. The listener hears of a change."""
        lib = self._api.lib
        _check(lib, lib.dfx_session_set(self._api._handle(), _field(field), _arg(lib, value, field)))

    __setitem__ = set

    def json(self):
        """The whole session as JSON text (every key present). It holds secrets."""
        return self._api._take_string(self._api.lib.dfx_session_to_json)

    def dict(self):
        """The whole session as a dict."""
        return json.loads(self.json())

    def load(self, session):
        """Replace the whole session with `session` (a dict or JSON text, as
        json()/dict() or the JavaScript client export it). All or nothing."""
        text = session if isinstance(session, (str, bytes)) else json.dumps(session)
        lib = self._api.lib
        _check(lib, lib.dfx_session_from_json(self._api._handle(), _arg(lib, text, "session")))

    @property
    def listener(self):
        return self._listener

    @listener.setter
    def listener(self, callback):
        """callback(session_dict) after every change, on the thread whose call
        changed the session, before that call returns. None removes it. An
        exception it raises is reported through sys.unraisablehook; dfx goes on."""
        lib = self._api.lib
        if callback is None:
            c_listener = native.DfxSessionListener()
        else:
            def trampoline(_user_data, text):
                callback(json.loads(text.decode()))
            c_listener = native.DfxSessionListener(trampoline)
        _check(lib, lib.dfx_client_set_session_listener(self._api._handle(), c_listener, None))
        # dfx no longer calls the old one; keep the new one alive until replaced or the client freed
        self._api._keepalive["listener"] = c_listener
        self._listener = callback

    def renew(self, kind):
        """Renew the stored pair of `kind` ("device" or "user"), single flight,
        and store the new pair. Returns the Response; OutcomeUnknownError if
        the answer was lost."""
        api = self._api
        return api._call(api.lib.dfx_session_renew, _kind(kind))

    def renew_async(self, kind):
        """renew() for asyncio: `r = await api.session.renew_async("device")`."""
        api = self._api
        return api._call_async(api.lib.dfx_session_renew_async, _kind(kind))

    def token_expiry(self, kind):
        """The stored token's JWT `exp` (Unix seconds; no signature check)."""
        exp = ctypes.c_int64()
        _check(self._api.lib, self._api.lib.dfx_session_token_expiry(self._api._handle(), _kind(kind),
                                                                     ctypes.byref(exp)))
        return exp.value


# Library-wide functions -----------------------------------------------------

def _lib(library=None):
    return library if isinstance(library, ctypes.CDLL) else native.load_library(library)


def operations(library=None):
    """The endpoint table: one dict per operation of api.http / api.aio / call(),
    in endpoints.json order ("operation", "group", "method", "http_method",
    "path", "bearer", "session_effect", "action_id", "params", "correction"),
    as dfx_operations_json() gives it."""
    return _operations.operations(_lib(library))


def version(library=None):
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return _lib(library).dfx_version().decode()


def status_name(status, library=None):
    """A DfxStatus value's constant name, e.g. "DFX_ERR_CONNECT"."""
    return _lib(library).dfx_status_name(status).decode()


def status_description(status, library=None):
    """A short English description of a DfxStatus value."""
    return _lib(library).dfx_status_description(status).decode()


def token_expiry(token, library=None):
    """Any JWT-shaped token's `exp` claim (Unix seconds; no signature check)."""
    lib = _lib(library)
    exp = ctypes.c_int64()
    _check(lib, lib.dfx_token_expiry(_arg(lib, token, "token"), ctypes.byref(exp)))
    return exp.value
