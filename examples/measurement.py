#!/usr/bin/env python3
"""dfx from Python: a whole measurement, as a kiosk app does it.

    python3 examples/measurement.py BASE_URL [LICENSE_KEY] [ORG] [EMAIL] [PASSWORD] [STUDY_ID] [CHUNK_DIR]

Registers the license, logs the user in, creates a measurement on the study,
streams the chunk payloads read from CHUNK_DIR (every chunk-*.bin, in name
order; default examples/chunks/, synthetic stand-ins for the extraction
library's payloads) and prints each chunk's result as it arrives, then the
final result, and unregisters. The defaults are the dfx-sandbox's seed
values (sandbox/README.md): licence DFX-SANDBOX-LICENSE of `dfxdemo`, user
developer@example.com / sandbox-password, the "Sandbox Health Study":

    cargo build && target/debug/dfx-sandbox --port 8080 &
    python3 examples/measurement.py http://127.0.0.1:8080

Uses the installed package (`pip install ./python`), else the one in this
checkout's python/. The library is found through DFX_LIBRARY (a path to
libdfx.so), else target/debug or target/release of this checkout, else the
system (see dfx.library_candidates()).
"""
import sys
from pathlib import Path

try:
    import dfx
except ImportError:  # not installed: use the checkout's copy
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
    import dfx

SANDBOX_STUDY_ID = "5b0e8d3c-2f4a-4e61-9c7d-1a2b3c4d5e60"


def show(what, r):
    if r.ok:
        print(f"{what:28} {r.status}")
    else:
        print(f"{what:28} {r.status} {r.error_code}: {r.error_message}")
    return r.ok


def channel(result, name):
    """A chunk result's first value of a channel, in its unit (Data / Multiplier)."""
    data = result.get("Channels", {}).get(name, {}).get("Data") or [None]
    return None if data[0] is None else data[0] / (result.get("Multiplier") or 1)


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    url = argv[1]
    license_key = argv[2] if len(argv) > 2 else "DFX-SANDBOX-LICENSE"
    org = argv[3] if len(argv) > 3 else "dfxdemo"
    email = argv[4] if len(argv) > 4 else "developer@example.com"
    password = argv[5] if len(argv) > 5 else "sandbox-password"
    study = argv[6] if len(argv) > 6 else SANDBOX_STUDY_ID
    chunk_dir = Path(argv[7]) if len(argv) > 7 else Path(__file__).resolve().parent / "chunks"

    chunks = [p.read_bytes() for p in sorted(chunk_dir.glob("chunk-*.bin"))]
    if len(chunks) < 2:
        print(f"measurement: {chunk_dir} holds {len(chunks)} chunk-*.bin files; a measurement needs 2 or more")
        return 2

    print(f"dfx {dfx.version()} (package {dfx.__version__})")
    ok = True
    with dfx.client(url=url, timeout_ms=10000) as api:
        http = api.http
        registered = False
        try:
            r = http.organizations.registerLicense({"Key": license_key, "DeviceTypeID": "LINUX",
                                                    "Name": "dfx measurement example", "Identifier": org,
                                                    "Version": "1.0"})
            registered = show("register license", r)
            if not registered:
                return 1
            # users.login binds the user to this device; the stream uses the user token.
            if not show("user login", http.users.login({"Email": email, "Password": password})):
                return 1
            r = http.measurements.create({"StudyID": study, "Resolution": 100})
            if not show("create measurement", r):
                return 1
            measurement_id = r.body["ID"]
            print(f"  measurement {measurement_id}: {len(chunks)} chunks, {sum(map(len, chunks))} bytes")

            with api.measurement_stream(measurement_id) as stream:
                # send_all() takes each chunk as soon as the stream has room (at
                # most DFX_STREAM_MAX_UNACKED wait for their acknowledgement). A
                # live app calls stream.send_chunk(payload, position) as each
                # payload comes out of the extraction library instead.
                stream.send_all(chunks)
                for event in stream:
                    if event.kind == dfx.StreamEventKind.CONNECTED:
                        how = "over the WebSocket" if event.websocket else "over HTTP (no per-chunk results)"
                        print(f"  connected {how}" + (f" (connection {event.chunk})" if event.chunk > 1 else ""))
                    elif event.kind == dfx.StreamEventKind.ACK:
                        print(f"  chunk {event.chunk} accepted")
                    elif event.kind == dfx.StreamEventKind.RESULT:
                        result = event.json
                        print(f"  result of chunk {event.chunk}: HR {channel(result, 'HR_BPM'):.0f} bpm, "
                              f"MSI {channel(result, 'MSI'):.0f}, BP {channel(result, 'BP_SYSTOLIC'):.0f}/"
                              f"{channel(result, 'BP_DIASTOLIC'):.0f} mmHg")
                    elif event.kind == dfx.StreamEventKind.CHUNK_ERROR:
                        print(f"  chunk {event.chunk} refused: {event.error}")
                    elif event.kind == dfx.StreamEventKind.END:
                        if event.ok:
                            m = event.json
                            print(f"final result: {m['StatusID']}")
                            units = m.get("SignalUnits", {})
                            for name, values in (m.get("Results") or {}).items():
                                label = m.get("SignalNames", {}).get(name, name)
                                print(f"  {label:26} {values[0] if values else '-'} {units.get(name, '')}".rstrip())
                            ok &= m["StatusID"] == "COMPLETE"
                        else:
                            print(f"measurement ended early: {event.error}")
                            ok = False
        except dfx.DfxError as e:
            # No answer from the API (connection, timeout, TLS, ...).
            print(f"failed: {e}")
            ok = False
        finally:
            if registered:
                ok &= show("unregister license", http.organizations.unregisterLicense())
    print("measurement: every step succeeded" if ok else "measurement: some steps failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
