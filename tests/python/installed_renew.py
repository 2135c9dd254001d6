"""A renew with the package as a wheel installed it (scripts/test-packaging.sh
python-install runs it from a directory outside the checkout, with no
DFX_LIBRARY or LD_LIBRARY_PATH): the library loaded must be the copy inside
the installed package. Reads "TOKEN REFRESH_TOKEN" on stdin and talks to
the sandbox at DFX_SANDBOX_URL."""
import os
import sys

import dfx

package = os.path.dirname(os.path.abspath(dfx.__file__))
lib = dfx.load_library()
if lib._name != os.path.join(package, "libdfx.so"):
    sys.exit(f"loaded {lib._name}, not the copy inside the installed package {package}")
if not package.startswith(sys.prefix + os.sep) or "site-packages" not in package:
    sys.exit(f"dfx imported from {package}, not from this environment's site-packages ({sys.prefix})")

token, refresh_token = sys.stdin.read().split()
api = dfx.client(url=os.environ["DFX_SANDBOX_URL"])
r = api.http.auths.renew({"Token": token, "RefreshToken": refresh_token})
if r.status != "200" or not r.body.get("RefreshToken") or r.body["RefreshToken"] == refresh_token:
    sys.exit(f"renew: {r.status} {r.error_code}, expected 200 and a new pair")
# The pair is spent: the same renew again is refused, so the first one really reached the sandbox.
again = api.http.auths.renew({"Token": token, "RefreshToken": refresh_token})
if again.status != "401":
    sys.exit(f"renewing a spent pair: {again.status}, expected 401")
api.close()
print(f"renewed with {lib._name} (dfx {dfx.version()}): 200, then the spent pair {again.status} {again.error_code}")
