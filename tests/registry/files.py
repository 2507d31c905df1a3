"""Small hand-written interchange files for the import tests (no dependency on the synth branch)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from parcours.registry.contract import BY_NAME

Row = Sequence[str]


def write(folder: Path, name: str, rows: Sequence[Row], header: Row | None = None) -> Path:
    """Write `<name>.csv` (name may contain a sub-folder) with the contract header by default."""
    path = folder / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    spec = BY_NAME[name.split("/")[0]]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header if header is not None else spec.column_names)
        w.writerows(rows)
    return path


ESTABLISHMENTS = [
    ["DR76", "Direction régionale Occitanie", "DR", "76"],
    ["PES", "Plateformes", "PES", ""],
]
AGENCIES = [
    ["A31", "Toulouse Nord", "DR76", "31", "true"],
    ["A34", "Montpellier, Centre", "DR76", "34", "false"],
]
AGENTS = [
    [
        "AG1",
        "Dupont",
        "",
        "Jean-Pierre Marie",
        "1980-02-28",
        "M",
        "DR76",
        "A31",
        "conseiller",
        "2010-01-04",
        "",
        "mon-thu 08:30-12:30,13:30-17:00;fri 08:30-12:00",
    ],
    [
        "AG2",
        "Martin",
        "Durand",
        "Claire",
        "1975-05-06",
        "F",
        "DR76",
        "A34",
        "gdd",
        "2012-03-01",
        "2024-01-31",
        "",
    ],
    ["AG3", "Łukasiewicz", "", "Zoé", "", "", "PES", "", "plateforme", "", "", ""],
]
JOB_SEEKERS = [
    ["D1", "Garcia", "", "Inès", "1990-07-14", "F", "31", "31555", "A31", "AG1", "2024-01-02", ""],
    [
        "D2",
        "Dupont",
        "",
        "Jean-Pierre",
        "1980-02-28",
        "M",
        "31",
        "31555",
        "A31",
        "AGX",
        "2023-05-01",
        "",
    ],
]
PROTECTED = [
    ["P1", "elected", "Garcia", "", "Inès", "1990-07-14", "F", "31", "2020-06-28", "2026-03-15"]
]
APPOINTMENTS = [["R1", "D1", "AG1", "2024-04-02T09:00:00+02:00", "EDA", "done"]]
CALLS = [
    ["C1", "", "AG3", "2024-04-02T08:00:00Z", "2024-04-02T08:05:00Z"],
    ["C2", "D9", "AG3", "2024-04-02T08:10:00Z", ""],
]
TASKS = [["T1", "D1", "AG2", "2024-04-03 10:00", "", "liquidation"]]
CONSULTATIONS = [
    ["e1", "2024-04-02T09:15:00+02:00", "AG1", "D1", "AUDE", "view"],
    ["e2", "2024-04-02 09:20", "AG1", "D2", "MAP", "edit"],
    ["e3", "2024-04-03T07:00:00Z", "AGX", "D1", "MAP", "print"],  # agent of another region
    ["e4", "2024-04-03T07:05:00Z", "AG2", "DX", "MAP", "view"],  # file of another region
]


def good_directory(folder: Path) -> Path:
    write(folder, "establishments", ESTABLISHMENTS)
    write(folder, "agencies", AGENCIES)
    write(folder, "agents", AGENTS)
    write(folder, "job_seekers", JOB_SEEKERS)
    write(folder, "protected_persons", PROTECTED)
    write(folder, "appointments", APPOINTMENTS)
    write(folder, "calls", CALLS)
    write(folder, "tasks", TASKS)
    write(folder, "consultations", CONSULTATIONS)
    return folder
