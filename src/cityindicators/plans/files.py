"""Reading plan files (YAML or XLSX) into plain records that remember where each value was.

A plan file gives a few plan-level keys (name, territory, period...) and a list of criteria.
Both readers return a :class:`RawPlan`: the plan-level values, one dict per criterion, and for
every value its place in the file (``line 12`` of a YAML file, ``cell criteria!D5`` of a
workbook), so that validation can name the file, the line or cell and the key.

YAML: the places come from the composed node tree (``yaml.compose``: each node's
``start_mark``), not from the constructed Python objects, which have lost them.

XLSX: a sheet ``plan`` holds ``key | value`` rows, a sheet ``criteria`` one criterion a row
under a header row of the same keys as the YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .._io import refuse_special_file, unique_key_loader, yaml_alias_problem
from ..spreadsheet import neutralise_sheet
from ..exceptions import ConfigError, ParseError

__all__ = ["PlanError", "RawPlan", "read_plan_file", "plan_workbook_bytes", "PLAN_SHEET", "CRITERIA_SHEET"]

PLAN_SHEET = "plan"
CRITERIA_SHEET = "criteria"


class PlanError(ConfigError):
    """An invalid plan file; the message names the file, the line or cell and the key."""


class Place(NamedTuple):
    """Where a value stands in a plan file: ``kind`` ``"line"`` (of a YAML file, ``at`` its
    number), ``"cell"`` (``at`` its coordinate on ``sheet``) or ``"row"`` (``at`` its number on
    ``sheet``); written in English by ``str()`` (the errors), in either language by :meth:`text`."""

    kind: str
    at: int | str
    sheet: str = ""

    def text(self, lang: str = "en") -> str:
        """``"line 12"``, ``"cell criteria!D5"``, ``"row 5 of sheet criteria"``; in Lithuanian
        ``"12 eilutė"``, ``"langelis criteria!D5"``, ``"lapo criteria 5 eilutė"``."""
        return _PLACE_FORMS[self.kind]["lt" if lang == "lt" else "en"].format(at=self.at, sheet=self.sheet)

    def __str__(self) -> str:
        return self.text()


#: How :class:`Place` writes each kind of place, by language.
_PLACE_FORMS = {
    "line": {"en": "line {at}", "lt": "{at} eilutė"},
    "cell": {"en": "cell {sheet}!{at}", "lt": "langelis {sheet}!{at}"},
    "row": {"en": "row {at} of sheet {sheet}", "lt": "lapo {sheet} {at} eilutė"},
}


@dataclass
class RawPlan:
    """The values of a plan file and where they stand in it.

    ``where`` maps ``key`` (plan level) or ``(index, key)`` (criterion ``index``) to its
    :class:`Place` (line 12); ``criteria_where[i]`` is the place of criterion ``i`` itself.
    """

    path: Path
    values: dict[str, Any]
    criteria: list[dict[str, Any]]
    where: dict[Any, Place] = field(default_factory=dict)
    criteria_where: list[Place] = field(default_factory=list)

    def place(self, key: Any, index: int | None = None, lang: str = "en") -> str:
        """``"<file>: line 12"`` for a plan key or a key of criterion ``index``, the place written
        in ``lang`` (:meth:`Place.text`: ``"<file>: 12 eilutė"``)."""
        if index is None:
            loc = self.where.get(key)
        else:
            own = self.criteria_where[index] if index < len(self.criteria_where) else None
            loc = self.where.get((index, key)) or own
        return f"{self.path}: {loc.text(lang)}" if loc else str(self.path)


def read_plan_file(path: str | Path) -> RawPlan:
    """Read a ``.yaml``/``.yml`` or ``.xlsx`` plan file.

    Raises
    ------
    PlanError
        Missing or unreadable file (or a device, a pipe or a socket), invalid YAML, a workbook without the two sheets.
    """
    p = Path(path)
    refuse_special_file(p, PlanError)
    if not p.is_file():
        raise PlanError(f"{p}: plan file not found" + (" (it is a folder)" if p.is_dir() else ""))
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _read_yaml(p)
    if suffix == ".xlsx":
        return _read_xlsx(p)
    raise PlanError(f"{p}: a plan file must be .yaml, .yml or .xlsx, got {p.suffix or 'no extension'!r}")


# -- YAML ----------------------------------------------------------------------------------------


def _line(node) -> Place:
    return Place("line", node.start_mark.line + 1)


def _read_yaml(p: Path) -> RawPlan:
    import yaml

    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{p}: cannot read the plan file: {exc}") from exc
    try:
        loader = unique_key_loader(yaml.SafeLoader)(text)
        try:
            node = loader.get_single_node()
            problem = yaml_alias_problem(node) if node is not None else None
            if problem is not None:
                raise PlanError(f"{p}: {_line(problem[1])}: the plan file cannot be read: {problem[0]}; "
                                "write the values out")
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PlanError(f"{p}: {where}not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise PlanError(f"{p}: a plan file must be a mapping of keys (name_lt, territory, period, criteria...)")
    raw = RawPlan(p, {}, [])
    for key_node, value_node in node.value:
        key = str(key_node.value)
        raw.where[key] = _line(key_node)
        if key != "criteria":
            raw.values[key] = data.get(key_node.value, data.get(key))
    crit = data.get("criteria")
    if crit is None:
        return raw
    if not isinstance(crit, list):
        raise PlanError(f"{raw.place('criteria')}, key 'criteria': expected a list of criteria, "
                        f"got {type(crit).__name__}")
    crit_node = next(v for k, v in node.value if str(k.value) == "criteria")
    for i, (item, item_node) in enumerate(zip(crit, crit_node.value)):
        raw.criteria_where.append(_line(item_node))
        if not isinstance(item, dict):
            raise PlanError(f"{p}: {_line(item_node)}, criteria[{i + 1}]: expected a mapping of keys (id, indicator, "
                            f"target_year...), got {item!r}")
        raw.criteria.append({str(k): v for k, v in item.items()})
        for k_node, v_node in item_node.value:
            raw.where[(i, str(k_node.value))] = _line(v_node)
    return raw


# -- XLSX ----------------------------------------------------------------------------------------


def _cell_value(v: Any) -> Any:
    if isinstance(v, str):
        v = v.strip()
        return v if v else None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _pairs(text: str) -> dict[str, str] | str:
    """``"2019: 5.1; 2020: 4.8"`` (an own indicator's values in one cell) as a mapping; else as given."""
    items = [x.split(":", 1) for x in text.replace("\n", ";").split(";") if x.strip()]
    if items and all(len(i) == 2 for i in items):
        return {a.strip(): b.strip() for a, b in items}
    return text


def _refuse_formulas_without_values(p: Path) -> None:
    """Stop on a formula with no saved value in either sheet: a formula never computed reads as an
    empty cell, and "required key is missing" would be wrong."""
    from ..sources._table import formulas_without_values, open_workbook

    try:
        workbook = open_workbook(p)  # read-only, both sheets from one opening
    except ParseError as exc:
        raise PlanError(str(exc)) from None
    try:
        for sheet in (PLAN_SHEET, CRITERIA_SHEET):
            for coordinate, _, header, formula in formulas_without_values(workbook, sheet)[:1]:
                key = f", key {header!r}" if sheet == CRITERIA_SHEET and header else ""
                raise PlanError(f"{p}: cell {sheet}!{coordinate}{key}: a formula, {formula}, with no saved value; "
                                "type the value, or open and save the workbook in a spreadsheet program")
    finally:
        workbook.close()


def _read_xlsx(p: Path) -> RawPlan:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, data_only=True)  # small files: full mode gives every cell its coordinate
    except Exception as exc:  # openpyxl raises zipfile, KeyError, InvalidFileException...
        raise PlanError(f"{p}: cannot read the workbook: {exc}") from None
    try:
        missing = [s for s in (PLAN_SHEET, CRITERIA_SHEET) if s not in wb.sheetnames]
        if missing:
            raise PlanError(f"{p}: the workbook needs the sheets {PLAN_SHEET!r} (key | value rows) and "
                            f"{CRITERIA_SHEET!r} (one criterion a row); missing {', '.join(missing)}; "
                            f"found {', '.join(wb.sheetnames)}")
        _refuse_formulas_without_values(p)
        raw = RawPlan(p, {}, [])
        for row in wb[PLAN_SHEET].iter_rows():
            cells = [c for c in row if getattr(c, "value", None) is not None]
            if not cells:
                continue
            key_cell = row[0]
            key = _cell_value(key_cell.value)
            if key is None:
                continue
            value_cell = row[1] if len(row) > 1 else None
            raw.values[str(key)] = _cell_value(value_cell.value) if value_cell is not None else None
            raw.where[str(key)] = Place("cell", (value_cell or key_cell).coordinate, PLAN_SHEET)
        rows = list(wb[CRITERIA_SHEET].iter_rows())
        if not rows:
            return raw
        header = [(_cell_value(c.value), c) for c in rows[0]]
        for row in rows[1:]:
            values = {}
            for (key, _), cell in zip(header, row):
                if key is None:
                    continue
                v = _cell_value(cell.value)
                if key == "values" and isinstance(v, str):
                    v = _pairs(v)
                if v is not None:
                    values[str(key)] = v
                    raw.where[(len(raw.criteria), str(key))] = Place("cell", cell.coordinate, CRITERIA_SHEET)
            if values:
                raw.criteria_where.append(Place("row", row[0].row, CRITERIA_SHEET))
                raw.criteria.append(values)
        return raw
    finally:
        wb.close()


# -- writing a workbook ------------------------------------------------------------------------


def _cell_text(value: Any) -> Any:
    """A plan value as its workbook cell holds it: a list as ``a, b``, a mapping (an own indicator's
    ``values``) as ``year: value`` pairs separated by semicolons, which the reader parses back."""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return "; ".join(f"{y}: {x}" for y, x in value.items())
    return value


def plan_workbook_bytes(plan_keys, criterion_keys, raw: RawPlan | None = None) -> bytes:
    """An XLSX plan workbook: the sheet ``plan`` (``key | value``) and the sheet ``criteria`` with
    a header row of ``criterion_keys``; filled from ``raw`` (a plan read from YAML) when given,
    else one row per plan key and an empty criteria sheet to type into. A criterion's ``values``
    (an own indicator's data) are written as ``year: value`` pairs separated by semicolons; keys
    the plan does not know are kept, after the known ones, for ``plan check`` to name. Text
    that a spreadsheet would run as a formula is a text cell shown as typed
    (:func:`~cityindicators.spreadsheet.neutralise_sheet`)."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = PLAN_SHEET
    values = raw.values if raw is not None else {}
    criteria = raw.criteria if raw is not None else []
    # a key the plan does not know is copied too, after the known ones: the conversion loses nothing
    # the user typed, and 'plan check' of the workbook names the key as it named it in the YAML file
    for key in [*plan_keys, *(k for k in values if k not in plan_keys)]:
        ws.append([key, _cell_text(values.get(key))])
    cr = wb.create_sheet(CRITERIA_SHEET)
    columns = list(dict.fromkeys([*criterion_keys, *(k for c in criteria for k in c)]))
    cr.append(columns)
    for c in criteria:
        cr.append([_cell_text(c.get(key)) for key in columns])
    for sheet in (ws, cr):
        # a name or source typed as "=HYPERLINK(...)" stays text: openpyxl would store it as a formula
        neutralise_sheet(sheet)
        for col in sheet.columns:
            sheet.column_dimensions[col[0].column_letter].width = max(10, min(50, max(len(str(c.value or "")) for c in col) + 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
