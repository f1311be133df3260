"""sqlmap tamper script for scripts/injection-scan: changes no payload; gives each request that
carries one its own client address in X-Forwarded-For.

Public lookups (60 a minute) and sign-in attempts (20 in 15 minutes) are limited per client
address. The scanned server runs as if behind a proxy (trust_forwarded_for), and each request
comes from a different address of the 198.18.0.0/15 benchmarking range, so the limiters still
count every request and the scan is not cut short by 429 answers. No traffic goes to those
addresses: they are only the text of a header sent to the loopback server.
"""

import itertools

from lib.core.enums import PRIORITY

__priority__ = PRIORITY.NORMAL

_requests = itertools.count(1)


def dependencies():
    pass


def tamper(payload, **kwargs):
    n = next(_requests) % (2 * 256 * 256)
    kwargs.get("headers", {})["X-Forwarded-For"] = "198.%d.%d.%d" % (18 + n // 65536, n // 256 % 256, n % 256)
    return payload
