"""Checks a VC-JWT issued by Sensate with PyJWT and cryptography, not with Sensate's code.

Usage: verify_vc_jwt.py TOKEN_FILE JWKS_FILE [STATUS_LIST_TOKEN_FILE]

Verifies the EdDSA (Ed25519) signature against the issuer's published JWKS (key chosen by the
token's `kid`), the header type, the issuer, and the validity dates. With a status-list
credential (itself a VC-JWT), also verifies that one and prints the credential's revocation
bit: the list is GZIP + base64url with the multibase prefix "u", index 0 the left-most bit.

Prints one JSON object and exits 0 when the token verifies; prints the reason and exits 1 when
it does not.
"""

import base64
import gzip
import json
import sys

import jwt


def load_key(jwks, kid):
    for key in jwks.get("keys", []):
        if key.get("kid") == kid:
            return jwt.PyJWK(key).key
    raise ValueError(f"no key {kid!r} in the issuer's JWKS")


def verify(token, jwks):
    header = jwt.get_unverified_header(token)
    if header.get("alg") != "EdDSA":
        raise ValueError(f"unexpected algorithm {header.get('alg')!r}")
    key = load_key(jwks, header.get("kid"))
    claims = jwt.decode(
        token,
        key,
        algorithms=["EdDSA"],
        options={"require": ["iss", "nbf", "exp"], "verify_aud": False},
    )
    return header, claims


def status_bit(encoded_list, index):
    if not encoded_list.startswith("u"):
        raise ValueError("the encoded list lacks the multibase prefix u")
    body = encoded_list[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if index >= len(bits) * 8:
        raise ValueError(f"status index {index} out of range")
    return (bits[index // 8] >> (7 - index % 8)) & 1


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    token = open(argv[1], encoding="utf-8").read().strip()
    jwks = json.load(open(argv[2], encoding="utf-8"))
    try:
        header, claims = verify(token, jwks)
        if header.get("typ") != "vc+jwt":
            raise ValueError(f"unexpected typ {header.get('typ')!r}")
        if claims.get("iss") != claims.get("issuer", {}).get("id"):
            raise ValueError("iss does not match the credential's issuer")
        result = {"verified": True, "kid": header["kid"], "iss": claims["iss"], "types": claims.get("type")}
        if len(argv) == 4:
            list_token = open(argv[3], encoding="utf-8").read().strip()
            _, list_claims = verify(list_token, jwks)
            entry = next(s for s in claims["credentialStatus"] if s["statusPurpose"] == "revocation")
            if list_claims.get("id") != entry["statusListCredential"]:
                raise ValueError("the status list is not the one the credential points at")
            subject = list_claims["credentialSubject"]
            if subject.get("statusPurpose") != "revocation":
                raise ValueError("the status list is not a revocation list")
            result["revoked"] = bool(status_bit(subject["encodedList"], int(entry["statusListIndex"])))
    except Exception as error:  # every failure is a refusal, said plainly
        print(json.dumps({"verified": False, "reason": f"{type(error).__name__}: {error}"}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
