"""What a report's kernel imports: the sections and what they use, not the libraries of the
runner (nbformat, and jsonschema with it) nor of the downloads (requests), which a cold kernel
paid for, some 0.25 CPU s, before its first chart. Time is measured by
``benchmarks/bench_reports.py``; here the cause: which modules a report's cells imported."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = r"""
import json, sys
from cityindicators.reports import sections as s
ctx = s.setup("X13", language="lt", data_dir=sys.argv[1])
s.annex(ctx)  # the annex reads the dataset catalogue of the osp package
seen = sorted(m for m in ("nbformat", "jsonschema", "requests") if m in sys.modules)
from cityindicators.sources.osp import OspClient  # the client of the downloads: requests
print(json.dumps({"report": seen, "client": "requests" in sys.modules}))
"""


def test_a_report_s_cells_import_neither_nbformat_nor_requests(demo_dir):
    proc = subprocess.run([sys.executable, "-c", PROBE, str(demo_dir)], capture_output=True, text=True,
                          check=True, timeout=300)
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"report": [], "client": True}  # the probe sees requests once the client is used


KERNEL_START = r"""
from cityindicators.reports.kernels import ReportKernel
k = ReportKernel()  # waits until the kernel answers: its start-up log has been written by then
k.kc.stop_channels()
k.shutdown()
"""


def test_a_report_kernel_writes_nothing_on_the_commands_stderr():
    """The kernel shares the command's stderr: with ipykernel 6.20, the declared minimum (make test-min),
    it wrote "[IPKernelApp] WARNING | debugpy_stream undefined, debugging will not be enabled" there at
    every start, before the command's own one-line error."""
    proc = subprocess.run([sys.executable, "-c", KERNEL_START], capture_output=True, text=True, check=True,
                          timeout=300)
    assert "[IPKernelApp]" not in proc.stderr, proc.stderr
