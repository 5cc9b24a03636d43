"""A real Attest server for the SDK compatibility suites, and what the tests share.

The `attest` fixture (one per pytest session) starts
`attest serve --demo --demo-identities 200 --listen 127.0.0.1:0` on a fresh SQLite database,
reads the address and the demo administrator's client id and secret from what it prints, creates
an ordinary reviewer client with `attest pat create`, and stops the server with SIGTERM at the
end, failing the session unless it exits with status 0.

It also writes the same organisation's data bundle (`attest demo-data --seed 2026`, see
demo_org.py) and checks it against the server, so the suites know what every campaign holds.

The binary is `$ATTEST_BIN`, or `target/debug/attest` of this repository (scripts/compat builds
it). Nothing here depends on an SDK: the suites import it with either SDK installed.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from demo_org import DEMO_SEED, DemoOrg

REPO_ROOT = Path(__file__).resolve().parents[2]

#: The identity the reviewer client acts as: an ordinary member of the 200-identity demo
#: organisation, with no authority.
REVIEWER_IDENTITY = "E000050"

#: How long a server may take to print its banner, and to stop after SIGTERM.
START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0

#: The texts Attest (like SailPoint) answers a refused bearer token with (docs/api.md).
UNAUTHORIZED_TEXTS = {
    "JWT validation failed: JWT is expired",
    "JWT validation failed: invalid token",
    "Missing or malformed Authorization header",
}

HEX32 = re.compile(r"^[0-9a-f]{32}$")

#: The size of the demo organisation every suite runs against.
DEMO_IDENTITIES = 200


def attest_bin() -> str:
    path = os.environ.get("ATTEST_BIN") or str(REPO_ROOT / "target" / "debug" / "attest")
    if not os.access(path, os.X_OK):
        pytest.exit(
            f"no attest binary at {path}: run scripts/compat, or set ATTEST_BIN", returncode=3
        )
    return path


def clean_env() -> Dict[str, str]:
    """The caller's environment without ATTEST_* settings, so only our flags configure Attest."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ATTEST_")}


@dataclass
class Client:
    """An API client (personal access token) of Attest."""

    client_id: str
    client_secret: str
    identity_id: str


@dataclass
class Process:
    """A running `attest serve`, with everything it printed so far."""

    popen: subprocess.Popen
    workdir: Path
    stdout_lines: List[str] = field(default_factory=list)
    _reader: Optional[threading.Thread] = None

    def stderr(self) -> str:
        try:
            return (self.workdir / "stderr.log").read_text(errors="replace")
        except OSError:
            return ""

    def describe(self) -> str:
        return (
            f"stdout:\n{''.join(self.stdout_lines)}\nstderr (last 4000 chars):\n"
            f"{self.stderr()[-4000:]}"
        )

    def stop(self) -> tuple[int, float]:
        """SIGTERM, then wait. Returns (exit status, seconds it took to stop)."""
        started = time.monotonic()
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(
                f"attest did not stop within {STOP_TIMEOUT}s of SIGTERM\n{self.describe()}"
            )
        if self._reader is not None:
            self._reader.join(timeout=5)
        return code, time.monotonic() - started


def start_serve(database_url: str, workdir: Path, extra: List[str]) -> tuple[Process, Dict[str, str]]:
    """Starts `attest serve` and waits for its banner.

    Returns the process and what the banner said: `url`, and with `--demo` also `admin_identity`,
    `client_id` and `client_secret`. Standard output keeps being read in a thread, as a terminal
    would, so the server never blocks on a full pipe.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    stderr = open(workdir / "stderr.log", "wb")
    popen = subprocess.Popen(
        [attest_bin(), "--log", "warn", "--database", database_url, "serve",
         "--listen", "127.0.0.1:0", *extra],
        cwd=workdir,  # no attest.toml of the caller's is picked up
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        bufsize=1,
    )
    stderr.close()
    proc = Process(popen=popen, workdir=workdir)
    banner: Dict[str, str] = {}
    demo = "--demo" in extra
    done = threading.Event()

    def read() -> None:
        assert popen.stdout is not None
        for line in popen.stdout:
            proc.stdout_lines.append(line)
            text = line.strip()
            if line.startswith("Attest is serving on http://"):
                banner["url"] = line[len("Attest is serving on "):].strip()
            elif m := re.match(r"Demo administrator \((\S+), ORG_ADMIN\):", text):
                banner["admin_identity"] = m.group(1)
            elif text.startswith("client id:"):
                banner["client_id"] = text[len("client id:"):].strip()
            elif text.startswith("client secret:"):
                banner["client_secret"] = text[len("client secret:"):].strip()
            if "url" in banner and (not demo or "client_secret" in banner):
                done.set()
        done.set()  # end of output: the process has gone

    proc._reader = threading.Thread(target=read, name="attest-stdout", daemon=True)
    proc._reader.start()
    if not done.wait(START_TIMEOUT) or "url" not in banner or (demo and "client_secret" not in banner):
        if popen.poll() is None:
            popen.kill()
            popen.wait()
        raise AssertionError(
            f"attest serve printed no complete banner (exit status {popen.poll()})\n{proc.describe()}"
        )
    return proc, banner


def create_pat(database_url: str, workdir: Path, identity: str, authorities: List[str]) -> Client:
    """`attest pat create --json`; works while the server runs on the same SQLite database."""
    args = [attest_bin(), "--log", "warn", "--database", database_url, "pat", "create",
            "--identity", identity, "--name", "sdk compatibility", "--json"]
    for a in authorities:
        args += ["--authority", a]
    out = subprocess.run(args, cwd=workdir, env=clean_env(), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, f"pat create failed ({out.returncode}): {out.stderr}"
    obj = json.loads(out.stdout)
    assert set(obj) == {"clientId", "clientSecret"}, out.stdout
    return Client(obj["clientId"], obj["clientSecret"], identity)


@dataclass
class Attest:
    """The server a suite talks to."""

    url: str
    database_url: str
    admin: Client
    reviewer: Client
    workdir: Path
    demo: Optional[DemoOrg] = None
    _expired_token: Optional[str] = None
    _pats: Dict[Tuple[str, Tuple[str, ...]], Client] = field(default_factory=dict)

    def client(self, who: str) -> Client:
        return {"admin": self.admin, "reviewer": self.reviewer}[who]

    def pat(self, identity: str, authorities: Tuple[str, ...] = ()) -> Client:
        """A client of `identity` with these authorities, made once per session with
        `attest pat create` (the reviewer fixture's way)."""
        key = (identity, tuple(sorted(authorities)))
        if key not in self._pats:
            self._pats[key] = create_pat(self.database_url, self.workdir, identity,
                                         list(key[1]))
        return self._pats[key]

    def expired_token(self) -> str:
        """A genuine token of the administrator that has expired.

        Issued by a second server on the same database (tokens are valid on every node that
        shares it) started with `--token-ttl 1`, then left to expire.
        """
        if self._expired_token is None:
            proc, banner = start_serve(self.database_url, self.workdir / "short-ttl",
                                       ["--token-ttl", "1"])
            try:
                status, body, _ = http("POST", banner["url"] + "/oauth/token", form={
                    "grant_type": "client_credentials",
                    "client_id": self.admin.client_id,
                    "client_secret": self.admin.client_secret,
                })
            finally:
                code, _ = proc.stop()
            assert status == 200, body
            assert code == 0, f"short-ttl server exit status {code}\n{proc.describe()}"
            token = json.loads(body)["access_token"]
            exp = jwt_claims(token)["exp"]
            while time.time() < exp + 1:
                time.sleep(0.2)
            self._expired_token = token
        return self._expired_token


def http(method: str, url: str, *, form: Optional[Dict[str, str]] = None,
         token: Optional[str] = None) -> tuple[int, str, Dict[str, str]]:
    """One plain HTTP request (no SDK). Returns (status, body, headers)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if token is not None:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), dict(e.headers)


def me(attest: Attest, token: str) -> Dict[str, Any]:
    """Who a token is, from Attest's native `GET /api/v1/me`."""
    status, body, _ = http("GET", attest.url + "/api/v1/me", token=token)
    assert status == 200, body
    return json.loads(body)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_claims(token: str) -> Dict[str, Any]:
    return json.loads(_b64decode(token.split(".")[1]))


def forged_token(token: str) -> str:
    """The same token with its claims changed (another identity) and the old signature."""
    header, _, signature = token.split(".")
    claims = jwt_claims(token)
    claims["sub"] = "E000001"
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}.{signature}"


def bad_token(attest: Attest, kind: str, good: str) -> str:
    """A token Attest must refuse: `garbage`, `forged` or `expired`."""
    if kind == "garbage":
        return "garbage"
    if kind == "forged":
        return forged_token(good)
    if kind == "expired":
        return attest.expired_token()
    raise ValueError(kind)


BAD_TOKENS = ["garbage", "forged", "expired"]


# --- spies: what the SDK sends and receives, observed without changing it -------------------


@dataclass
class Exchange:
    method: str
    url: str
    fields: Any
    headers: Dict[str, Any]
    status: Optional[int] = None
    body: Optional[bytes] = None


def spy_token_requests(monkeypatch: pytest.MonkeyPatch) -> List[Exchange]:
    """Records the SDK's token requests: both SDK lines POST with
    `urllib3.PoolManager.request_encode_body` in `Configuration.get_access_token`."""
    import urllib3

    seen: List[Exchange] = []
    original = urllib3.PoolManager.request_encode_body

    def spy(self, method, url, fields=None, headers=None, encode_multipart=True, **kw):
        ex = Exchange(method, url, fields, dict(headers or {}))
        ex.headers["(encode_multipart)"] = encode_multipart
        seen.append(ex)
        resp = original(self, method, url, fields=fields, headers=headers,
                        encode_multipart=encode_multipart, **kw)
        ex.status, ex.body = resp.status, resp.data
        return resp

    monkeypatch.setattr(urllib3.PoolManager, "request_encode_body", spy)
    return seen


def spy_api_requests(api_client: Any) -> List[Exchange]:
    """Records the HTTP requests one generated `ApiClient` sends (its `rest_client.request`)."""
    seen: List[Exchange] = []
    original: Callable = api_client.rest_client.request

    def spy(method, url, headers=None, body=None, post_params=None, _request_timeout=None):
        ex = Exchange(method, url, body, dict(headers or {}))
        seen.append(ex)
        resp = original(method, url, headers=headers, body=body, post_params=post_params,
                        _request_timeout=_request_timeout)
        ex.status = resp.status
        return resp

    api_client.rest_client.request = spy
    return seen


# --- shared assertions ----------------------------------------------------------------------


def assert_error_response_dto(body: str, headers: Any, detail_code: str) -> Dict[str, Any]:
    """The body is a SailPoint ErrorResponseDto with the given detailCode."""
    dto = json.loads(body)
    assert dto["detailCode"] == detail_code, dto
    assert HEX32.match(dto["trackingId"]), dto
    request_id = {k.lower(): v for k, v in dict(headers or {}).items()}.get("x-request-id")
    assert dto["trackingId"] == request_id, (dto, headers)
    assert dto["messages"], dto
    for m in dto["messages"] + dto.get("causes", []):
        assert m["locale"] == "en-US", dto
        assert m["localeOrigin"] in ("DEFAULT", "REQUEST"), dto
        assert isinstance(m["text"], str) and m["text"], dto
    return dto


def assert_unauthorized_body(body: str, kind: str) -> str:
    """The body is SailPoint's 401 `{"error": "..."}`; returns the text."""
    obj = json.loads(body)
    assert set(obj) == {"error"}, obj
    assert obj["error"] in UNAUTHORIZED_TEXTS, obj
    if kind == "expired":
        assert obj["error"] == "JWT validation failed: JWT is expired", obj
    else:
        assert obj["error"] != "JWT validation failed: JWT is expired", obj
    return obj["error"]


def assert_token_response(raw: bytes, identity: str) -> Dict[str, Any]:
    """The token endpoint's 200 answer as CONTRACTS.md "Authentication" promises it."""
    obj = json.loads(raw)
    assert obj["token_type"] == "bearer", obj
    assert isinstance(obj["access_token"], str) and obj["access_token"].count(".") == 2, obj
    assert isinstance(obj["expires_in"], int) and obj["expires_in"] > 0, obj
    assert isinstance(obj["scope"], str), obj
    assert obj["identity_id"] == identity, obj
    return obj


def demo_org(server: Attest) -> DemoOrg:
    """The demo organisation's bundle, written by the same generator with the seed `--demo`
    uses, and checked against the warehouse counts the server reports."""
    demo = DemoOrg.generate(attest_bin(), server.workdir / "demo-bundle", DEMO_IDENTITIES,
                            clean_env())
    status, body, _ = http("POST", server.url + "/oauth/token", form={
        "grant_type": "client_credentials",
        "client_id": server.admin.client_id,
        "client_secret": server.admin.client_secret,
    })
    assert status == 200, body
    token = json.loads(body)["access_token"]
    status, body, _ = http("GET", server.url + "/api/v1/warehouse/summary", token=token)
    assert status == 200, body
    counts = json.loads(body)
    for name, rows in demo.row_counts.items():
        assert counts[name] == rows, (
            f"the server's demo organisation is not `attest demo-data --seed {DEMO_SEED}` "
            f"output: {name} {counts[name]} != {rows} (did serve.rs's DEMO_SEED change?)")
    # The counts barely depend on the seed; the people do.
    who = me(server, token)
    row = demo.identities[server.admin.identity_id]
    assert (who["name"], who["email"]) == (row["name"], row["email"]), (
        f"the server's demo administrator is not the bundle's {row}: {who} "
        f"(did serve.rs's DEMO_SEED change?)")
    return demo


# --- the fixture ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def attest(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("attest")
    database_url = f"sqlite://{workdir / 'attest.db'}"
    proc, banner = start_serve(database_url, workdir / "serve",
                               ["--demo", "--demo-identities", str(DEMO_IDENTITIES)])
    try:
        # The demo organisation exists only once the server has loaded it, so the reviewer's
        # client is created while the server runs (SQLite allows the second writer).
        reviewer = create_pat(database_url, workdir, REVIEWER_IDENTITY, [])
        server = Attest(
            url=banner["url"],
            database_url=database_url,
            admin=Client(banner["client_id"], banner["client_secret"], banner["admin_identity"]),
            reviewer=reviewer,
            workdir=workdir,
        )
        server.demo = demo_org(server)
    except BaseException:
        proc.stop()
        raise
    yield server
    code, seconds = proc.stop()
    assert code == 0, f"attest serve exited with {code} after SIGTERM\n{proc.describe()}"
    print(f"\nattest serve stopped in {seconds:.2f}s after SIGTERM")
