"""Checks that scripts/api-fuzz fails when it must (run by scripts/api-fuzz before the engines).

A small HTTP server on loopback, written to be wrong, with an OpenAPI document at the path
Sensate serves it and the sign-in that tests/scans/hooks.py goes through. scripts/api-fuzz runs
schemathesis against it with exactly the command, configuration, checks and hooks it uses on
Sensate, and this script then reads the JUnit report: each planted fault must be reported, by
the check that exists to find it, on its own operation, and the one correct operation must
pass. Otherwise a green scan of Sensate proves nothing.

    python api_fuzz_selfcheck.py serve URL_FILE      # serves; writes its base URL to URL_FILE
    python api_fuzz_selfcheck.py judge STATUS OUTPUT JUNIT
        # STATUS: schemathesis's exit status; OUTPUT: its printed report; JUNIT: its JUnit report

The planted faults (schemathesis's failure codes, pinned with its version in requirements.txt):
- GET /api/v1/credentials/{number}: a number above 1000 is a 500 (ST101, server error);
- GET /api/v1/status: the body does not match the documented schema (ST108);
- GET /api/v1/colour: any colour but red is answered 410, which the document does not list (ST103);
- GET /api/v1/secret: documented as needing the session cookie, answered 200 without it (ST401).
GET /api/v1/me is correct and must have no failure.
"""

import json
import os
import re
import secrets
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SESSION_COOKIE = "__Host-sensate"
FORM_TOKEN = "selfcheck-form-token"
# The server stops by itself after this long, should scripts/api-fuzz not stop it.
LIFETIME_SECONDS = 30 * 60

# Operation label -> the failure codes it must be reported with. ST101: server error; ST108:
# response violates schema; ST103: undocumented status code; ST401: authentication not enforced.
EXPECTED = {
    "GET /api/v1/credentials/{number}": {"ST101"},
    "GET /api/v1/status": {"ST108"},
    "GET /api/v1/colour": {"ST103"},
    "GET /api/v1/secret": {"ST401"},
}
CORRECT = "GET /api/v1/me"

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "api-fuzz self-check (deliberately wrong)", "version": "1"},
    "components": {"securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE}}},
    "paths": {
        "/api/v1/me": {
            "get": {
                "operationId": "me",
                "security": [{"session": []}],
                "responses": {
                    "200": json_response(
                        "The signed-in person",
                        {
                            "type": "object",
                            "required": ["email", "csrf_token"],
                            "properties": {"email": {"type": "string"}, "csrf_token": {"type": "string"}},
                        },
                    ),
                    "401": error_response("Not signed in"),
                },
            }
        },
        "/api/v1/credentials/{number}": {
            "get": {
                "operationId": "credential",
                "parameters": [
                    {
                        "name": "number",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 999999},
                    }
                ],
                "responses": {
                    "200": json_response(
                        "The credential",
                        {"type": "object", "required": ["number"], "properties": {"number": {"type": "string"}}},
                    ),
                    "400": error_response("Not a credential number"),
                },
            }
        },
        "/api/v1/status": {
            "get": {
                "operationId": "status",
                "responses": {
                    "200": json_response(
                        "How many credentials there are",
                        {"type": "object", "required": ["count"], "properties": {"count": {"type": "integer"}}},
                    )
                },
            }
        },
        "/api/v1/colour": {
            "get": {
                "operationId": "colour",
                "parameters": [{"name": "name", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": json_response(
                        "The colour", {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
                    ),
                    "400": error_response("No colour named"),
                },
            }
        },
        "/api/v1/secret": {
            "get": {
                "operationId": "secret",
                "security": [{"session": []}],
                "responses": {
                    "200": json_response(
                        "The secret", {"type": "object", "required": ["secret"], "properties": {"secret": {"type": "string"}}}
                    ),
                    "401": error_response("Not signed in"),
                },
            }
        },
    },
}

sessions: dict[str, str] = {}
lock = threading.Lock()


class Wrong(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status: int, body, headers: dict | None = None) -> None:
        if isinstance(body, (dict, list)):
            data, content_type = json.dumps(body).encode(), "application/json"
        else:
            data, content_type = body.encode(), "text/html; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status: int, kind: str, message: str, headers: dict | None = None) -> None:
        self.answer(status, {"error": kind, "message": message}, headers)

    def session(self) -> str | None:
        cookies = dict(
            part.strip().split("=", 1) for part in self.headers.get("Cookie", "").split(";") if "=" in part
        )
        with lock:
            return sessions.get(cookies.get(SESSION_COOKIE, ""))

    def known_path(self, path: str) -> bool:
        return path in ("/sign-in", "/api/v1/openapi.json") or any(
            re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) for template in DOCUMENT["paths"]
        )

    def do_GET(self):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query, keep_blank_values=True)
        if path == "/api/v1/openapi.json":
            return self.answer(200, DOCUMENT)
        if path == "/sign-in":
            return self.answer(200, f'<form method="post"><input name="csrf" value="{FORM_TOKEN}"></form>')
        if path == "/api/v1/me":
            token = self.session()
            if token is None:
                return self.error(401, "unauthenticated", "Sign in first.")
            return self.answer(200, {"email": "admin@selfcheck.test", "csrf_token": token})
        if path.startswith("/api/v1/credentials/"):
            number = path.removeprefix("/api/v1/credentials/")
            if not re.fullmatch(r"[0-9]{1,6}", number) or int(number) < 1:
                return self.error(400, "invalid_input", "Not a credential number.")
            if int(number) > 1000:
                # Planted: a crash on part of the valid input.
                return self.answer(500, "Internal Server Error")
            return self.answer(200, {"number": number})
        if path == "/api/v1/status":
            # Planted: the document says count is an integer.
            return self.answer(200, {"count": "many"})
        if path == "/api/v1/colour":
            names = query.get("name")
            if not names:
                return self.error(400, "invalid_input", "Name a colour.")
            if names[0] != "red":
                # Planted: 410 is not among the documented answers.
                return self.error(410, "gone", "That colour is gone.")
            return self.answer(200, {"name": "red"})
        if path == "/api/v1/secret":
            # Planted: the document requires the session cookie; this never looks at it.
            return self.answer(200, {"secret": "everyone may read this"})
        return self.error(404, "not_found", "No such page.")

    def do_POST(self):
        if urlsplit(self.path).path != "/sign-in":
            return self.not_served()
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        if form.get("csrf") != [FORM_TOKEN]:
            return self.error(403, "csrf", "Refused as forged.")
        session, token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        with lock:
            sessions[session] = token
        cookie = f"{SESSION_COOKIE}={session}; Path=/; Secure; HttpOnly; SameSite=Lax"
        return self.answer(303, "", {"Location": "/", "Set-Cookie": cookie})

    def not_served(self):
        path = urlsplit(self.path).path
        if not self.known_path(path):
            return self.error(404, "not_found", "No such page.")
        allow = "GET, POST" if path == "/sign-in" else "GET"
        return self.error(405, "method_not_allowed", "Not served.", {"Allow": allow})

    def __getattr__(self, name: str):
        # Every other method (PUT, DELETE, TRACE, QUERY…): 405 with Allow, as Sensate answers.
        if name.startswith("do_"):
            return self.not_served
        raise AttributeError(name)


def serve(url_file: str) -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Wrong)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(url_file + ".tmp", "w") as out:
        out.write(f"http://127.0.0.1:{server.server_address[1]}\n")
    os.replace(url_file + ".tmp", url_file)
    time.sleep(LIFETIME_SECONDS)
    return 0


def reported_codes(junit: str) -> dict:
    """Operation label -> the failure codes the JUnit report gives it."""
    found: dict[str, set] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        codes = found.setdefault(case.get("name", ""), set())
        for failure in case.iter("failure"):
            codes.update(code.strip() for code in (failure.get("message") or "").split(",") if code.strip())
    return found


def judge(status: int, output: str, junit: str) -> int:
    problems = []
    if status == 0:
        problems.append("schemathesis PASSED a server written to fail (exit 0)")
    if not os.path.exists(junit):
        problems.append(f"schemathesis wrote no JUnit report ({junit})")
        found = {}
    else:
        found = reported_codes(junit)
    for label, codes in EXPECTED.items():
        missing = codes - found.get(label, set())
        got = ", ".join(sorted(found.get(label, set()))) or "nothing"
        verdict = "reported" if not missing else "NOT REPORTED"
        print(f"  self-check: {label}: {', '.join(sorted(codes))} {verdict} (reported: {got})")
        if missing:
            problems.append(f"{label}: {', '.join(sorted(missing))} not reported")
    if found.get(CORRECT):
        problems.append(f"{CORRECT} is correct but was reported with {', '.join(sorted(found[CORRECT]))}")
    else:
        print(f"  self-check: {CORRECT} (correct) passed")
    operations = len(DOCUMENT["paths"])
    with open(output, encoding="utf-8", errors="replace") as text:
        if not re.search(rf"^ +Tested: {operations}$", text.read(), re.M):
            problems.append(f"schemathesis did not report all {operations} operations tested ({output})")
    for problem in problems:
        print(f"  self-check FAILED: {problem}")
    return 1 if problems else 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        return serve(sys.argv[2])
    if len(sys.argv) == 5 and sys.argv[1] == "judge":
        return judge(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
