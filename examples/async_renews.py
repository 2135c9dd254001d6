#!/usr/bin/env python3
"""Many renews at once from asyncio: `await api.aio.auths.renew({...})`.

    python3 examples/async_renews.py BASE_URL < pairs.txt    (one "TOKEN REFRESH_TOKEN" per line)

Each call returns an awaitable at once; dfx runs the requests on its own
threads and settles each one on the event loop's thread. No thread per request.
"""
import asyncio
import sys

import dfx


async def renew_all(api, pairs):
    results = await asyncio.gather(*(api.aio.auths.renew({"Token": t, "RefreshToken": r}) for t, r in pairs),
                                   return_exceptions=True)
    renewed = refused = unknown = other = 0
    for result in results:
        if isinstance(result, dfx.OutcomeUnknownError):
            unknown += 1      # keep the old pair; retry it once later
        elif isinstance(result, dfx.DfxError):
            other += 1        # no answer: the pair is intact
        elif result.status == "200":
            renewed += 1      # store result.body["Token"] / ["RefreshToken"] now
        else:
            refused += 1      # e.g. 401: register that device again
    return renewed, refused, unknown, other


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    pairs = [line.split() for line in sys.stdin if line.strip()]
    with dfx.client(url=argv[1]) as api:
        renewed, refused, unknown, other = asyncio.run(renew_all(api, pairs))
    print(f"{len(pairs)} renews: renewed {renewed}, refused {refused}, outcome unknown {unknown}, other {other}")
    return 0 if renewed == len(pairs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
