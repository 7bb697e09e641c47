"""Network faults against a local HTTP server on 127.0.0.1: deadlines, size caps, bounded
retries, bad bodies, redirect loops, credentials that must never leak, a missing CA bundle.

Each case asserts the message, the exit code (command-line cases) and that nothing stored
changed. Deadlines are small here; the test timeout guards against a fetch that hangs.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path

import pytest

from cityindicators import store
from cityindicators._redact import redact
from cityindicators.exceptions import ConfigError, FetchError
from cityindicators.sources import osp
from cityindicators.sources.osp import BASE_URL_ENV, FetchLimits, OspClient

from _faulty_server import DeadServer
from _http_server import Reply, ScriptedServer
from conftest import assert_clean_error, assert_unchanged, run_cli, store_state

SPEC = Path(__file__).resolve().parents[1] / "specimens" / "osp"
FLOW = "S3R629_M3010217"  # median_age in the packaged catalogue
DATA = f"api/data/{FLOW}"
NAMES = f"api/dataflow/LSD/{FLOW}/latest"
SECRET = "s3cr3t-T0ken"
FAST = FetchLimits(connect_timeout=2.0, read_timeout=1.0, attempt_deadline=1.5, deadline=4.0, retries=2)


def spec(name: str) -> bytes:
    return (SPEC / name).read_bytes()


@pytest.fixture
def server(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                BASE_URL_ENV, "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def dead():
    d = DeadServer()
    yield d
    d.close()


def client(*bases: str, limits: FetchLimits = FAST, **kw) -> tuple[OspClient, list[float]]:
    waits: list[float] = []
    return OspClient(list(bases), limits=limits, sleep=waits.append, **kw), waits


def serve_ok(srv: ScriptedServer, body: bytes | None = None) -> None:
    srv.add(DATA, Reply(200, body if body is not None else spec("median_age.xml"),
                        {"Content-Type": "application/force-download"}))
    srv.add(NAMES, Reply(200, spec("dataflows.xml")))


def snapshots(data_dir: Path) -> list[Path]:
    folder = data_dir / "raw" / "osp" / "median_age"
    return sorted(folder.iterdir()) if folder.exists() else []


def env_for(srv_base: str) -> dict:
    return {BASE_URL_ENV: srv_base, "CITYINDICATORS_OSP_TIMEOUT": "1", "CITYINDICATORS_OSP_ATTEMPT_DEADLINE": "1.5",
            "CITYINDICATORS_OSP_DEADLINE": "4", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}


# -- deadlines ---------------------------------------------------------------------------------
@pytest.mark.timeout(30)
def test_dripping_body_is_cut_at_the_attempt_deadline(server):
    body = spec("median_age.xml")
    server.add(DATA, Reply(200, body, drip_body=0.2))
    c, waits = client(server.base())
    with pytest.raises(FetchError, match=r"cut off at the attempt deadline \(1\.5 s\).*fetch deadline of 4 s passed"):
        c.data(FLOW, 2024, 2025)
    # attempts of 1.5 s, waits of 1 and 2 s: the third attempt would start after the deadline
    assert server.count(DATA) == 2 and waits == [1.0]


@pytest.mark.timeout(30)
def test_dripping_headers_are_cut_at_the_attempt_deadline(server):
    server.add(DATA, Reply(200, spec("median_age.xml"), drip_headers=0.2))
    c, _ = client(server.base(), limits=FetchLimits(read_timeout=1.0, attempt_deadline=1.0, deadline=2.5, retries=0))
    with pytest.raises(FetchError, match=r"no answer within the attempt deadline \(1\.0 s\)"):
        c.data(FLOW, 2024, 2025)


@pytest.mark.timeout(30)
def test_drip_without_length_is_not_taken_for_a_whole_body(server):
    # with no Content-Length the body "ends" when the socket is shut: the cut must still fail.
    # Only the attempt deadline may end the read: the read timeout is far longer (equal, a timer
    # thread late on a loaded machine let the read time out first), and the deadline leaves the
    # headers time to come (a byte of the body every 0.2 s: the body is never whole by then)
    server.add(DATA, Reply(200, spec("median_age.xml"), drip_body=0.2, no_length=True))
    c, _ = client(server.base(), limits=FetchLimits(read_timeout=20.0, attempt_deadline=2.0, deadline=4.0, retries=0))
    with pytest.raises(FetchError, match=r"cut off at the attempt deadline \(2\.0 s\) after \d+ bytes"):
        c.data(FLOW, 2024, 2025)


@pytest.mark.timeout(30)
def test_dead_server_fails_after_its_attempts_and_skips_its_other_paths(dead):
    c, waits = client(dead.base(), dead.base("other"),
                      limits=FetchLimits(read_timeout=0.5, attempt_deadline=5, deadline=20, retries=1))
    with pytest.raises(FetchError) as info:
        c.data(FLOW, 2024, 2025)
    msg = str(info.value)
    assert "timed out (ReadTimeout) (after 2 attempt(s))" in msg
    assert f"{dead.base('other')}data/{FLOW}: not tried, its host did not answer" in msg
    assert waits == [1.0]


@pytest.mark.timeout(30)
def test_dead_server_falls_back_to_a_live_host(dead, server):
    serve_ok(server)
    c, _ = client(dead.base(), server.base(), limits=FetchLimits(read_timeout=0.5, deadline=10, retries=0))
    resp = c.data(FLOW, 2024, 2025)
    assert resp.status == 200 and resp.url.startswith(server.base())


@pytest.mark.timeout(30)
def test_connection_refused_is_retried_a_bounded_number_of_times(dead):
    port = dead.sock.getsockname()[1]
    dead.close()  # nothing listens on the port any more
    c, waits = client(f"http://127.0.0.1:{port}/api/")
    with pytest.raises(FetchError, match=r"connection failed \(ConnectionError.*\(after 3 attempt\(s\)\)"):
        c.data(FLOW, 2024, 2025)
    assert waits == [1.0, 2.0]


@pytest.mark.timeout(30)
def test_retry_after_longer_than_the_deadline_stops_at_once(server):
    server.add(DATA, Reply(429, b"slow down", {"Retry-After": "50"}))
    c, waits = client(server.base())
    with pytest.raises(FetchError, match=r"HTTP 429; the fetch deadline of 4 s passed after 1 attempt"):
        c.data(FLOW, 2024, 2025)
    assert waits == [] and server.count(DATA) == 1


# -- status codes, bounded retries -------------------------------------------------------------
@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_persistent_transient_status_is_retried_then_reported(server, status):
    server.add(DATA, Reply(status, b"busy", {"Content-Type": "text/plain"}))
    c, waits = client(server.base(), limits=FetchLimits(deadline=30, retries=2))
    with pytest.raises(FetchError, match=rf"{DATA}: HTTP {status} \(after 3 attempt\(s\)\)"):
        c.data(FLOW, 2024, 2025)
    assert server.count(DATA) == 3 and waits == [1.0, 2.0]


def test_transient_status_then_success(server):
    server.add(DATA, Reply(503, b"busy"), Reply(429, b"", {"Retry-After": "2"}), Reply(200, spec("median_age.xml")))
    c, waits = client(server.base(), limits=FetchLimits(deadline=30, retries=2))
    assert c.data(FLOW, 2024, 2025).status == 200
    assert waits == [1.0, 2.0]


def test_404_with_an_sdmx_error_is_final(server):
    server.add(DATA, Reply(404, spec("error_404.xml")))
    c, waits = client(server.base(), server.base("other"))
    with pytest.raises(FetchError, match="HTTP 404: SDMX error 100: No Results Found"):
        c.data(FLOW, 2024, 2025)
    assert server.count(DATA) == 1 and waits == []


def test_404_html_on_every_base_names_each(server):
    c, waits = client(server.base(), server.base("other"))
    with pytest.raises(FetchError) as info:
        c.data(FLOW, 2024, 2025)
    msg = str(info.value)
    for base in (server.base(), server.base("other")):
        assert f"{base}data/{FLOW}: HTTP 404 with a html body (the API path may have moved)" in msg
    assert waits == []


# -- bodies ------------------------------------------------------------------------------------
def test_html_error_page_with_status_200(server):
    server.add(DATA, Reply(200, spec("error_page.html"), {"Content-Type": "text/html"}))
    c, _ = client(server.base())
    with pytest.raises(FetchError, match=r"HTML page instead of SDMX \(HTML page '502 Bad Gateway'\)"):
        c.data(FLOW, 2024, 2025)


def test_wrong_content_type_is_judged_by_the_body(server):
    # an SDMX body under a misleading type is used; a CSV body under an XML type is refused
    server.add(DATA, Reply(200, spec("median_age.xml"), {"Content-Type": "text/plain"}))
    c, _ = client(server.base())
    assert c.data(FLOW, 2024, 2025).format == "xml"
    server.add(DATA, Reply(200, b"territory;year;value\n30;2024;41.2\n", {"Content-Type": "application/xml"}))
    with pytest.raises(FetchError, match=r"HTTP 200 but the body is unknown, not SDMX \(content type 'application/xml'\)"):
        c.data(FLOW, 2024, 2025)


def test_empty_body_is_refused(server):
    server.add(DATA, Reply(200, b""))
    c, _ = client(server.base())
    with pytest.raises(FetchError, match="the body is empty, not SDMX"):
        c.data(FLOW, 2024, 2025)


def test_truncated_body_every_time_is_retried_then_reported(server):
    body = spec("median_age.xml")
    server.add(DATA, Reply(200, body, truncate_to=200))
    c, waits = client(server.base(), limits=FetchLimits(deadline=30, retries=1))
    with pytest.raises(FetchError, match=rf"body truncated: the connection broke before the {len(body)} bytes announced .*\(after 2 attempt\(s\)\)"):
        c.data(FLOW, 2024, 2025)
    assert server.count(DATA) == 2


def test_oversize_body_with_a_length_is_refused_before_reading(server):
    server.add(DATA, Reply(200, b"<" + b"x" * (3 * 2**20)))
    c, waits = client(server.base(), limits=FetchLimits(max_bytes=2**20))
    with pytest.raises(FetchError, match=r"the response is 3\.0 MB, more than the limit of 1\.0 MB \(raise it with --max-size\)"):
        c.data(FLOW, 2024, 2025)
    assert server.count(DATA) == 1 and waits == []  # too large is final, not retried


def test_oversize_body_without_a_length_is_stopped_at_the_cap(server):
    server.add(DATA, Reply(200, b"<" + b"x" * (3 * 2**20), no_length=True))
    c, _ = client(server.base(), limits=FetchLimits(max_bytes=2**20))
    with pytest.raises(FetchError, match=r"passed the limit of 1\.0 MB \(stopped after 1\.\d MB"):
        c.data(FLOW, 2024, 2025)


def test_compressed_body_counts_by_its_decoded_size(server):
    # 4 MB of zeros compress to a few kilobytes: the cap applies to what is written to disk
    server.add(DATA, Reply(200, b"<" + b"\0" * (4 * 2**20), gzip=True))
    c, _ = client(server.base(), limits=FetchLimits(max_bytes=2**20))
    with pytest.raises(FetchError, match=r"passed the limit of 1\.0 MB"):
        c.data(FLOW, 2024, 2025)


def test_redirect_loop_is_final(server):
    server.add("api/data/" + FLOW, Reply(302, b"", {"Location": server.root + "/loop/a"}))
    server.add("loop/a", Reply(302, b"", {"Location": server.root + "/loop/b"}))
    server.add("loop/b", Reply(302, b"", {"Location": server.root + "/loop/a"}))
    c, waits = client(server.base())
    with pytest.raises(FetchError, match=r"redirect loop \(more than 30 redirects\)"):
        c.data(FLOW, 2024, 2025)
    assert waits == [] and server.count(DATA) == 1


# -- fetch into the store: streamed to disk, nothing half-written ------------------------------
def test_fetch_streams_the_body_to_a_snapshot_and_leaves_no_temporary_file(server, data_dir):
    serve_ok(server)
    c, _ = client(server.base())
    [res] = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=c)
    assert res.path.read_bytes() == spec("median_age.xml")
    assert [p.name for p in snapshots(data_dir)] == [res.path.name, res.path.name + ".meta.json"]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("fault", [
    Reply(200, spec("median_age.xml"), drip_body=0.2),
    Reply(200, spec("median_age.xml"), truncate_to=100),
    Reply(200, b"<" + b"x" * (2 * 2**20)),
    Reply(500, b"oops"),
], ids=["drip", "truncated", "oversize", "500"])
def test_failed_fetch_leaves_the_previous_snapshot_and_no_debris(server, data_dir, fault):
    serve_ok(server, spec("median_age.xml"))
    c, _ = client(server.base(), limits=FetchLimits(read_timeout=1, attempt_deadline=1, deadline=2.5, retries=1,
                                                    max_bytes=2**20))
    osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=c)
    before = store_state(data_dir)
    server.add(DATA, fault)
    with pytest.raises(FetchError):
        osp.fetch(["median_age"], start=2023, end=2025, data_dir=data_dir, client=c, force=True)
    assert_unchanged(before, data_dir)
    assert not [p for p in snapshots(data_dir) if p.name.startswith(".")]


def test_first_fetch_that_fails_leaves_no_folder(server, data_dir):
    server.add(DATA, Reply(400, b"bad query", {"Content-Type": "text/plain"}))
    c, _ = client(server.base())
    with pytest.raises(FetchError, match="HTTP 400: bad query"):
        osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=c)
    assert not (data_dir / "raw" / "osp" / "median_age").exists()


def test_stale_partial_body_of_a_killed_fetch_is_removed(server, data_dir):
    folder = data_dir / "raw" / "osp" / "median_age"
    folder.mkdir(parents=True)
    host = osp.owner_tag().split(".")[0]
    dead_pid = _dead_pid()
    stale = folder / f".median_age.{host}.{dead_pid}.0123abcd.part"
    live = folder / f".median_age.{host}.{os.getppid()}.0123abcd.part"  # a running fetch's file
    stale.write_bytes(b"<partial")
    live.write_bytes(b"<partial")
    serve_ok(server)
    c, _ = client(server.base())
    osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=c)
    assert not stale.exists() and live.exists()


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_fetch_deadline_covers_data_and_names_together(server, data_dir, caplog):
    # the data take most of the deadline; the names lookup gets what is left and is skipped
    server.add(DATA, Reply(200, spec("median_age.xml"), drip_headers=0.0))
    server.add(NAMES, Reply(200, spec("dataflows.xml"), drip_body=0.3))
    c, _ = client(server.base(), limits=FetchLimits(read_timeout=1, attempt_deadline=1, deadline=1.5, retries=0))
    [res] = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=c)
    assert res.action == "fetched"
    assert "could not read the names of flow" in caplog.text and "attempt deadline" in caplog.text


# -- credentials never leak --------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("http://user:tok@host/a", "http://***@host/a"),
    ("https://tok@host:8443/a?x=1", "https://***@host:8443/a?x=1"),
    ("GET /data/X?startPeriod=2020&token=abc&endPeriod=2021", "GET /data/X?startPeriod=2020&token=***&endPeriod=2021"),
    ("http://h/a?api_key=K1&access_token=T2&sig=S", "http://h/a?api_key=***&access_token=***&sig=***"),
    ("failed: http://u:p@h/x (after 3 attempt(s)); see http://h/?password=pw",
     "failed: http://***@h/x (after 3 attempt(s)); see http://h/?password=***"),
    ("http://host/path?email=a@b.lt&startPeriod=2020", "http://host/path?email=a@b.lt&startPeriod=2020"),
])
def test_redact_masks_user_info_and_secret_parameters(text, expected):
    assert redact(text) == expected


def test_credentials_are_sent_but_not_stored_in_the_sidecar(server, data_dir):
    serve_ok(server)
    c, _ = client(server.base(userinfo=f"user:{SECRET}"))
    [res] = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=c)
    sent = server.requests[0]["headers"].get("Authorization", "")
    assert base64.b64decode(sent.split()[1]).decode() == f"user:{SECRET}"
    side = res.path.with_name(res.path.name + ".meta.json").read_text(encoding="utf-8")
    assert SECRET not in side and "user:" not in side
    assert json.loads(side)["url"].startswith(server.base(userinfo="***"))


def test_token_in_a_redirect_target_is_not_stored(server, data_dir):
    target = f"{server.root}/api/real/{FLOW}?startPeriod=2024&endPeriod=2025&token={SECRET}"
    server.add(DATA, Reply(302, b"", {"Location": target}))
    server.add(f"api/real/{FLOW}", Reply(200, spec("median_age.xml")))
    server.add(NAMES, Reply(200, spec("dataflows.xml")))
    c, _ = client(server.base())
    [res] = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=c)
    meta = json.loads(res.path.with_name(res.path.name + ".meta.json").read_text(encoding="utf-8"))
    assert SECRET not in json.dumps(meta) and meta["url"].endswith("&token=***")


def test_credentials_not_in_the_error_message(server):
    server.add(DATA, Reply(500, b"oops"))
    c, _ = client(server.base(userinfo=f"user:{SECRET}"), limits=FetchLimits(retries=0))
    with pytest.raises(FetchError) as info:
        c.data(FLOW, 2024, 2025)
    assert SECRET not in str(info.value) and "http://***@127.0.0.1" in str(info.value)


def test_credentials_not_in_the_base_url_error():
    with pytest.raises(ConfigError) as info:
        OspClient([f"ftp://user:{SECRET}@host/"])
    assert SECRET not in str(info.value)


@pytest.mark.timeout(60)
def test_cli_verbose_log_and_error_never_show_credentials(server, data_dir):
    server.add(DATA, Reply(503, b"busy"))
    before = store_state(data_dir)
    res = run_cli(["-vv", "fetch", "median_age", "--from", "2024", "--to", "2025"], data_dir,
                  env=env_for(server.base(userinfo=f"user:{SECRET}")))
    assert res.returncode == 1 and "Traceback" not in res.output
    assert "\nerror: OSP request failed: http://***@127.0.0.1" in res.stderr and "HTTP 503 (after 3 attempt(s))" in res.stderr
    assert SECRET not in res.output
    assert "urllib3" in res.stderr and "http://***@127.0.0.1" in res.output  # the debug log was there, redacted
    assert_unchanged(before, data_dir)


@pytest.mark.timeout(60)
def test_cli_successful_fetch_keeps_credentials_out_of_output_and_sidecar(server, data_dir):
    serve_ok(server)
    res = run_cli(["-v", "fetch", "median_age", "--from", "2024", "--to", "2025"], data_dir,
                  env=env_for(server.base(userinfo=f"user:{SECRET}")))
    assert res.returncode == 0, res.output
    assert SECRET not in res.output
    for p in (data_dir / "raw").rglob("*"):
        if p.is_file():
            assert SECRET.encode() not in p.read_bytes(), p


# -- messages, not tracebacks ------------------------------------------------------------------
@pytest.mark.parametrize("var", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_cli_missing_ca_bundle_is_one_line(server, data_dir, tmp_path, var):
    missing = tmp_path / "no" / "ca.pem"
    before = store_state(data_dir)
    res = run_cli(["fetch", "median_age"], data_dir, env={var: str(missing), BASE_URL_ENV: "https://127.0.0.1:9/api/"})
    assert_clean_error(res, rf"^error: \${var}={missing}: no such file; it should name the CA bundle", code=1)
    assert len(res.stderr.strip().splitlines()) == 1
    assert_unchanged(before, data_dir)


def test_missing_ca_bundle_path_given_directly(tmp_path):
    with pytest.raises(ConfigError, match=r"CA bundle .*nope\.pem: no such file"):
        OspClient(["https://127.0.0.1:9/api/"], verify=str(tmp_path / "nope.pem"))


@pytest.mark.parametrize("var, value", [("CITYINDICATORS_OSP_DEADLINE", "soon"),
                                        ("CITYINDICATORS_OSP_MAX_MB", "-5"),
                                        ("CITYINDICATORS_OSP_TIMEOUT", "inf")])
def test_cli_invalid_limit_variable_is_one_line(data_dir, var, value):
    res = run_cli(["fetch", "median_age"], data_dir, env={var: value, BASE_URL_ENV: "http://127.0.0.1:9/api/"})
    assert_clean_error(res, rf"\${var}='{value}': expected a positive number", code=1)


@pytest.mark.timeout(60)
def test_cli_max_size_option_refuses_a_large_response(server, data_dir):
    server.add(DATA, Reply(200, b"<" + b"x" * (2 * 2**20)))
    before = store_state(data_dir)
    res = run_cli(["fetch", "median_age", "--from", "2024", "--to", "2025", "--max-size", "1"], data_dir,
                  env=env_for(server.base()))
    assert_clean_error(res, r"the response is 2\.0 MB, more than the limit of 1\.0 MB", code=1)
    assert_unchanged(before, data_dir)


@pytest.mark.timeout(60)
def test_cli_deadline_option_stops_a_dripping_server(server, data_dir):
    server.add(DATA, Reply(200, spec("median_age.xml"), drip_body=0.3))
    before = store_state(data_dir)
    res = run_cli(["fetch", "median_age", "--from", "2024", "--to", "2025", "--deadline", "2",
                   "--attempt-deadline", "1"], data_dir, env=env_for(server.base()))
    assert_clean_error(res, r"cut off at the attempt deadline \(1\.0 s\).*fetch deadline of 2 s passed", code=1)
    assert_unchanged(before, data_dir)


def test_fetch_help_says_how_long_a_fetch_may_take():
    from cityindicators.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    text = sub.choices["fetch"].format_help().replace("\n", " ")
    limits = osp.DEFAULT_LIMITS
    assert f"at most --deadline seconds (default {limits.deadline:.0f}" in " ".join(text.split())
    assert f"(default {limits.attempt_deadline:.0f})" in text
    assert f"(default {limits.max_bytes // 2**20} MB)" in " ".join(text.split())
    # a host that never answers: 3 attempts of 30 s with waits of 1 and 2 s, "about 1.5 minutes"
    assert limits.worst_case_dead_server() == 93.0
