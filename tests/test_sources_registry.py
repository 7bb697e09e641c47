"""Sources register their parsers and are handed a snapshot writer; they never import the store.

The import rule is checked on the source text (the AST of every module under ``sources/``),
so a lazy ``from .. import store`` inside a function fails as surely as one at the top.
"""

from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cityindicators import store
from cityindicators.snapshots import RawSnapshots, SnapshotWriter, StoredSnapshot
from cityindicators.sources import osp, registry
from cityindicators.sources.extract import import_osp_extract
from cityindicators.sources.files import import_indicators, import_tidy
from test_osp_client import Reply, XML_CT, make_client, osp_server, spec  # noqa: F401  (fixture)

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "cityindicators"

#: What a source may import from the package: its own layer and the foundations below it.
SOURCES_MAY_IMPORT = ("cityindicators.sources", "cityindicators._io", "cityindicators._redact",
                      "cityindicators._debris", "cityindicators._lazy", "cityindicators.config", "cityindicators.exceptions",
                      "cityindicators.geography", "cityindicators.schema", "cityindicators.snapshots")
#: The raw-snapshot layer sits below the sources.
SNAPSHOTS_MAY_IMPORT = ("cityindicators._io", "cityindicators.config", "cityindicators.exceptions",
                        "cityindicators.generations")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).with_suffix(".py").is_file() or (PACKAGE.parent / rel / "__init__.py").is_file()


def package_imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` for every module of the package that ``source`` imports: plain and
    relative imports anywhere in the file (functions too), and module names written as strings
    (``importlib.import_module("cityindicators.x")``)."""
    out: list[tuple[int, str]] = []
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1]) if node.level else ""
            target = ".".join(p for p in (base, node.module or "") if p)
            for alias in node.names:  # ``from .. import store`` imports the module cityindicators.store
                sub = f"{target}.{alias.name}"
                out.append((node.lineno, sub if _is_module(sub) else target))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(
                r"cityindicators(\.\w+)+", node.value):
            out.append((node.lineno, node.value))
    return [(line, name) for line, name in out if name == "cityindicators" or name.startswith("cityindicators.")]


def _violations(path: Path, allowed: tuple[str, ...]) -> list[str]:
    module = _module_name(path)
    found = package_imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    return [f"{path.relative_to(PACKAGE)}:{line}: imports {name}" for line, name in found
            if name != "cityindicators" and not any(name == a or name.startswith(a + ".") for a in allowed)]


def test_no_source_imports_the_store_or_any_layer_above():
    files = sorted((PACKAGE / "sources").rglob("*.py"))
    assert len(files) >= 10  # the osp package, extract, files, the parsers and the register
    bad = [v for f in files for v in _violations(f, SOURCES_MAY_IMPORT)]
    assert not bad, "sources import above their layer (hand them a SnapshotWriter instead):\n" + "\n".join(bad)


def test_the_snapshot_layer_imports_neither_sources_nor_store():
    assert not _violations(PACKAGE / "snapshots.py", SNAPSHOTS_MAY_IMPORT)
    # the register is a leaf: at import time it imports nothing of the package (a source imports it
    # to register itself); it loads the source modules, all of its own layer, only when asked
    reg = PACKAGE / "sources" / "registry.py"
    top = [n for n in ast.parse(reg.read_text(encoding="utf-8")).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert all(isinstance(n, ast.Import) or not n.level and not (n.module or "").startswith("cityindicators")
               for n in top)
    assert not _violations(reg, ("cityindicators.sources",))


def test_the_import_check_sees_lazy_relative_and_string_imports():
    text = (
        "import os\n"
        "from . import sdmx_parse\n"
        "def f():\n"
        "    from .. import store\n"
        "    from ...reports import runner\n"
        "    return __import__('importlib').import_module('cityindicators.indicators')\n"
    )
    found = package_imports(text, "cityindicators.sources.osp.fetch", is_package=False)
    assert sorted(found) == [(2, "cityindicators.sources.osp"), (4, "cityindicators.sources"),
                             (5, "cityindicators.reports.runner"), (6, "cityindicators.indicators")]
    # ``from .. import store`` seen from inside the sources package names the store module
    found = package_imports("from .. import store\n", "cityindicators.sources.files", is_package=False)
    assert found == [(1, "cityindicators.store")]


# -- the register ----------------------------------------------------------------------------------
def test_every_source_parser_is_in_the_register_the_store_reads():
    names = set(registry.parsers())
    assert {"osp-sdmx", "osp-extract", "tidy", "indicators"} <= names
    assert store.PARSERS is registry.PARSERS
    assert registry.PARSERS["osp-sdmx"] is osp.parse_snapshot


def test_a_parser_name_cannot_be_taken_by_another_function():
    def one(path, meta):
        return {}

    def other(path, meta):
        return {}

    try:
        registry.register_parser("test-only", one)
        registry.register_parser("test-only", one)  # the same function again: harmless
        with pytest.raises(ValueError, match=r"'test-only' is already registered for .*one; .*other needs a name"):
            registry.register_parser("test-only", other)
        assert registry.PARSERS["test-only"] is one
    finally:
        registry.PARSERS.pop("test-only", None)


def test_the_build_refuses_a_snapshot_whose_parser_is_not_registered(data_dir, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("territory,year,sex,value\nVisaginas,2014,total,150\n", encoding="utf-8")
    stored = RawSnapshots(data_dir).store("tidy", "births", f, "csv", {"parser": "no-such-parser"})
    with pytest.raises(Exception, match=r"unknown parser 'no-such-parser'; known: \[.*'osp-sdmx'"):
        store.parse_snapshot(stored.path)


# -- the writer a source is handed -------------------------------------------------------------------
@dataclass
class RecordingWriter:
    """A :class:`SnapshotWriter` that keeps what it is given in memory (and a file per snapshot,
    as the fetch needs a folder for its temporary body)."""

    root: Path
    stored: list[dict] = field(default_factory=list)

    def store(self, source, dataset, content, ext, meta) -> StoredSnapshot:
        data = bytes(content) if isinstance(content, (bytes, bytearray)) else Path(content).read_bytes()
        path = self.folder(source, dataset) / f"{hashlib.sha256(data).hexdigest()[:8]}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.stored.append({"source": source, "dataset": dataset, "ext": ext, "meta": dict(meta), "bytes": data})
        return StoredSnapshot(path, True)

    def latest(self, source, dataset):
        files = sorted(self.folder(source, dataset).glob("*.*")) if self.folder(source, dataset).is_dir() else []
        return files[-1] if files else None

    def of_day(self, source, dataset, ext, date=None):
        return self.folder(source, dataset) / f"not-yet.{ext}"

    def folder(self, source, dataset):
        return self.root / source / dataset


def _nothing_under(folder: Path) -> bool:
    return not any(p.is_file() for p in folder.rglob("*"))


def test_the_recording_writer_is_a_snapshot_writer(tmp_path):
    writer: SnapshotWriter = RecordingWriter(tmp_path)  # the protocol's four methods
    assert all(callable(getattr(writer, m)) for m in ("store", "latest", "of_day", "folder"))


def test_an_extract_import_writes_through_the_writer_it_is_handed(tmp_path, data_dir):
    folder = tmp_path / "extract"
    folder.mkdir()
    text = "Territory;Year;Total;Boys;Girls\nZarasai d. mun.;2014;150;80;70\n"
    (folder / "births.csv").write_text(text, encoding="utf-8")
    writer = RecordingWriter(tmp_path / "elsewhere")
    res = import_osp_extract(folder, data_dir=data_dir, writer=writer)
    [call] = writer.stored
    assert (call["source"], call["dataset"], call["ext"]) == ("osp-extract", "births", "csv")
    assert call["meta"]["parser"] == "osp-extract" and call["meta"]["tables"] == ["births"]
    assert call["bytes"] == text.encode("utf-8")
    assert res.rows == {"births": 3} and res.snapshots == [writer.folder("osp-extract", "births") / res.snapshots[0].name]
    assert _nothing_under(data_dir)  # the data directory's own store was not touched


def test_tidy_and_indicator_imports_write_through_the_writer_they_are_handed(tmp_path, data_dir):
    tidy = tmp_path / "births.csv"
    tidy.write_text("territory,year,sex,value\nVisaginas,2014,total,150\n", encoding="utf-8")
    ind = tmp_path / "ind.csv"
    ind.write_text("municipality,indicator,unit,year,value\nVisagino sav.,unemployment_rate,%,2016,12.5\n",
                   encoding="utf-8")
    writer = RecordingWriter(tmp_path / "elsewhere")
    import_tidy(tidy, "births", data_dir=data_dir, writer=writer, source="my-survey")
    import_indicators(ind, data_dir=data_dir, writer=writer)
    assert [(c["source"], c["dataset"], c["meta"]["parser"]) for c in writer.stored] == [
        ("my-survey", "births", "tidy"), ("indicators", "ind", "indicators")]
    assert writer.stored[0]["meta"]["target"] == "births"
    assert _nothing_under(data_dir)


def test_a_fetch_writes_through_the_writer_it_is_handed(osp_server, tmp_path, data_dir):
    osp_server.add("ords/ipospp/ospp/rest_xml/data/S3R629_M3010217",
                   Reply(200, spec("median_age.xml"), {"Content-Type": XML_CT}))
    osp_server.add("ords/ipospp/ospp/rest_xml/dataflow/LSD/S3R629_M3010217/latest", Reply(200, spec("dataflows.xml")))
    client, _ = make_client(osp_server)
    writer = RecordingWriter(tmp_path / "elsewhere")
    [res] = osp.fetch(["median_age"], start=2024, end=2025, data_dir=data_dir, client=client, writer=writer)
    [call] = writer.stored
    assert (call["source"], call["dataset"], call["ext"]) == ("osp", "median_age", "xml")
    assert call["meta"]["parser"] == "osp-sdmx" and call["meta"]["query"] == {"startPeriod": "2024", "endPeriod": "2025"}
    assert call["bytes"] == spec("median_age.xml")
    assert res.action == "fetched" and res.path.parent == writer.folder("osp", "median_age")
    assert [p.name for p in writer.folder("osp", "median_age").iterdir()] == [res.path.name]  # no temporary left
    assert _nothing_under(data_dir)
    # offline, the newest snapshot is asked of the same writer
    [off] = osp.fetch(["median_age"], data_dir=data_dir, offline=True, writer=writer)
    assert off.action == "offline" and off.path == res.path


def test_the_default_writer_is_the_raw_store_of_the_data_directory(tmp_path, data_dir):
    tidy = tmp_path / "births.csv"
    tidy.write_text("territory,year,sex,value\nVisaginas,2014,total,150\n", encoding="utf-8")
    res = import_tidy(tidy, "births", data_dir=data_dir)
    [path] = res.snapshots
    assert path.parent == data_dir / "raw" / "tidy" / "births"
    assert RawSnapshots(data_dir).latest("tidy", "births") == path == store.latest_snapshot("tidy", "births", data_dir)
