"""The OSP HTTP client against a local threaded HTTP server on 127.0.0.1 (no network)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import requests

from cityindicators import __version__
from cityindicators.exceptions import ConfigError, FetchError
from cityindicators.sources.osp import BASE_URL_ENV, USER_AGENT, XML_BASE_URLS, OspClient

from _http_server import Reply, ScriptedServer

SPEC = Path(__file__).parent / "specimens" / "osp"
XML_CT = "application/force-download"


@pytest.fixture
def osp_server(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy", BASE_URL_ENV):
        monkeypatch.delenv(var, raising=False)
    srv = ScriptedServer("ords/ipospp/ospp/rest_xml").start()
    yield srv
    srv.stop()


def spec(name: str) -> bytes:
    return (SPEC / name).read_bytes()


def make_client(srv: ScriptedServer, *bases: str, **kw) -> tuple[OspClient, list[float]]:
    waits: list[float] = []
    kw.setdefault("timeout", (2.0, 2.0))
    kw.setdefault("retries", 2)
    client = OspClient(list(bases) or [srv.base()], sleep=waits.append, **kw)
    return client, waits


DATA = "ords/ipospp/ospp/rest_xml/data/S3R629_M3010217"


def test_data_query_params_user_agent_and_force_download(osp_server):
    osp_server.add(DATA, Reply(200, spec("median_age.xml"), {"Content-Type": XML_CT}))
    client, waits = make_client(osp_server)
    resp = client.data("S3R629_M3010217", 2024, 2025)
    assert resp.status == 200 and resp.format == "xml" and resp.content_type == XML_CT
    assert resp.content == spec("median_age.xml")
    req = osp_server.requests[0]
    assert req["query"] == {"startPeriod": ["2024"], "endPeriod": ["2025"]}
    assert req["headers"]["User-Agent"] == USER_AGENT == f"cityindicators/{__version__} (+municipal strategic planning)"
    assert waits == []


def test_json_response(osp_server):
    osp_server.add("rest_json/data/S3R629_M3010217", Reply(200, spec("median_age.json"), {"Content-Type": "application/json"}))
    client, _ = make_client(osp_server, osp_server.base("rest_json"), fmt="json")
    assert client.data("S3R629_M3010217", "2024", "2025").format == "json"


def test_500_then_success_is_retried_with_backoff(osp_server):
    osp_server.add(DATA, Reply(500, b"oops"), Reply(503, b"busy"), Reply(200, spec("median_age.xml")))
    client, waits = make_client(osp_server, backoff=0.5)
    resp = client.data("S3R629_M3010217", 2024, 2025)
    assert resp.status == 200
    assert waits == [0.5, 1.0]  # exponential backoff
    assert osp_server.paths().count("/" + DATA) == 3


def test_429_honours_retry_after(osp_server):
    osp_server.add(DATA, Reply(429, b"slow down", {"Retry-After": "3"}), Reply(200, spec("median_age.xml")))
    client, waits = make_client(osp_server)
    client.data("S3R629_M3010217", 2024, 2025)
    assert waits == [3.0]


def test_persistent_500_fails_naming_every_url(osp_server):
    osp_server.add(DATA, Reply(500, b"oops"))
    osp_server.add("rest_xml/data/S3R629_M3010217", Reply(502, b"bad gateway"))
    client, waits = make_client(osp_server, osp_server.base(), osp_server.base("rest_xml"), retries=1)
    with pytest.raises(FetchError) as info:
        client.data("S3R629_M3010217", 2024, 2025)
    msg = str(info.value)
    assert f"{osp_server.base()}data/S3R629_M3010217: HTTP 500 (after 2 attempt(s))" in msg
    assert f"{osp_server.base('rest_xml')}data/S3R629_M3010217: HTTP 502" in msg
    assert len(waits) == 2


def test_timeout_then_success(osp_server):
    osp_server.add(DATA, Reply(200, spec("median_age.xml"), delay=1.0), Reply(200, spec("median_age.xml")))
    client, waits = make_client(osp_server, timeout=(2.0, 0.3))
    resp = client.data("S3R629_M3010217", 2024, 2025)
    assert resp.status == 200 and len(waits) == 1


def test_timeout_every_time(osp_server):
    osp_server.add(DATA, Reply(200, spec("median_age.xml"), delay=0.6))
    client, waits = make_client(osp_server, timeout=(2.0, 0.2), retries=1)
    with pytest.raises(FetchError, match="timed out"):
        client.data("S3R629_M3010217", 2024, 2025)
    assert len(waits) == 1


def test_truncated_body_is_retried(osp_server):
    body = spec("median_age.xml")
    osp_server.add(DATA, Reply(200, body, truncate_to=len(body) // 3), Reply(200, body))
    client, waits = make_client(osp_server)
    resp = client.data("S3R629_M3010217", 2024, 2025)
    assert resp.content == body and len(waits) == 1


def test_truncated_every_time(osp_server):
    body = spec("median_age.xml")
    osp_server.add(DATA, Reply(200, body, truncate_to=100))
    client, _ = make_client(osp_server, retries=1)
    with pytest.raises(FetchError, match="truncated"):
        client.data("S3R629_M3010217", 2024, 2025)


def test_404_sdmx_error_is_final(osp_server):
    osp_server.add(DATA, Reply(404, spec("error_404.xml")))
    client, waits = make_client(osp_server, osp_server.base(), osp_server.base("rest_xml"))
    with pytest.raises(FetchError, match="HTTP 404: SDMX error 100: No Results Found"):
        client.data("S3R629_M3010217", 2024, 2025)
    assert osp_server.paths() == ["/" + DATA] and waits == []


def test_404_html_falls_back_to_next_base(osp_server):
    # the current path is not served here: its 404 is an HTML page -> documented path next
    osp_server.add("rest_xml/data/S3R629_M3010217", Reply(200, spec("median_age.xml")))
    client, _ = make_client(osp_server, osp_server.base(), osp_server.base("rest_xml"))
    resp = client.data("S3R629_M3010217", 2024, 2025)
    assert resp.url.startswith(osp_server.base("rest_xml"))
    assert osp_server.paths() == ["/" + DATA, "/rest_xml/data/S3R629_M3010217"]


def test_301_redirect_to_current_path_is_followed(osp_server):
    target = f"{osp_server.base()}data/S3R629_M3010217?startPeriod=2024&endPeriod=2025"
    osp_server.add("rest_xml/data/S3R629_M3010217", Reply(301, b"", {"Location": target}))
    osp_server.add(DATA, Reply(200, spec("median_age.xml"), {"Content-Type": XML_CT}))
    client, _ = make_client(osp_server, osp_server.base("rest_xml"))
    resp = client.data("S3R629_M3010217", 2024, 2025)
    assert resp.history == [301]
    assert resp.url == target
    assert resp.requested_url.startswith(osp_server.base("rest_xml"))


def test_html_error_page_with_200(osp_server):
    osp_server.add(DATA, Reply(200, spec("error_page.html"), {"Content-Type": "text/html"}))
    client, _ = make_client(osp_server)
    with pytest.raises(FetchError, match="HTML page instead of SDMX .*502 Bad Gateway"):
        client.data("S3R629_M3010217", 2024, 2025)


def test_400_is_not_retried(osp_server):
    osp_server.add(DATA, Reply(400, b"startTime is not supported", {"Content-Type": "text/plain"}))
    client, waits = make_client(osp_server)
    with pytest.raises(FetchError, match="HTTP 400: startTime is not supported"):
        client.data("S3R629_M3010217", 2024, 2025)
    assert waits == []


def test_connection_refused_is_retried_then_reported(osp_server):
    client, waits = make_client(osp_server, "http://127.0.0.1:9/rest_xml/", retries=1)
    with pytest.raises(FetchError, match=r"127.0.0.1:9/rest_xml/data/S3R629_M3010217: connection failed"):
        client.data("S3R629_M3010217", 2024, 2025)
    assert len(waits) == 1


def test_periods_are_mandatory_and_checked():
    client = OspClient(["http://127.0.0.1:9/x/"])
    with pytest.raises(TypeError):
        client.data("S3R629_M3010217")  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="start period '24' must be YYYY"):
        client.data("S3R629_M3010217", "24", "2025")
    with pytest.raises(ConfigError, match="start period 2025 is after end period 2024"):
        client.data("S3R629_M3010217", 2025, 2024)
    with pytest.raises(ConfigError, match="flow id"):
        client.data("S3R629/../x", 2024, 2025)


def test_structure_queries(osp_server):
    osp_server.add("ords/ipospp/ospp/rest_xml/datastructure/LSD/M3010217/latest", Reply(200, spec("datastructure_M3010217.xml")))
    osp_server.add("ords/ipospp/ospp/rest_xml/dataflow/LSD/S3R629_M3010217/latest", Reply(200, spec("dataflows.xml")))
    client, _ = make_client(osp_server)
    resp = client.datastructure("S3R629_M3010217")
    assert osp_server.requests[-1]["query"] == {"references": ["children"]}
    assert b"Codelist" in resp.content
    info = client.flow_names("S3R629_M3010217")
    assert info["name"]["en"].startswith("S3R629 - Median age")


def test_defaults_env_and_tls(monkeypatch, caplog):
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    assert OspClient().base_urls == list(XML_BASE_URLS)
    assert XML_BASE_URLS[0].endswith("/ords/ipospp/ospp/rest_xml/") and XML_BASE_URLS[1].endswith("/rest_xml/")
    assert OspClient(fmt="json").base_urls[0].endswith("/ords/ipospp/ospp/rest_json/")
    monkeypatch.setenv(BASE_URL_ENV, "http://127.0.0.1:1/a, http://127.0.0.1:2/b/")
    assert OspClient().base_urls == ["http://127.0.0.1:1/a/", "http://127.0.0.1:2/b/"]
    assert OspClient().verify is True
    with caplog.at_level(logging.WARNING):
        assert OspClient(verify=False).verify is False
    assert "verification is OFF" in caplog.text
    with pytest.raises(ConfigError, match="must start with http"):
        OspClient(["ftp://x/"])


class _FakeSession(requests.Session):
    """Mocked transport: records the keyword arguments of each request."""

    def __init__(self):
        super().__init__()
        self.calls: list[dict] = []

    def get(self, url, **kw):  # type: ignore[override]
        self.calls.append({"url": url, **kw})
        raise requests.exceptions.SSLError("certificate verify failed")


def test_tls_error_is_reported_with_the_override_hint(tmp_path):
    sess = _FakeSession()
    client = OspClient(["https://osp.invalid/rest_xml/"], session=sess, sleep=lambda s: None)
    with pytest.raises(FetchError, match="TLS certificate check failed .*--insecure"):
        client.data("S3R629_M3010217", 2024, 2025)
    assert sess.calls[0]["verify"] is True and sess.calls[0]["allow_redirects"] is True
    assert sess.calls[0]["timeout"] == (10.0, 30.0)  # DEFAULT_LIMITS: connect 10 s, silence 30 s
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    assert OspClient(["https://osp.invalid/rest_xml/"], session=sess, verify=str(bundle)).verify == str(bundle)
