"""The IRI grammar of rfc3987_syntax is compiled only when used, with the same answers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytest.importorskip("rfc3987_syntax")

SCRIPT = r"""
import json, sys
import cityindicators.reports.run  # the runner's imports: nbformat, so jsonschema
stand_in = type(sys.modules["rfc3987_syntax"]).__name__
grammar_built = "rfc3987_syntax.syntax_helpers" in sys.modules
import jsonschema
checker = jsonschema.FormatChecker()
answers = [checker.conforms(v, "iri") for v in ("https://example.lt/Visagino-sav%C4%97", "https://e.lt/ąčę", "no iri")]
print(json.dumps({"stand_in": stand_in, "grammar_built": grammar_built, "answers": answers,
                  "after": type(sys.modules["rfc3987_syntax"]).__name__}))
"""


def test_rfc3987_syntax_is_imported_on_first_use_with_the_same_answers():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True)
    seen = json.loads(out.stdout)
    assert seen["stand_in"] == "_Deferred" and not seen["grammar_built"]  # nothing compiled at import
    assert seen["answers"] == [True, True, False]  # the real check, loaded on use: IRIs pass, plain words do not
    assert seen["after"] == "module"  # the real module in place once used
