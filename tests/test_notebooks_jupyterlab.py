"""JupyterLab smoke test: start ``jupyter lab`` on loopback with a token, open a template through
the contents REST API, start a kernel and run the template's first cells over the kernel
websocket, then stop the server."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(url: str, token: str, method: str = "GET", body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"{}")


@contextlib.contextmanager
def _serve(root: Path, tmp_path: Path, env: dict | None = None):
    """A JupyterLab server on 127.0.0.1 with a token serving ``root``; yields (base URL, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    env = dict(env if env is not None else os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"))
    log = open(tmp_path / "lab.log", "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                _request(f"{base}/api/status", token)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not start within 60 s")
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 with a token, serving a copy of the templates."""
    root = tmp_path / "lab"
    shutil.copytree(ROOT / "notebooks", root)
    with _serve(root, tmp_path) as served:
        yield served


def _execute(ws_url: str, sources: list[str], timeout: float = 120) -> list[dict]:
    """Run ``sources`` one after the other on a kernel websocket; return the replies and outputs."""
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    async def run() -> list[dict]:
        conn = await websocket_connect(ws_url)
        session = uuid.uuid4().hex
        results = []
        try:
            for src in sources:
                msg_id = uuid.uuid4().hex
                await conn.write_message(json.dumps({
                    "header": {"msg_id": msg_id, "username": "test", "session": session, "msg_type": "execute_request",
                               "version": "5.3", "date": ""},
                    "parent_header": {}, "metadata": {}, "channel": "shell",
                    "content": {"code": src, "silent": False, "store_history": True, "user_expressions": {},
                                "allow_stdin": False, "stop_on_error": True},
                    "buffers": [],
                }))
                outputs, reply, idle = [], None, False
                deadline = time.monotonic() + timeout
                while not (reply and idle):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"no reply for {src[:40]!r}")
                    raw = await conn.read_message()
                    if raw is None:
                        raise ConnectionError("kernel websocket closed")
                    if isinstance(raw, bytes):
                        continue
                    m = json.loads(raw)
                    if m.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind = m["header"]["msg_type"]
                    if kind == "execute_reply":
                        reply = m["content"]
                    elif kind == "status" and m["content"]["execution_state"] == "idle":
                        idle = True
                    elif kind in ("display_data", "execute_result", "stream", "error"):
                        outputs.append(m["content"] | {"msg_type": kind})
                results.append({"reply": reply, "outputs": outputs})
        finally:
            conn.close()
        return results

    return IOLoop.current().run_sync(run, timeout=timeout * len(sources) + 30)


def test_jupyterlab_runs_template_first_cells(lab, tmp_path):
    from cityindicators.demo import build_demo

    base, token = lab
    data = tmp_path / "data"
    build_demo(data)
    # the Lab front-end is served
    req = urllib.request.Request(f"{base}/lab?token={token}")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and b"JupyterLab" in resp.read()
    # open the notebook through the contents API
    model = _request(f"{base}/api/contents/situation_analysis.ipynb?content=1", token)
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"]["tags"]
    # start a kernel in a session for that notebook, run the parameters and setup cells
    sess = _request(f"{base}/api/sessions", token, "POST",
                    {"path": "situation_analysis.ipynb", "type": "notebook", "name": "",
                     "kernel": {"name": "python3"}})
    kernel_id = sess["kernel"]["id"]
    ws = f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/api/kernels/{kernel_id}/channels?token={token}"
    override = f"data_dir = {str(data)!r}\nlanguage = 'en'"
    results = _execute(ws, [code[0]["source"], override, code[1]["source"], code[2]["source"]])
    for r in results:
        assert r["reply"]["status"] == "ok", r
    markdown = [o["data"]["text/markdown"] for r in results for o in r["outputs"] if "text/markdown" in o.get("data", {})]
    assert any("Eglynas Municipality: situation analysis" in m for m in markdown)
    assert any("Key findings" in m for m in markdown)
    req = urllib.request.Request(f"{base}/api/sessions/{sess['id']}", method="DELETE",
                                 headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 204


def _session(base: str, token: str, path: str) -> tuple[str, str]:
    sess = _request(f"{base}/api/sessions", token, "POST",
                    {"path": path, "type": "notebook", "name": "", "kernel": {"name": "python3"}})
    ws = f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/api/kernels/{sess['kernel']['id']}/channels?token={token}"
    return sess["id"], ws


def test_jupyterlab_runs_a_shipped_notebook_with_its_defaults(tmp_path):
    """The project's layout (notebooks/ beside data/), JupyterLab opened on it, the template run
    from top to bottom with nothing changed: the kernel runs in notebooks/, and the notebook
    finds the project's data/ by itself."""
    from cityindicators.demo import build_demo

    project = tmp_path / "project"
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    build_demo(project / "data")
    env = {k: v for k, v in os.environ.items() if k not in ("CITYINDICATORS_DATA_DIR", "CITYINDICATORS_REPORT_EXPORT")}
    with _serve(project, tmp_path, env) as (base, token):
        model = _request(f"{base}/api/contents/notebooks/situation_analysis.ipynb?content=1", token)
        code = [c["source"] for c in model["content"]["cells"] if c["cell_type"] == "code"]
        _, ws = _session(base, token, "notebooks/situation_analysis.ipynb")
        results = _execute(ws, code + ["import os; print(os.getcwd())"], timeout=300)
    for r in results:
        assert r["reply"]["status"] == "ok", r
    markdown = [o["data"]["text/markdown"] for r in results for o in r["outputs"] if "text/markdown" in o.get("data", {})]
    assert any("Eglyno sav.: situacijos analizė" in m for m in markdown)  # the shipped defaults: X13, lt
    images = [o for r in results for o in r["outputs"] if "image/png" in o.get("data", {})]
    assert len(images) >= 6
    cwd = "".join(o.get("text", "") for o in results[-1]["outputs"]).strip()
    assert Path(cwd).resolve() == (project / "notebooks").resolve()
    assert not list((project / "notebooks").glob("charts")) and not (project / "notebooks" / "data").exists()


def test_setup_names_the_absolute_path_it_looked_in(tmp_path, monkeypatch):
    from cityindicators import ReportParameterError
    from cityindicators.reports import sections

    monkeypatch.delenv("CITYINDICATORS_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReportParameterError, match=f"no data/processed was found in {tmp_path.resolve()} or its parents"):
        sections.setup("X13", data_dir="", show=False)
    with pytest.raises(ReportParameterError, match=f"no processed tables in {(tmp_path / 'elsewhere').resolve()}"):
        sections.setup("X13", data_dir="elsewhere", show=False)


def test_setup_checks_parameters_as_the_command_line(demo_dir):
    from cityindicators import ReportParameterError
    from cityindicators.reports import sections

    with pytest.raises(ReportParameterError, match="parameter 'language'"):
        sections.setup("X13", language="de", data_dir=demo_dir, show=False)
    with pytest.raises(ReportParameterError, match="parameter 'years'"):
        sections.setup("X13", years=[2015, 2010], data_dir=demo_dir, show=False)
    with pytest.raises(ReportParameterError, match="parameter 'territory'"):
        sections.setup("X00", data_dir=demo_dir, show=False)  # the demo country, not a municipality
