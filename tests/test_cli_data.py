import json
from pathlib import Path

import pytest

from cityindicators.cli import main


def test_resolve_prints_code_and_name(capsys):
    assert main(["resolve", "Visaginas", "LT-59", "Siauliu m. sav."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["30\tVisagino sav.", "30\tVisagino sav.", "29\tŠiaulių m. sav."]


def test_resolve_unknown_is_nonzero(capsys):
    assert main(["resolve", "Visaginas", "Vilnius"]) == 1
    captured = capsys.readouterr()
    assert captured.out.strip() == "30\tVisagino sav."
    assert "ambiguous" in captured.err


def test_municipalities_formats(capsys):
    assert main(["municipalities", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 60 and {"code", "iso", "name_lt", "name_en", "type", "county"} <= set(rows[0])
    assert main(["municipalities", "--format", "csv"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 61


def test_data_dir_option_and_env(tmp_path, monkeypatch, capsys):
    f = tmp_path / "births.csv"
    f.write_text("territory,year,sex,value\nVisaginas,2020,total,120\n", encoding="utf-8")
    monkeypatch.setenv("CITYINDICATORS_DATA_DIR", str(tmp_path / "envdata"))
    assert main(["import", "tidy", str(f), "--dataset", "births"]) == 0
    assert main(["build"]) == 0
    assert (tmp_path / "envdata" / "processed" / "births.parquet").exists()
    # the option wins over the environment
    assert main(["--data-dir", str(tmp_path / "optdata"), "demo"]) == 0
    assert (tmp_path / "optdata" / "processed" / "population.parquet").exists()
    assert not (tmp_path / "envdata" / "processed" / "population.parquet").exists()
    assert "SYNTHETIC" in capsys.readouterr().out.upper()


def test_import_error_exit_code(tmp_path, capsys):
    bad = tmp_path / "x"
    bad.mkdir()
    (bad / "population.csv").write_text("Territory,Year,Age,Total,Men,Women\n", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "d"), "import", "osp-extract", str(bad)]) == 1
    assert "population.csv" in capsys.readouterr().err


def test_datasets_of_an_empty_data_directory_say_so(tmp_path, capsys):
    """A mistyped --data-dir lists nothing; a note on stderr says where it looked (exit 0: an
    empty listing is no error), and the machine formats stay clean."""
    empty = tmp_path / "typo"
    assert main(["--data-dir", str(empty), "datasets"]) == 0
    captured = capsys.readouterr()
    assert captured.err.strip() == (f"note: no dataset is built in {empty / 'processed'}; run 'cityindicators demo', "
                                    "or 'cityindicators import ...' or 'fetch', then 'cityindicators build'")
    assert main(["--data-dir", str(empty), "datasets", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {}


@pytest.mark.parametrize("env", [None, ""])
def test_datasets_without_data_dir_say_where_they_looked(tmp_path, capsys, monkeypatch, env):
    # without --data-dir the note was an internal error (TypeError: Path(None))
    monkeypatch.chdir(tmp_path)
    if env is None:
        monkeypatch.delenv("CITYINDICATORS_DATA_DIR", raising=False)
    else:
        monkeypatch.setenv("CITYINDICATORS_DATA_DIR", env)
    assert main(["datasets"]) == 0
    assert capsys.readouterr().err.startswith(f"note: no dataset is built in {Path('data') / 'processed'}; ")
