"""Synthetic barometer waves for the demo and the tests.

Answers come from two latent factors per respondent (quality of work life and confidence), shifted by
population attributes, region and wave, plus item-specific shifts, then cut into the 5-point scale.
The shifts below are chosen so that the results reproduce the reading given to the Occitanie works
council for March and October 2024 (docs/barometer.md lists what the generated data gives). Tests never
rely on this story: they compute expected figures from the rows themselves.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from parcours.barometer.definitions import Definitions, default_definitions

ATTRIBUTES = (
    "region",
    "establishment",
    "agency_size",
    "manager",
    "job_family",
    "portfolio",
    "disability",
    "contract",
)
HEADER_PREFIX = ("wave", "respondent_id", *ATTRIBUTES)
WAVE_PATTERN = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")

# Share of respondents per region (roughly the operator's headcount).
REGION_WEIGHTS = {
    "IDF": 17,
    "ARA": 11,
    "HDF": 9,
    "OCC": 9,
    "NAQ": 8,
    "PAC": 8,
    "GES": 7,
    "PDL": 5,
    "NOR": 5,
    "BRE": 4,
    "CVL": 4,
    "BFC": 4,
    "REU": 2,
    "GUA": 1,
    "MTQ": 1,
    "GUF": 0.5,
    "COR": 0.5,
}
DSI_REGIONS = {"IDF", "ARA", "PDL", "OCC", "NOR", "HDF"}

# Latent shifts, in standard deviations of the factor (0.03 is about one point of % favourable).
REGION_SHIFT = {"OCC": -0.14, "HDF": -0.04, "BRE": 0.04, "PDL": 0.03, "GUF": -0.06}
ATTRIBUTE_SHIFT = {  # populations the Direction watches
    ("agency_size", "L"): -0.22,
    ("job_family", "GDD"): -0.25,
    ("portfolio", "SUIVI"): -0.22,
    ("portfolio", "AIJ"): -0.22,
    ("portfolio", "GLOBAL"): -0.22,
    ("disability", "oui"): -0.3,
    ("contract", "CDD"): 0.08,
}
# Per wave: (shift of the QVT factor, shift of the confidence factor, item shifts). The first wave is
# the baseline; later waves unknown here repeat the last known one.
WAVE_SHIFT: dict[str, tuple[float, float, dict[str, float]]] = {
    "2024-03": (0.0, 0.0, {}),
    "2024-10": (
        -0.05,
        0.12,
        {
            "Q09": -0.22,
            "Q10": -0.2,  # motivation down
            "Q11": -0.14,
            "Q12": -0.12,  # room for manoeuvre down
            "Q13": 0.18,  # "changes come too fast": more agreement
            "Q15": -0.40,
            "Q16": -0.35,  # job changes sharply down
            "Q17": -0.40,
            "Q18": -0.38,  # information system sharply down
            "Q21": 0.13,
            "Q22": 0.12,  # CSR commitment up (~6 points)
        },
    ),
}
MANAGER_ITEM_SHIFT = {"Q01": -0.35, "Q03": -0.40, "Q19": 1.25, "Q20": 0.6}
MANAGER_LATER_WAVE_ITEM_SHIFT = {"Q01": -0.15, "Q03": -0.18}  # targets harder, workload heavier
ITEM_BASE = {"Q19": -0.3, "Q26": -0.1, "Q13": 0.1, "Q21": -0.2}
CONFIDENCE_ITEMS = {"Q07", "Q09", "Q10", "Q19", "Q20", "Q21", "Q22", "Q28", "Q29", "Q30"}
CUTS = np.array([-1.5, -0.75, -0.1, 1.25])  # latent -> 1..5
MISSING_RATE = 0.03


@dataclass(frozen=True)
class SynthOptions:
    waves: tuple[str, ...] = ("2024-03", "2024-10")
    respondents_per_wave: int = 10000
    seed: int = 2024


def _choice(rng: np.random.Generator, n: int, weights: Mapping[str, float]) -> np.ndarray:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def _population(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    region = _choice(rng, n, REGION_WEIGHTS)
    u = rng.random(n)
    establishment = np.where(u < 0.07, "PES", "DR").astype(object)
    dsi = np.isin(region, list(DSI_REGIONS)) & (u > 0.93)
    establishment[dsi] = "DSI"
    establishment[(region == "IDF") & (u > 0.85) & (u <= 0.93)] = "DG"
    in_dr = establishment == "DR"
    agency_size = np.full(n, "NA", dtype=object)
    agency_size[in_dr] = _choice(rng, int(in_dr.sum()), {"S": 27, "M": 40, "L": 25, "NA": 8})
    manager = np.where(rng.random(n) < 0.12, "oui", "non").astype(object)
    job = np.empty(n, dtype=object)
    families = {
        "DR": {"CDDE": 55, "GDD": 20, "ENT": 10, "PSY": 4, "SUP": 11},
        "PES": {"GDD": 50, "CDDE": 40, "SUP": 10},
        "DSI": {"SI": 80, "SUP": 20},
        "DG": {"SUP": 70, "SI": 20, "ENT": 10},
    }
    for est, weights in families.items():
        mask = establishment == est
        job[mask] = _choice(rng, int(mask.sum()), weights)
    job[(manager == "oui") & (rng.random(n) < 0.8)] = "DIR"
    portfolio = np.full(n, "AUCUN", dtype=object)
    cdde = job == "CDDE"
    portfolio[cdde] = _choice(
        rng,
        int(cdde.sum()),
        {"SUIVI": 25, "GUIDE": 30, "RENFORCE": 25, "GLOBAL": 8, "AIJ": 7, "CEJ": 5},
    )
    disability = np.where(rng.random(n) < 0.07, "oui", "non").astype(object)
    contract = _choice(rng, n, {"PUB": 15, "CDI": 78, "CDD": 7})
    return {
        "region": region,
        "establishment": establishment,
        "agency_size": agency_size,
        "manager": manager,
        "job_family": job,
        "portfolio": portfolio,
        "disability": disability,
        "contract": contract,
    }


def _wave_shift(wave: str) -> tuple[float, float, dict[str, float]]:
    known = sorted(w for w in WAVE_SHIFT if w <= wave)
    return WAVE_SHIFT[known[-1]] if known else WAVE_SHIFT["2024-03"]


def generate_wave(
    wave: str, n: int, rng: np.random.Generator, definitions: Definitions
) -> Iterator[list[str]]:
    """Rows (as CSV cells, header order) of one wave."""
    pop = _population(rng, n)
    shift = np.zeros(n)
    for region, s in REGION_SHIFT.items():
        shift[pop["region"] == region] += s
    for (attr, value), s in ATTRIBUTE_SHIFT.items():
        shift[pop[attr] == value] += s
    qvt_wave, conf_wave, item_wave = _wave_shift(wave)
    later = wave > "2024-03"
    common = rng.normal(size=n)
    qvt = 0.8 * common + 0.6 * rng.normal(size=n) + shift + qvt_wave
    conf = 0.8 * common + 0.6 * rng.normal(size=n) + shift * 0.7 + conf_wave
    is_manager = pop["manager"] == "oui"
    columns: list[np.ndarray] = []
    for code in definitions.questionnaire.items:
        factor = conf if code in CONFIDENCE_ITEMS else qvt
        if definitions.questionnaire.items[code].reversed:
            factor = -factor  # agreeing with a negative statement goes against the factor
        # The shifts are on agreement with the statement as worded.
        latent = factor + ITEM_BASE.get(code, 0.0) + item_wave.get(code, 0.0)
        latent = latent + is_manager * (
            MANAGER_ITEM_SHIFT.get(code, 0.0) + later * MANAGER_LATER_WAVE_ITEM_SHIFT.get(code, 0.0)
        )
        answers = np.searchsorted(CUTS, latent + rng.normal(scale=0.8, size=n)) + 1
        cells = answers.astype(str).astype(object)
        cells[rng.random(n) < MISSING_RATE] = ""
        columns.append(cells)
    compact = wave.replace("-", "")
    tokens = rng.permutation(n)
    for i in range(n):
        yield [
            wave,
            f"R{compact}-{tokens[i]:06d}",
            *(str(pop[a][i]) for a in ATTRIBUTES),
            *(str(c[i]) for c in columns),
        ]


def write_survey(path: Path, options: SynthOptions, definitions: Definitions | None = None) -> int:
    """Write a CSV of every wave; returns the number of rows written."""
    definitions = definitions or default_definitions()
    for wave in options.waves:
        if not WAVE_PATTERN.match(wave):
            raise ValueError(f"vague invalide {wave!r} : format AAAA-MM attendu")
    rng = np.random.default_rng(options.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*HEADER_PREFIX, *definitions.questionnaire.items])
        for wave in options.waves:
            for row in generate_wave(wave, options.respondents_per_wave, rng, definitions):
                writer.writerow(row)
                rows += 1
    return rows


def parse_waves(text: str | Sequence[str]) -> tuple[str, ...]:
    parts = text.split(",") if isinstance(text, str) else list(text)
    return tuple(p.strip() for p in parts if p.strip())
