"""schemathesis hooks for scripts/api-fuzz (loaded through SCHEMATHESIS_HOOKS).

Signing in: every call is made as the demo's board administrator (SCAN_EMAIL on the server at
SCAN_URL), with the session cookie and the session's anti-forgery token, as a browser's script
would. The fuzzer may end its own session (DELETE /api/v1/me/sessions/{id} with an id it read
from GET /api/v1/me/sessions is a correct call), so a 401 makes it sign in again.

Client addresses: public lookups are limited to 60 a minute per client address
(crates/web/src/lookup_limit.rs). The fuzzed server runs as if behind a proxy
(trust_forwarded_for), and each call comes from a different address of the 198.18.0.0/15
benchmarking range, so the limiter still counts every call and the fuzzing is not cut short
by 429 answers. No traffic goes to those addresses: they are only the text of a header sent to
the loopback server.
"""

import itertools
import os
import sys

import schemathesis

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signin import sign_in  # noqa: E402

_calls = itertools.count(1)
sign_ins = itertools.count(1)


@schemathesis.auth(refresh_interval=24 * 3600, retry_on=[401])
class DemoAdministrator:
    def get(self, case, context):
        next(sign_ins)
        return sign_in(os.environ["SCAN_URL"], os.environ["SCAN_EMAIL"])

    def set(self, case, data, context):
        name, value, token = data
        case.cookies[name] = value
        case.headers["X-CSRF-Token"] = token


@schemathesis.hook
def before_call(context, case, kwargs):
    n = next(_calls) % (2 * 256 * 256)
    address = f"198.{18 + n // 65536}.{n // 256 % 256}.{n % 256}"
    if case.headers is None:
        case.headers = {}
    case.headers["X-Forwarded-For"] = address
