"""Signs in to a Sensate demo server as one demo account, the way a browser does, and prints
what an API client then sends: the session cookie and the session's anti-forgery token.

    python signin.py BASE_URL EMAIL    # prints two lines: the cookie as name=value, the token

The password is the demo's shared one. For accounts with two-factor sign-in, the current code is
read from the demo's /demo page (demo mode only), as a person trying the demo would.
"""

import html
import re
import sys
import time

import requests

DEMO_PASSWORD = "demo-sensate-2026"


def form_token(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    if not found:
        raise SystemExit("signin.py: the page has no anti-forgery token")
    return html.unescape(found.group(1))


class Browser:
    """Keeps cookies by hand: the server marks them Secure (it treats loopback as a secure
    origin, as browsers do), and Python's cookie jar sends Secure cookies over https only."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        answer = self.http.request(
            method, f"{self.base}{path}", headers={"Cookie": header}, allow_redirects=False, timeout=60, **kwargs
        )
        for line in answer.raw.headers.getlist("Set-Cookie"):
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in rest:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return answer


def current_code(browser: Browser, email: str) -> str:
    page = browser.request("GET", "/demo").text
    # One table row per account: the e-mail in the first cell, the code in the second.
    row = re.search(rf"<code>{re.escape(email)}</code></td>\s*<td><code>(\d{{6}})</code>", page)
    if not row:
        raise SystemExit(f"signin.py: /demo shows no current code for {email}")
    return row.group(1)


def sign_in(base: str, email: str) -> tuple[str, str, str]:
    """Signs in; returns the session cookie's name and value, and the anti-forgery token."""
    base = base.rstrip("/")
    browser = Browser(base)
    token = form_token(browser.request("GET", "/sign-in").text)
    answer = browser.request(
        "POST", "/sign-in", data={"csrf": token, "email": email, "password": DEMO_PASSWORD, "next": "/"}
    )
    if answer.status_code != 303:
        raise SystemExit(f"signin.py: sign-in as {email} answered {answer.status_code}, not 303")
    if answer.headers["Location"].startswith("/sign-in/two-factor"):
        second_step = answer.headers["Location"]
        for attempt in range(2):
            if attempt:
                # Each code works once: one already used (an earlier sign-in in the same 30 s)
                # is refused, so wait for the next one.
                time.sleep(31 - time.time() % 30)
            code = current_code(browser, email)
            token = form_token(browser.request("GET", second_step).text)
            answer = browser.request("POST", "/sign-in/two-factor", data={"csrf": token, "code": code, "next": "/"})
            if answer.status_code == 303:
                break
        if answer.status_code != 303:
            raise SystemExit(f"signin.py: the second factor for {email} answered {answer.status_code}, not 303")
    me = browser.request("GET", "/api/v1/me")
    if me.status_code != 200:
        raise SystemExit(f"signin.py: /api/v1/me answered {me.status_code} after signing in as {email}")
    name = next(n for n in browser.cookies if n.endswith("sensate"))
    return name, browser.cookies[name], me.json()["csrf_token"]


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    name, value, token = sign_in(sys.argv[1], sys.argv[2])
    print(f"{name}={value}")
    print(token)


if __name__ == "__main__":
    main()
