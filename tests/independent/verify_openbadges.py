"""Checks a badge issued by Sensate with openbadgeslib 4.6.3 (PyPI), a published Open Badges 3.0
library, not with Sensate's code. Every check is the library's; this only wires it to the server.

Usage: verify_openbadges.py TOKEN_FILE BASE_URL [EXPECTED_RECIPIENT]

  TOKEN_FILE          the badge VC-JWT (compact JWS), as the holder downloads it
  BASE_URL            the running Sensate server, e.g. http://127.0.0.1:8080 (its public_url)
  EXPECTED_RECIPIENT  optional: also require credentialSubject.id to equal this

The library runs in its strictest OB 3.0 setting (it has no flag named "strict" for OB 3.0):
the key comes from resolving the issuer's did:web (so the credential's issuer is bound to that
DID and the token's kid selects the verification method), and every credentialStatus entry is
checked with the status list's own signature verified and its issuer bound to the badge's.

Prints one JSON object:
  {"valid": bool, "revoked": bool, "suspended": bool, "errors": [str], "issuer_did": str|null,
   "library": "openbadgeslib 4.6.3"}
The library stops at the first failure, so "errors" holds at most one message.
Exits 0 whenever the library gave a verdict (valid or not); 2 on bad usage; 1 if this tool
itself failed (the traceback is on stderr).
"""

import contextlib
import json
import re
import sys
import traceback
from urllib.parse import urlsplit, urlunsplit

import openbadgeslib
from openbadgeslib.errors import LibOpenBadgesException
from openbadgeslib.ob3 import OB3Verifier
from openbadgeslib.util import download_file
from openbadgeslib.verify import issuer_did_from_token

LIBRARY = f"openbadgeslib {openbadgeslib.__version__}"

# The library reports a set status bit only as this message (openbadgeslib/ob3/status.py,
# _check_entry); there is no structured result to read instead.
STATUS_SET = re.compile(r"^Credential status '(revocation|suspension)' is set at index \d+")


def local_fetcher(base_url):
    """The library's own download hook (`download=`), pointed at the test server only.

    did:web always resolves to https:// (ob3/did.py), and download_file refuses plain http and
    loopback hosts unless told otherwise; the test server is http on 127.0.0.1, so URLs for
    its host are fetched over its scheme with those two guards lifted, and anything else is
    refused to keep the check offline. Everything else about the fetch is download_file's.
    """
    base = urlsplit(base_url)

    def fetch(url):
        parts = urlsplit(url)
        if parts.netloc != base.netloc:
            raise ValueError(f"offline check: refusing to fetch {url} (not on {base_url})")
        return download_file(urlunsplit((base.scheme, *parts[1:])), allow_insecure=True, allow_private=True)

    return fetch


def verify(token, base_url, expected_recipient=None):
    """The same orchestration as openbadgeslib.verify._verify_ob3 (--resolve-did
    --check-status), minus the badge-image unwrapping: Sensate hands out the bare JWT."""
    fetch = local_fetcher(base_url)
    result = {"valid": False, "revoked": False, "suspended": False, "errors": [], "issuer_did": None,
              "library": LIBRARY}
    try:
        result["issuer_did"] = issuer_did_from_token(token)
        verifier = OB3Verifier.for_issuer_did(result["issuer_did"], download=fetch)
        verifier.verify(token, expected_recipient=expected_recipient, check_status=True,
                        verify_status_list=True, download=fetch)
        result["valid"] = True
    except LibOpenBadgesException as error:
        result["errors"].append(f"{type(error).__name__}: {error}")
        status = STATUS_SET.match(str(error))
        if status:
            result["revoked" if status[1] == "revocation" else "suspended"] = True
    return result


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        token = open(argv[1], encoding="utf-8").read().strip()
        # download_file prints a "does not use TLS" warning on stdout; keep stdout pure JSON.
        with contextlib.redirect_stdout(sys.stderr):
            result = verify(token, argv[2], argv[3] if len(argv) == 4 else None)
    except Exception:  # the tool broke, not the credential
        traceback.print_exc()
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
