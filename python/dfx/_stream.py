"""A measurement stream: chunks in, acknowledgements and results out
(dfx_measurement_stream_*).

    stream = api.measurement_stream(measurement_id)
    stream.send_all(chunks)                  # FIRST, MIDDLE..., LAST, with back-pressure
    for event in stream:                     # or: async for event in stream
        if event.kind == dfx.StreamEventKind.RESULT:
            show(event.chunk, event.json)
    final = stream.end.json                  # the measurement, COMPLETE, with its Results

dfx calls the stream's callback on one of its own threads; the package
copies each event there (the C event and its strings live only during the
callback) and queues it. Iterating (blocking or asyncio) takes events off
that queue, in order, and stops after the END event (or when the stream is
closed). `on_event=` also hands every event to a function of yours, on
dfx's thread.
"""
import asyncio
import collections
import ctypes
import enum
import json
import threading
import time
import weakref
from typing import Any, Callable, Iterable, List, NamedTuple, Optional, Union

from . import _native as native
from ._client import DfxError, StreamFullError, _arg, _check, error_for
from ._native import DFX_ERR_INVALID_ARGUMENT, DFX_ERR_WOULD_DEADLOCK, DFX_OK


class ChunkPosition(enum.IntEnum):
    """Where a chunk sits in its measurement (DFX_CHUNK_*)."""
    FIRST = native.DFX_CHUNK_FIRST
    MIDDLE = native.DFX_CHUNK_MIDDLE
    LAST = native.DFX_CHUNK_LAST


FIRST, MIDDLE, LAST = ChunkPosition.FIRST, ChunkPosition.MIDDLE, ChunkPosition.LAST


class StreamEventKind(enum.IntEnum):
    """What a StreamEvent reports (DFX_STREAM_*)."""
    CONNECTED = native.DFX_STREAM_CONNECTED
    ACK = native.DFX_STREAM_ACK
    RESULT = native.DFX_STREAM_RESULT
    CHUNK_ERROR = native.DFX_STREAM_CHUNK_ERROR
    END = native.DFX_STREAM_END


class StreamEvent(NamedTuple):
    """One event of a measurement stream, copied out of dfx's DfxStreamEvent.

    kind: a StreamEventKind. chunk: the chunk's number (0, 1, ...) for ACK,
    RESULT and CHUNK_ERROR; the connection count for CONNECTED (2 and more:
    a reconnect); 0 for END. status: DFX_OK or the failure's DfxStatus.
    json: the event's JSON parsed (a RESULT's chunk result; END's measurement
    with its final Results; a refusal's answer body), else None. text: the
    same JSON as text. message: the failure's words, else None. websocket:
    CONNECTED over the socket (False: HTTP). error: the DfxError subclass for
    a failed CHUNK_ERROR or END (MisalignedChunkError, ...), else None.
    """
    kind: StreamEventKind
    chunk: int
    status: int
    json: Any
    text: Optional[str]
    message: Optional[str]
    websocket: bool
    error: Optional[DfxError]

    @property
    def ok(self) -> bool:
        return self.status == DFX_OK


class StreamStats(NamedTuple):
    """A stream's counters (DfxStreamStats)."""
    connections: int
    resent_chunks: int
    dropped_frames: int
    websocket: bool


def _copy_event(lib, raw) -> StreamEvent:
    """The C event as a StreamEvent: everything copied (valid only now)."""
    text = None
    parsed = None
    if raw.json is not None:
        text = raw.json.decode("utf-8", "replace")  # ctypes copied it, up to its NUL (json_len bytes)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None  # text keeps it
    message = raw.message.decode("utf-8", "replace") if raw.message is not None else None
    status = raw.status
    error = error_for(lib, status, message or "") if status != DFX_OK else None
    try:
        kind = StreamEventKind(raw.kind)
    except ValueError:  # a kind added after this package: passed on as its number
        kind = raw.kind
    return StreamEvent(kind, raw.chunk, status, parsed, text, message, bool(raw.websocket), error)


class _State:
    """What dfx's thread and the caller's share. The C callback refers to
    this, not to the MeasurementStream, so that an abandoned stream can be
    garbage collected (and freed)."""

    def __init__(self, lib, on_event):
        self.lib = lib
        self.on_event = on_event
        self.cond = threading.Condition()
        self.events: collections.deque = collections.deque()  # not yet taken by an iterator
        self.end: Optional[StreamEvent] = None  # the END event, once it came
        self.acks = 0  # how many ACK events came (send_all waits for the next)
        self.closed = False  # freed: no event comes any more
        self.waiters: List[tuple] = []  # (loop, future) of asyncio code waiting for any event
        self.in_callback = threading.local()

    def wake(self):
        """Called with cond held: every waiter (threads and event loops)."""
        self.cond.notify_all()
        waiters, self.waiters = self.waiters, []
        for loop, future in waiters:
            try:
                loop.call_soon_threadsafe(_settle, future)
            except RuntimeError:
                pass  # that event loop is closed: nobody waits there

    def callback(self, _user_data, event_p):
        event = _copy_event(self.lib, event_p.contents)
        with self.cond:
            self.events.append(event)
            if event.kind == StreamEventKind.ACK:
                self.acks += 1
            elif event.kind == StreamEventKind.END:
                self.end = event
            self.wake()
        if self.on_event is not None:
            self.in_callback.active = True
            try:
                self.on_event(event)  # an exception goes to sys.unraisablehook (ctypes)
            finally:
                self.in_callback.active = False


def _settle(future):
    if not future.done():
        future.set_result(None)


def _free_stream(lib, holder, state, _c_callback, _api):
    """Free the C stream once (close(), `with`, or garbage collection). The
    ctypes callback and the client are arguments so that they outlive it."""
    with holder.lock:
        handle, holder.handle = holder.handle, None
    if handle is not None:
        lib.dfx_measurement_stream_free(handle)  # waits for a running callback (ctypes released the GIL)
    with state.cond:
        state.closed = True
        state.wake()


class _Holder:
    """The C handle, under a lock: send_chunk() and stats() never race free()."""

    def __init__(self, handle):
        self.handle = handle
        self.lock = threading.Lock()


Chunk = Union[bytes, bytearray, memoryview]


class MeasurementStream:
    """A measurement stream (DfxStream): made by api.measurement_stream(id).

    send_chunk(data, position) hands dfx the next chunk's raw bytes; events
    come back in order: CONNECTED, then per chunk ACK (and RESULT over the
    socket), then END (its `json` the measurement with its final Results, or
    why the stream ended early). Iterate it (`for event in stream`, or
    `async for` under asyncio), or wait() for the end. close() (or a `with`
    block, or garbage collection) frees it; no event comes after. Close every
    stream before its client (the client's close() closes them).
    """

    def __init__(self, api, measurement_id: str, on_event: Optional[Callable[[StreamEvent], Any]] = None):
        lib = api.lib
        self._lib = lib
        self.measurement_id = measurement_id
        self._state = state = _State(lib, on_event)
        c_callback = native.DfxStreamCallback(state.callback)
        handle = native.StreamP()
        _check(lib, lib.dfx_measurement_stream_open(api._handle(), _arg(lib, measurement_id, "measurement_id"),
                                                     c_callback, None, ctypes.byref(handle)))
        self._holder = _Holder(handle)
        self._finalizer = weakref.finalize(self, _free_stream, lib, self._holder, state, c_callback, api)
        api._streams.add(self)
        self._iteration_over = False

    # Sending ----------------------------------------------------------------

    def send_chunk(self, data: Chunk, position: Union[ChunkPosition, int, str]) -> int:
        """Hand dfx the next chunk (the extraction library's payload as it is:
        dfx does the base64 and the JSON) at `position` (FIRST, MIDDLE, LAST,
        or "first"/"middle"/"last"). Never blocks. Returns the chunk's number,
        which its events carry. StreamFullError: DFX_STREAM_MAX_UNACKED chunks
        await their acknowledgement (nothing taken; send it again after the
        next ACK, as send_all() does); StreamEndedError: after LAST, or the
        stream ended; ArgumentError: empty, over DFX_STREAM_MAX_CHUNK_BYTES, or
        an unknown position."""
        position = _position(self._lib, position)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"a chunk must be bytes, bytearray or memoryview, not {type(data).__name__}")
        buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data) if len(data) else None
        number = ctypes.c_uint32()
        with self._holder.lock:
            handle = self._open_handle()
            status = self._lib.dfx_measurement_stream_send_chunk(handle, buffer, len(data), position,
                                                                 ctypes.byref(number))
            if status != DFX_OK:
                raise error_for(self._lib, status)
        return number.value

    def send_all(self, chunks: Iterable[Chunk], timeout: Optional[float] = None) -> List[int]:
        """Send every chunk of a measurement in order (the first as FIRST, the
        last as LAST, at least two), each as soon as the stream takes it: on
        StreamFullError it waits for the next acknowledgement and sends the
        same chunk again. Returns their numbers. Raises StreamEndedError if
        the stream ends first (its END event says why), TimeoutError if
        `timeout` seconds pass. Not from this stream's on_event (it would
        wait for itself: WouldDeadlockError)."""
        chunks = list(chunks)
        self._not_in_callback("send_all")
        deadline = None if timeout is None else time.monotonic() + timeout
        numbers = []
        for i, data in enumerate(chunks):
            position = _position_of(self._lib, i, len(chunks))
            while True:
                number, acks = self._try_send(data, position)
                if number is not None:
                    numbers.append(number)
                    break
                with self._state.cond:
                    while not self._moved_on(acks):
                        left = None if deadline is None else deadline - time.monotonic()
                        if left is not None and left <= 0:
                            raise TimeoutError(f"chunk {i} was not taken within {timeout} s")
                        self._state.cond.wait(left)
        return numbers

    async def send_all_async(self, chunks: Iterable[Chunk]) -> List[int]:
        """send_all() for asyncio: waits for acknowledgements without blocking
        the event loop."""
        chunks = list(chunks)
        loop = asyncio.get_running_loop()
        numbers = []
        for i, data in enumerate(chunks):
            position = _position_of(self._lib, i, len(chunks))
            while True:
                number, acks = self._try_send(data, position)
                if number is not None:
                    numbers.append(number)
                    break
                while True:
                    with self._state.cond:
                        if self._moved_on(acks):
                            break
                        future = loop.create_future()
                        self._state.waiters.append((loop, future))
                    await future
        return numbers

    def _try_send(self, data, position):
        """(the chunk's number, None) if the stream took it, else (None, the
        acknowledgements counted before trying): wait until that changes."""
        with self._state.cond:
            acks = self._state.acks
        try:
            return self.send_chunk(data, position), None
        except StreamFullError:
            return None, acks

    def _moved_on(self, acks):
        """Whether a chunk was acknowledged since `acks`, or the stream
        ended or closed (hold self._state.cond)."""
        state = self._state
        return state.acks != acks or state.end is not None or state.closed

    # Events -----------------------------------------------------------------

    def __iter__(self):
        return self

    def __next__(self) -> StreamEvent:
        """The next event, blocking until it comes; StopIteration after END
        (or once the stream is closed and every event before was taken)."""
        state = self._state
        with state.cond:
            while True:
                event = self._take()
                if event is not None:
                    return event
                if self._iteration_over or state.closed:
                    raise StopIteration
                state.cond.wait()

    def __aiter__(self):
        return self

    async def __anext__(self) -> StreamEvent:
        """The next event, awaited on the running event loop (dfx hands it
        over with call_soon_threadsafe); StopAsyncIteration after END."""
        loop = asyncio.get_running_loop()
        state = self._state
        while True:
            with state.cond:
                event = self._take()
                if event is not None:
                    return event
                if self._iteration_over or state.closed:
                    raise StopAsyncIteration
                future = loop.create_future()
                state.waiters.append((loop, future))
            await future

    def _take(self):
        """With cond held: the next queued event, or None."""
        if self._iteration_over or not self._state.events:
            return None
        event = self._state.events.popleft()
        if event.kind == StreamEventKind.END:
            self._iteration_over = True
        return event

    @property
    def end(self) -> Optional[StreamEvent]:
        """The END event once it came (whether or not it was iterated), else None."""
        with self._state.cond:
            return self._state.end

    def wait(self, timeout: Optional[float] = None) -> Optional[StreamEvent]:
        """Block until the stream has ended, at most `timeout` seconds (None:
        no limit). Returns the END event, or None if the stream has not ended
        yet (or was closed before it did). Not from this stream's on_event
        (WouldDeadlockError)."""
        self._not_in_callback("wait")
        deadline = None if timeout is None else time.monotonic() + timeout
        state = self._state
        with state.cond:
            while state.end is None and not state.closed:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                state.cond.wait(left)
            return state.end

    def stats(self) -> StreamStats:
        """The stream's counters (dfx_measurement_stream_stats())."""
        out = native.DfxStreamStats()
        with self._holder.lock:
            status = self._lib.dfx_measurement_stream_stats(self._open_handle(), ctypes.byref(out))
            if status != DFX_OK:
                raise error_for(self._lib, status)
        return StreamStats(out.connections, out.resent_chunks, out.dropped_frames, bool(out.websocket))

    # Lifetime ---------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Free the stream (idempotent; also from its on_event): its socket
        closes, chunks not yet acknowledged are dropped (the measurement stays
        as the server has it), and no event comes after. Iterators stop once
        they have taken the events that came before."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self.closed else ("ended" if self.end is not None else "open")
        return f"<dfx.MeasurementStream {self.measurement_id} {state}>"

    def _open_handle(self):
        """With the holder's lock held: the handle, or ValueError once closed."""
        if self._holder.handle is None:
            raise ValueError("the measurement stream is closed")
        return self._holder.handle

    def _not_in_callback(self, what):
        if getattr(self._state.in_callback, "active", False):
            raise error_for(self._lib, DFX_ERR_WOULD_DEADLOCK,
                            f"{what}() from this stream's own on_event would wait for itself")


_POSITIONS = {"first": ChunkPosition.FIRST, "middle": ChunkPosition.MIDDLE, "last": ChunkPosition.LAST}


def _position(lib, position):
    if isinstance(position, str):
        try:
            return _POSITIONS[position.lower()]
        except KeyError:
            raise error_for(lib, DFX_ERR_INVALID_ARGUMENT,
                            f"a chunk position is FIRST, MIDDLE or LAST, not {position!r}") from None
    if isinstance(position, bool) or not isinstance(position, int):
        raise TypeError(f"a chunk position is a dfx.ChunkPosition, not {type(position).__name__}")
    return int(position)  # dfx judges an unknown number (DFX_ERR_INVALID_ARGUMENT)


def _position_of(lib, i, count):
    if count < 2:
        raise error_for(lib, DFX_ERR_INVALID_ARGUMENT,
                        f"a measurement has at least two chunks (FIRST and LAST), not {count}")
    return ChunkPosition.FIRST if i == 0 else ChunkPosition.LAST if i == count - 1 else ChunkPosition.MIDDLE


__all__ = ["ChunkPosition", "FIRST", "MIDDLE", "LAST", "StreamEventKind", "StreamEvent", "StreamStats",
           "MeasurementStream"]
