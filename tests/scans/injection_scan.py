"""Runs sqlmap against one running demo server and judges the result (scripts/injection-scan).

    python injection_scan.py BASE_URL WORK_DIR LEVEL RISK [DBMS]

DBMS (SQLite or PostgreSQL) limits sqlmap's database-specific payloads to that engine's.

INJECTION_SCAN_ONLY=TEXT scans only the targets whose name contains TEXT.

Each target is one sqlmap run on loopback. A target passes only if sqlmap tested every
parameter named for it to the end ("does not seem to be injectable"), reported no injection
point, met no HTTP error that would have kept it from testing (403: refused as forged, 429:
throttled, 5xx: a server error), and the server's own metrics count at least
MIN_REQUESTS_PER_PARAMETER answers per parameter on the target's route, none of them 403, 429
or 5xx. A scan that tested nothing fails, and so does an empty list of targets.
Prints one line per target and exits 1 if any target failed.
"""

import html
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
SQLMAP = os.path.join(os.path.dirname(sys.executable), "sqlmap")
TAMPER = os.path.join(HERE, "tamper", "client_address.py")
# Below this many answers per parameter on a target's route, sqlmap cannot have run its tests
# (its smallest run here, --level 1 with one engine's payloads, sends about 30 per parameter).
MIN_REQUESTS_PER_PARAMETER = 20
DEMO_PASSWORD = "demo-sensate-2026"
REFUSALS = {"403", "429"}


@dataclass
class Target:
    name: str
    # The route template as /metrics names it.
    route: str
    method: str
    # The parameters that must be reported as tested.
    parameters: list
    arguments: list = field(default_factory=list)


def anonymous_token(base: str) -> tuple[str, str]:
    """A visitor's anti-forgery cookie (name=value) and the token forms then carry."""
    page = requests.get(f"{base}/sign-in", timeout=30)
    cookie = next(v for k, v in page.headers.items() if k.lower() == "set-cookie" and "-csrf=" in v)
    pair = cookie.split(";", 1)[0]
    token = html.unescape(re.search(r'name="csrf" value="([^"]+)"', page.text).group(1))
    return pair, token


def demo_facts(base: str) -> dict:
    """A credential number, a holder's name and a listed profile id from the demo."""
    demo = requests.get(f"{base}/demo", timeout=30).text
    number = re.search(r'href="/verify/([A-Z0-9-]+)"', demo).group(1)
    record = requests.get(f"{base}/api/v1/credentials/{number}", timeout=30).json()
    search = requests.get(f"{base}/api/v1/directory?place=94108&radius=100", timeout=30).json()
    return {
        "number": number,
        "surname": record["holder"].split()[-1],
        "profile": search["results"][0]["id"],
    }


def targets(base: str) -> list:
    facts = demo_facts(base)
    cookie, token = anonymous_token(base)
    search = (
        "place=94108&radius=100&telehealth=&concern=communication&format=individuals&language=en"
        "&credential=therapist&population=lgbtq&insurance=kaiser&accepting=no&max_fee=500&page=1"
    )
    search_parameters = [
        "place", "radius", "telehealth", "concern", "format", "language",
        "credential", "population", "insurance", "accepting", "max_fee", "page",
    ]  # fmt: skip
    sign_in = ["--data", f"csrf={token}&email=candidate%40demo.sensate.test&password={DEMO_PASSWORD}&next=%2Fdashboard"]
    boundary = "sensatescanboundary"
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\neyJhbGciOiJFZERTQSJ9.e30.c2ln*\r\n'
        f"--{boundary}--\r\n"
    )
    with_form = ["--cookie", cookie, "--csrf-token", "csrf", "--csrf-url", f"{base}/sign-in"]
    return [
        Target("directory search page", "/directory", "GET", search_parameters, ["-u", f"{base}/directory?{search}"]),
        Target("directory search API", "/api/v1/directory", "GET", search_parameters, ["-u", f"{base}/api/v1/directory?{search}"]),
        Target("public profile", "/directory/{id}", "GET", ["#1*"], ["-u", f"{base}/directory/{facts['profile']}*"]),
        Target("verification search", "/verify", "GET", ["q"], ["-u", f"{base}/verify?q={facts['surname']}"]),
        Target("verification by number", "/verify/{number}", "GET", ["#1*"], ["-u", f"{base}/verify/{facts['number']}*"]),
        Target(
            "credentials API",
            "/api/v1/credentials/{number}",
            "GET",
            ["#1*"],
            ["-u", f"{base}/api/v1/credentials/{facts['number']}*"],
        ),
        Target(
            "signed-credential check form",
            "/verify/check",
            "POST",
            ["MULTIPART #1*"],
            ["-u", f"{base}/verify/check", "--data", multipart,
             "--headers", f"Content-Type: multipart/form-data; boundary={boundary}", "--cookie", cookie],
        ),  # fmt: skip
        # Signing in with the demo candidate's real password: an injection that changed which
        # account the e-mail finds would change the answer (303 to the dashboard, or not).
        Target(
            "sign-in form (e-mail, next)",
            "/sign-in",
            "POST",
            ["email", "next"],
            ["-u", f"{base}/sign-in", *sign_in, *with_form, "-p", "email,next"],
        ),
        # The password reaches only the password hasher. Each request signs in as a new,
        # unknown address, so the per-account throttle (5 failures) never locks the scan out.
        Target(
            "sign-in form (password)",
            "/sign-in",
            "POST",
            ["password"],
            ["-u", f"{base}/sign-in", *sign_in, *with_form, "-p", "password",
             "--eval", "import random; email='scan-%d@scan.invalid' % random.randrange(10**9)"],
        ),  # fmt: skip
    ]


def route_counts(base: str, method: str, route: str) -> dict:
    text = requests.get(f"{base}/metrics", timeout=30).text
    pattern = re.compile(
        r'^sensate_http_responses_total\{method="%s",route="%s",status="(\d+)"\} (\d+)$' % (method, re.escape(route)),
        re.M,
    )
    return {status: int(count) for status, count in pattern.findall(text)}


def judge(output: str, target: Target, before: dict, after: dict) -> list:
    problems = []
    if re.search(r"identified the following injection point|parameter '[^']*' is vulnerable", output):
        problems.append("INJECTABLE: " + "; ".join(re.findall(r"Parameter: [^\n]+", output)))
    for name in target.parameters:
        if not re.search(r"parameter '%s' does not seem to be injectable" % re.escape(name), output):
            problems.append(f"parameter {name!r} was not tested to the end")
    critical = [
        line
        for line in re.findall(r"\[CRITICAL\] ([^\n]+)", output)
        if not line.startswith("all tested parameters do not appear to be injectable")
    ]
    problems += [f"sqlmap: {line}" for line in critical]
    errors = re.search(r"HTTP error codes detected during run:\n((?:[^\n]+\n)+)", output)
    if errors:
        for code in re.findall(r"^(\d{3}) ", errors.group(1), re.M):
            if code in REFUSALS or code.startswith("5"):
                problems.append(f"sqlmap met HTTP {code}")
    delta = {status: after.get(status, 0) - before.get(status, 0) for status in after}
    answered = sum(delta.values())
    if answered < MIN_REQUESTS_PER_PARAMETER * len(target.parameters):
        problems.append(f"the server answered only {answered} requests on {target.route}")
    for status, count in sorted(delta.items()):
        if count and (status in REFUSALS or status.startswith("5")):
            problems.append(f"the server answered {status} {count} times on {target.route}")
    return problems, answered, delta


def scan(base: str, target: Target, log_path: str, options: list) -> tuple[list, int, dict]:
    """Runs sqlmap on one target; returns the problems found, the answers counted and by status."""
    before = route_counts(base, target.method, target.route)
    command = [
        SQLMAP, *target.arguments, *options, "--batch", "--tamper", TAMPER, "--drop-set-cookie",
        "--disable-coloring", "--flush-session", "--output-dir", log_path + ".d", "--answers", "follow=N",
    ]  # fmt: skip
    # --eval (the password target) runs only when this is set: the code is ours, above.
    environment = {**os.environ, "TERM": "dumb", "SQLMAP_UNSAFE_EVAL": "1"}
    run = subprocess.run(command, capture_output=True, text=True, env=environment)
    output = run.stdout + run.stderr
    with open(log_path, "w") as log:
        log.write(" ".join(command) + "\n\n" + output)
    after = route_counts(base, target.method, target.route)
    return judge(output, target, before, after)


def main() -> int:
    base, work, level, risk = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
    options = ["--level", level, "--risk", risk]
    if len(sys.argv) > 5 and sys.argv[5]:
        options += ["--dbms", sys.argv[5]]
    os.makedirs(work, exist_ok=True)
    failed = 0
    total_requests = 0
    only = os.environ.get("INJECTION_SCAN_ONLY", "")
    chosen = [(number, target) for number, target in enumerate(targets(base), start=1) if only in target.name]
    if not chosen:
        # An empty target list would pass without testing anything.
        print(f"  FAILED: no target to scan (INJECTION_SCAN_ONLY={only!r})")
        return 1
    for number, target in chosen:
        started = time.monotonic()
        log_path = os.path.join(work, f"sqlmap-{number}.txt")
        problems, answered, delta = scan(base, target, log_path, options)
        total_requests += answered
        statuses = ", ".join(f"{s}: {c}" for s, c in sorted(delta.items()) if c)
        verdict = "ok" if not problems else "FAILED"
        print(
            f"  {verdict:6} {target.name}: {len(target.parameters)} parameter(s), {answered} requests "
            f"({statuses}), {time.monotonic() - started:.0f} s"
        )
        for problem in problems:
            print(f"         - {problem}")
        if problems:
            failed += 1
            print(f"         sqlmap's output: {log_path}")
    print(f"  {total_requests} requests in all; {failed} target(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
