"""Checks that scripts/injection-scan's judge fails when it must (run by scripts/injection-scan).

A small HTTP server on loopback, written to be wrong, with the same /metrics lines Sensate
writes: /items?q= builds its SQL by pasting q into the text (injectable), and /limited refuses
every request with 403, as a failed anti-forgery check would (a target sqlmap cannot test). The same code that judges Sensate must report
the first as injectable and the second as untested (sqlmap itself calls its parameter "not
injectable"); otherwise the scan proves nothing.

    python injection_selfcheck.py WORK_DIR
"""

import collections
import os
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from injection_scan import Target, scan  # noqa: E402

counts = collections.Counter()
lock = threading.Lock()


class Wrong(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status: int, body: str, route: str | None) -> None:
        if route:
            with lock:
                counts[(route, status)] += 1
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/metrics":
            with lock:
                lines = [
                    f'sensate_http_responses_total{{method="GET",route="{route}",status="{status}"}} {count}'
                    for (route, status), count in counts.items()
                ]
            return self.answer(200, "\n".join(lines) + "\n", None)
        if url.path == "/limited":
            return self.answer(403, "Refused", "/limited")
        if url.path != "/items":
            return self.answer(404, "not found", None)
        q = parse_qs(url.query).get("q", [""])[0]
        database = sqlite3.connect(":memory:")
        database.executescript(
            "CREATE TABLE items (name TEXT); INSERT INTO items VALUES ('apple'), ('pear'), ('plum');"
        )
        try:
            # Deliberately injectable: the value is pasted into the SQL.
            rows = database.execute("SELECT name FROM items WHERE name = '%s'" % q).fetchall()
            body = "found: " + ", ".join(row[0] for row in rows)
        except sqlite3.Error:
            body = "found: nothing"
        return self.answer(200, body, "/items")


def main() -> int:
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Wrong)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    options = ["--level", "1", "--risk", "1", "--dbms", "SQLite"]
    injectable, _, _ = scan(base, Target("injectable", "/items", "GET", ["q"], ["-u", f"{base}/items?q=apple"]),
                            os.path.join(work, "selfcheck-injectable.txt"), options)  # fmt: skip
    limited, _, _ = scan(base, Target("limited", "/limited", "GET", ["q"], ["-u", f"{base}/limited?q=apple"]),
                         os.path.join(work, "selfcheck-limited.txt"), options)  # fmt: skip
    server.shutdown()
    found = any(p.startswith("INJECTABLE") for p in injectable)
    # sqlmap itself calls every parameter of /limited "not injectable": the judge must not pass it.
    refused = any("403" in p for p in limited)
    print(f"  self-check: an injectable parameter is {'reported' if found else 'NOT REPORTED'}; "
          f"a target answering 403 is {'reported untested' if refused else 'NOT REPORTED'}")  # fmt: skip
    return 0 if found and refused else 1


if __name__ == "__main__":
    sys.exit(main())
