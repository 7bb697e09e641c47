"""Regenerate the hand-built OSP SDMX specimens in this folder (run from anywhere).

Every number here is INVENTED (round, patterned values such as 1110, 1120 ...), not a figure
published by Statistics Lithuania. The specimens imitate the shape of real OSP responses
(SDMX-ML GenericData with dimensionAtObservation="AllDimensions" and no Series; SDMX-JSON with
unsorted ``values[]``), with the dimension ids and codes documented in DATA_SOURCES.md, so that
each dataset family of the catalogue can be parsed in both formats. The XML and JSON specimen
of one family describe the same observations.

    python tests/specimens/osp/make_specimens.py
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
NS = (
    'xmlns:mes="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" '
    'xmlns:com="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common" '
    'xmlns:g="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"'
)
STATUS_NAMES = {"nebuvo": "tokio reiškinio (rodiklio) atitinkamu laikotarpiu nebuvo", "p": "preliminarūs duomenys"}


def family(name, dsd, dims, value_fn, status=None):
    """dims: list of (id, [codes]); value_fn(key dict, i) -> float | None; status: {key tuple: symbol}."""
    obs = []
    for i, combo in enumerate(itertools.product(*[c for _, c in dims])):
        key = dict(zip([d for d, _ in dims], combo))
        val = value_fn(key, i)
        if val is False:  # skip the observation altogether
            continue
        obs.append((key, val, (status or {}).get(combo)))
    return {"name": name, "dsd": dsd, "dims": dims, "obs": obs}


def fmt(v):
    return repr(float(v)).removesuffix(".0") if v is not None else "NaN"


def to_xml(f) -> str:
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<mes:GenericData {NS}>",
        "<mes:Header><mes:ID>FAKE</mes:ID><mes:Test>true</mes:Test><mes:Prepared>2000-01-01T00:00:00</mes:Prepared>"
        f'<mes:Sender id="LSD"/><mes:Structure structureID="{f["dsd"]}" dimensionAtObservation="AllDimensions">'
        f"<com:Structure><URN>urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=LSD.{f['dsd']}(1.0)</URN>"
        "</com:Structure></mes:Structure></mes:Header>",
        f'<mes:DataSet structureRef="{f["dsd"]}"><g:Attributes><g:Value id="DS_LAST_UPDATE" value="2000-01-01"/>'
        '<g:Value id="DS_REGIONAL" value="T"/><g:Value id="DS_TIME_FORMAT" value="3"/></g:Attributes>',
    ]
    for key, val, st in f["obs"]:
        kv = "".join(f'<g:Value id="{d}" value="{c}"></g:Value>' for d, c in key.items())
        attrs = '<g:Value id="OBS_DECIMALS" value="0"></g:Value>'
        if st:
            attrs += f'<g:Value id="OBS_STATUS" value="{st}"></g:Value>'
        parts.append(f'<g:Obs><g:ObsKey>{kv}</g:ObsKey><g:ObsValue value="{fmt(val)}"></g:ObsValue>'
                     f"<g:Attributes>{attrs}</g:Attributes></g:Obs>")
    parts.append("</mes:DataSet></mes:GenericData>\n")
    return "\n".join(parts)


def to_json(f) -> str:
    # values[] deliberately NOT in code order (OSP does not sort them): reversed.
    dims = [(d, list(reversed(codes))) for d, codes in f["dims"]]
    pos = [{c: i for i, c in enumerate(codes)} for _, codes in dims]
    symbols = sorted({st for _, _, st in f["obs"] if st})
    observations = {}
    for key, val, st in f["obs"]:
        k = ":".join(str(pos[j][key[d]]) for j, (d, _) in enumerate(dims))
        observations[k] = [val, 0, symbols.index(st) if st else None]
    doc = {
        "header": {"id": "FAKE", "test": "true", "prepared": "2000-01-01T00:00:00Z", "sender": {"id": "LSD"}},
        "dataSets": [{"action": "Information", "observations": observations}],
        "structure": {
            "name": f"{f['name']} (invented specimen)",
            "dimensions": {"observation": [
                {"id": d, "name": d, "keyPosition": j, "values": [{"id": c, "name": c} for c in codes]}
                for j, (d, codes) in enumerate(dims)
            ]},
            "attributes": {
                "dataSet": [{"id": "DS_TIME_FORMAT", "name": "Periodiškumas", "values": [{"id": 3, "name": "Metai"}]}],
                "observation": [
                    {"id": "OBS_DECIMALS", "name": "Tikslumas po kablelio", "values": [{"id": "0", "name": "0"}]},
                    {"id": "OBS_STATUS", "name": "Sutartinis simbolis",
                     "values": [{"id": s, "name": STATUS_NAMES.get(s, s)} for s in symbols]},
                ],
            },
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


T = "savivaldybesRegdb"
YEARS = ["2024", "2025"]


def pop_value(key, i):
    # invented: male = 100*(age index + 1) + year offset, female = male + 10, total = sum
    ages = {"0": 1, "1": 2, "g085": 3, "gxxx": 0}
    terr = {"00": 7, "30": 1, "51": 1, "LT01": 5}[key[T]]
    y = int(key["LAIKOTARPIS"]) - 2024
    def single(sex, a):
        m = 100 * ages[a] * terr + y
        return m if sex == "1" else m + 10
    def cell(sex, a):
        if a == "g000g999":
            return sum(cell(sex, b) for b in ("0", "1", "g085", "gxxx"))
        if a == "gxxx":
            return 0
        return single("1", a) + single("2", a) if sex == "0" else single(sex, a)
    return cell(key["Lytis"], key["Demogr_amziusM1411"])


FAMILIES = [
    # population by single age: legacy 51 and NUTS-2 LT01 present; gxxx unknown age present.
    family("population", "M3010202",
           [(T, ["00", "30", "51", "LT01"]), ("Lytis", ["0", "1", "2"]),
            ("Demogr_amziusM1411", ["0", "1", "g085", "g000g999", "gxxx"]), ("MATVNT", ["asmenys"]),
            ("LAIKOTARPIS", YEARS)],
           pop_value),
    # births: lower-case sex dimension id; a confidential (null) cell and an OBS_STATUS cell.
    family("births", "M3010501",
           [(T, ["00", "13", "30"]), ("lytis", ["0", "1", "2"]), ("MATVNT", ["asmenys"]), ("LAIKOTARPIS", YEARS)],
           lambda k, i: None if (k[T], k["lytis"], k["LAIKOTARPIS"]) in {("30", "2", "2025"), ("30", "1", "2025")}
           else {"0": 300 + 2000 * ("00", "13", "30").index(k[T]), "1": 100 + 1000 * ("00", "13", "30").index(k[T]),
                 "2": 200 + 1000 * ("00", "13", "30").index(k[T])}[k["lytis"]],
           status={("30", "1", "asmenys", "2025"): "nebuvo"}),
    # deaths by five-year group (dropped in canonical tables except all ages and 85+).
    family("deaths", "M3010601",
           [(T, ["00", "30"]), ("Lytis", ["0", "1", "2"]),
            ("Demogr_amziaus_grM1412", ["g000g004", "g005g009", "g085", "g000g999"]), ("MATVNT", ["asmenys"]),
            ("LAIKOTARPIS", YEARS)],
           lambda k, i: ({"g000g004": 10, "g005g009": 20, "g085": 30, "g000g999": 60}[k["Demogr_amziaus_grM1412"]]
                         * {"0": 3, "1": 1, "2": 2}[k["Lytis"]])),
    # emigrants by age (amziusM3010502) and sex.
    family("emigrants", "M3020102",
           [(T, ["00", "30"]), ("Lytis", ["0", "1", "2"]), ("amziusM3010502", ["g000g999", "0", "g085"]),
            ("MATVNT", ["asmenys"]), ("LAIKOTARPIS", YEARS)],
           lambda k, i: {"g000g999": 50, "0": 40, "g085": 10}[k["amziusM3010502"]] * {"0": 2, "1": 1, "2": 1}[k["Lytis"]]),
    # net internal migration: negative values, no age, no sex dimension.
    family("net_internal", "M3020122",
           [(T, ["00", "30", "13"]), ("MATVNT", ["asmenys"]), ("LAIKOTARPIS", YEARS)],
           lambda k, i: {"00": 0, "30": -111, "13": 222}[k[T]]),
    # ratio of registered unemployed to working-age population, percent, with sex.
    family("unemployed_ratio", "M3050101",
           [(T, ["00", "30"]), ("Lytis", ["0", "1", "2"]), ("MATVNT", ["proc"]), ("LAIKOTARPIS", YEARS)],
           lambda k, i: {"0": 9.5, "1": 9.0, "2": 10.0}[k["Lytis"]] + (1 if k[T] == "30" else 0)),
    # average earnings: quarterly, sector and gross/net dimensions (invented ids and codes).
    family("earnings", "M3060322",
           [(T, ["00", "30"]), ("EVRK2M3060322", ["VISO", "C"]), ("Bruto_neto", ["bruto", "neto"]),
            ("Lytis", ["0"]), ("MATVNT", ["eur"]),
            ("LAIKOTARPIS", ["2024K1", "2024K2", "2024K3", "2024K4", "2025K1"])],
           lambda k, i: 1000 + 100 * int(k["LAIKOTARPIS"][-1]) + (500 if k["Bruto_neto"] == "bruto" else 0)
           + (50 if k[T] == "30" else 0)),
    # median age.
    family("median_age", "M3010217",
           [(T, ["00", "30", "51"]), ("Lytis", ["0", "1", "2"]), ("MATVNT", ["metai"]), ("LAIKOTARPIS", YEARS)],
           lambda k, i: {"0": 40.5, "1": 38.5, "2": 42.5}[k["Lytis"]] + (2 if k[T] == "30" else 0),
           status={("51", "0", "metai", "2025"): "nebuvo", ("51", "1", "metai", "2025"): "nebuvo",
                   ("51", "2", "metai", "2025"): "nebuvo"}),
    # unknown territory code 99.
    family("unknown_territory", "M3010217",
           [(T, ["00", "99"]), ("Lytis", ["0"]), ("MATVNT", ["metai"]), ("LAIKOTARPIS", ["2024"])],
           lambda k, i: 40.0),
]


def main() -> None:
    for f in FAMILIES:
        # median_age 51/2025 cells carry OBS_STATUS with a null value
        if f["name"] == "median_age":
            f["obs"] = [(k, None if st else v, st) for k, v, st in f["obs"]]
        (HERE / f"{f['name']}.xml").write_text(to_xml(f), encoding="utf-8")
        (HERE / f"{f['name']}.json").write_text(to_json(f), encoding="utf-8")
    # truncated bodies: the first half of the median-age pair
    for ext in ("xml", "json"):
        body = (HERE / f"median_age.{ext}").read_bytes()
        (HERE / f"truncated.{ext}").write_bytes(body[: len(body) // 2])
    print(f"wrote {2 * len(FAMILIES) + 2} specimens to {HERE}")


if __name__ == "__main__":
    main()
