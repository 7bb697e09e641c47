"""Benchmark: `import osp-extract` + `build` of the full lt-osp extract.

Target (issue 2): under 10 s and under 1 GB on the project's 2-core machine.
Run: python benchmarks/bench_build.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _common import measure, require_shared

from cityindicators import store
from cityindicators.indicators import load_data
from cityindicators.sources.extract import import_osp_extract


def main() -> None:
    shared = require_shared()
    # The package imports pandera and the source modules on first use (so that `resolve` and
    # `--help` start fast); before issue 10 they came with `import cityindicators.store`, outside
    # the timer. Timed apart, so that the build's figure is the build's in both.
    with measure("libraries imported on first use (pandera, the source modules; once per process)"):
        import pandera.pandas  # noqa: F401

        from cityindicators.sources.registry import parsers

        parsers()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        with measure("import osp-extract + build (full lt-osp extract)"):
            res = import_osp_extract(shared / "lt-osp", data_dir=d)
            report = store.build(d)
        print(f"  rows imported: {sum(res.rows.values()):,}; tables built: {len(report.tables)}")
        with measure("load population (all territories, years)"):
            store._CACHE.clear()
            store.load("population", data_dir=d)
        with measure("load population, both sexes (sex='total')"):
            store._CACHE.clear()
            store.load("population", sex="total", data_dir=d)
        with measure("indicators.load_data (every table; both sex levels)"):
            store._CACHE.clear()
            load_data(data_dir=d)


if __name__ == "__main__":
    main()
