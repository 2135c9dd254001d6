"""dfx: the NuraLogix DeepAffex Cloud API from Python, over libdfx's C ABI
(ctypes; pure Python, nothing to compile).

    import dfx
    api = dfx.client(url="https://api.deepaffex.ai")
    r = api.http.auths.renew({"Token": token, "RefreshToken": refresh_token})
    if r.status == "200":
        token, refresh_token = r.body["Token"], r.body["RefreshToken"]

The shape is the JavaScript client's (@nuralogix.ai/dfx-api-client): the
same group and method names under `api.http`, `r.status` a string, `r.body`
parsed JSON, for all 133 operations of the API (`api.aio.<group>.<method>`
for asyncio; `api.call("group.method", {...})` by name; `dfx.operations()`
lists them). Arguments go positionally in the JavaScript order or by their
JavaScript names. A call that got no answer from the API raises a DfxError
subclass (`.name` "DFX_ERR_CONNECT", ..., `.message`).

libdfx is found by: the `library=` argument, the DFX_LIBRARY environment
variable, a copy next to this package, a source checkout's target/, then the
system's library path (see library_candidates()).

A measurement: `stream = api.measurement_stream(measurement_id)`, then
`stream.send_all(chunks)` (raw payload bytes) and `for event in stream`
(or `async for`): acknowledgements, each chunk's result, the final result.
"""
from ._native import (CONSTANTS, FUNCTIONS, LibraryNotFound, library_candidates,  # noqa: F401
                      load_library)
from ._client import (SESSION_FIELDS, TOKEN_KINDS, ArgumentError, Client, ConnectError, DfxError,  # noqa: F401
                      InternalError, InvalidMeasurementError, MeasurementClosedError, MeasurementRefusedError,
                      MisalignedChunkError, OutcomeUnknownError, RateLimitedError, Response, Session,
                      StreamEndedError, StreamError, StreamFullError, TransportError, WouldDeadlockError, client,
                      operations, status_description, status_name, token_expiry, version)
from ._stream import (FIRST, LAST, MIDDLE, ChunkPosition, MeasurementStream, StreamEvent,  # noqa: F401
                      StreamEventKind, StreamStats)

globals().update(CONSTANTS)  # DFX_OK, DFX_ERR_*, DFX_SESSION_*, DFX_TOKEN_*

__version__ = "0.1.0"
