#!/usr/bin/env python3
"""dfx from Python: the whole token lifecycle, with the `dfx` package.

    python3 examples/quickstart.py BASE_URL LICENSE_KEY [ORG] [PHONE] [SESSION_FILE]

Registers the license (unless SESSION_FILE holds a device pair), saves every
change of the session to SESSION_FILE through the session listener, renews
and verifies the device token, logs a user in with the SMS code read from
standard input, renews the user pair, and unregisters.

Uses the installed package (`pip install ./python`), else the one in this
checkout's python/. The library is found through DFX_LIBRARY (a path to
libdfx.so), else target/debug or target/release of this checkout, else the
system (see dfx.library_candidates()).
"""
import json
import sys
from pathlib import Path

try:
    import dfx
except ImportError:  # not installed: use the checkout's copy
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))
    import dfx


def show(what, r):
    if r.ok:
        print(f"{what:28} {r.status}")
    else:
        print(f"{what:28} {r.status} {r.error_code}: {r.error_message}")
    return r.ok


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    url, license_key = argv[1:3]
    org = argv[3] if len(argv) > 3 else "dfxdemo"
    phone = argv[4] if len(argv) > 4 else "+15555550100"
    session_file = Path(argv[5] if len(argv) > 5 else "dfx-session.json")

    def persist(session):
        tmp = session_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(session))
        tmp.replace(session_file)  # atomic: never half a session on disk
        print(f"  (session saved to {session_file})")

    print(f"dfx {dfx.version()} (package {dfx.__version__})")
    ok = True
    with dfx.client(url=url, timeout_ms=10000) as api:
        http = api.http
        if session_file.exists():
            api.session.load(session_file.read_text())
            print(f"loaded the session from {session_file}")
        api.session.listener = persist
        try:
            r = http.general.status()
            ok &= show("status", r)
            if not api.session.get("deviceToken"):
                r = http.organizations.registerLicense({"Key": license_key, "DeviceTypeID": "LINUX",
                                                        "Name": "dfx quickstart", "Identifier": org,
                                                        "Version": "1.0"})
                ok &= show("register license", r)
                if not r.ok:
                    print("quickstart: some steps failed")
                    return 1
            print(f"  the device token expires at {api.session.token_expiry('device')} (Unix time)")
            ok &= show("renew device pair", api.session.renew("device"))
            r = http.general.verifyToken()
            if show("verify token", r):
                print(f"  Type {r.body['Type']}, DeviceID {r.body['DeviceID']}")
            else:
                ok = False
            if show("request login code", http.auths.requestLoginCode({"PhoneNumber": phone, "Identifier": org})):
                code = input(f"  login code sent to {phone}; enter it: ").strip()
                print()
                r = http.users.loginWithPhoneCode({"LoginCode": code, "PhoneNumber": phone, "OrgKey": org})
                ok &= show("login with phone code", r)
                ok &= show("renew user pair", api.session.renew("user"))
            else:
                ok = False
            # A wrong code: the API refuses, with a code to act on.
            show("login with a wrong code",
                 http.users.loginWithPhoneCode({"LoginCode": "000000", "PhoneNumber": phone, "OrgKey": org}))
            r = http.auths.requestResetPasswordLink({"Email": "developer@example.com", "Identifier": org})
            ok &= show("request reset password link", r)
            ok &= show("unregister license", http.organizations.unregisterLicense())
        except dfx.OutcomeUnknownError as e:
            # The renew may have consumed the pair; the session kept the old
            # one. Try once more later; if it is refused, register again.
            print(f"outcome unknown: {e.message}")
            ok = False
        except dfx.DfxError as e:
            # No answer from the API (connection, timeout, TLS, ...).
            print(f"failed: {e}")
            ok = False
    print("quickstart: every step succeeded" if ok else "quickstart: some steps failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
