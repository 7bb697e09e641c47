"""Benchmark of plan monitoring (prints figures; asserts nothing).

1. A plan of 30 criteria: loading (validation, indicators read from the data), then the check
   (statuses of every criterion and year) and the outlook (projection under three scenarios,
   500 stochastic trajectories, the inflows, the trends). Target: check and outlook under 2 s
   after loading.
2. The monitoring report of the shipped example plan against the situation report of the same
   municipality (target: not slower).

Runs on the real lt-osp extract when ../shared/data (or $CITYINDICATORS_SHARED_DATA) is there
(Visaginas and its example plan), else on the synthetic demo data (Eglynas). The 30 criteria
are made here from the indicators the data have: targets are the base-year values moved by a
few percent, so no figure is typed in.

Usage: python benchmarks/bench_monitoring.py [--skip-reports]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import measure  # noqa: E402
from bench_reports import PeakMemory, prepare_data  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: Indicators the generated plan cycles through (demographic ones first), with a direction.
INDICATORS = (("population", "at_least"), ("working_age_share", "at_least"), ("old_age_dependency_ratio", "at_most"),
              ("share_65_plus", "at_most"), ("median_age", "at_most"), ("net_migration", "at_least"),
              ("births", "at_least"), ("working_age_population", "at_least"), ("share_0_14", "at_least"),
              ("crude_birth_rate", "at_least"), ("crude_death_rate", "at_most"), ("natural_change", "at_least"),
              ("registered_unemployed_ratio", "at_most"), ("emigration_rate", "at_most"), ("ageing_index", "at_most"))


def thirty_criteria_plan(data: Path, territory: str, folder: Path) -> Path:
    """A plan of 30 criteria on the indicators present for ``territory``, base year 5 years back."""
    from cityindicators.indicators import compute_indicators

    ids = [i for i, _ in INDICATORS]
    ind = compute_indicators(ids, territories=territory, data_dir=data, dropna=True)
    last = int(ind[ind["indicator"] == "population"]["year"].max())
    base = last - 5
    values = ind[ind["year"] == base].set_index("indicator")["value"]
    usable = [(i, d) for i, d in INDICATORS if i in values.index]
    criteria = []
    for k in range(30):
        i, d = usable[k % len(usable)]
        step = 1 + 0.01 * (1 + k // len(usable))  # a few percent better than the base
        target = float(values[i]) * (step if d == "at_least" else 2 - step)
        criteria.append({"id": f"C{k + 1:02d}", "name_lt": i, "indicator": i, "base_year": base,
                         "target_year": 2030, "target_value": round(target, 2), "direction": d})
    plan = {"name_lt": "Bandomasis planas (30 kriterijų)", "territory": territory, "period": f"{base + 1}-2030",
            "criteria": criteria}
    path = folder / "plan30.yaml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-reports", action="store_true")
    args = ap.parse_args()
    from cityindicators.plans import load_plan
    from cityindicators.reports.runner import run_report

    with tempfile.TemporaryDirectory(prefix="bench-monitoring-") as tmp:
        tmp = Path(tmp)
        data, territory, label = prepare_data(tmp)
        print(f"data: {label}")
        path = thirty_criteria_plan(data, territory, tmp)
        with measure("load a plan of 30 criteria (validation, indicators from the data)"):
            plan = load_plan(path, data_dir=data)
        for run in ("first (imports the projection and scipy.optimize)", "second (fresh plan object, warm process)"):
            if run.startswith("second"):
                plan = load_plan(path, data_dir=data)
            print(f"-- {run}")
            t0 = time.perf_counter()
            with measure("check: statuses of 30 criteria in every year"):
                chk = plan.check()
            with measure("outlook: projection (3 scenarios), 500 trajectories, inflows, trends"):
                out = plan.outlook(trajectories=500, seed=1)
            with measure("summary table (outlook cached)"):
                plan.summary("lt", trajectories=500, seed=1)
            print(f"check + outlook + summary after loading: {time.perf_counter() - t0:.2f} s "
                  f"({len(chk)} criterion-years, {len(out)} outlook rows; target under 2 s)")
        if args.skip_reports:
            return 0
        example = ROOT / "examples" / "plans" / ("visaginas.yaml" if territory == "Visaginas" else "eglynas.yaml")
        out_dir = tmp / "reports"
        for template, params in (("situation_analysis", {}), ("monitoring", {"plan": str(example)})):
            with PeakMemory() as mem:
                t0 = time.perf_counter()
                res = run_report(template, territory, params, language="lt", output_dir=out_dir, data_dir=data,
                                 force=True)
                seconds = time.perf_counter() - t0
            print(f"{template} report ({territory}): {res.status} in {seconds:.1f} s, peak RSS of the process tree "
                  f"{mem.peak / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
