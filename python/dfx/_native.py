"""The C ABI of libdfx, declared for ctypes: one line per function of
include/dfx.h, and how the library is found.

Every function has its argtypes and restype (without them ctypes passes
and returns C ints and truncates 64-bit pointers). tests/python checks this
table against the header, type by type, so the two cannot drift apart: a
function added to the header is one line here.
"""
import ctypes
import ctypes.util
import os
import sys
from ctypes import (POINTER, c_char, c_char_p, c_int32, c_int64, c_size_t, c_uint8, c_uint16, c_uint32, c_uint64,
                    c_void_p)
from pathlib import Path


class DfxClient(ctypes.Structure):
    """Opaque `DfxClient`: only ever handled through a pointer."""


class DfxResponse(ctypes.Structure):
    """Opaque `DfxResponse`: only ever handled through a pointer."""


class DfxStream(ctypes.Structure):
    """Opaque `DfxStream` (a measurement stream): only ever handled through a pointer."""


class DfxStreamEvent(ctypes.Structure):
    """`DfxStreamEvent`: one event of a measurement stream, valid only during
    the callback (its strings too: copy what you keep)."""
    _fields_ = [
        ("kind", c_uint32),        # DfxStreamEventKind: DFX_STREAM_CONNECTED, _ACK, _RESULT, _CHUNK_ERROR, _END
        ("status", c_int32),       # DfxStatus
        ("chunk", c_uint32),
        ("websocket", c_int32),
        ("json", c_char_p),
        ("json_len", c_size_t),
        ("message", c_char_p),
    ]


class DfxStreamStats(ctypes.Structure):
    """`DfxStreamStats`: a measurement stream's counters."""
    _fields_ = [
        ("connections", c_uint64),
        ("resent_chunks", c_uint64),
        ("dropped_frames", c_uint64),
        ("websocket", c_int32),
    ]


# The header's types, by their C names.
DfxStatus = c_int32
DfxSessionField = c_int32
DfxTokenKind = c_int32
DfxChunkPosition = c_uint32
DfxStreamEventKind = c_uint32
ClientP = POINTER(DfxClient)
ResponseP = POINTER(DfxResponse)
StreamP = POINTER(DfxStream)
# `char *` handed out for the caller to free: kept as a raw pointer (c_char_p
# would turn it into bytes and lose the address dfx_string_free needs).
OwnedString = POINTER(c_char)
# typedef void (*DfxSessionListener)(void *user_data, const char *session_json);
DfxSessionListener = ctypes.CFUNCTYPE(None, c_void_p, c_char_p)
# typedef void (*DfxCallback)(void *user_data, DfxStatus status, DfxResponse *response);
DfxCallback = ctypes.CFUNCTYPE(None, c_void_p, DfxStatus, ResponseP)
# typedef void (*DfxStreamCallback)(void *user_data, const DfxStreamEvent *event);
DfxStreamCallback = ctypes.CFUNCTYPE(None, c_void_p, POINTER(DfxStreamEvent))

_s, _out_response = c_char_p, POINTER(ResponseP)

# name: (restype, argtypes), in the header's order.
FUNCTIONS = {
    "dfx_client_new": (DfxStatus, [_s, POINTER(ClientP)]),
    "dfx_client_free": (None, [ClientP]),
    "dfx_client_set_timeout_ms": (DfxStatus, [ClientP, c_uint64]),
    "dfx_client_set_trust": (DfxStatus, [ClientP, c_uint32]),
    "dfx_client_add_ca_pem": (DfxStatus, [ClientP, _s, c_size_t]),
    "dfx_client_add_ca_file": (DfxStatus, [ClientP, _s]),
    "dfx_client_cancel": (DfxStatus, [ClientP, c_uint64]),
    "dfx_session_get": (DfxStatus, [ClientP, DfxSessionField, POINTER(OwnedString)]),
    "dfx_session_set": (DfxStatus, [ClientP, DfxSessionField, _s]),
    "dfx_session_to_json": (DfxStatus, [ClientP, POINTER(OwnedString)]),
    "dfx_session_from_json": (DfxStatus, [ClientP, _s]),
    "dfx_client_set_session_listener": (DfxStatus, [ClientP, DfxSessionListener, c_void_p]),
    "dfx_session_renew": (DfxStatus, [ClientP, DfxTokenKind, _out_response]),
    "dfx_session_renew_async": (DfxStatus, [ClientP, DfxTokenKind, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_session_token_expiry": (DfxStatus, [ClientP, DfxTokenKind, POINTER(c_int64)]),
    "dfx_token_expiry": (DfxStatus, [_s, POINTER(c_int64)]),
    "dfx_client_set_auto_renew": (DfxStatus, [ClientP, c_uint32]),
    "dfx_auth_renew": (DfxStatus, [ClientP, _s, _s, _out_response]),
    "dfx_auth_renew_async": (DfxStatus, [ClientP, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_auth_request_login_code": (DfxStatus, [ClientP, _s, _s, _out_response]),
    "dfx_auth_request_login_code_async": (DfxStatus, [ClientP, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_auth_request_reset_password_link": (DfxStatus, [ClientP, _s, _s, _out_response]),
    "dfx_auth_request_reset_password_link_async":
        (DfxStatus, [ClientP, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_auth_send_reset_mobile": (DfxStatus, [ClientP, _s, _s, _out_response]),
    "dfx_auth_send_reset_mobile_async": (DfxStatus, [ClientP, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_auth_generate_token": (DfxStatus, [ClientP, _s, _s, _out_response]),
    "dfx_auth_generate_token_async": (DfxStatus, [ClientP, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_auth_get_org_client_credentials": (DfxStatus, [ClientP, _s, _out_response]),
    "dfx_auth_get_org_client_credentials_async":
        (DfxStatus, [ClientP, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_organization_register_license": (DfxStatus, [ClientP, _s, _s, _s, _s, _s, _out_response]),
    "dfx_organization_register_license_async":
        (DfxStatus, [ClientP, _s, _s, _s, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_organization_unregister_license": (DfxStatus, [ClientP, _out_response]),
    "dfx_organization_unregister_license_async": (DfxStatus, [ClientP, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_organization_login": (DfxStatus, [ClientP, _s, _s, _s, _s, _out_response]),
    "dfx_organization_login_async": (DfxStatus, [ClientP, _s, _s, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_user_login": (DfxStatus, [ClientP, _s, _s, _s, _out_response]),
    "dfx_user_login_async": (DfxStatus, [ClientP, _s, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_user_login_with_phone_code": (DfxStatus, [ClientP, _s, _s, _s, _out_response]),
    "dfx_user_login_with_phone_code_async":
        (DfxStatus, [ClientP, _s, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_general_verify_token": (DfxStatus, [ClientP, _s, _out_response]),
    "dfx_general_verify_token_async": (DfxStatus, [ClientP, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_general_status": (DfxStatus, [ClientP, _out_response]),
    "dfx_general_status_async": (DfxStatus, [ClientP, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_call": (DfxStatus, [ClientP, _s, _s, _out_response]),
    "dfx_call_async": (DfxStatus, [ClientP, _s, _s, DfxCallback, c_void_p, POINTER(c_uint64)]),
    "dfx_operations_json": (_s, []),
    "dfx_measurement_stream_open": (DfxStatus, [ClientP, _s, DfxStreamCallback, c_void_p, POINTER(StreamP)]),
    "dfx_measurement_stream_send_chunk":
        (DfxStatus, [StreamP, POINTER(c_uint8), c_size_t, DfxChunkPosition, POINTER(c_uint32)]),
    "dfx_measurement_stream_wait": (DfxStatus, [StreamP, c_uint32]),
    "dfx_measurement_stream_stats": (DfxStatus, [StreamP, POINTER(DfxStreamStats)]),
    "dfx_measurement_stream_free": (None, [StreamP]),
    "dfx_response_status": (c_uint16, [ResponseP]),
    "dfx_response_body": (_s, [ResponseP]),
    "dfx_response_get_string": (_s, [ResponseP, _s]),
    "dfx_response_error_code": (_s, [ResponseP]),
    "dfx_response_error_message": (_s, [ResponseP]),
    "dfx_response_free": (None, [ResponseP]),
    "dfx_string_free": (None, [OwnedString]),
    "dfx_status_name": (_s, [DfxStatus]),
    "dfx_status_description": (_s, [DfxStatus]),
    "dfx_last_error_message": (_s, []),
    "dfx_version": (_s, []),
}

# The header's integer constants (append-only; checked against the header too).
CONSTANTS = {
    "DFX_TRUST_BUILTIN": 1,
    "DFX_TRUST_SYSTEM": 2,
    "DFX_SESSION_DEVICE_TOKEN": 0,
    "DFX_SESSION_DEVICE_REFRESH_TOKEN": 1,
    "DFX_SESSION_USER_TOKEN": 2,
    "DFX_SESSION_USER_REFRESH_TOKEN": 3,
    "DFX_SESSION_DEVICE_ID": 4,
    "DFX_SESSION_USER_ID": 5,
    "DFX_SESSION_ROLE_ID": 6,
    "DFX_TOKEN_DEVICE": 0,
    "DFX_TOKEN_USER": 1,
    "DFX_OK": 0,
    "DFX_ERR_NULL_ARGUMENT": 1,
    "DFX_ERR_INVALID_ARGUMENT": 2,
    "DFX_ERR_INVALID_UTF8": 3,
    "DFX_ERR_INVALID_URL": 4,
    "DFX_ERR_API": 5,
    "DFX_ERR_CONNECT": 6,
    "DFX_ERR_TIMEOUT": 7,
    "DFX_ERR_TLS": 8,
    "DFX_ERR_DECODE": 9,
    "DFX_ERR_TRUNCATED": 10,
    "DFX_ERR_CONNECTION_LOST": 11,
    "DFX_ERR_REDIRECT": 12,
    "DFX_ERR_OUTCOME_UNKNOWN": 13,
    "DFX_ERR_CANCELLED": 14,
    "DFX_ERR_WOULD_DEADLOCK": 15,
    "DFX_ERR_TRANSPORT": 16,
    "DFX_ERR_INTERNAL": 17,
    "DFX_ERR_STREAM_FULL": 18,
    "DFX_ERR_RATE_LIMITED": 19,
    "DFX_ERR_MEASUREMENT_CLOSED": 20,
    "DFX_ERR_MISALIGNED_CHUNK": 21,
    "DFX_ERR_INVALID_MEASUREMENT": 22,
    "DFX_ERR_STREAM_ENDED": 23,
    "DFX_STREAM_MAX_UNACKED": 8,
    "DFX_STREAM_MAX_CHUNK_BYTES": 8388608,
    "DFX_CHUNK_FIRST": 0,
    "DFX_CHUNK_MIDDLE": 1,
    "DFX_CHUNK_LAST": 2,
    "DFX_STREAM_CONNECTED": 1,
    "DFX_STREAM_ACK": 2,
    "DFX_STREAM_RESULT": 3,
    "DFX_STREAM_CHUNK_ERROR": 4,
    "DFX_STREAM_END": 5,
}
globals().update(CONSTANTS)


class LibraryNotFound(OSError):
    """libdfx could not be loaded from any of the places tried."""


if sys.platform == "win32":
    LIBRARY_NAMES = ("dfx.dll",)
elif sys.platform == "darwin":
    LIBRARY_NAMES = ("libdfx.dylib", "libdfx.0.dylib")
else:
    LIBRARY_NAMES = ("libdfx.so", "libdfx.so.0")

PACKAGE_DIR = Path(__file__).resolve().parent


def library_candidates(path=None):
    """Where libdfx is looked for, in order, as (where, path-or-name) pairs:

    1. `path`, if given;
    2. the DFX_LIBRARY environment variable, if set;
    3. next to the package: the copy `pip install` built into dfx/ (setup.py);
    4. a source checkout the package sits in: target/debug, then target/release
       (so `python3 examples/quickstart.py` works right after `cargo build`);
    5. the system's library search path (ldconfig, LD_LIBRARY_PATH, ...).

    When 1 or 2 is given, it is the only candidate: a wrong explicit path is an
    error, never a silent fall-back to some other copy.
    """
    if path:
        return [("explicit path", str(path))]
    env = os.environ.get("DFX_LIBRARY")
    if env:
        return [("DFX_LIBRARY", env)]
    found = []
    for name in LIBRARY_NAMES:
        found.append(("next to the package", str(PACKAGE_DIR / name)))
    checkout = PACKAGE_DIR.parent.parent
    if (checkout / "Cargo.toml").is_file() and (checkout / "include" / "dfx.h").is_file():
        for profile in ("debug", "release"):
            found.append(("source checkout", str(checkout / "target" / profile / LIBRARY_NAMES[0])))
    system = ctypes.util.find_library("dfx")
    for name in ([system] if system else []) + list(LIBRARY_NAMES[::-1]):
        found.append(("system", name))
    return found


def declare(lib):
    """Set argtypes and restype of every function in FUNCTIONS on `lib`."""
    missing = [name for name in FUNCTIONS if not hasattr(lib, name)]
    if missing:
        raise LibraryNotFound(f"{lib._name} is not a matching libdfx: it lacks {', '.join(missing)}")
    for name, (restype, argtypes) in FUNCTIONS.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


_loaded = {}


def load_library(path=None):
    """Load libdfx (see library_candidates) with every function declared.
    The same file is loaded and declared once per process."""
    tried = []
    for where, candidate in library_candidates(path):
        explicit = where in ("explicit path", "DFX_LIBRARY")
        if where != "system" and not explicit and not os.path.exists(candidate):
            continue
        if candidate in _loaded:
            return _loaded[candidate]
        try:
            lib = ctypes.CDLL(candidate)
        except OSError as e:
            tried.append(f"{where}: {candidate} ({e})")
            continue
        _loaded[candidate] = declare(lib)
        return _loaded[candidate]
    raise LibraryNotFound("libdfx not found; tried " + "; ".join(tried) +
                          ". Pass library=PATH or set DFX_LIBRARY=/path/to/" + LIBRARY_NAMES[0])
