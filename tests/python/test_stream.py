"""dfx.MeasurementStream against a running dfx-sandbox (DFX_SANDBOX_URL):
chunks in, every acknowledgement and result out once and in order, over the
socket and over HTTP, blocking and asyncio; back-pressure; the server's
refusals as their classes; closing with chunks in flight; the example."""
import asyncio
import ctypes
import gc
import os
import re
import subprocess
import sys
import threading
import time
import unittest
import weakref
from pathlib import Path

import dfx
from dfx import _native as native
from sandbox import (URL as SANDBOX, chunk_results, clear_faults, measurement_stats, rate_limit, reset,
                     results_delay, ws_drop, ws_refuse)

ROOT = Path(__file__).resolve().parents[2]
HEADER = (ROOT / "include" / "dfx.h").read_text()
LIB = dfx.load_library()
STUDY = "5b0e8d3c-2f4a-4e61-9c7d-1a2b3c4d5e60"  # the sandbox's seed study (sandbox/README.md)
Kind = dfx.StreamEventKind


def payloads(count, size=2048):
    """Deterministic chunk payloads, each different (the sandbox's results depend on them)."""
    return [bytes((i * 31 + j * 7) % 256 for j in range(size + i)) for i in range(count)]


def of_kind(events, kind):
    return [e for e in events if e.kind == kind]


class LayoutTest(unittest.TestCase):
    """The ctypes structs are the header's, field by field (no library needed)."""

    C = {"DfxStreamEventKind": ctypes.c_uint32, "DfxStatus": ctypes.c_int32, "uint32_t": ctypes.c_uint32,
         "int32_t": ctypes.c_int32, "uint64_t": ctypes.c_uint64, "size_t": ctypes.c_size_t,
         "const char *": ctypes.c_char_p}

    def fields(self, name):
        body = re.search(r"typedef struct \{([^{}]*)\} " + name + ";", HEADER).group(1)
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        return [(m.group(2), self.C[" ".join(m.group(1).split())])
                for m in re.finditer(r"([\w\s]+?\*?)\s*\b(\w+);", body)]

    def test_structs_match_the_header(self):
        for name in ("DfxStreamEvent", "DfxStreamStats"):
            with self.subTest(name):
                declared = [(f, t) for f, t in getattr(native, name)._fields_]
                self.assertEqual(declared, self.fields(name))

    def test_enums_are_the_header_constants(self):
        self.assertEqual([int(p) for p in dfx.ChunkPosition], [dfx.DFX_CHUNK_FIRST, dfx.DFX_CHUNK_MIDDLE,
                                                                dfx.DFX_CHUNK_LAST])
        self.assertEqual({k.name: int(k) for k in Kind},
                         {n[len("DFX_STREAM_"):]: v for n, v in native.CONSTANTS.items()
                          if n.startswith("DFX_STREAM_") and not n.startswith("DFX_STREAM_MAX")})

    def test_error_classes(self):
        cases = {dfx.DFX_ERR_STREAM_FULL: dfx.StreamFullError, dfx.DFX_ERR_STREAM_ENDED: dfx.StreamEndedError,
                 dfx.DFX_ERR_RATE_LIMITED: dfx.RateLimitedError,
                 dfx.DFX_ERR_MEASUREMENT_CLOSED: dfx.MeasurementClosedError,
                 dfx.DFX_ERR_MISALIGNED_CHUNK: dfx.MisalignedChunkError,
                 dfx.DFX_ERR_INVALID_MEASUREMENT: dfx.InvalidMeasurementError}
        from dfx._client import error_for
        for status, cls in cases.items():
            e = error_for(LIB, status, "words")
            self.assertIs(type(e), cls)
            self.assertIsInstance(e, dfx.StreamError)
            self.assertEqual(e.name, dfx.status_name(status))
        for cls in (dfx.RateLimitedError, dfx.MeasurementClosedError, dfx.MisalignedChunkError,
                    dfx.InvalidMeasurementError):
            self.assertTrue(issubclass(cls, dfx.MeasurementRefusedError))


class StreamTestCase(unittest.TestCase):
    def setUp(self):
        reset()
        clear_faults()
        self.api = dfx.client(url=SANDBOX, library=LIB)
        r = self.api.http.organizations.registerLicense({"Key": "DFX-SANDBOX-LICENSE", "DeviceTypeID": "LINUX",
                                                         "Name": "stream test", "Identifier": "dfxdemo",
                                                         "Version": "1.0"})
        self.assertEqual(r.status, "200")
        r = self.api.http.users.login({"Email": "developer@example.com", "Password": "sandbox-password"})
        self.assertEqual(r.status, "200")

    def tearDown(self):
        self.api.close()
        clear_faults()

    def measurement(self):
        r = self.api.http.measurements.create({"StudyID": STUDY, "Resolution": 100})
        self.assertEqual(r.status, "200", r.body)
        return r.body["ID"]

    def check_complete(self, mid, events, count, websocket=True, connections=1):
        """`count` chunks: one ACK and (over the socket) one RESULT each, in
        order, the results the server computed, then END with COMPLETE."""
        connected = of_kind(events, Kind.CONNECTED)
        self.assertEqual(events[0], connected[0])
        self.assertEqual([e.chunk for e in connected], list(range(1, connections + 1)))
        self.assertEqual({e.websocket for e in connected}, {websocket})
        self.assertEqual([e.chunk for e in of_kind(events, Kind.ACK)], list(range(count)))
        results = of_kind(events, Kind.RESULT)
        if websocket:
            self.assertEqual([e.chunk for e in results], list(range(count)))
            self.assertEqual([e.json for e in results], chunk_results(mid))
            for e in results:
                self.assertEqual(e.json["MeasurementDataID"], f"{mid}:{e.chunk}")
                self.assertIn("HR_BPM", e.json["Channels"])
        else:
            self.assertEqual(results, [])
        # A chunk's result never comes before its acknowledgement (after a
        # reconnect the server replays results before the resent chunks' acks).
        for e in results if connections == 1 else []:
            acked_before = [a.chunk for a in events[:events.index(e)] if a.kind == Kind.ACK]
            self.assertIn(e.chunk, acked_before)
        self.assertEqual(of_kind(events, Kind.CHUNK_ERROR), [])
        end = events[-1]
        self.assertEqual(end.kind, Kind.END)
        self.assertEqual(len(of_kind(events, Kind.END)), 1)
        self.assertTrue(end.ok, end.message)
        self.assertIsNone(end.error)
        self.assertEqual((end.json["ID"], end.json["StatusID"]), (mid, "COMPLETE"))
        stats = measurement_stats(mid)
        self.assertEqual(stats["ChunksAccepted"], count)
        self.assertEqual(stats["StatusID"], "COMPLETE")


class SocketTest(StreamTestCase):
    def test_twenty_chunks_every_ack_and_result_once_in_order(self):
        mid = self.measurement()
        with self.api.measurement_stream(mid) as stream:
            numbers = stream.send_all(payloads(20), timeout=30)
            self.assertEqual(numbers, list(range(20)))
            events = list(stream)
            self.assertIs(stream.wait(0), events[-1])
            self.assertIs(stream.end, events[-1])
            stats = stream.stats()
            self.assertEqual((stats.connections, stats.resent_chunks, stats.websocket), (1, 0, True))
            self.assertEqual(list(stream), [])  # iteration is over after END
            with self.assertRaises(dfx.StreamEndedError):
                stream.send_chunk(b"more", dfx.MIDDLE)
        self.check_complete(mid, events, 20)
        self.assertEqual(measurement_stats(mid)["Duplicates"], 0)

    def test_chunk_numbers_positions_and_argument_errors(self):
        mid = self.measurement()
        with self.api.measurement_stream(mid) as stream:
            with self.assertRaises(dfx.ArgumentError):
                stream.send_chunk(b"", dfx.FIRST)
            with self.assertRaises(dfx.ArgumentError):
                stream.send_chunk(b"x", 7)
            with self.assertRaises(dfx.ArgumentError):
                stream.send_chunk(b"x", "second")
            with self.assertRaises(TypeError):
                stream.send_chunk("text", dfx.FIRST)
            with self.assertRaises(dfx.ArgumentError):
                stream.send_chunk(bytes(dfx.DFX_STREAM_MAX_CHUNK_BYTES + 1), dfx.FIRST)
            # Nothing was taken by the refusals: the first chunk is number 0.
            self.assertEqual(stream.send_chunk(b"first", "first"), 0)
            self.assertEqual(stream.send_chunk(bytearray(b"middle"), dfx.ChunkPosition.MIDDLE), 1)
            self.assertEqual(stream.send_chunk(memoryview(b"last"), dfx.DFX_CHUNK_LAST), 2)
            with self.assertRaises(dfx.StreamEndedError):
                stream.send_chunk(b"after last", dfx.MIDDLE)
            end = stream.wait(30)
            self.assertIsNotNone(end)
            self.assertTrue(end.ok, end.message)
        with self.assertRaises(dfx.ArgumentError):
            self.api.measurement_stream("")

    def test_on_event_gets_every_event_on_dfx_thread(self):
        mid = self.measurement()
        heard, threads = [], set()

        def on_event(event):
            heard.append(event)
            threads.add(threading.get_ident())

        with self.api.measurement_stream(mid, on_event=on_event) as stream:
            stream.send_all(payloads(5), timeout=30)
            events = list(stream)
        self.assertEqual(heard, events)
        self.assertNotIn(threading.get_ident(), threads)
        self.check_complete(mid, events, 5)

    def test_blocking_calls_from_on_event_would_deadlock(self):
        mid = self.measurement()
        raised = []

        def on_event(event):
            if event.kind == Kind.ACK and not raised:
                for call in (lambda: stream.wait(1), lambda: stream.send_all([b"a", b"b"], timeout=1)):
                    try:
                        call()
                    except dfx.WouldDeadlockError as e:
                        raised.append(e)

        with self.api.measurement_stream(mid, on_event=on_event) as stream:
            stream.send_all(payloads(3), timeout=30)
            self.assertTrue(stream.wait(30).ok)
        self.assertEqual(len(raised), 2)

    def test_asyncio_iteration(self):
        mid = self.measurement()

        async def main():
            loop_thread = threading.get_ident()
            events = []
            async with self.api.measurement_stream(mid) as stream:
                sender = asyncio.ensure_future(asyncio.wait_for(stream.send_all_async(payloads(20)), 30))
                async for event in stream:
                    self.assertEqual(threading.get_ident(), loop_thread)
                    events.append(event)
                self.assertEqual(await sender, list(range(20)))
            return events

        events = asyncio.run(asyncio.wait_for(main(), 60))
        self.check_complete(mid, events, 20)

    def test_stream_full_back_pressure(self):
        # The stream's task is held in the CONNECTED callback: nothing is sent,
        # so no acknowledgement comes and the 9th chunk finds the stream full.
        mid = self.measurement()
        release, connected = threading.Event(), threading.Event()

        def on_event(event):
            if event.kind == Kind.CONNECTED:
                connected.set()
                release.wait(30)

        chunks = payloads(20)
        with self.api.measurement_stream(mid, on_event=on_event) as stream:
            self.assertTrue(connected.wait(30))
            sent = [stream.send_chunk(c, dfx.FIRST if i == 0 else dfx.MIDDLE) for i, c in enumerate(chunks[:8])]
            self.assertEqual(sent, list(range(8)))
            for _ in range(2):
                with self.assertRaises(dfx.StreamFullError) as ctx:
                    stream.send_chunk(chunks[8], dfx.MIDDLE)
                self.assertEqual(ctx.exception.name, "DFX_ERR_STREAM_FULL")
            release.set()
            # The usual loop: send the next chunk after each acknowledgement.
            i = 8
            events = []
            for event in stream:
                events.append(event)
                while event.kind == Kind.ACK and i < len(chunks):
                    try:
                        self.assertEqual(stream.send_chunk(chunks[i], dfx.LAST if i == 19 else dfx.MIDDLE), i)
                        i += 1
                    except dfx.StreamFullError:
                        break
        self.assertEqual(i, 20)
        self.check_complete(mid, events, 20)

    def test_send_all_waits_for_acknowledgements(self):
        mid = self.measurement()
        release = threading.Event()
        stream = self.api.measurement_stream(mid, on_event=lambda e: e.kind == Kind.CONNECTED and release.wait(30))
        done = []
        sender = threading.Thread(target=lambda: done.append(stream.send_all(payloads(20), timeout=30)))
        sender.start()
        sender.join(0.5)
        self.assertTrue(sender.is_alive(), "send_all returned while 8 chunks could not be acknowledged")
        release.set()
        sender.join(30)
        self.assertEqual(done, [list(range(20))])
        events = list(stream)
        stream.close()
        self.check_complete(mid, events, 20)

    def test_socket_dropped_mid_measurement(self):
        mid = self.measurement()
        ws_drop(after_frames=7)
        with self.api.measurement_stream(mid) as stream:
            stream.send_all(payloads(20), timeout=30)
            events = list(stream)
            stats = stream.stats()
        self.assertGreaterEqual(stats.connections, 2)
        self.assertGreaterEqual(stats.resent_chunks, 1)
        self.check_complete(mid, events, 20, connections=stats.connections)
        self.assertGreaterEqual(measurement_stats(mid)["Duplicates"], 1)  # the chunk whose ack was lost

    def test_refused_upgrade_falls_back_to_http(self):
        mid = self.measurement()
        ws_refuse(403, count=0)
        with self.api.measurement_stream(mid) as stream:
            stream.send_all(payloads(20), timeout=30)
            events = list(stream)
            self.assertFalse(stream.stats().websocket)
        self.check_complete(mid, events, 20, websocket=False)


class RefusalTest(StreamTestCase):
    def assert_refused(self, events, chunk, cls, code):
        errors = of_kind(events, Kind.CHUNK_ERROR)
        self.assertEqual([e.chunk for e in errors], [chunk])
        self.assertIsInstance(errors[0].error, cls)
        self.assertEqual(errors[0].status, errors[0].error.status)
        self.assertEqual(errors[0].json["Code"], code)
        end = events[-1]
        self.assertEqual(end.kind, Kind.END)
        self.assertFalse(end.ok)
        self.assertIsInstance(end.error, cls)
        self.assertTrue(end.message)

    def test_out_of_order_is_misaligned_chunk(self):
        mid = self.measurement()
        with self.api.measurement_stream(mid) as stream:
            self.assertEqual(stream.send_chunk(b"not the first", dfx.MIDDLE), 0)
            events = list(stream)
            with self.assertRaises(dfx.StreamEndedError):
                stream.send_chunk(b"again", dfx.FIRST)
        self.assert_refused(events, 0, dfx.MisalignedChunkError, "MISALIGNED_CHUNK")
        self.assertEqual(measurement_stats(mid)["ChunksAccepted"], 0)

    def test_closed_measurement(self):
        # The measurement got its FIRST and LAST over HTTP: the stream's
        # first chunk reuses order 0 with other content, so it is not a
        # resend (sandbox/README.md, ChunkOrder): refused as closed.
        mid = self.measurement()
        for action in ("FIRST::PROCESS", "LAST::PROCESS"):
            self.assertEqual(self.api.http.measurements.data(mid, {"Action": action, "Payload": "AAEC"}).status, "200")
        with self.api.measurement_stream(mid) as stream:
            # One chunk: the refusal ends the stream (more would race it).
            stream.send_chunk(payloads(1)[0], dfx.FIRST)
            events = list(stream)
        self.assert_refused(events, 0, dfx.MeasurementClosedError, "MEASUREMENT_CLOSED")

    def test_closed_measurement_over_http(self):
        mid = self.measurement()
        for action in ("FIRST::PROCESS", "LAST::PROCESS"):
            self.assertEqual(self.api.http.measurements.data(mid, {"Action": action, "Payload": "AAEC"}).status, "200")
        ws_refuse(503, count=0)
        with self.api.measurement_stream(mid) as stream:
            stream.send_chunk(payloads(1)[0], dfx.FIRST)
            events = list(stream)
        self.assert_refused(events, 0, dfx.MeasurementClosedError, "MEASUREMENT_CLOSED")

    def test_unknown_measurement(self):
        with self.api.measurement_stream("00000000-0000-4000-8000-000000000000") as stream:
            end = stream.wait(30)
        self.assertIsNotNone(end)
        self.assertIsInstance(end.error, dfx.InvalidMeasurementError)
        self.assertEqual(end.status, dfx.DFX_ERR_INVALID_MEASUREMENT)

    def test_rate_limited(self):
        mid = self.measurement()
        rate_limit(1)
        with self.api.measurement_stream(mid) as stream:
            stream.send_chunk(payloads(1)[0], dfx.FIRST)
            events = list(stream)
        self.assert_refused(events, 0, dfx.RateLimitedError, "RATE_LIMIT")


class LifetimeTest(StreamTestCase):
    def test_close_with_chunks_in_flight(self):
        mid = self.measurement()
        results_delay(300)
        heard = []
        stream = self.api.measurement_stream(mid, on_event=heard.append)
        stream.send_all(payloads(6)[:5] + [b"last"], timeout=30)
        first = next(stream)
        self.assertEqual(first.kind, Kind.CONNECTED)
        self.assertEqual(next(stream).kind, Kind.ACK)
        stream.close()
        self.assertTrue(stream.closed)
        stream.close()  # idempotent
        count = len(heard)
        self.assertNotIn(Kind.END, [e.kind for e in heard])
        time.sleep(1)  # results keep coming on the server: none reaches the stream
        self.assertEqual(len(heard), count)
        # The iterator hands out what came before the close, then stops.
        self.assertEqual(list(stream), heard[2:])
        self.assertIsNone(stream.wait(0.1))
        with self.assertRaises(ValueError):
            stream.send_chunk(b"x", dfx.MIDDLE)
        with self.assertRaises(ValueError):
            stream.stats()

    def test_close_wakes_a_waiting_iterator(self):
        mid = self.measurement()
        stream = self.api.measurement_stream(mid)
        stream.send_chunk(b"first", dfx.FIRST)  # no LAST: the stream waits for more
        events = []
        reader = threading.Thread(target=lambda: events.extend(stream))
        reader.start()
        time.sleep(0.3)
        self.assertTrue(reader.is_alive())
        stream.close()
        reader.join(10)
        self.assertFalse(reader.is_alive())
        self.assertEqual([e.kind for e in events][:2], [Kind.CONNECTED, Kind.ACK])
        self.assertIn([(e.kind, e.chunk) for e in events[2:]], ([], [(Kind.RESULT, 0)]))  # no END, nothing after

    def test_close_from_on_event(self):
        mid = self.measurement()
        holder = {}

        def on_event(event):
            if event.kind == Kind.ACK:
                holder["stream"].close()

        holder["stream"] = stream = self.api.measurement_stream(mid, on_event=on_event)
        # One chunk: its ACK closes the stream (more would race the close).
        stream.send_chunk(payloads(1)[0], dfx.FIRST)
        self.assertEqual([e.kind for e in stream], [Kind.CONNECTED, Kind.ACK])
        with self.assertRaises(ValueError):
            stream.send_chunk(b"after the close", dfx.MIDDLE)
        self.assertTrue(stream.closed)

    def test_an_abandoned_stream_is_freed(self):
        mid = self.measurement()
        stream = self.api.measurement_stream(mid)
        stream.send_chunk(b"first", dfx.FIRST)
        finalizer = stream._finalizer
        ref = weakref.ref(stream)
        del stream
        gc.collect()
        self.assertIsNone(ref())
        self.assertFalse(finalizer.alive)

    def test_client_close_closes_its_streams(self):
        mid = self.measurement()
        stream = self.api.measurement_stream(mid)
        self.api.close()
        self.assertTrue(stream.closed)
        with self.assertRaises(ValueError):
            stream.send_chunk(b"x", dfx.FIRST)


class ExampleTest(unittest.TestCase):
    def test_the_measurement_example_runs_to_completion(self):
        reset()
        clear_faults()
        env = dict(os.environ)
        env["PYTHONPATH"] = str(Path(dfx.__file__).resolve().parent.parent)
        run = subprocess.run([sys.executable, str(ROOT / "examples" / "measurement.py"), SANDBOX],
                             capture_output=True, text=True, timeout=120, env=env)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        out = run.stdout
        chunks = sorted((ROOT / "examples" / "chunks").glob("chunk-*.bin"))
        self.assertGreaterEqual(len(chunks), 2)
        for k in range(len(chunks)):
            self.assertRegex(out, rf"result of chunk {k}: HR ")
        self.assertIn("over the WebSocket", out)
        self.assertIn("final result: COMPLETE", out)
        self.assertIn("unregister license", out)
        self.assertTrue(out.rstrip().endswith("measurement: every step succeeded"), out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
