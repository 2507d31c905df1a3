#!/usr/bin/env python3
"""Blind synthetic region: a clean-room generator of consultation logs with labelled misuse.

DATA SHEET
==========

Clean-room rule
---------------
Written from four sources only: the product issue that defines misuse ("détournement de finalités":
an agent consulting a job seeker's file for a purpose other than the one the data was collected for),
the domain glossary (shared/DOMAIN.md), the interchange contract (docs/formats.md) and the real-name
linkage pairs (shared/data/linkage/pairs_dev.csv + README).  No source code, test, other doc page,
benchmark or generator of the project was opened; `parcours` is not imported and the detection was
never run on this data.  Nothing here is tuned to what a detection rule can or cannot see: the world
and the misuse are modelled as the author believes they happen in a French public employment service.

The world
---------
One regional directorate, Hauts-de-France (DR-HDF, INSEE region 32), départements 59, 62, 60, 02, 80;
84 local agencies named after real towns (scale `small`: 4 agencies of the Somme), plus head office
(DG), IT (DSI) and the phone platforms (PES).  Period: 2024-04-01 .. 2024-06-30 (91 days, 60 working
days once Easter Monday, 1 May, 8 May, Ascension and Whit Monday are removed; all of it in CEST).
Staff: agency counsellors with a portfolio, business-side counsellors (profile searches for
employers), GDD benefit-claim staff, local managers (ELD), reception staff, 3949 platform agents,
regional staff (job-search controllers, mediators, support, managers, direction), DSI and DG.
About 1.5 % of agents leave during the quarter (their portfolio is handed over), about 2 % arrive
(they take over a portfolio), and a few hundred ex-agents (left 2019..2024) stay in the HR file.
Each agent has an actual timetable (full time, 80 % part time with a day off, 90 % with a free
afternoon, early shift, long manager days, platform shifts), annual leave (more during the spring
school holidays of zone B and around the May bridges) and sick leave.  `work_pattern` is declared
for about two thirds of agents; about one in eleven declared patterns is wrong (an old timetable),
and the evening/weekend habits of some agents are never declared.
Job seekers (DE): about 400k files (18k at `small`), 82 % active at some point of the quarter, the
rest historical (deregistered before April 2024, still stored).  Names come from a regional surname
list with Zipf weights plus a long tail of generated surnames, so ordinary homonyms (same surname and
first name, different person) are frequent, as in a real region.

Legitimate work (every legitimate event carries the process that caused it)
--------------------------------------------------------------------------
* referent portfolio work (follow-up, job offers, messages, list exports); referent changes during the
  quarter (departures, arrivals, rebalancing, moves between agencies): the job-seeker file only shows
  the referent at extraction time, so the former referent's earlier work is not explained by it;
* appointments (appointments.csv: EDO, DPA, EDA, suivi, CEJ, atelier, collectif; done, no-show,
  cancelled, planned for early July, a few past ones left "planned") with preparation before
  (minutes before, or the previous working day) and write-up after (same or next working day),
  including appointments held by a colleague covering an absence;
* 3949 calls (calls.csv, UTC with `Z`) handled by platform agents and by agency staff on phone duty:
  the telephony matches the right file (~82 %), surfaces a homonym's file (~6 %: the agent opens it,
  then searches the right one) or nothing (~12 %, sometimes opening a homonym while searching);
  about 1.5 % of calls are handled by other regions' platform agents (agent ids absent from
  agents.csv) and about 2 % concern job seekers of other regions (de ids absent from job_seekers.csv);
  platform call-backs are not in the call export;
* back-office tasks (tasks.csv): claims, re-examinations, overpayment recovery (also on historical
  files), documents, complaints, mediation, job-search controls, manager validations; some created
  before the quarter, some still open at the end (some never worked yet), a few re-checked after
  closure;
* reception desks (walk-ins, attestations printed), colleagues covering absences and helping each
  other, local managers reviewing files and exporting lists, business-side counsellors' profile
  searches (their own agency or others), regional support, DSI incident handling, direction;
* evening sessions of some agents (telework), Saturday mornings of a few, rare Sunday or holiday
  catch-up sessions, early starters: legitimate off-hours work with a normal explanation.
The manifest gives the share of legitimate events whose explaining context exists in the data:
strong (current referent, an appointment around it, a call by the agent around it, an open task),
weak (the agent works in the job seeker's agency or manages it), none (legitimate, but nothing in
the files says why: former referent in another agency, profile searches elsewhere, call-backs,
regional support, DSI, reception of another agency's job seeker, re-check of a closed task).

Misuse (truth.csv: one row per (agent, file) pair; exactly 1,000 at `region`, 50 at `small`)
-------------------------------------------------------------------------------------------
Kinds (author's own proportions): colleague ~30 % (a current agent's job-seeker file: former files of
recent hires, an agent's current registration, the agent's own former file, a colleague asking
"can you look at my file"), ex_colleague ~12 % (an ex-agent registered after leaving), protected
~13 % (elected officials and 2024 legislative candidates; candidates mostly looked at in June),
curiosity ~45 % (neighbours, relatives sharing a surname, ex-partners, acquaintances, people in the
local news looked at by several agents, and rarely a referent with a personal interest in a job
seeker of his or her own portfolio).  Timing: working hours, lunch break, evenings, weekends, early
mornings; repetition from one look to dozens of days; actions view, sometimes print, export or
edit; same agency or not.  Misuse events are well under 0.1 % of all events.

Identities
----------
Agents' job-seeker files (former registrations before hiring, current registrations, ex-agents'
registrations after leaving) are written as a different system would: upper case with or without
accents, maiden versus married names (and compound ones), hyphen versus space, only the first given
name or all of them, rare typos and rare day/month swaps of the birth date.  Protected persons come
from pairs_dev.csv: the right-hand record becomes the watch-list row (elected; validity from the
register; deputies of the 16th legislature until the dissolution of 2024-06-09), a candidate row
valid 2024-06-16..2024-07-07 is added for about half of the people found on the 2024 candidate list;
the left-hand record becomes the job-seeker file ("same" and "same_variant" pairs: the same person,
spelled as the other register spells it).  Hard negatives: the left record of "homonym" pairs (same
name, other birth date) and "different" pairs (same birth date and département, other name) become
ordinary job seekers, consulted only legitimately.  Départements of these real records are mapped
onto the region's départements; the association "real person <-> job seeker" is entirely fictional
and exists only to test identity matching (pairs are referred to by pair_id in truth_notes.csv).

What is deliberately hard
-------------------------
Sensitive files consulted legitimately (their referent, GDD tasks, calls); misuse by an agent of the
same agency (the weak context exists); misuse during working hours, one single view; evening work
that is legitimate; wrong or missing declared timetables; referent changes; homonym files surfaced by
the telephony; protected identities written with real register variants (same_variant pairs are used
at a higher rate than they occur naturally, about half of the protected files), and real homonyms.

Reproducibility: same seed -> same bytes (no wall-clock value is written in the output).
Usage: python benchmarks/blind_region.py --out DIR --seed N --scale small|region [--pairs FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import unicodedata
from datetime import date, timedelta
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# --------------------------------------------------------------------------------------------------
# Calendar and time
# --------------------------------------------------------------------------------------------------
D0 = date(2024, 1, 1)  # origin of "local seconds"
Q_START = date(2024, 4, 1)  # Monday
N_DAYS = 91
Q0 = (Q_START - D0).days * 86400  # local seconds at 2024-04-01 00:00
Q_END = Q0 + N_DAYS * 86400
HOLIDAYS = [
    date(2024, 4, 1),
    date(2024, 5, 1),
    date(2024, 5, 8),
    date(2024, 5, 9),
    date(2024, 5, 20),
]
DST_START = (date(2024, 3, 31) - D0).days * 86400 + 2 * 3600
EPOCH_D0 = 1704067200  # 2024-01-01T00:00:00Z as a Unix time
EXTRACT_DAY = N_DAYS  # 2024-07-01: extraction date (day index)
SCHOOL_HOLIDAYS_B = (5, 21)  # 2024-04-06 .. 2024-04-22 (day indices, inclusive)

DAY_DATES = [Q_START + timedelta(days=d) for d in range(N_DAYS)]
WEEKDAY = np.array([d.weekday() for d in DAY_DATES])
IS_HOLIDAY = np.array([d in HOLIDAYS for d in DAY_DATES])
WORKDAY = (WEEKDAY < 5) & ~IS_HOLIDAY
# previous working day offset (in days) for each day index
PREV_WORK = np.ones(N_DAYS, dtype=np.int64)
for _d in range(N_DAYS):
    k = 1
    while _d - k >= 0 and not WORKDAY[_d - k]:
        k += 1
    PREV_WORK[_d] = k
NEXT_WORK = np.ones(N_DAYS, dtype=np.int64)
for _d in range(N_DAYS):
    k = 1
    while _d + k < N_DAYS and not WORKDAY[_d + k]:
        k += 1
    NEXT_WORK[_d] = k


def local_to_unix(s):
    s = np.asarray(s, dtype=np.int64)
    return EPOCH_D0 + s - np.where(s >= DST_START, 7200, 3600)


def fmt_local(s):
    """local seconds -> 'YYYY-MM-DDTHH:MM:SS' (Paris time, no offset)."""
    t = np.datetime64("2024-01-01T00:00:00", "s") + np.asarray(s, dtype=np.int64).astype(
        "timedelta64[s]"
    )
    return np.datetime_as_string(t, unit="s")


def fmt_utc_z(s):
    u = local_to_unix(s)
    t = np.datetime64("1970-01-01T00:00:00", "s") + u.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(t, unit="s"), "Z")


def fmt_day(dq):
    """day index relative to Q_START -> 'YYYY-MM-DD'."""
    t = np.datetime64("2024-04-01") + np.asarray(dq, dtype=np.int64).astype("timedelta64[D]")
    return np.datetime_as_string(t, unit="D")


def day_of(dt: date) -> int:
    return (dt - Q_START).days


# --------------------------------------------------------------------------------------------------
# Region
# --------------------------------------------------------------------------------------------------
REGION_NAME = "Hauts-de-France"
REGION_CODE = "32"
DR_ID = "DR-HDF"
DEPTS = ["59", "62", "60", "02", "80"]
AGENCY_TOWNS = {
    "59": [
        "Lille Centre",
        "Lille Vauban",
        "Lille Fives",
        "Lille Sud",
        "Roubaix Est",
        "Roubaix Ouest",
        "Tourcoing Centre",
        "Tourcoing Blanc-Seau",
        "Villeneuve-d'Ascq",
        "Wattrelos",
        "Croix",
        "Marcq-en-Barœul",
        "Lambersart",
        "Armentières",
        "Haubourdin",
        "Seclin",
        "Lomme",
        "Hellemmes",
        "Dunkerque Centre",
        "Dunkerque Sud",
        "Grande-Synthe",
        "Gravelines",
        "Hazebrouck",
        "Bailleul",
        "Douai",
        "Sin-le-Noble",
        "Somain",
        "Valenciennes",
        "Anzin",
        "Denain",
        "Condé-sur-l'Escaut",
        "Saint-Amand-les-Eaux",
        "Cambrai",
        "Caudry",
        "Maubeuge",
        "Fourmies",
    ],
    "62": [
        "Arras",
        "Lens",
        "Liévin",
        "Hénin-Beaumont",
        "Carvin",
        "Béthune",
        "Bruay-la-Buissière",
        "Lillers",
        "Calais Centre",
        "Calais Est",
        "Boulogne-sur-Mer",
        "Outreau",
        "Saint-Omer",
        "Berck",
        "Montreuil-sur-Mer",
        "Saint-Pol-sur-Ternoise",
        "Avion",
        "Harnes",
        "Bully-les-Mines",
        "Isbergues",
        "Étaples",
    ],
    "60": [
        "Beauvais Nord",
        "Beauvais Sud",
        "Compiègne",
        "Creil",
        "Nogent-sur-Oise",
        "Méru",
        "Noyon",
        "Senlis",
        "Crépy-en-Valois",
        "Clermont",
        "Chambly",
    ],
    "02": [
        "Saint-Quentin Centre",
        "Saint-Quentin Europe",
        "Soissons",
        "Laon",
        "Château-Thierry",
        "Chauny",
        "Hirson",
        "Tergnier",
    ],
    "80": [
        "Amiens Nord",
        "Amiens Sud",
        "Amiens Centre",
        "Abbeville",
        "Péronne",
        "Albert",
        "Montdidier",
        "Friville-Escarbotin",
    ],
}
SMALL_TOWNS = [("80", "Amiens Nord"), ("80", "Amiens Sud"), ("80", "Abbeville"), ("80", "Péronne")]

SCALES = {
    "small": dict(
        agency_staff=200,
        platform=24,
        platform_mgr=1,
        dr=18,
        dsi=3,
        dg=2,
        ex_hist=40,
        n_de=18000,
        target_events=1_000_000,
        n_misuse=50,
        n_pos=25,
        n_homonym=20,
        n_different=20,
        n_watch=300,
        n_news=3,
    ),
    "region": dict(
        agency_staff=4700,
        platform=380,
        platform_mgr=20,
        dr=300,
        dsi=40,
        dg=15,
        ex_hist=760,
        n_de=400000,
        target_events=20_000_000,
        n_misuse=1000,
        n_pos=200,
        n_homonym=113,
        n_different=111,
        n_watch=1595,
        n_news=15,
    ),
}

JOBS = ["conseiller", "gdd", "manager", "plateforme", "support", "direction"]
# internal roles
ROLES = [
    "port",
    "ent",
    "gdd",
    "mgr",
    "acc",
    "plat",
    "pmgr",
    "cre",
    "med",
    "drsup",
    "drmgr",
    "dir",
    "dsi",
]
R = {r: i for i, r in enumerate(ROLES)}
ROLE_JOB = {
    "port": "conseiller",
    "ent": "conseiller",
    "gdd": "gdd",
    "mgr": "manager",
    "acc": "support",
    "plat": "plateforme",
    "pmgr": "manager",
    "cre": "conseiller",
    "med": "conseiller",
    "drsup": "support",
    "drmgr": "manager",
    "dir": "direction",
    "dsi": "support",
}

ACTIONS = ["view", "edit", "print", "export"]
A_VIEW, A_EDIT, A_PRINT, A_EXPORT = 0, 1, 2, 3
APPS = ["AUDE", "MAP", None]
CTX = ["strong", "weak", "none", "misuse"]
STRONG, WEAK, NONE, MISUSE = 0, 1, 2, 3

PROCS = [
    "appt_prep",
    "appt_during",
    "appt_after",
    "appt_collectif",
    "portfolio_referent",
    "portfolio_former_referent",
    "portfolio_export",
    "agency_adhoc",
    "reception_walkin",
    "reception_other_agency",
    "manager_review",
    "manager_export",
    "task",
    "task_recheck",
    "call_matched",
    "call_homonym_surfaced",
    "call_no_file",
    "call_wrong_search",
    "call_writeup",
    "call_other_region_agent",
    "platform_callback",
    "profile_search",
    "profile_export",
    "mediation_adhoc",
    "regional_support",
    "dsi_support",
    "direction",
    "misuse",
]
P = {p: i for i, p in enumerate(PROCS)}

# --------------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------------
SURNAMES = [
    "Lefebvre",
    "Martin",
    "Dubois",
    "Leroy",
    "Lemaire",
    "Petit",
    "Dupont",
    "Lambert",
    "Caron",
    "Vasseur",
    "Delattre",
    "Deprez",
    "Lefort",
    "Leclercq",
    "Lecomte",
    "Delmotte",
    "Lemoine",
    "Roussel",
    "Descamps",
    "Mahieu",
    "Dupuis",
    "Boulanger",
    "Carpentier",
    "Delannoy",
    "Bouchez",
    "Declercq",
    "Dewitte",
    "Vandenberghe",
    "Vanhoutte",
    "Duhamel",
    "Wallet",
    "Dhainaut",
    "Hochart",
    "Delcroix",
    "Poulain",
    "Hennebert",
    "Maes",
    "Vermeulen",
    "Lefèvre",
    "Théry",
    "Hénon",
    "Crépin",
    "Sénéchal",
    "Lesné",
    "Évrard",
    "Hémery",
    "Delépine",
    "Ménard",
    "Fréville",
    "Bernard",
    "Thomas",
    "Robert",
    "Richard",
    "Durand",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Blanc",
    "Guerin",
    "Boyer",
    "Lucas",
    "Bonnet",
    "Francois",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Clement",
    "Morin",
    "Nicolas",
    "Henry",
    "Mathieu",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Lemaitre",
    "Brunet",
    "Dumont",
    "Cousin",
    "Benali",
    "Haddad",
    "Mansouri",
    "Bouzid",
    "Saidi",
    "Belkacem",
    "Hamdi",
    "Cherif",
    "Kaci",
    "Ait-Ali",
    "Diallo",
    "Traoré",
    "Mendy",
    "Camara",
    "Kowalski",
    "Nowak",
    "Wisniewski",
    "Lewandowski",
    "Kaminski",
    "Da-Silva",
    "Ferreira",
    "Dos-Santos",
    "Pereira",
    "Rodrigues",
    "Nguyen",
    "Tran",
    "Le-Roux",
    "Le-Gall",
    "De-Smet",
    "Van-Damme",
    "De-Backer",
    "Van-Hecke",
    "Dupré",
    "Desmet",
    "Debruyne",
    "Delahaye",
    "Leblanc",
    "Lebrun",
    "Flament",
    "Bultel",
    "Lagache",
    "Dufour",
    "Lenglet",
    "Bacquet",
    "Ryckebusch",
    "Verhaeghe",
    "Vandamme",
    "Coppin",
]
MALE = [
    "Thomas",
    "Nicolas",
    "Julien",
    "Sébastien",
    "Jérôme",
    "Frédéric",
    "Christophe",
    "David",
    "Stéphane",
    "Laurent",
    "Olivier",
    "Mickaël",
    "Grégory",
    "Anthony",
    "Kevin",
    "Maxime",
    "Alexandre",
    "Romain",
    "Florian",
    "Jérémy",
    "Dylan",
    "Lucas",
    "Hugo",
    "Théo",
    "Enzo",
    "Mathis",
    "Nathan",
    "Louis",
    "Gabriel",
    "Raphaël",
    "Arthur",
    "Jean-Pierre",
    "Jean-Claude",
    "Philippe",
    "Patrick",
    "Pascal",
    "Alain",
    "Michel",
    "Bernard",
    "Didier",
    "Thierry",
    "Franck",
    "Ludovic",
    "Cédric",
    "Benoît",
    "Rémi",
    "Joël",
    "Karim",
    "Mohamed",
    "Mehdi",
    "Yassine",
    "Sofiane",
    "Bilal",
    "Ryan",
    "Jordan",
    "Antoine",
    "Guillaume",
    "Vincent",
    "François",
    "Jean-Baptiste",
    "Pierre-Yves",
    "Bruno",
    "Fabrice",
    "Dominique",
    "Éric",
    "Hervé",
    "Xavier",
    "Damien",
    "Mathieu",
    "Quentin",
    "Adrien",
]
FEMALE = [
    "Marie",
    "Nathalie",
    "Isabelle",
    "Sandrine",
    "Céline",
    "Stéphanie",
    "Aurélie",
    "Julie",
    "Émilie",
    "Élodie",
    "Caroline",
    "Virginie",
    "Laetitia",
    "Audrey",
    "Mélanie",
    "Amandine",
    "Sarah",
    "Laura",
    "Manon",
    "Camille",
    "Léa",
    "Chloé",
    "Emma",
    "Inès",
    "Jade",
    "Lola",
    "Zoé",
    "Océane",
    "Marine",
    "Pauline",
    "Anaïs",
    "Mégane",
    "Justine",
    "Valérie",
    "Sylvie",
    "Christine",
    "Catherine",
    "Martine",
    "Françoise",
    "Brigitte",
    "Véronique",
    "Patricia",
    "Corinne",
    "Karine",
    "Hélène",
    "Cécile",
    "Sophie",
    "Anne-Sophie",
    "Marie-Christine",
    "Marie-Laure",
    "Fatima",
    "Samira",
    "Nadia",
    "Leila",
    "Yasmine",
    "Sabrina",
    "Jessica",
    "Cindy",
    "Vanessa",
    "Angélique",
    "Gaëlle",
    "Noémie",
    "Maëlle",
    "Charlotte",
    "Claire",
    "Lucie",
    "Agnès",
    "Monique",
    "Thérèse",
    "Josiane",
    "Delphine",
    "Coralie",
]
SECOND_M = [
    "Pierre",
    "Jean",
    "Louis",
    "Marie",
    "Joseph",
    "André",
    "Paul",
    "Michel",
    "Henri",
    "Charles",
    "Lucien",
    "René",
    "Marcel",
]
SECOND_F = [
    "Marie",
    "Anne",
    "Louise",
    "Jeanne",
    "Françoise",
    "Claire",
    "Madeleine",
    "Hélène",
    "Suzanne",
    "Thérèse",
    "Andrée",
    "Paule",
]
SYL_A = [
    "Van",
    "De",
    "Le",
    "Del",
    "Ver",
    "Wal",
    "Dec",
    "Lam",
    "Ber",
    "Cor",
    "Fou",
    "Gra",
    "Lec",
    "Mar",
    "Pet",
    "Rou",
    "Sai",
    "Tav",
    "Vas",
    "Hen",
    "Bou",
    "Car",
    "Du",
    "Ho",
    "Ma",
    "Che",
    "Mon",
    "Gui",
    "Ra",
    "Ro",
    "Ri",
    "Sa",
    "Se",
    "Ta",
    "To",
    "Wa",
    "Ba",
    "Be",
    "Bi",
    "Da",
    "Di",
    "Do",
    "Fa",
    "Fe",
    "Fi",
    "Ga",
    "Ge",
    "Go",
    "La",
    "Li",
    "Lo",
    "Me",
    "Mi",
    "Mo",
    "Na",
    "Ne",
    "No",
    "Pa",
    "Pe",
    "Pi",
    "Po",
    "Va",
    "Vi",
    "Vo",
    "Ker",
    "Bro",
    "Cla",
    "Dra",
    "Fla",
    "Gro",
    "Pla",
    "Tre",
]
SYL_B = [
    "",
    "",
    "der",
    "ber",
    "mee",
    "hou",
    "cq",
    "lan",
    "ran",
    "ver",
    "bro",
    "ster",
    "mou",
    "ri",
    "ga",
    "ne",
    "sa",
    "to",
    "lu",
    "vi",
    "che",
    "da",
    "ma",
    "bé",
    "lé",
    "ré",
]
SYL_C = [
    "aert",
    "ert",
    "ez",
    "ier",
    "in",
    "ot",
    "et",
    "aux",
    "elle",
    "ens",
    "on",
    "ois",
    "ard",
    "ant",
    "eux",
    "y",
    "enne",
    "ghe",
    "ck",
    "ynck",
    "ache",
    "ault",
    "at",
    "ier",
    "eau",
    "ol",
    "ou",
    "ec",
    "as",
    "ès",
    "é",
    "illon",
    "iaux",
    "art",
    "ain",
]

NEWS_NOTE = "local news"


def strip_accents(s: str) -> str:
    return (
        "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
        .replace("œ", "oe")
        .replace("Œ", "OE")
    )


def name_key(last: str, first: str) -> str:
    s = strip_accents((last + "|" + first.split(" ")[0]).upper())
    return "".join(ch for ch in s if ch.isalnum() or ch == "|")


def surname_pool(rng, n_extra):
    pool = [
        s.replace("-", " ") if s.startswith(("Le-", "De-", "Van-", "Da-", "Dos-")) else s
        for s in SURNAMES
    ]
    seen = {strip_accents(s).upper(): 1 for s in pool}
    out = list(pool)
    while len(out) < len(pool) + n_extra:
        a = SYL_A[rng.integers(len(SYL_A))]
        b = SYL_B[rng.integers(len(SYL_B))]
        b2 = SYL_B[rng.integers(len(SYL_B))] if rng.random() < 0.45 else ""
        c = SYL_C[rng.integers(len(SYL_C))]
        s = (a + b + b2 + c).lower().capitalize()
        if rng.random() < 0.03:
            s2 = SURNAMES[rng.integers(len(SURNAMES))]
            s = s + "-" + s2
        k = strip_accents(s).upper()
        if k not in seen:
            seen[k] = 1
            out.append(s)
    w = np.empty(len(out))
    nt = len(pool)
    w[:nt] = 1.0 / (np.arange(nt) + 3.0)
    w[nt:] = 0.9 / (np.arange(len(out) - nt) + 40.0) ** 0.55
    w[:nt] *= 0.20 / w[:nt].sum()
    w[nt:] *= 0.80 / w[nt:].sum()
    return out, w / w.sum()


def zipf_w(n, a=0.9, off=3.0):
    w = 1.0 / (np.arange(n) + off) ** a
    return w / w.sum()


def up(s, accents):
    s = s.upper()
    return s if accents else strip_accents(s)


def typo(rng, s):
    letters = [i for i, c in enumerate(s) if c.isalpha()]
    if len(letters) < 4:
        return s
    i = letters[1 + rng.integers(len(letters) - 1)]
    r = rng.random()
    if r < 0.4:
        return s[:i] + s[i + 1 :]
    if r < 0.7:
        return s[:i] + s[i] + s[i:]
    alt = "AEIOUNMRSLT" if s.isupper() else "aeiounmrslt"
    return s[:i] + alt[rng.integers(len(alt))] + s[i + 1 :]


# --------------------------------------------------------------------------------------------------
# Helpers for sampling from grouped lists
# --------------------------------------------------------------------------------------------------
class Groups:
    """items grouped by an integer key: sample uniformly inside a group, vectorised."""

    def __init__(self, keys, items, n_keys):
        keys = np.asarray(keys, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        self.items = np.asarray(items)[order]
        self.cnt = np.bincount(keys, minlength=n_keys).astype(np.int64)
        self.off = np.concatenate([[0], np.cumsum(self.cnt)[:-1]]).astype(np.int64)

    def sample(self, rng, k):
        k = np.asarray(k, dtype=np.int64)
        c = self.cnt[k]
        ok = c > 0
        idx = self.off[k] + np.floor(rng.random(len(k)) * np.maximum(c, 1)).astype(np.int64)
        res = np.full(len(k), -1, dtype=np.int64)
        res[ok] = self.items[idx[ok]]
        return res


def pick(rng, p, n):
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def time_in_windows(rng, w):
    """w: (n,4) minutes [s1,e1,s2,e2) -> minute offsets (float)."""
    l1 = np.maximum(w[:, 1] - w[:, 0], 0)
    l2 = np.maximum(w[:, 3] - w[:, 2], 0)
    x = rng.random(len(w)) * (l1 + l2)
    return np.where(x < l1, w[:, 0] + x, w[:, 2] + (x - l1))


class Events:
    def __init__(self):
        self.parts = []

    def add(self, agent, de, ts, action, app, ctx, proc):
        n = len(agent)
        if n == 0:
            return

        def arr(x, dt):
            x = np.asarray(x)
            return np.full(n, x, dtype=dt) if x.ndim == 0 else x.astype(dt, copy=False)

        self.parts.append(
            (
                arr(agent, np.int32),
                arr(de, np.int32),
                arr(ts, np.int64),
                arr(action, np.int8),
                arr(app, np.int8),
                arr(ctx, np.int8),
                arr(proc, np.int8),
            )
        )

    def concat(self):
        cols = list(zip(*self.parts, strict=False))
        out = [np.concatenate(c) for c in cols]
        self.parts = []
        return out


def within_offsets(k):
    """for group sizes k -> (group index per item, rank inside group)."""
    k = np.asarray(k, dtype=np.int64)
    g = np.repeat(np.arange(len(k)), k)
    starts = np.cumsum(k) - k
    j = np.arange(k.sum()) - np.repeat(starts, k)
    return g, j


def spaced_times(rng, start, k, lo, hi):
    """k events per group starting at start[g], separated by U(lo,hi) seconds."""
    g, j = within_offsets(k)
    gaps = rng.integers(lo, hi, size=len(g)).astype(np.int64)
    gaps[j == 0] = 0
    cs = np.cumsum(gaps)
    base = cs[(np.cumsum(k) - k)[g]] if len(g) else cs
    # base is the cumsum at the first element of each group (which is gap 0 added)
    return g, j, np.asarray(start, dtype=np.int64)[g] + (cs - base)


def app_for(rng, role_idx):
    n = len(role_idx)
    p_map = np.where(np.isin(role_idx, [R["gdd"], R["cre"], R["plat"]]), 0.82, 0.42)
    app = np.where(rng.random(n) < p_map, 0, 1).astype(np.int8)
    app[rng.random(n) < 0.004] = 2
    return app


# --------------------------------------------------------------------------------------------------
# Work patterns
# --------------------------------------------------------------------------------------------------
DAYN = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
TEMPLATES = {
    "std_a": [(510, 750, 810, 1020)] * 4 + [(510, 750, 810, 960)],
    "std_b": [(480, 720, 780, 990)] * 5,
    "std_c": [(540, 750, 825, 1050)] * 5,
    "early": [(450, 720, 765, 930)] * 5,
    "mgr": [(480, 750, 810, 1110)] * 5,
    "plat_a": [(480, 720, 765, 960)] * 5,
    "plat_b": [(570, 780, 825, 1050)] * 5,
}


def hm(m):
    return f"{m // 60:02d}:{m % 60:02d}"


def pattern_string(days):
    """days: list of 7 tuples or None -> work_pattern text."""
    groups = {}
    order = []
    for i, w in enumerate(days):
        if w is None:
            continue
        rng_s = (
            hm(w[0]) + "-" + hm(w[1])
            if w[2] >= w[3]
            else f"{hm(w[0])}-{hm(w[1])},{hm(w[2])}-{hm(w[3])}"
        )
        if rng_s not in groups:
            groups[rng_s] = []
            order.append(rng_s)
        groups[rng_s].append(i)
    parts = []
    for rs in order:
        ds = groups[rs]
        if len(ds) == 1:
            dtxt = DAYN[ds[0]]
        elif ds == list(range(ds[0], ds[-1] + 1)):
            dtxt = DAYN[ds[0]] + "-" + DAYN[ds[-1]]
        else:
            dtxt = "/".join(DAYN[i] for i in ds)
        parts.append(dtxt + " " + rs)
    return ";".join(parts)


# --------------------------------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------------------------------
class World:
    def __init__(self, scale, seed, pairs_path):
        self.scale = scale
        self.cfg = SCALES[scale]
        self.seed = seed
        ss = np.random.SeedSequence(seed)
        self.rngs = [np.random.default_rng(s) for s in ss.spawn(32)]
        self.pairs_path = pairs_path
        self.ev = Events()
        self.appts = []  # dict parts
        self.calls = []
        self.tasks = []

    # ---------------------------------------------------------------- structure
    def build_structure(self):
        rng = self.rngs[0]
        if self.scale == "small":
            towns = SMALL_TOWNS
        else:
            towns = [(d, t) for d in DEPTS for t in AGENCY_TOWNS[d]]
        self.n_ag = len(towns)
        self.ag_dept = np.array([DEPTS.index(d) for d, _ in towns])
        self.ag_name = ["France Travail " + t for _, t in towns]
        self.ag_id = [f"AG{d}{i + 1:03d}" for i, (d, _) in enumerate(towns)]
        self.ag_msa = rng.random(self.n_ag) < 0.13
        # communes: 30 per agency, unique per département
        self.ag_communes = []
        used = {d: set() for d in DEPTS}
        per_dept = {d: sum(1 for x, _ in towns if x == d) for d in DEPTS}
        for d, _ in towns:
            cs = []
            while len(cs) < min(30, 850 // per_dept[d]):
                c = int(rng.integers(1, 900))
                if c not in used[d]:
                    used[d].add(c)
                    cs.append(f"{d}{c:03d}")
            self.ag_communes.append(cs)
        w = rng.lognormal(0, 0.35, self.n_ag)
        w *= np.array(
            [1.25 if "Lille" in t or "Roubaix" in t or "Amiens" in t else 1.0 for _, t in towns]
        )
        self.ag_weight = w / w.sum()

    def build_agents(self):
        rng = self.rngs[1]
        c = self.cfg
        role, agency, est = [], [], []
        staff = rng.multinomial(c["agency_staff"], self.ag_weight)
        arole = ["port", "ent", "gdd", "mgr", "acc"]
        apro = [0.52, 0.08, 0.23, 0.09, 0.08]
        for a in range(self.n_ag):
            n = max(int(staff[a]), 8)
            rs = list(pick(rng, apro, n))
            rs[0], rs[1], rs[2] = 3, 0, 2  # every agency: a manager, a counsellor, a GDD
            for r in rs:
                role.append(R[arole[r]])
                agency.append(a)
                est.append(DR_ID)
        for _ in range(c["platform"]):
            role.append(R["plat"])
            agency.append(-1)
            est.append("PES-HDF")
        for _ in range(c["platform_mgr"]):
            role.append(R["pmgr"])
            agency.append(-1)
            est.append("PES-HDF")
        drr = pick(rng, [0.16, 0.12, 0.37, 0.17, 0.18], c["dr"])
        for r in drr:
            role.append(R[["cre", "med", "drsup", "drmgr", "dir"][r]])
            agency.append(-1)
            est.append(DR_ID)
        for _ in range(c["dsi"]):
            role.append(R["dsi"])
            agency.append(-1)
            est.append("DSI")
        for i in range(c["dg"]):
            role.append(R["dir"] if i % 2 == 0 else R["drsup"])
            agency.append(-1)
            est.append("DG")
        n_cur = len(role)
        # ex-agents (left before the quarter): mostly agency jobs
        for r in pick(rng, [0.5, 0.03, 0.22, 0.07, 0.08, 0.07, 0.03], c["ex_hist"]):
            rr = ["port", "ent", "gdd", "mgr", "acc", "plat", "drsup"][r]
            role.append(R[rr])
            if rr in ("port", "ent", "gdd", "mgr", "acc"):
                agency.append(int(pick(rng, self.ag_weight, 1)[0]))
                est.append(DR_ID)
            elif rr == "plat":
                agency.append(-1)
                est.append("PES-HDF")
            else:
                agency.append(-1)
                est.append(DR_ID)
        n = len(role)
        self.n_a = n
        self.n_cur = n_cur
        self.a_role = np.array(role, dtype=np.int64)
        self.a_agency = np.array(agency, dtype=np.int64)
        self.a_est = est
        self.a_dept = np.where(
            self.a_agency >= 0,
            self.ag_dept[np.maximum(self.a_agency, 0)],
            pick(rng, [0.5, 0.25, 0.1, 0.07, 0.08], n),
        )
        # dates (day index relative to Q_START)
        years = rng.gamma(1.6, 7.0, n)
        hired = -np.round(years * 365.25 + rng.integers(1, 60, n)).astype(np.int64)
        left = np.full(n, 10**6, dtype=np.int64)
        is_ex = np.arange(n) >= n_cur
        left[is_ex] = -rng.integers(1, 5 * 365, is_ex.sum())
        hired[is_ex] = left[is_ex] - np.round(rng.gamma(1.5, 6.0, is_ex.sum()) * 365 + 30).astype(
            np.int64
        )
        # some agency/platform staff arrive or leave during the quarter
        cur = np.arange(n_cur)
        agency_like = np.isin(self.a_role[:n_cur], [R["port"], R["gdd"], R["acc"], R["plat"]])
        u = rng.random(n_cur)
        arrive = agency_like & (u < 0.02)
        hired[cur[arrive]] = rng.integers(3, 70, arrive.sum())
        leave = agency_like & (u > 0.985)
        left[cur[leave]] = rng.integers(10, 88, leave.sum())
        self.a_hired, self.a_left = hired, left
        # identity
        self.a_sex = np.where(
            rng.random(n) < 0.68, "F", "M"
        )  # the operator's staff is mostly female
        age = np.clip(rng.normal(45, 10, n), 22, 64)
        age = np.maximum(age, 22 + (-hired) / 365.25)
        age = np.minimum(age, 66)
        bd = (
            (date(2024, 4, 1) - D0).days
            - np.round(age * 365.25).astype(np.int64)
            - rng.integers(0, 365, n)
        )
        self.a_birth = bd  # days since D0
        self.a_age = age
        self.a_id = self._unique_agent_ids(rng, n)
        self.make_agent_names(rng)
        self.make_schedules(rng)

    def _unique_agent_ids(self, rng, n, taken=None):
        out, seen = [], dict(taken or {})
        letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        while len(out) < n:
            s = "".join(letters[rng.integers(0, 26, 4)]) + f"{rng.integers(0, 10000):04d}"
            if s not in seen:
                seen[s] = 1
                out.append(s)
        self._aid_seen = seen
        return out

    def make_names(self, rng, sex):
        """returns (surname idx, first names list-of-lists)"""
        n = len(sex)
        sidx = rng.choice(len(self.sur), size=n, p=self.sur_w)
        fm = rng.choice(len(MALE), size=n, p=zipf_w(len(MALE), 0.8))
        ff = rng.choice(len(FEMALE), size=n, p=zipf_w(len(FEMALE), 0.8))
        n_given = pick(rng, [0.35, 0.45, 0.2], n) + 1
        s2m = rng.integers(0, len(SECOND_M), (n, 2))
        s2f = rng.integers(0, len(SECOND_F), (n, 2))
        firsts = []
        for i in range(n):
            if sex[i] == "F":
                g = [FEMALE[ff[i]]] + [SECOND_F[s2f[i, j]] for j in range(n_given[i] - 1)]
            else:
                g = [MALE[fm[i]]] + [SECOND_M[s2m[i, j]] for j in range(n_given[i] - 1)]
            dd = []
            for x in g:
                if x not in dd:
                    dd.append(x)
            firsts.append(dd)
        return sidx, firsts

    def make_agent_names(self, rng):
        n = self.n_a
        sidx, firsts = self.make_names(rng, self.a_sex)
        self.a_first = firsts
        married = (self.a_sex == "F") & (rng.random(n) < np.clip((self.a_age - 24) / 20, 0, 0.55))
        husband = rng.choice(len(self.sur), size=n, p=self.sur_w)
        self.a_birthname_idx = sidx
        self.a_married = married
        self.a_last = [self.sur[husband[i]] if married[i] else self.sur[sidx[i]] for i in range(n)]
        self.a_birthname = [self.sur[sidx[i]] if married[i] else "" for i in range(n)]
        self.a_home = [self._home_commune(rng, i) for i in range(n)]

    def _home_commune(self, rng, i):
        ag = self.a_agency[i]
        if ag < 0 or rng.random() < 0.3:
            cand = np.nonzero(self.ag_dept == self.a_dept[i])[0]
            ag = int(cand[rng.integers(len(cand))]) if len(cand) else int(rng.integers(self.n_ag))
        cs = self.ag_communes[ag]
        return cs[rng.integers(len(cs))]

    def make_schedules(self, rng):
        n = self.n_a
        sch = np.zeros((n, 7, 4), dtype=np.int64)
        declared = []
        kinds = []
        for i in range(n):
            r = ROLES[self.a_role[i]]
            if r in ("plat",):
                t = "plat_a" if rng.random() < 0.5 else "plat_b"
            elif r in ("mgr", "drmgr", "dir", "pmgr"):
                t = "mgr" if rng.random() < 0.7 else "std_a"
            else:
                t = ["std_a", "std_b", "std_c", "early"][pick(rng, [0.45, 0.25, 0.18, 0.12], 1)[0]]
            days = [tuple(x) for x in TEMPLATES[t]] + [None, None]
            jit = int(rng.integers(-3, 4)) * 5
            days = [
                None if d is None else (d[0] + jit, d[1] + jit, d[2] + jit, d[3] + jit)
                for d in days
            ]
            pt = rng.random()
            kind = t
            if r not in ("mgr", "dir", "drmgr", "pmgr") and pt < 0.14:  # 80 %: one day off
                off = [2, 4, 0][pick(rng, [0.6, 0.25, 0.15], 1)[0]]
                days[off] = None
                kind += "+80pc"
            elif (
                r not in ("mgr", "dir", "drmgr", "pmgr") and pt < 0.22
            ):  # 90 %: wednesday afternoon off
                d2 = days[2]
                days[2] = (d2[0], d2[1], d2[1], d2[1])
                kind += "+90pc"
            for wd in range(7):
                if days[wd] is not None:
                    sch[i, wd] = days[wd]
            kinds.append(kind)
            u = rng.random()
            if u < 0.32:
                declared.append("")
            elif u < 0.32 + 0.062:  # wrong: an old or standard timetable
                alt = [
                    tuple(x)
                    for x in TEMPLATES[["std_a", "std_b", "early", "std_c"][rng.integers(4)]]
                ] + [None, None]
                declared.append(pattern_string(alt))
                kinds[-1] += "|declared_wrong"
            else:
                declared.append(pattern_string(days))
        self.sched = sch
        self.works = sch[:, :, 1] > sch[:, :, 0]
        self.a_pattern = declared
        self.a_sched_kind = kinds
        # off-hours habits (never declared)
        u = rng.random(n)
        work_roles = np.isin(
            self.a_role, [R["port"], R["gdd"], R["mgr"], R["ent"], R["cre"], R["med"], R["drmgr"]]
        )
        self.a_evening = work_roles & (u < 0.05)
        self.a_saturday = work_roles & (u > 0.985)

    # ---------------------------------------------------------------- presence
    def build_presence(self):
        rng = self.rngs[2]
        n = self.n_a
        d = np.arange(N_DAYS)
        employed = (d[None, :] >= self.a_hired[:, None]) & (d[None, :] < self.a_left[:, None])
        pres = employed & self.works[:, WEEKDAY] & WORKDAY[None, :]
        leave = np.zeros((n, N_DAYS), dtype=bool)
        wts = np.ones(N_DAYS)
        wts[SCHOOL_HOLIDAYS_B[0] : SCHOOL_HOLIDAYS_B[1] + 1] = 3.0
        wts[35:42] = 4.0  # May bridges (6..12 May)
        wts[75:] = 1.8  # late June
        wts /= wts.sum()
        for i in range(self.n_cur):
            nb = 1 + (rng.random() < 0.6)
            for _ in range(nb):
                s = int(rng.choice(N_DAYS, p=wts))
                L = int(rng.integers(3, 12))
                leave[i, s : s + L] = True
            if rng.random() < 0.12:
                s = int(rng.integers(0, N_DAYS))
                leave[i, s : s + int(rng.integers(2, 21))] = True
        self.leave = leave
        self.pres = pres & ~leave
        self.employed = employed
        ua, ud = np.nonzero(self.pres)
        w = self.sched[ua, WEEKDAY[ud]]
        units = [(ua, ud, w, np.zeros(len(ua), dtype=np.int8))]
        # extra sessions: evenings, saturdays, rare catch-ups
        ea, ed = np.nonzero(self.pres & self.a_evening[:, None] & (rng.random((n, N_DAYS)) < 0.25))
        s1 = rng.integers(19 * 60 + 30, 21 * 60, len(ea))
        ew = np.stack([s1, s1 + rng.integers(40, 150, len(ea)), s1, s1], axis=1)
        ew[:, 2:] = ew[:, 1:2]
        units.append((ea, ed, ew, np.ones(len(ea), dtype=np.int8)))
        sat = (
            (WEEKDAY == 5)[None, :]
            & employed
            & self.a_saturday[:, None]
            & (rng.random((n, N_DAYS)) < 0.3)
        )
        sa, sd = np.nonzero(sat)
        s1 = rng.integers(8 * 60 + 30, 10 * 60, len(sa))
        sw = np.stack([s1, s1 + rng.integers(90, 200, len(sa)), s1, s1], axis=1)
        sw[:, 2:] = sw[:, 1:2]
        units.append((sa, sd, sw, np.ones(len(sa), dtype=np.int8)))
        # rare catch-up sessions of anyone with a portfolio-like job (sunday evening, holiday, late)
        cands = np.nonzero(
            np.isin(self.a_role[: self.n_cur], [R["port"], R["gdd"], R["mgr"], R["ent"]])
        )[0]
        k = rng.random(len(cands)) < 0.08
        ca = cands[k]
        cd = rng.integers(0, N_DAYS, len(ca))
        ok = self.employed[ca, cd]
        ca, cd = ca[ok], cd[ok]
        s1 = np.where(
            WORKDAY[cd],
            rng.integers(18 * 60 + 30, 20 * 60, len(ca)),
            rng.integers(10 * 60, 21 * 60, len(ca)),
        )
        cw = np.stack([s1, s1 + rng.integers(30, 120, len(ca)), s1, s1], axis=1)
        cw[:, 2:] = cw[:, 1:2]
        units.append((ca, cd, cw, np.ones(len(ca), dtype=np.int8)))
        self.u_agent = np.concatenate([u[0] for u in units]).astype(np.int64)
        self.u_day = np.concatenate([u[1] for u in units]).astype(np.int64)
        self.u_win = np.concatenate([u[2] for u in units]).astype(np.int64)
        self.u_extra = np.concatenate([u[3] for u in units])
        self.u_role = self.a_role[self.u_agent]

    # ---------------------------------------------------------------- job seekers
    def load_pairs(self):
        rows = []
        with open(self.pairs_path, encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                rows.append(r)
        return rows

    def build_job_seekers(self):
        rng = self.rngs[3]
        c = self.cfg
        recs = []  # dicts built for special files; general ones vectorised below
        # ---- agents' and ex-agents' job-seeker files
        n_cur = self.n_cur
        hired, left = self.a_hired, self.a_left
        recent = (-hired) < 5 * 365
        p_former = np.where(recent, 0.33, 0.08)
        p_former[n_cur:] = np.where(recent[n_cur:], 0.25, 0.06)
        has_former = rng.random(self.n_a) < p_former
        cur_reg = (np.arange(self.n_a) < n_cur) & (rng.random(self.n_a) < 0.012)
        after_left = (left < 10**5) & (
            rng.random(self.n_a) < 0.42
        )  # ex-agents (incl. leaving in quarter)
        special = []
        for i in range(self.n_a):
            if has_former[i]:
                reg = int(hired[i] - rng.integers(60, 3 * 365))
                dereg = int(hired[i] - rng.integers(0, 20))
                special.append(("agent_former", i, reg, dereg))
            if cur_reg[i]:
                reg = int(rng.integers(-400, 30))
                special.append(
                    (
                        "agent_current",
                        i,
                        reg,
                        10**6 if rng.random() < 0.8 else int(rng.integers(reg + 20, 140)),
                    )
                )
            if after_left[i]:
                reg = int(left[i] + rng.integers(1, 60))
                if reg < N_DAYS - 3:
                    dereg = 10**6 if rng.random() < 0.75 else int(reg + rng.integers(60, 700))
                    special.append(("ex_agent", i, reg, dereg))
        for kind, i, reg, dereg in special:
            recs.append(self._agent_de_record(rng, kind, i, reg, dereg))
        # ---- protected persons and hard negatives from pairs_dev
        self.build_protected(rng, recs)
        n_spec = len(recs)
        n_gen = c["n_de"] - n_spec
        # ---- general population
        sex = np.where(rng.random(n_gen) < 0.5, "F", "M")
        sidx, firsts = self.make_names(rng, sex)
        age = np.clip(rng.gamma(4.0, 9.0, n_gen) + 16, 16, 66)
        bdays = (
            (date(2024, 4, 1) - D0).days
            - np.round(age * 365.25).astype(np.int64)
            - rng.integers(0, 365, n_gen)
        )
        married = (sex == "F") & (rng.random(n_gen) < np.clip((age - 24) / 25, 0, 0.5))
        husband = rng.choice(len(self.sur), size=n_gen, p=self.sur_w)
        agency = pick(rng, self.ag_weight, n_gen)
        active = rng.random(n_gen) < 0.82
        reg = np.where(
            active,
            -np.round(rng.exponential(420, n_gen)).astype(np.int64) + 40,
            -np.round(rng.exponential(500, n_gen)).astype(np.int64) - 400,
        )
        reg = np.minimum(reg, N_DAYS - 2)
        dereg = np.where(
            active,
            np.where(rng.random(n_gen) < 0.27, rng.integers(0, N_DAYS, n_gen), 10**6),
            rng.integers(-1500, 0, n_gen),
        )
        dereg = np.where(dereg < 10**6, np.maximum(dereg, reg + 20), dereg)
        dereg = np.where(~active, np.minimum(dereg, -1), dereg)
        reg = np.where(~active, np.minimum(reg, dereg - 20), reg)
        style = rng.random(n_gen)
        for i in range(n_gen):
            acc = style[i] < 0.5
            if married[i]:
                last = up(self.sur[husband[i]], acc)
                bn = up(self.sur[sidx[i]], acc)
            else:
                last, bn = up(self.sur[sidx[i]], acc), ""
            fn = firsts[i] if rng.random() < 0.5 else firsts[i][:1]
            fn = " ".join(up(x, acc) if style[i] < 0.9 else x for x in fn)
            if style[i] >= 0.9:
                last = self.sur[husband[i]] if married[i] else self.sur[sidx[i]]
                bn = self.sur[sidx[i]] if married[i] else ""
            ag = int(agency[i])
            cs = self.ag_communes[ag]
            recs.append(
                dict(
                    kind="general",
                    owner=-1,
                    last=last,
                    birth_name=bn,
                    first=fn,
                    birth=int(bdays[i]),
                    sex=sex[i],
                    agency=ag,
                    commune=cs[int(rng.integers(len(cs)))],
                    reg=int(reg[i]),
                    dereg=int(dereg[i]),
                    pair="",
                )
            )
        # shuffle so that ids do not reveal the special files
        perm = rng.permutation(len(recs))
        recs = [recs[i] for i in perm]
        self.de = recs
        self.n_de = len(recs)
        ids = rng.choice(9_000_000, size=self.n_de + 5000, replace=False) + 1_000_000
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        lt = rng.integers(0, len(letters), self.n_de + 5000)
        allids = [f"{ids[i]:07d}{letters[lt[i]]}" for i in range(self.n_de + 5000)]
        self.de_id = allids[: self.n_de]
        self.unknown_de_pool = allids[self.n_de :]
        self.de_kind = np.array([r["kind"] for r in recs])
        self.de_owner = np.array([r["owner"] for r in recs], dtype=np.int64)
        self.de_agency = np.array([r["agency"] for r in recs], dtype=np.int64)
        self.de_dept = self.ag_dept[self.de_agency]
        self.de_reg = np.array([r["reg"] for r in recs], dtype=np.int64)
        self.de_dereg = np.array([r["dereg"] for r in recs], dtype=np.int64)
        self.de_active = (self.de_reg < N_DAYS) & (self.de_dereg >= 0)
        # homonyms (same normalised surname + first given name)
        keys = [name_key(r["last"], r["first"]) for r in recs]
        grp = {}
        for i, k in enumerate(keys):
            grp.setdefault(k, []).append(i)
        hom = np.full(self.n_de, -1, dtype=np.int64)
        n_with = 0
        for lst in grp.values():
            if len(lst) > 1:
                for j, i in enumerate(lst):
                    hom[i] = lst[(j + 1) % len(lst)]
                n_with += len(lst)
        self.de_homonym = hom
        self.n_de_with_homonym = n_with
        # surname index for "relatives"
        self.surname_to_de = {}
        for i, r in enumerate(recs):
            if r["kind"] != "general":
                continue
            for s in (r["last"], r["birth_name"]):
                if s:
                    self.surname_to_de.setdefault(strip_accents(s).upper(), []).append(i)
        self.commune_to_de = {}
        for i, r in enumerate(recs):
            if r["kind"] == "general":
                self.commune_to_de.setdefault(r["commune"], []).append(i)

    def _agent_de_record(self, rng, kind, i, reg, dereg):
        acc = rng.random() < 0.5
        variant = []
        first = list(self.a_first[i])
        if rng.random() < 0.6:
            first = first[:1]
            if len(self.a_first[i]) > 1:
                variant.append("fewer_given_names")
        birth_surname = self.sur[self.a_birthname_idx[i]]
        usage = self.a_last[i]
        married_before = self.a_married[i] and (kind != "agent_former" or rng.random() < 0.6)
        if self.a_married[i] and not married_before:
            last, bn = birth_surname, ""
            variant.append("maiden_name_only")
        elif self.a_married[i]:
            u = rng.random()
            if u < 0.6:
                last, bn = usage, birth_surname
            elif u < 0.85:
                last, bn = usage, ""
                variant.append("no_birth_name")
            else:
                last, bn = (
                    usage + ("-" if rng.random() < 0.5 else " ") + birth_surname,
                    birth_surname,
                )
                variant.append("compound_name")
        else:
            last, bn = usage, ""
        if " " in last and rng.random() < 0.5:
            last = last.replace(" ", "-")
            variant.append("hyphen")
        last_u = up(last, acc)
        if not acc and strip_accents(last) != last:
            variant.append("accents")
        bn_u = up(bn, acc) if bn else ""
        fn = " ".join(up(x, acc) for x in first)
        if rng.random() < 0.03:
            last_u = typo(rng, last_u)
            variant.append("typo")
        birth = int(self.a_birth[i])
        if rng.random() < 0.01:
            dt = D0 + timedelta(days=birth)
            if dt.day <= 12 and dt.day != dt.month:
                birth = (date(dt.year, dt.day, dt.month) - D0).days
                variant.append("birth_day_month_swap")
        ag = int(self.a_agency[i])
        if (
            ag < 0
            or (kind != "agent_former" and rng.random() < 0.75)
            or (kind == "agent_former" and rng.random() < 0.5)
        ):
            cand = np.nonzero(self.ag_dept == self.a_dept[i])[0]
            if len(cand) > 1 and ag >= 0:
                cand = cand[cand != ag]
            ag = int(cand[rng.integers(len(cand))]) if len(cand) else int(rng.integers(self.n_ag))
        home = self.a_home[i]
        commune = (
            home
            if home[: len(DEPTS[self.ag_dept[ag]])] == DEPTS[self.ag_dept[ag]]
            else self.ag_communes[ag][int(rng.integers(len(self.ag_communes[ag])))]
        )
        return dict(
            kind=kind,
            owner=i,
            last=last_u,
            birth_name=bn_u,
            first=fn,
            birth=birth,
            sex=self.a_sex[i],
            agency=ag,
            commune=commune,
            reg=reg,
            dereg=dereg,
            pair="",
            variant="+".join(variant) or "exact",
        )

    def build_protected(self, rng, recs):
        c = self.cfg
        rows = self.load_pairs()
        dept_map = {}

        def mapd(d):
            if d not in dept_map:
                h = sum(ord(ch) * (k + 7) for k, ch in enumerate(d or "x"))
                dept_map[d] = (
                    DEPTS[[0, 0, 0, 0, 1, 1, 1, 2, 3, 4][h % 10]]
                    if self.scale == "region"
                    else "80"
                )
            return dept_map[d]

        def right_key(r):
            return (
                r["right_source"],
                r["right_last_name"],
                r["right_first_names"],
                r["right_birth_date"],
            )

        def left_key(r):
            return (
                r["left_source"],
                r["left_last_name"],
                r["left_first_names"],
                r["left_birth_date"],
            )

        usable = [r for r in rows if r["left_source"] in ("rne_cd_2021", "cand_leg2024_t1")]
        pos_var = [r for r in usable if r["label"] == "same_variant"]
        pos_same = [r for r in usable if r["label"] == "same"]
        n_var = min(len(pos_var), c["n_pos"] // 2 + (c["n_pos"] // 8))
        sel_pos = [pos_var[i] for i in sorted(rng.choice(len(pos_var), n_var, replace=False))]
        sel_pos += [
            pos_same[i]
            for i in sorted(rng.choice(len(pos_same), c["n_pos"] - n_var, replace=False))
        ]
        hom = [r for r in usable if r["label"] == "homonym"]
        dif = [r for r in usable if r["label"] == "different"]
        sel_hom = [
            hom[i]
            for i in sorted(rng.choice(len(hom), min(len(hom), c["n_homonym"]), replace=False))
        ]
        sel_dif = [
            dif[i]
            for i in sorted(rng.choice(len(dif), min(len(dif), c["n_different"]), replace=False))
        ]
        watch = {}  # right_key -> row

        def add_watch(r):
            k = right_key(r)
            if k not in watch:
                watch[k] = r

        for r in sel_pos + sel_hom + sel_dif:
            add_watch(r)
        others = [r for r in rows if r["label"] in ("same", "same_variant")]
        for i in rng.permutation(len(others)):
            if len(watch) >= c["n_watch"]:
                break
            add_watch(others[i])
        # positives: a left person is protected if any positive pair links it to a watched right record
        watched = set(watch.keys())
        pos_left = {}
        for r in rows:
            if r["label"] in ("same", "same_variant") and right_key(r) in watched:
                pos_left.setdefault(left_key(r), r)
        self.protected_rows = []
        pid = 0
        cand_rows = {}
        for k in sorted(watch.keys()):
            r = watch[k]
            src = r["right_source"]
            pid += 1
            if src == "rne_maires_2020":
                vf, vt = "2020-07-03", ""
            elif src == "rne_cd_2021":
                vf, vt = "2021-07-01", ""
            else:
                vf, vt = "2022-06-22", "2024-06-09"
            self.protected_rows.append(
                dict(
                    person_id=f"PP{pid:05d}",
                    category="elected",
                    last=r["right_last_name"],
                    first=r["right_first_names"],
                    birth=r["right_birth_date"],
                    dept=mapd(r["right_department"]),
                    vf=vf,
                    vt=vt,
                )
            )
        # candidate rows (about half of the selected candidates) with the candidate-list spelling
        for r in sel_pos:
            if r["left_source"] == "cand_leg2024_t1" and rng.random() < 0.5:
                lk = left_key(r)
                if lk in cand_rows:
                    continue
                cand_rows[lk] = 1
                pid += 1
                self.protected_rows.append(
                    dict(
                        person_id=f"PP{pid:05d}",
                        category="candidate",
                        last=r["left_last_name"],
                        first=r["left_first_names"],
                        birth=r["left_birth_date"],
                        dept=mapd(r["left_department"]),
                        vf="2024-06-16",
                        vt="2024-07-07",
                    )
                )
        done = {}
        for lab, lst in (("protected", sel_pos), ("hardneg", sel_hom + sel_dif)):
            for r in lst:
                lk = left_key(r)
                if lk in done:
                    continue
                done[lk] = 1
                is_pos = lk in pos_left
                if lab == "hardneg" and is_pos:
                    continue
                dept = mapd(r["left_department"])
                cand = np.nonzero(np.array([DEPTS[x] for x in self.ag_dept]) == dept)[0]
                ag = (
                    int(cand[rng.integers(len(cand))])
                    if len(cand)
                    else int(rng.integers(self.n_ag))
                )
                bd = (date.fromisoformat(r["left_birth_date"]) - D0).days
                sex = self._guess_sex(r["left_first_names"])
                reg = int(-rng.exponential(300)) + 30
                dereg = (
                    10**6
                    if rng.random() < 0.85
                    else int(rng.integers(max(reg + 20, 0), N_DAYS + 1))
                )
                kind = (
                    "protected"
                    if is_pos
                    else ("homonym" if r["label"] == "homonym" else "different")
                )
                recs.append(
                    dict(
                        kind=kind,
                        owner=-1,
                        last=r["left_last_name"],
                        birth_name="",
                        first=r["left_first_names"],
                        birth=bd,
                        sex=sex,
                        agency=ag,
                        commune=self.ag_communes[ag][int(rng.integers(len(self.ag_communes[ag])))],
                        reg=min(reg, N_DAYS - 5),
                        dereg=dereg,
                        pair=r["pair_id"] if not is_pos else pos_left[lk]["pair_id"],
                        variant=(pos_left[lk]["label"] if is_pos else r["label"]),
                        cand=(r["left_source"] == "cand_leg2024_t1"),
                    )
                )

    @staticmethod
    def _guess_sex(first):
        f = first.split(" ")[0].split("-")[0].strip().capitalize()
        fm = {strip_accents(x).upper(): 1 for x in MALE + SECOND_M}
        ff = {strip_accents(x).upper(): 1 for x in FEMALE + SECOND_F}
        k = strip_accents(f).upper()
        if k in ff and k not in fm:
            return "F"
        if k in fm and k not in ff:
            return "M"
        return ""

    # ---------------------------------------------------------------- referents and portfolios
    def build_referents(self):
        rng = self.rngs[4]
        n = self.n_de
        port_mask = self.a_role == R["port"]
        cur_port = port_mask & (np.arange(self.n_a) < self.n_cur)
        # counsellors present at extraction
        at_end = cur_port & (self.a_left >= N_DAYS)
        stay = cur_port & (self.a_left >= N_DAYS) & (self.a_hired <= 0)
        arrive = cur_port & (self.a_hired > 0)
        leaver = cur_port & (self.a_left < N_DAYS)
        g_any = Groups(self.a_agency[cur_port], np.nonzero(cur_port)[0], self.n_ag)
        g_stay = Groups(self.a_agency[stay], np.nonzero(stay)[0], self.n_ag)
        g_end = Groups(self.a_agency[at_end], np.nonzero(at_end)[0], self.n_ag)
        ref = g_any.sample(rng, self.de_agency)  # initial (whole-quarter) assignment
        old = np.full(n, -1, dtype=np.int64)
        chg = np.full(n, -1, dtype=np.int64)
        active = self.de_active
        # leavers: hand over at departure
        is_leaver = (ref >= 0) & leaver[np.maximum(ref, 0)]
        newr = g_end.sample(rng, self.de_agency)
        m = is_leaver & (newr >= 0)
        old[m] = ref[m]
        chg[m] = self.a_left[ref[m]]
        ref[m] = newr[m]
        # arrivals: take over at hiring
        is_arr = (ref >= 0) & arrive[np.maximum(ref, 0)] & (old < 0)
        prev = g_stay.sample(rng, self.de_agency)
        m = is_arr & (prev >= 0)
        old[m] = prev[m]
        chg[m] = self.a_hired[ref[m]]
        # rebalancing inside the agency
        u = rng.random(n)
        m = active & (ref >= 0) & (old < 0) & (u < 0.045)
        prev = g_stay.sample(rng, self.de_agency)
        m &= (prev >= 0) & (prev != ref)
        old[m] = prev[m]
        chg[m] = rng.integers(5, N_DAYS - 5, m.sum())
        # moved from another agency
        m2 = active & (ref >= 0) & (old < 0) & (u > 0.99)
        other = (self.de_agency + 1 + rng.integers(0, max(self.n_ag - 1, 1), n)) % self.n_ag
        prev = g_any.sample(rng, other)
        m2 &= prev >= 0
        old[m2] = prev[m2]
        chg[m2] = rng.integers(5, N_DAYS - 5, m2.sum())
        # waiting for a first interview / unassigned, and files still naming an agent of another region
        v = rng.random(n)
        recent = self.de_reg > -45
        unassigned = active & ((recent & (v < 0.25)) | (v < 0.035))
        ref[unassigned] = -1
        old[unassigned] = -1
        chg[unassigned] = -1
        # historical files: keep the last referent half of the time (maybe an ex-agent)
        hist = ~active
        exref = Groups(self.a_agency[port_mask], np.nonzero(port_mask)[0], self.n_ag).sample(
            rng, self.de_agency
        )
        ref[hist] = np.where(rng.random(hist.sum()) < 0.5, exref[hist], -1)
        old[hist] = -1
        chg[hist] = -1
        unknown = active & (v > 0.995)
        ref[unknown] = -2
        old[unknown] = -1
        chg[unknown] = -1
        self.de_ref, self.de_old_ref, self.de_chg = ref, old, chg
        self.unknown_ref_ids = {}
        # portfolio entries (agent, de, d0, d1); intensive files appear several times
        ent_a, ent_de, ent_d0, ent_d1, ent_cur = [], [], [], [], []
        act = active & (ref >= 0)
        idx = np.nonzero(act & (old < 0))[0]
        ent_a.append(ref[idx])
        ent_de.append(idx)
        ent_d0.append(np.zeros(len(idx), np.int64))
        ent_d1.append(np.full(len(idx), N_DAYS))
        ent_cur.append(np.ones(len(idx), bool))
        idx = np.nonzero(act & (old >= 0))[0]
        ent_a.append(old[idx])
        ent_de.append(idx)
        ent_d0.append(np.zeros(len(idx), np.int64))
        ent_d1.append(chg[idx])
        ent_cur.append(np.zeros(len(idx), bool))
        ent_a.append(ref[idx])
        ent_de.append(idx)
        ent_d0.append(chg[idx])
        ent_d1.append(np.full(len(idx), N_DAYS))
        ent_cur.append(np.ones(len(idx), bool))
        ea, ed, e0, e1, ec = (np.concatenate(x) for x in (ent_a, ent_de, ent_d0, ent_d1, ent_cur))
        intens = rng.random(len(ea)) < 0.15
        rep = np.where(intens, 3, 1)
        ea, ed, e0, e1, ec = (np.repeat(x, rep) for x in (ea, ed, e0, e1, ec))
        order = np.argsort(ea, kind="stable")
        self.pf = dict(a=ea[order], de=ed[order], d0=e0[order], d1=e1[order], cur=ec[order])
        self.pf_cnt = np.bincount(ea, minlength=self.n_a).astype(np.int64)
        self.pf_off = np.concatenate([[0], np.cumsum(self.pf_cnt)[:-1]]).astype(np.int64)
        # lists of active files per agency / département / region, and recent registrants
        act_idx = np.nonzero(active)[0]
        self.g_agency = Groups(self.de_agency[act_idx], act_idx, self.n_ag)
        self.g_dept = Groups(self.de_dept[act_idx], act_idx, len(DEPTS))
        rec_idx = np.nonzero(active & (self.de_reg > -60))[0]
        self.g_recent = Groups(self.de_agency[rec_idx], rec_idx, self.n_ag)
        self.active_idx = act_idx
        self.hist_idx = np.nonzero(~active)[0]

    def sample_portfolio(self, rng, agents, days):
        res = np.full(len(agents), -1, dtype=np.int64)
        cur = np.zeros(len(agents), dtype=bool)
        todo = np.nonzero(self.pf_cnt[agents] > 0)[0]
        for _ in range(4):
            if len(todo) == 0:
                break
            a = agents[todo]
            d = days[todo]
            e = self.pf_off[a] + np.floor(rng.random(len(todo)) * self.pf_cnt[a]).astype(np.int64)
            de = self.pf["de"][e]
            ok = (
                (self.pf["d0"][e] <= d)
                & (d < self.pf["d1"][e])
                & (self.de_reg[de] <= d)
                & (d <= self.de_dereg[de] + 7)
            )
            res[todo[ok]] = de[ok]
            cur[todo[ok]] = self.pf["cur"][e[ok]]
            todo = todo[~ok]
        return res, cur

    # ---------------------------------------------------------------- legitimate processes
    def ctx_by_agency(self, agents, des):
        same = (self.a_agency[agents] >= 0) & (
            self.a_agency[agents] == self.de_agency[np.maximum(des, 0)]
        )
        return np.where(same, WEAK, NONE).astype(np.int8)

    def unit_subset(self, roles, extra=None):
        m = np.isin(self.u_role, [R[r] for r in roles])
        if extra is not None:
            m &= self.u_extra == extra
        return np.nonzero(m)[0]

    def gen_all(self, lam):
        self.gen_appointments(self.rngs[5], lam)
        self.gen_portfolio(self.rngs[6], lam)
        self.gen_calls(self.rngs[7], lam)
        self.gen_tasks(self.rngs[8], lam)
        self.gen_adhoc(self.rngs[9], lam)

    # expected legitimate events per agent-day at intensity 1 (regular day, extra session), by role;
    # derived from the process parameters below (means of the Poisson counts times events per unit)
    EXPECTED: ClassVar[dict[str, tuple[float, float]]] = {
        "port": (60.6, 8.0),
        "ent": (28.0, 0.0),
        "gdd": (70.0, 19.5),
        "mgr": (49.6, 14.0),
        "acc": (51.0, 0.0),
        "plat": (103.0, 0.0),
        "pmgr": (12.0, 0.0),
        "cre": (63.0, 19.0),
        "med": (27.5, 6.0),
        "drsup": (12.0, 0.0),
        "drmgr": (6.0, 0.0),
        "dir": (0.75, 0.0),
        "dsi": (12.0, 0.0),
    }

    def calibrate(self):
        """intensity so that the expected number of events is the scale's target."""
        tot = 0.0
        for r, (reg, ext) in self.EXPECTED.items():
            m = self.u_role == R[r]
            tot += reg * float((m & (self.u_extra == 0)).sum()) + ext * float(
                (m & (self.u_extra == 1)).sum()
            )
        tot *= 1.015  # calls handled by other regions' platforms
        return self.cfg["target_events"] / tot

    def clamp_day(self, agents, ts):
        """keep a local timestamp inside the agent's working day (10 min before start .. 20 min after end)."""
        day = (ts - Q0) // 86400
        w = self.sched[agents, day % 7]
        works = w[:, 1] > w[:, 0]
        lo = Q0 + day * 86400 + (w[:, 0] - 10) * 60
        hi = Q0 + day * 86400 + (np.maximum(w[:, 1], w[:, 3]) + 20) * 60
        return np.where(works, np.clip(ts, lo, hi), ts)

    def time_on_day(self, rng, agents, day):
        """a random time inside the agent's windows on that day (standard day if not a working day)."""
        w = self.sched[agents, day % 7]
        w = np.where((w[:, 1] > w[:, 0])[:, None], w, np.array([[540, 720, 810, 1020]]))
        return (
            Q0
            + day * 86400
            + (time_in_windows(rng, w) * 60).astype(np.int64)
            + rng.integers(0, 60, len(agents))
        )

    def unit_ts(self, rng, units, n_per):
        """n_per events per unit -> (unit index repeated, local seconds start)."""
        uu = np.repeat(units, n_per)
        minute = time_in_windows(rng, self.u_win[uu])
        ts = (
            Q0
            + self.u_day[uu] * 86400
            + (minute * 60).astype(np.int64)
            + rng.integers(0, 60, len(uu))
        )
        return uu, ts

    def gen_appointments(self, rng, lam):
        units = self.unit_subset(["port"], extra=0)
        phone_duty = rng.random(len(units)) < 0.12
        self.u_phone = np.zeros(len(self.u_agent), dtype=bool)
        self.u_phone[units[phone_duty]] = True
        self.u_phone[
            self.unit_subset(["gdd"], extra=0)[
                rng.random(len(self.unit_subset(["gdd"], extra=0))) < 0.08
            ]
        ] = True
        n = rng.poisson(lam * np.where(phone_duty, 1.0, 4.3))
        uu = np.repeat(units, n)
        a = self.u_agent[uu]
        d = self.u_day[uu]
        w = self.u_win[uu]
        m = time_in_windows(
            rng,
            np.stack(
                [
                    w[:, 0],
                    np.maximum(w[:, 1] - 45, w[:, 0]),
                    w[:, 2],
                    np.maximum(w[:, 3] - 45, w[:, 2]),
                ],
                1,
            ),
        )
        m = np.clip(m, 8 * 60 + 30, 17 * 60)  # appointment slots: 08:30 .. 17:00
        start = Q0 + d * 86400 + (np.floor(m / 15) * 15 * 60).astype(np.int64)
        # add planned appointments of early July (booked): 2 per counsellor present in the last week
        kinds = np.array(["suivi", "EDA", "DPA", "EDO", "CEJ", "atelier", "collectif"])
        k = pick(rng, [0.46, 0.14, 0.08, 0.11, 0.07, 0.06, 0.08], len(uu))
        na = len(uu)
        de = np.full(na, -1, dtype=np.int64)
        new_reg = np.isin(k, [1, 2, 3])
        cover = rng.random(na) < 0.08
        r1 = self.g_recent.sample(rng, self.a_agency[a])
        de[new_reg] = r1[new_reg]
        p, _ = self.sample_portfolio(rng, a, d)
        take = (de < 0) & ~cover
        de[take] = p[take]
        ag = self.g_agency.sample(rng, self.a_agency[a])
        take = de < 0
        de[take] = ag[take]
        ok = de >= 0
        a, d, start, k, de, uu = a[ok], d[ok], start[ok], k[ok], de[ok], uu[ok]
        # collectif: one session, several participants from the agency
        coll = k == 6
        ci = np.nonzero(coll)[0]
        gs = rng.integers(5, 12, len(ci))
        g, _ = within_offsets(gs)
        c_a = a[ci][g]
        c_d = d[ci][g]
        c_start = start[ci][g]
        c_de = self.g_agency.sample(rng, self.a_agency[c_a])
        okc = c_de >= 0
        c_a, c_d, c_start, c_de = c_a[okc], c_d[okc], c_start[okc], c_de[okc]
        ind = ~coll
        a, d, start, k, de = a[ind], d[ind], start[ind], k[ind], de[ind]
        # planned appointments in early July (prepared at the end of June)
        late = self.unit_subset(["port"], extra=0)
        late = late[self.u_day[late] >= N_DAYS - 6]
        lu = np.repeat(late, rng.poisson(0.8, len(late)))
        la = self.u_agent[lu]
        ld = N_DAYS + rng.integers(0, 5, len(lu))
        lwd = ld % 7
        ld = np.where(lwd >= 5, ld + (7 - lwd), ld)
        lstart = Q0 + ld * 86400 + (rng.integers(9 * 4, 16 * 4, len(lu)) * 15 * 60)
        lde, _ = self.sample_portfolio(rng, la, np.full(len(la), N_DAYS - 1))
        okl = lde >= 0
        la, ld, lstart, lde = la[okl], ld[okl], lstart[okl], lde[okl]
        lk = pick(rng, [0.7, 0.1, 0.05, 0.05, 0.1, 0, 0], len(la))
        A = np.concatenate([a, c_a, la])
        DE = np.concatenate([de, c_de, lde])
        ST = np.concatenate([start, c_start, lstart])
        K = np.concatenate([k, np.full(len(c_a), 6), lk])
        future = ST >= Q_END
        u = rng.random(len(A))
        status = np.where(
            future, 0, np.where(u < 0.78, 1, np.where(u < 0.88, 2, np.where(u < 0.98, 3, 0)))
        )
        stat_names = np.array(["planned", "done", "no_show", "cancelled"])
        na = len(A)
        self.appts.append(dict(agent=A, de=DE, start=ST, kind=kinds[K], status=stat_names[status]))
        role = self.a_role[A]
        is_coll = K == 6
        # preparation: same day (minutes before) or previous working day
        dayi = np.clip((ST - Q0) // 86400, 0, N_DAYS - 1)
        n_prep = rng.poisson(np.where(is_coll, 0.6, 1.2))
        g, j, _ts = spaced_times(rng, np.zeros(na, dtype=np.int64), n_prep, 10, 90)
        prevday = rng.random(len(g)) < 0.3
        pd_ = dayi[g] - PREV_WORK[dayi[g]]
        ts_prev = self.time_on_day(rng, A[g], pd_)
        ts_same = self.clamp_day(A[g], ST[g] - rng.integers(120, 5400, len(g)))
        ts_p = np.where(prevday, ts_prev, ts_same) + j * rng.integers(15, 90, len(g))
        self.ev.add(A[g], DE[g], ts_p, A_VIEW, app_for(rng, role[g]), STRONG, P["appt_prep"])
        # during: only done appointments; individual ones are longer
        dur = np.where(K == 3, 20, np.where(K == 1, 55, 35)) * 60
        n_dur = np.where(
            status == 1, np.where(is_coll, 1, 2 + rng.poisson(4.0, na)), np.where(status == 2, 1, 0)
        )
        g, j, _ = spaced_times(rng, np.zeros(na, dtype=np.int64), n_dur, 1, 2)
        ts_d = ST[g] + (rng.random(len(g)) * np.where(status[g] == 2, 1200, dur[g])).astype(
            np.int64
        )
        act = np.where(rng.random(len(g)) < 0.42, A_EDIT, A_VIEW).astype(np.int8)
        act[(j == 0)] = A_VIEW
        pr = (j == 1) & (rng.random(len(g)) < np.where(np.isin(K[g], [1, 4]), 0.35, 0.08))
        act[pr] = A_PRINT
        self.ev.add(
            A[g],
            DE[g],
            ts_d,
            act,
            app_for(rng, role[g]),
            STRONG,
            np.where(is_coll[g], P["appt_collectif"], P["appt_during"]),
        )
        # write-up after: same day or next working day
        n_after = np.where(
            status == 1, rng.poisson(np.where(is_coll, 0.7, 1.0)), np.where(status >= 2, 1, 0)
        )
        g, j, _ = spaced_times(rng, np.zeros(na, dtype=np.int64), n_after, 1, 2)
        nextday = rng.random(len(g)) < 0.2
        ts_next = self.time_on_day(rng, A[g], dayi[g] + NEXT_WORK[dayi[g]])
        ts_same = self.clamp_day(A[g], ST[g] + dur[g] + rng.integers(60, 4 * 3600, len(g)))
        ts_a = np.where(nextday, ts_next, np.maximum(ts_same, ST[g] + dur[g]))
        self.ev.add(A[g], DE[g], ts_a, A_EDIT, app_for(rng, role[g]), STRONG, P["appt_after"])

    def gen_portfolio(self, rng, lam):
        units = np.concatenate(
            [self.unit_subset(["port"], extra=0), self.unit_subset(["port"], extra=1)]
        )
        base = np.where(self.u_extra[units] == 1, 3.5, np.where(self.u_phone[units], 3.0, 9.5))
        nv = rng.poisson(lam * base)
        uu, ts = self.unit_ts(rng, units, nv)
        a = self.u_agent[uu]
        d = self.u_day[uu]
        de, cur = self.sample_portfolio(rng, a, d)
        ok = de >= 0
        a, d, ts, de, cur, uu = a[ok], d[ok], ts[ok], de[ok], cur[ok], uu[ok]
        k = 1 + rng.poisson(1.3, len(a))
        g, j, t = spaced_times(rng, ts, k, 8, 150)
        act = np.where(rng.random(len(g)) < 0.25, A_EDIT, A_VIEW).astype(np.int8)
        act[j == 0] = A_VIEW
        act[(rng.random(len(g)) < 0.006)] = A_PRINT
        ctx = np.where(cur[g], STRONG, self.ctx_by_agency(a[g], de[g]))
        proc = np.where(cur[g], P["portfolio_referent"], P["portfolio_former_referent"])
        self.ev.add(a[g], de[g], t, act, app_for(rng, self.a_role[a[g]]), ctx, proc)
        # list exports of the portfolio (one event per file, same second)
        eu = units[(self.u_extra[units] == 0) & (rng.random(len(units)) < 0.02 * lam)]
        ne = rng.integers(10, 35, len(eu))
        uu, ts = self.unit_ts(rng, eu, 1)
        g, _ = within_offsets(ne)
        a = self.u_agent[uu][g]
        de, cur = self.sample_portfolio(rng, a, self.u_day[uu][g])
        ok = de >= 0
        ctx = np.where(cur, STRONG, self.ctx_by_agency(a, de))
        self.ev.add(
            a[ok],
            de[ok],
            ts[g][ok],
            A_EXPORT,
            app_for(rng, self.a_role[a[ok]]),
            ctx[ok],
            P["portfolio_export"],
        )

    def gen_calls(self, rng, lam):
        units = np.concatenate([self.unit_subset(["plat"], extra=0), np.nonzero(self.u_phone)[0]])
        base = np.where(self.u_role[units] == R["plat"], 30.0, 13.0)
        nc = rng.poisson(lam * base)
        uu, st = self.unit_ts(rng, units, nc)
        a = self.u_agent[uu]
        # calls handled by other regions' platforms (agent ids absent from agents.csv)
        n_ext = int(len(a) * 0.015)
        ext_agents = 40 if self.scale == "region" else 6
        self.ext_agent_ids = self._unique_agent_ids(rng, ext_agents, taken=dict(self._aid_seen))
        xd = rng.choice(np.nonzero(WORKDAY)[0], n_ext)
        xst = Q0 + xd * 86400 + rng.integers(8 * 3600 + 1800, 17 * 3600, n_ext)
        xa = self.n_a + rng.integers(0, ext_agents, n_ext)
        A = np.concatenate([a, xa])
        ST = np.concatenate([st, xst])
        n = len(A)
        dept = np.where(self.n_a > A, self.a_dept[np.minimum(A, self.n_a - 1)], 0)
        local = (
            (self.n_a > A)
            & (self.a_role[np.minimum(A, self.n_a - 1)] != R["plat"])
            & (rng.random(n) < 0.75)
        )
        caller = self.active_idx[rng.integers(0, len(self.active_idx), n)]
        cd = self.g_dept.sample(rng, dept)
        caller = np.where(local & (cd >= 0), cd, caller)
        # files of other regions (unknown ids)
        other_region = rng.random(n) < 0.02
        n_unk = min(len(self.unknown_de_pool), 4000)
        caller = np.where(other_region, self.n_de + rng.integers(0, n_unk, n), caller)
        dur = np.minimum(np.round(rng.lognormal(np.log(300), 0.6, n)), 2400).astype(np.int64)
        u = rng.random(n)
        hom = np.where(caller < self.n_de, self.de_homonym[np.minimum(caller, self.n_de - 1)], -1)
        mtype = np.where(
            u < 0.82, 0, np.where(u < 0.88, 1, 2)
        )  # 0 matched, 1 homonym surfaced, 2 nothing
        mtype = np.where((mtype == 1) & (hom < 0), 0, mtype)
        call_de = np.where(mtype == 0, caller, np.where(mtype == 1, hom, -1))
        ended = ST + dur
        self.calls.append(
            dict(agent=A, de=call_de, start=ST, end=np.where(rng.random(n) < 0.02, -1, ended))
        )
        role = np.where(self.n_a > A, self.a_role[np.minimum(A, self.n_a - 1)], R["plat"])
        ext = self.n_a <= A
        # the agent first opens the surfaced homonym's file
        hs = np.nonzero(mtype == 1)[0]
        self.ev.add(
            A[hs],
            call_de[hs],
            ST[hs] + rng.integers(3, 25, len(hs)),
            A_VIEW,
            app_for(rng, role[hs]),
            STRONG,
            np.where(ext[hs], P["call_other_region_agent"], P["call_homonym_surfaced"]),
        )
        # searching by name with nothing surfaced: sometimes opens a homonym first
        ws = np.nonzero((mtype == 2) & (hom >= 0) & (rng.random(n) < 0.15))[0]
        self.ev.add(
            A[ws],
            hom[ws],
            ST[ws] + rng.integers(20, 60, len(ws)),
            A_VIEW,
            app_for(rng, role[ws]),
            STRONG,
            np.where(ext[ws], P["call_other_region_agent"], P["call_wrong_search"]),
        )
        k = 1 + rng.poisson(2.0, n)
        g, j, t = spaced_times(rng, ST + np.where(mtype == 0, 5, 70), k, 15, 120)
        t = np.minimum(t, ended[g] + 60)
        act = np.where(rng.random(len(g)) < 0.2, A_EDIT, A_VIEW).astype(np.int8)
        act[j == 0] = A_VIEW
        act[(rng.random(len(g)) < 0.01)] = A_PRINT
        proc = np.where(
            mtype[g] == 0,
            P["call_matched"],
            np.where(mtype[g] == 1, P["call_homonym_surfaced"], P["call_no_file"]),
        )
        proc = np.where(ext[g], P["call_other_region_agent"], proc)
        self.ev.add(A[g], caller[g], t, act, app_for(rng, role[g]), STRONG, proc)
        wu = np.nonzero(rng.random(n) < 0.2)[0]
        self.ev.add(
            A[wu],
            caller[wu],
            ended[wu] + rng.integers(10, 600, len(wu)),
            A_EDIT,
            app_for(rng, role[wu]),
            STRONG,
            np.where(ext[wu], P["call_other_region_agent"], P["call_writeup"]),
        )
        # platform call-backs (outbound calls are not in the 3949 export)
        pu = self.unit_subset(["plat"], extra=0)
        nb = rng.poisson(lam * 2.0, len(pu))
        uu, ts = self.unit_ts(rng, pu, nb)
        de = self.active_idx[rng.integers(0, len(self.active_idx), len(uu))]
        k = 1 + rng.poisson(1.0, len(uu))
        g, j, t = spaced_times(rng, ts, k, 15, 120)
        aa = self.u_agent[uu][g]
        self.ev.add(
            aa,
            de[g],
            t,
            np.where(j == 0, A_VIEW, np.where(rng.random(len(g)) < 0.3, A_EDIT, A_VIEW)),
            app_for(rng, self.a_role[aa]),
            NONE,
            P["platform_callback"],
        )

    def gen_tasks(self, rng, lam):
        tkinds = np.array(
            [
                "ouverture_droits",
                "reexamen",
                "trop_percu",
                "pieces_justificatives",
                "reclamation",
                "attestation",
                "mediation",
                "controle_recherche",
                "validation_aif",
                "decision_radiation",
            ]
        )
        parts = []
        for roles, base, kp in (
            (["gdd"], 13.0, [0.36, 0.2, 0.1, 0.2, 0.06, 0.08, 0, 0, 0, 0]),
            (["mgr"], 4.0, [0, 0, 0, 0, 0.3, 0, 0, 0, 0.45, 0.25]),
            (["cre"], 7.0, [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]),
            (["med"], 4.0, [0, 0, 0, 0, 0.25, 0, 0.75, 0, 0, 0]),
        ):
            for extra, mult in ((0, 1.0), (1, 0.3)):
                units = self.unit_subset(roles, extra=extra)
                nt = rng.poisson(lam * base * mult, len(units))
                uu, ts = self.unit_ts(rng, units, nt)
                parts.append((uu, ts, pick(rng, kp, len(uu))))
        uu = np.concatenate([p[0] for p in parts])
        ts = np.concatenate([p[1] for p in parts])
        k = np.concatenate([p[2] for p in parts])
        a = self.u_agent[uu]
        role = self.a_role[a]
        n = len(a)
        # which file: claims pools are départemental; overpayments also on historical files
        de = self.g_dept.sample(rng, self.a_dept[a])
        regw = rng.random(n) < np.where(role == R["gdd"], 0.25, 0.6)
        de = np.where(regw, self.active_idx[rng.integers(0, len(self.active_idx), n)], de)
        hist = (k == 2) & (rng.random(n) < 0.35) | ((k == 5) & (rng.random(n) < 0.5))
        if len(self.hist_idx):
            de = np.where(hist, self.hist_idx[rng.integers(0, len(self.hist_idx), n)], de)
        mg = role == R["mgr"]
        de_m = self.g_agency.sample(rng, np.maximum(self.a_agency[a], 0))
        de = np.where(mg & (de_m >= 0), de_m, de)
        ok = de >= 0
        a, ts, k, de, role = a[ok], ts[ok], k[ok], de[ok], role[ok]
        n = len(a)
        created = (
            ts
            - np.round(rng.exponential(4 * 86400, n)).astype(np.int64)
            - rng.integers(600, 7200, n)
        )
        ne = np.where(role == R["cre"], 4 + rng.poisson(5, n), 2 + rng.poisson(3, n))
        g, j, t = spaced_times(rng, ts, ne, 20, 240)
        act = np.where(rng.random(len(g)) < 0.45, A_EDIT, A_VIEW).astype(np.int8)
        act[j == 0] = A_VIEW
        act[(rng.random(len(g)) < 0.02) & np.isin(k[g], [5, 2])] = A_PRINT
        self.ev.add(a[g], de[g], t, act, app_for(rng, role[g]), STRONG, P["task"])
        last = np.zeros(n, dtype=np.int64)
        np.maximum.at(last, g, t)
        u = rng.random(n)
        closed = np.where(
            u < 0.82,
            last + rng.integers(30, 900, n),
            last + np.round(rng.exponential(10 * 86400, n)).astype(np.int64),
        )
        closed = np.where(closed >= Q_END, -1, closed)
        # rechecked a few days after closure
        rc = np.nonzero((closed > 0) & (rng.random(n) < 0.04))[0]
        rts = closed[rc] + rng.integers(1, 10, len(rc)) * 86400
        rday = (rts - Q0) // 86400
        okr = (rts < Q_END) & WORKDAY[np.clip(rday, 0, N_DAYS - 1)]
        rc, rts = rc[okr], rts[okr]
        self.ev.add(
            a[rc],
            de[rc],
            rts,
            A_VIEW,
            app_for(rng, role[rc]),
            self.ctx_by_agency(a[rc], de[rc]),
            P["task_recheck"],
        )
        # tasks created but not worked yet (still open at extraction), and batch tasks without a file
        gu = self.unit_subset(["gdd"], extra=0)
        gu = gu[self.u_day[gu] >= N_DAYS - 15]
        sel = gu[rng.random(len(gu)) < 0.5 * lam]
        oa = self.u_agent[sel]
        ots = Q0 + self.u_day[sel] * 86400 + rng.integers(8 * 3600, 17 * 3600, len(sel))
        ode = self.g_dept.sample(rng, self.a_dept[oa])
        ode = np.where(rng.random(len(sel)) < 0.1, -1, ode)
        self.tasks.append(
            dict(
                agent=np.concatenate([a, oa]),
                de=np.concatenate([de, ode]),
                created=np.concatenate([created, ots]),
                closed=np.concatenate([closed, np.full(len(oa), -1)]),
                kind=np.concatenate(
                    [tkinds[k], np.array(["ouverture_droits"] * len(oa), dtype=object)]
                ),
            )
        )

    def gen_adhoc(self, rng, lam):
        # agency colleagues: reception, covering, help (weak); reception staff; managers; profiles; regional
        specs = [
            (["port"], 0, 2.5, "agency", P["agency_adhoc"], 0.8),
            (["gdd"], 0, 1.0, "agency", P["agency_adhoc"], 0.5),
            (["acc"], 0, 30.0, "walkin", P["reception_walkin"], 0.7),
            (["mgr"], 0, 14.0, "agency", P["manager_review"], 1.0),
            (["mgr"], 1, 4.0, "agency", P["manager_review"], 1.0),
            (["ent"], 0, 16.0, "dept", P["profile_search"], 0.5),
            (["ent"], 0, 1.5, "agency", P["agency_adhoc"], 0.8),
            (["med"], 0, 3.0, "region", P["mediation_adhoc"], 1.5),
            (["drsup"], 0, 6.0, "region", P["regional_support"], 1.0),
            (["drmgr"], 0, 3.0, "region", P["regional_support"], 1.0),
            (["pmgr"], 0, 8.0, "region", P["regional_support"], 0.5),
            (["dir"], 0, 0.5, "region", P["direction"], 0.5),
            (["dsi"], 0, 4.0, "region_any", P["dsi_support"], 2.0),
        ]
        for roles, extra, base, where, proc, kmean in specs:
            units = self.unit_subset(roles, extra=extra)
            nv = rng.poisson(lam * base, len(units))
            uu, ts = self.unit_ts(rng, units, nv)
            a = self.u_agent[uu]
            n = len(a)
            ag = np.maximum(self.a_agency[a], 0)
            if where == "agency":
                de = self.g_agency.sample(rng, ag)
            elif where == "walkin":
                other = rng.random(n) < 0.08
                ag2 = np.where(other, self.ag_dept_neighbour(rng, ag), ag)
                de = self.g_agency.sample(rng, ag2)
            elif where == "dept":
                de = self.g_dept.sample(rng, self.a_dept[a])
                own = rng.random(n) < 0.3
                de = np.where(own, self.g_agency.sample(rng, ag), de)
            elif where == "region":
                de = self.active_idx[rng.integers(0, len(self.active_idx), n)]
            else:
                pool = np.concatenate([self.active_idx, self.hist_idx])
                de = pool[rng.integers(0, len(pool), n)]
            ok = de >= 0
            a, ts, de = a[ok], ts[ok], de[ok]
            k = 1 + rng.poisson(kmean, len(a))
            g, j, t = spaced_times(rng, ts, k, 8, 120)
            act = np.where(
                rng.random(len(g)) < (0.12 if where == "walkin" else 0.2), A_EDIT, A_VIEW
            ).astype(np.int8)
            act[j == 0] = A_VIEW
            if where == "walkin":
                act[(j == 1) & (rng.random(len(g)) < 0.15)] = A_PRINT
            ctx = self.ctx_by_agency(a[g], de[g])
            pr = np.full(len(g), proc, dtype=np.int8)
            if where == "walkin":
                pr[ctx == NONE] = P["reception_other_agency"]
            if where in ("region", "region_any"):
                ctx = np.full(len(g), NONE, dtype=np.int8)
            self.ev.add(a[g], de[g], t, act, app_for(rng, self.a_role[a[g]]), ctx, pr)
        # list exports: managers (their agency) and business counsellors (pre-selection for an employer)
        for roles, p_day, where, proc in (
            (["mgr"], 0.06, "agency", P["manager_export"]),
            (["ent"], 0.05, "dept", P["profile_export"]),
        ):
            units = self.unit_subset(roles, extra=0)
            eu = units[rng.random(len(units)) < p_day * lam]
            ne = rng.integers(8, 45, len(eu))
            uu, ts = self.unit_ts(rng, eu, 1)
            g, _ = within_offsets(ne)
            a = self.u_agent[uu][g]
            if where == "agency":
                de = self.g_agency.sample(rng, np.maximum(self.a_agency[a], 0))
            else:
                de = self.g_dept.sample(rng, self.a_dept[a])
            ok = de >= 0
            self.ev.add(
                a[ok],
                de[ok],
                ts[g][ok],
                A_EXPORT,
                app_for(rng, self.a_role[a[ok]]),
                self.ctx_by_agency(a[ok], de[ok]),
                proc,
            )

    def ag_dept_neighbour(self, rng, ag):
        out = ag.copy()
        for dep in range(len(DEPTS)):
            cand = np.nonzero(self.ag_dept == dep)[0]
            m = self.ag_dept[ag] == dep
            if len(cand) > 1:
                out[m] = cand[rng.integers(0, len(cand), m.sum())]
        return out

    # ---------------------------------------------------------------- misuse
    def gen_misuse(self):
        rng = self.rngs[10]
        n_total = self.cfg["n_misuse"]
        shares = {"colleague": 0.30, "ex_colleague": 0.12, "protected": 0.13, "curiosity": 0.45}
        counts = {k: round(v * n_total) for k, v in shares.items()}
        counts["curiosity"] += n_total - sum(counts.values())
        cur_agents = np.nonzero(np.arange(self.n_a) < self.n_cur)[0]
        access = cur_agents[
            ~np.isin(self.a_role[cur_agents], [R["dir"]]) | (rng.random(len(cur_agents)) < 0.3)
        ]
        by_agency = Groups(
            self.a_agency[access] + 1, access, self.n_ag + 1
        )  # +1: -1 -> 0 (no agency)
        by_dept = Groups(self.a_dept[access], access, len(DEPTS))
        role_w = np.select(
            [
                np.isin(self.a_role[access], [R["port"], R["gdd"], R["acc"], R["plat"], R["ent"]]),
                np.isin(self.a_role[access], [R["mgr"], R["cre"], R["med"], R["drsup"]]),
            ],
            [1.0, 0.6],
            0.3,
        )
        pairs = {}
        notes = []

        def agent_any(nn):
            return access[rng.choice(len(access), nn, p=role_w / role_w.sum())]

        def add(agent, de, kind, subtype, extra):
            agent, de = int(agent), int(de)
            if agent < 0 or de < 0 or (agent, de) in pairs:
                return False
            if self.de_ref[de] == agent and subtype != "own_portfolio_personal":
                return False
            pairs[(agent, de)] = 1
            notes.append(dict(agent=agent, de=de, kind=kind, subtype=subtype, **extra))
            return True

        # colleague
        files = np.nonzero(
            np.isin(self.de_kind, ["agent_former", "agent_current"])
            & (self.de_owner >= 0)
            & (self.de_owner < self.n_cur)
        )[0]
        files = files[self.a_left[self.de_owner[files]] > 0]
        w = np.where(self.a_hired[self.de_owner[files]] > -400, 3.0, 1.0) * np.where(
            self.de_kind[files] == "agent_current", 2.0, 1.0
        )
        tries = 0
        target = counts["colleague"]
        while sum(1 for x in notes if x["kind"] == "colleague") < target and tries < 100000:
            tries += 1
            f = int(files[rng.choice(len(files), p=w / w.sum())])
            owner = int(self.de_owner[f])
            u = rng.random()
            if u < 0.07 and self.de_kind[f] == "agent_former" and self.a_role[owner] != R["dir"]:
                ag, st = owner, "own_former_file"
            elif u < 0.72:
                ag = int(by_agency.sample(rng, np.array([self.a_agency[owner] + 1]))[0])
                st = (
                    "asked_by_colleague"
                    if (self.de_kind[f] == "agent_current" and rng.random() < 0.4)
                    else ("new_colleague" if self.a_hired[owner] > -400 else "gossip")
                )
            elif u < 0.93:
                ag = int(by_dept.sample(rng, np.array([self.a_dept[owner]]))[0])
                st = "other_agency_colleague"
            else:
                ag = int(agent_any(1)[0])
                st = (
                    "manager_or_support"
                    if self.a_role[ag] in (R["mgr"], R["drsup"], R["drmgr"])
                    else "other_agency_colleague"
                )
            if ag == owner and st != "own_former_file":
                continue
            add(ag, f, "colleague", st, {})
        # ex_colleague
        files = np.nonzero(self.de_kind == "ex_agent")[0]
        tries = 0
        while (
            sum(1 for x in notes if x["kind"] == "ex_colleague") < counts["ex_colleague"]
            and tries < 100000
            and len(files)
        ):
            tries += 1
            f = int(files[rng.integers(len(files))])
            owner = int(self.de_owner[f])
            if rng.random() < 0.75 and self.a_agency[owner] >= 0:
                ag = int(by_agency.sample(rng, np.array([self.a_agency[owner] + 1]))[0])
                st = "former_teammate"
            else:
                ag = int(by_dept.sample(rng, np.array([self.a_dept[owner]]))[0])
                st = "former_colleague_elsewhere"
            if ag == owner:
                continue
            add(ag, f, "ex_colleague", st, {})
        # protected
        files = np.nonzero(self.de_kind == "protected")[0]
        is_cand = np.array([bool(self.de[i].get("cand")) for i in files])
        w = np.where(is_cand, 2.5, 1.0)
        tries = 0
        while (
            sum(1 for x in notes if x["kind"] == "protected") < counts["protected"]
            and tries < 100000
        ):
            tries += 1
            j = rng.choice(len(files), p=w / w.sum())
            f = int(files[j])
            ag = (
                int(by_dept.sample(rng, np.array([self.de_dept[f]]))[0])
                if rng.random() < 0.6
                else int(agent_any(1)[0])
            )
            st = "candidate_2024" if is_cand[j] and rng.random() < 0.75 else "local_elected"
            add(ag, f, "protected", st, {})
        # curiosity
        gen = np.nonzero(self.de_kind == "general")[0]
        news = gen[rng.choice(len(gen), self.cfg["n_news"], replace=False)]
        tries = 0
        while (
            sum(1 for x in notes if x["kind"] == "curiosity") < counts["curiosity"]
            and tries < 200000
        ):
            tries += 1
            st = [
                "neighbour",
                "relative",
                "ex_partner",
                "acquaintance",
                "in_the_news",
                "own_portfolio_personal",
            ][pick(rng, [0.25, 0.2, 0.07, 0.25, 0.2, 0.012], 1)[0]]
            if st == "in_the_news":
                f = int(news[rng.integers(len(news))])
                ag = (
                    int(by_dept.sample(rng, np.array([self.de_dept[f]]))[0])
                    if rng.random() < 0.7
                    else int(agent_any(1)[0])
                )
            elif st == "own_portfolio_personal":
                cands = np.nonzero(self.a_role[access] == R["port"])[0]
                ag = int(access[cands[rng.integers(len(cands))]])
                if self.pf_cnt[ag] == 0:
                    continue
                f = int(self.pf["de"][self.pf_off[ag] + rng.integers(self.pf_cnt[ag])])
                if self.de_ref[f] != ag or self.de_kind[f] != "general":
                    continue
            else:
                ag = int(agent_any(1)[0])
                if st == "neighbour":
                    lst = self.commune_to_de.get(self.a_home[ag], [])
                    if not lst:
                        continue
                    f = lst[rng.integers(len(lst))]
                elif st == "relative":
                    names = [strip_accents(self.a_last[ag]).upper()]
                    if self.a_birthname[ag]:
                        names.append(strip_accents(self.a_birthname[ag]).upper())
                    lst = self.surname_to_de.get(names[rng.integers(len(names))], [])
                    if not lst:
                        continue
                    f = lst[rng.integers(len(lst))]
                    if self.de_dept[f] != self.a_dept[ag] and rng.random() < 0.6:
                        continue
                elif st == "ex_partner":
                    f = int(self.g_dept.sample(rng, np.array([self.a_dept[ag]]))[0])
                    if f < 0 or (self.de[f]["sex"] == self.a_sex[ag] and rng.random() < 0.9):
                        continue
                else:
                    f = (
                        int(self.g_dept.sample(rng, np.array([self.a_dept[ag]]))[0])
                        if rng.random() < 0.85
                        else int(gen[rng.integers(len(gen))])
                    )
                    if f < 0 or self.de_kind[f] != "general":
                        continue
            add(ag, f, "curiosity", st, {})
        self.misuse_notes = notes
        # events
        for nt in notes:
            self._misuse_events(rng, nt)

    def _misuse_events(self, rng, nt):
        a, f, st = nt["agent"], nt["de"], nt["subtype"]
        if st == "ex_partner":
            pm = [0.3, 0.05, 0.4, 0.25, 0.0]
            nd = int(
                rng.choice([2, 3, 5, 8, 12, 20, 35], p=[0.15, 0.15, 0.2, 0.2, 0.15, 0.1, 0.05])
            )
        elif st == "own_portfolio_personal":
            pm = [0.2, 0.0, 0.6, 0.2, 0.0]
            nd = int(rng.choice([3, 6, 10, 18], p=[0.3, 0.3, 0.25, 0.15]))
        elif st == "asked_by_colleague" or st == "own_former_file":
            pm = [0.7, 0.15, 0.1, 0.03, 0.02]
            nd = int(rng.choice([1, 2, 3], p=[0.75, 0.18, 0.07]))
        else:
            pm = [0.55, 0.08, 0.22, 0.10, 0.05]
            nd = int(
                rng.choice(
                    [1, 2, 3, 4, 5, 7, 10, 15, 25, 40],
                    p=[0.5, 0.15, 0.1, 0.06, 0.05, 0.04, 0.04, 0.03, 0.02, 0.01],
                )
            )
        modes = ["work", "lunch", "evening", "weekend", "early"]
        main = int(pick(rng, pm, 1)[0])
        d_lo = max(0, int(self.a_hired[a]), int(self.de_reg[f]))
        d_hi = min(N_DAYS, int(self.a_left[a]))
        if st == "candidate_2024":
            d_lo = max(d_lo, 68)
        days_all = np.arange(d_lo, d_hi)
        if len(days_all) == 0:
            days_all = np.arange(max(0, d_hi - 5), max(d_hi, 1))
        day_modes = []
        for _ in range(nd):
            md = (
                main
                if rng.random() < 0.75
                else int(pick(rng, [0.55, 0.08, 0.22, 0.10, 0.05], 1)[0])
            )
            if modes[md] in ("work", "lunch"):
                cand = days_all[self.pres[a, days_all]]
            elif modes[md] == "weekend":
                cand = days_all[WEEKDAY[days_all] >= 5]
            else:
                cand = days_all
            if len(cand) == 0:
                cand = days_all
                md = 2
            day_modes.append((int(cand[rng.integers(len(cand))]), md))
        seen = {}
        dm = []
        for d, md in day_modes:
            if d not in seen:
                seen[d] = 1
                dm.append((d, md))
        dm.sort()
        ts_list = []
        for d, md in dm:
            if modes[md] == "work":
                w = self.sched[a, WEEKDAY[d]]
                if w[1] <= w[0]:
                    w = np.array([540, 720, 810, 1020])
                minute = float(time_in_windows(rng, w[None, :])[0])
            elif modes[md] == "lunch":
                minute = float(rng.integers(12 * 60, 13 * 60 + 45))
            elif modes[md] == "evening":
                minute = float(rng.integers(18 * 60 + 45, 23 * 60 + 30))
            elif modes[md] == "weekend":
                minute = float(rng.integers(9 * 60, 22 * 60))
            else:
                minute = float(rng.integers(6 * 60 + 30, 8 * 60))
            k = 1 + rng.poisson(1.5 if st == "ex_partner" else 0.7)
            t0 = Q0 + d * 86400 + int(minute * 60) + int(rng.integers(0, 60))
            for j in range(k):
                t0 += 0 if j == 0 else int(rng.integers(5, 300))
                ts_list.append(t0)
        ts = np.array(ts_list, dtype=np.int64)
        ts = np.clip(ts, Q0, Q_END - 1)
        act = np.zeros(len(ts), dtype=np.int8)
        u = rng.random()
        if len(ts) > 1 or u < 0.5:
            if u < 0.06:
                act[-1] = A_PRINT
            elif u < 0.08:
                act[-1] = A_EXPORT
            elif u < 0.09:
                act[-1] = A_EDIT
        app = np.where(rng.random(len(ts)) < 0.6, 0, 1)
        self.ev.add(np.full(len(ts), a), np.full(len(ts), f), ts, act, app, MISUSE, P["misuse"])
        nt["n_events"] = len(ts)
        nt["n_days"] = len(dm)
        nt["timing"] = (
            modes[main]
            if len({m for _, m in dm}) == 1
            else "mixed:" + "+".join(sorted({modes[m] for _, m in dm}))
        )
        nt["actions"] = ";".join(sorted({ACTIONS[x] for x in act}))
        nt["first_ts"] = int(ts.min())
        nt["last_ts"] = int(ts.max())

    # ---------------------------------------------------------------- writing
    def write(self, out):
        os.makedirs(out, exist_ok=True)
        self.rngs[11]

        def wcsv(name, header, rows):
            with open(os.path.join(out, name), "w", encoding="utf-8", newline="") as fh:
                wr = csv.writer(fh, lineterminator="\n")
                wr.writerow(header)
                wr.writerows(rows)

        wcsv(
            "establishments.csv",
            ["establishment_id", "name", "kind", "region_code"],
            [
                [DR_ID, "Direction régionale " + REGION_NAME, "DR", REGION_CODE],
                ["DG", "Direction générale", "DG", ""],
                ["DSI", "Direction des systèmes d'information", "DSI", ""],
                ["PES-HDF", "Plateformes " + REGION_NAME, "PES", ""],
            ],
        )
        wcsv(
            "agencies.csv",
            ["agency_id", "name", "establishment_id", "department_code", "msa_experiment"],
            [
                [
                    self.ag_id[i],
                    self.ag_name[i],
                    DR_ID,
                    DEPTS[self.ag_dept[i]],
                    "true" if self.ag_msa[i] else "false",
                ]
                for i in range(self.n_ag)
            ],
        )
        # agents
        rows = []
        hired_s = fmt_day(self.a_hired)
        left_s = fmt_day(np.minimum(self.a_left, 10**5))
        birth_s = np.datetime_as_string(
            np.datetime64("2024-01-01") + self.a_birth.astype("timedelta64[D]"), unit="D"
        )
        for i in range(self.n_a):
            rows.append(
                [
                    self.a_id[i],
                    self.a_last[i],
                    self.a_birthname[i],
                    " ".join(self.a_first[i]),
                    birth_s[i],
                    self.a_sex[i],
                    self.a_est[i],
                    self.ag_id[self.a_agency[i]] if self.a_agency[i] >= 0 else "",
                    ROLE_JOB[ROLES[self.a_role[i]]],
                    hired_s[i],
                    left_s[i] if self.a_left[i] < 10**5 else "",
                    self.a_pattern[i],
                ]
            )
        wcsv(
            "agents.csv",
            [
                "agent_id",
                "last_name",
                "birth_name",
                "first_names",
                "birth_date",
                "sex",
                "establishment_id",
                "agency_id",
                "job",
                "hired_on",
                "left_on",
                "work_pattern",
            ],
            rows,
        )
        # job seekers
        unk_ref = [
            f"{''.join('QWXZ'[(i * 7 + j) % 4] for j in range(4))}{(i * 7919) % 10000:04d}"
            for i in range(200)
        ]
        self.unk_ref_ids = [x for x in unk_ref if x not in self._aid_seen]
        reg_s = fmt_day(self.de_reg)
        dereg_s = fmt_day(np.minimum(self.de_dereg, 10**5))
        birth_s = np.datetime_as_string(
            np.datetime64("2024-01-01")
            + np.array([r["birth"] for r in self.de], dtype=np.int64).astype("timedelta64[D]"),
            unit="D",
        )
        rows = []
        for i, r in enumerate(self.de):
            ref = self.de_ref[i]
            refs = (
                self.a_id[ref]
                if ref >= 0
                else (self.unk_ref_ids[i % len(self.unk_ref_ids)] if ref == -2 else "")
            )
            rows.append(
                [
                    self.de_id[i],
                    r["last"],
                    r["birth_name"],
                    r["first"],
                    birth_s[i],
                    r["sex"],
                    DEPTS[self.ag_dept[r["agency"]]],
                    r["commune"],
                    self.ag_id[r["agency"]],
                    refs,
                    reg_s[i],
                    dereg_s[i] if self.de_dereg[i] < 10**5 else "",
                ]
            )
        wcsv(
            "job_seekers.csv",
            [
                "de_id",
                "last_name",
                "birth_name",
                "first_names",
                "birth_date",
                "sex",
                "department_code",
                "commune_code",
                "agency_id",
                "referent_agent_id",
                "registered_on",
                "deregistered_on",
            ],
            rows,
        )
        wcsv(
            "protected_persons.csv",
            [
                "person_id",
                "category",
                "last_name",
                "birth_name",
                "first_names",
                "birth_date",
                "sex",
                "department_code",
                "valid_from",
                "valid_to",
            ],
            [
                [
                    p["person_id"],
                    p["category"],
                    p["last"],
                    "",
                    p["first"],
                    p["birth"],
                    "",
                    p["dept"],
                    p["vf"],
                    p["vt"],
                ]
                for p in self.protected_rows
            ],
        )
        all_agent_ids = np.array(self.a_id + self.ext_agent_ids, dtype=object)
        all_de_ids = np.array(self.de_id + self.unknown_de_pool, dtype=object)

        def de_col(x):
            x = np.asarray(x)
            out_ = np.full(len(x), "", dtype=object)
            m = x >= 0
            out_[m] = all_de_ids[x[m]]
            return out_

        # appointments
        ap = {k: np.concatenate([p[k] for p in self.appts]) for k in self.appts[0]}
        o = np.lexsort((ap["agent"], ap["start"]))
        nap = len(o)
        ids = [f"RDV-{i + 1:08d}" for i in range(nap)]
        st = fmt_local(ap["start"][o])
        wcsv(
            "appointments.csv",
            ["appointment_id", "de_id", "agent_id", "starts_at", "kind", "status"],
            zip(
                ids,
                de_col(ap["de"][o]),
                all_agent_ids[ap["agent"][o]],
                st,
                ap["kind"][o],
                ap["status"][o],
                strict=False,
            ),
        )
        # calls (telephony export: UTC with Z)
        cl = {k: np.concatenate([p[k] for p in self.calls]) for k in self.calls[0]}
        o = np.argsort(cl["start"], kind="stable")
        ids = [f"CHDF-{i + 1:08d}" for i in range(len(o))]
        st = fmt_utc_z(cl["start"][o])
        en = cl["end"][o]
        ens = np.where(en > 0, fmt_utc_z(np.maximum(en, 0)), "")
        wcsv(
            "calls.csv",
            ["call_id", "de_id", "agent_id", "started_at", "ended_at"],
            zip(ids, de_col(cl["de"][o]), all_agent_ids[cl["agent"][o]], st, ens, strict=False),
        )
        tk = {k: np.concatenate([p[k] for p in self.tasks]) for k in self.tasks[0]}
        o = np.argsort(tk["created"], kind="stable")
        ids = [f"TSK-{i + 1:08d}" for i in range(len(o))]
        cr = fmt_local(tk["created"][o])
        clo = tk["closed"][o]
        cls = np.where(clo > 0, fmt_local(np.maximum(clo, 0)), "")
        wcsv(
            "tasks.csv",
            ["task_id", "de_id", "agent_id", "created_at", "closed_at", "kind"],
            zip(
                ids,
                de_col(tk["de"][o]),
                all_agent_ids[tk["agent"][o]],
                cr,
                cls,
                tk["kind"][o],
                strict=False,
            ),
        )
        self.n_appts, self.n_calls, self.n_tasks = nap, len(cl["start"]), len(tk["created"])
        self.n_open_tasks = int((tk["closed"] <= 0).sum())
        self.n_calls_homonym = None
        return all_agent_ids, all_de_ids

    def write_events(self, out, all_agent_ids, all_de_ids):
        agent, de, ts, action, app, ctx, proc = self.ev.concat()
        keep = (ts >= Q0) & (ts < Q_END)
        self.n_dropped_out_of_period = int((~keep).sum())
        agent, de, ts, action, app, ctx, proc = (
            x[keep] for x in (agent, de, ts, action, app, ctx, proc)
        )
        unix = local_to_unix(ts)
        o = np.lexsort((de, agent, unix))
        agent, de, unix, action, app, ctx, proc = (
            x[o] for x in (agent, de, unix, action, app, ctx, proc)
        )
        n = len(agent)
        self.ev_stats = dict(
            n=n,
            ctx=np.bincount(ctx, minlength=4),
            proc=np.bincount(proc, minlength=len(PROCS)),
            action=np.bincount(action, minlength=4),
        )
        legit = ctx != MISUSE
        self.ev_ctx_by_proc = {}
        for p_i, p_name in enumerate(PROCS):
            m = proc == p_i
            if m.any():
                self.ev_ctx_by_proc[p_name] = {
                    CTX[c]: int(v) for c, v in enumerate(np.bincount(ctx[m], minlength=4)) if v
                }
        # off-hours legit events (evening after 19:00 local / weekend / holiday), for the manifest
        loc_day = (unix - local_to_unix(np.array([Q0]))[0]) // 86400
        hour = ((unix - EPOCH_D0 + 7200) % 86400) // 3600
        offh = (hour >= 19) | (hour < 7) | ~WORKDAY[np.clip(loc_day, 0, N_DAYS - 1)]
        self.n_offhours_legit = int((offh & legit).sum())
        self.n_offhours_misuse = int((offh & ~legit).sum())
        # pairs: misuse pairs that also have legitimate events
        mkey = np.array(
            [nt["agent"] * 10**7 + nt["de"] for nt in self.misuse_notes], dtype=np.int64
        )
        lkey = agent[legit].astype(np.int64) * 10**7 + de[legit]
        also = np.isin(mkey, lkey)
        for nt, x in zip(self.misuse_notes, also, strict=False):
            nt["also_legit_events"] = bool(x)
        self.n_distinct_de_consulted = len(np.unique(de[de < self.n_de]))
        self.n_events_unknown_agent = int((agent >= self.n_a).sum())
        self.n_events_unknown_de = int((de >= self.n_de).sum())
        self.n_agents_with_events = len(np.unique(agent[agent < self.n_a]))
        del lkey, legit, ctx, proc, o
        # build arrow columns
        L = 15  # 'HDF24-' + 9 digits
        pre = np.frombuffer(b"HDF24-", dtype=np.uint8)
        buf = np.empty((n, L), dtype=np.uint8)
        buf[:, :6] = pre
        x = np.arange(1, n + 1, dtype=np.int64)
        for i in range(L - 1, 5, -1):
            buf[:, i] = (x % 10 + 48).astype(np.uint8)
            x //= 10
        offs = np.arange(0, (n + 1) * L, L, dtype=np.int32)
        ev_ids = pa.Array.from_buffers(
            pa.string(), n, [None, pa.py_buffer(offs), pa.py_buffer(buf.ravel())]
        )
        a_dict = pa.array(list(all_agent_ids), pa.string())
        d_dict = pa.array(list(all_de_ids), pa.string())
        table = pa.table(
            {
                "event_id": ev_ids,
                "ts": pa.array(unix, pa.timestamp("s", tz="UTC")),
                "agent_id": a_dict.take(pa.array(agent.astype(np.int32))),
                "de_id": d_dict.take(pa.array(de.astype(np.int32))),
                "application": pa.array(APPS, pa.string()).take(pa.array(app.astype(np.int32))),
                "action": pa.array(ACTIONS, pa.string()).take(pa.array(action.astype(np.int32))),
            }
        )
        pq.write_table(
            table,
            os.path.join(out, "consultations.parquet"),
            row_group_size=1_000_000,
            compression="zstd",
            compression_level=1,
        )
        self.first_ts = int(unix.min())
        self.last_ts = int(unix.max())

    def write_truth(self, out, all_agent_ids, all_de_ids):
        notes = self.misuse_notes
        with open(os.path.join(out, "truth.csv"), "w", encoding="utf-8", newline="") as fh:
            wr = csv.writer(fh, lineterminator="\n")
            wr.writerow(["agent_id", "de_id", "kind"])
            for nt in notes:
                wr.writerow([all_agent_ids[nt["agent"]], all_de_ids[nt["de"]], nt["kind"]])
        cols = [
            "agent_id",
            "de_id",
            "kind",
            "subtype",
            "agent_job",
            "target_file",
            "identity_variant",
            "pair_id",
            "same_agency",
            "same_department",
            "agent_agency_eq_target_agent_agency",
            "agent_is_current_referent",
            "also_legit_events",
            "n_days",
            "n_events",
            "timing",
            "actions",
            "first_seen_utc",
            "last_seen_utc",
        ]
        with open(os.path.join(out, "truth_notes.csv"), "w", encoding="utf-8", newline="") as fh:
            wr = csv.writer(fh, lineterminator="\n")
            wr.writerow(cols)
            for nt in notes:
                a, f = nt["agent"], nt["de"]
                r = self.de[f]
                fu = (
                    np.datetime_as_string(
                        np.datetime64(int(local_to_unix(np.array([nt["first_ts"]]))[0]), "s"),
                        unit="s",
                    )
                    + "Z"
                )
                lu = (
                    np.datetime_as_string(
                        np.datetime64(int(local_to_unix(np.array([nt["last_ts"]]))[0]), "s"),
                        unit="s",
                    )
                    + "Z"
                )
                wr.writerow(
                    [
                        all_agent_ids[a],
                        all_de_ids[f],
                        nt["kind"],
                        nt["subtype"],
                        ROLE_JOB[ROLES[self.a_role[a]]],
                        r["kind"],
                        r.get("variant", ""),
                        r.get("pair", ""),
                        "true"
                        if self.a_agency[a] >= 0 and self.a_agency[a] == self.de_agency[f]
                        else "false",
                        "true" if self.a_dept[a] == self.de_dept[f] else "false",
                        (
                            ""
                            if self.de_owner[f] < 0
                            else "true"
                            if self.a_agency[a] >= 0
                            and self.a_agency[a] == self.a_agency[self.de_owner[f]]
                            else "false"
                        ),
                        "true" if self.de_ref[f] == a else "false",
                        "true" if nt["also_legit_events"] else "false",
                        nt["n_days"],
                        nt["n_events"],
                        nt["timing"],
                        nt["actions"],
                        fu,
                        lu,
                    ]
                )

    def manifest(self, out, lam):
        st = self.ev_stats
        ctx = st["ctx"]
        legit = int(ctx[:3].sum())
        kinds = {}
        for nt in self.misuse_notes:
            kinds[nt["kind"]] = kinds.get(nt["kind"], 0) + 1
        subtypes = {}
        for nt in self.misuse_notes:
            k = nt["kind"] + "/" + nt["subtype"]
            subtypes[k] = subtypes.get(k, 0) + 1
        cur = np.arange(self.n_a) < self.n_cur
        jobs = {}
        for i in range(self.n_a):
            j = ROLE_JOB[ROLES[self.a_role[i]]]
            jobs[j] = jobs.get(j, 0) + 1
        m = dict(
            generator="benchmarks/blind_region.py",
            scale=self.scale,
            seed=self.seed,
            region=dict(
                name=REGION_NAME, region_code=REGION_CODE, establishment_id=DR_ID, departments=DEPTS
            ),
            period=dict(start="2024-04-01", end="2024-06-30", working_days=int(WORKDAY.sum())),
            files=dict(
                establishments=4,
                agencies=self.n_ag,
                agents=self.n_a,
                job_seekers=self.n_de,
                protected_persons=len(self.protected_rows),
                appointments=self.n_appts,
                calls=self.n_calls,
                tasks=self.n_tasks,
                consultations=int(st["n"]),
                truth=len(self.misuse_notes),
                truth_notes=len(self.misuse_notes),
            ),
            consultations_format="consultations.parquet; ts is TIMESTAMP WITH TIME ZONE (UTC)",
            agents=dict(
                total=self.n_a,
                current_at_start=int((cur & (self.a_hired <= 0)).sum()),
                arrived_in_quarter=int((cur & (self.a_hired > 0)).sum()),
                left_in_quarter=int((cur & (self.a_left < N_DAYS)).sum()),
                ex_agents_left_before=int((~cur).sum()),
                by_job=jobs,
                with_events=self.n_agents_with_events,
                work_pattern_empty=int(sum(1 for p in self.a_pattern if not p)),
                work_pattern_wrong=int(sum(1 for k in self.a_sched_kind if "declared_wrong" in k)),
                evening_habit=int(self.a_evening.sum()),
                saturday_habit=int(self.a_saturday.sum()),
                other_region_agent_ids_in_logs=len(self.ext_agent_ids),
            ),
            job_seekers=dict(
                total=self.n_de,
                active_in_quarter=int(self.de_active.sum()),
                historical=int((~self.de_active).sum()),
                by_kind={
                    k: int((self.de_kind == k).sum())
                    for k in [
                        "general",
                        "agent_former",
                        "agent_current",
                        "ex_agent",
                        "protected",
                        "homonym",
                        "different",
                    ]
                },
                with_referent=int((self.de_ref >= 0).sum()),
                referent_unknown_id=int((self.de_ref == -2).sum()),
                referent_changed_in_quarter=int((self.de_old_ref >= 0).sum()),
                in_a_homonym_group=self.n_de_with_homonym,
                distinct_consulted=self.n_distinct_de_consulted,
            ),
            protected_persons=dict(
                elected=sum(1 for p in self.protected_rows if p["category"] == "elected"),
                candidate=sum(1 for p in self.protected_rows if p["category"] == "candidate"),
            ),
            events=dict(
                total=int(st["n"]),
                legitimate=legit,
                misuse=int(ctx[3]),
                misuse_share=round(int(ctx[3]) / max(int(st["n"]), 1), 6),
                by_action={ACTIONS[i]: int(v) for i, v in enumerate(st["action"])},
                by_agent_unknown=self.n_events_unknown_agent,
                of_de_unknown=self.n_events_unknown_de,
                legit_off_hours_19h_7h_weekend_holiday=self.n_offhours_legit,
                misuse_off_hours_19h_7h_weekend_holiday=self.n_offhours_misuse,
            ),
            legitimate_by_context=dict(
                counts={CTX[i]: int(ctx[i]) for i in range(3)},
                shares={CTX[i]: round(int(ctx[i]) / max(legit, 1), 4) for i in range(3)},
                definitions=dict(
                    strong="current referent (job_seekers.referent_agent_id); appointment between them "
                    "(prep up to the previous working day, write-up up to the next working day); "
                    "a call handled by the agent around it (incl. homonym surfaced or no file); an open task",
                    weak="agent's agency = job seeker's agency (colleagues, reception, former referent of the same "
                    "agency, local managers, re-check of a closed task)",
                    none="legitimate but nothing in the files explains it (former referent in another agency, "
                    "profile searches outside the agency, platform call-backs, regional support, DSI, direction, "
                    "reception of another agency's job seeker)",
                ),
            ),
            legitimate_by_process={
                p: self.ev_ctx_by_proc.get(p, {}) for p in PROCS if p != "misuse"
            },
            misuse=dict(
                pairs=len(self.misuse_notes),
                by_kind=kinds,
                by_subtype=dict(sorted(subtypes.items())),
                events=int(ctx[3]),
                same_agency=sum(
                    1
                    for nt in self.misuse_notes
                    if self.a_agency[nt["agent"]] >= 0
                    and self.a_agency[nt["agent"]] == self.de_agency[nt["de"]]
                ),
                single_event=sum(1 for nt in self.misuse_notes if nt["n_events"] == 1),
                with_print_or_export=sum(
                    1
                    for nt in self.misuse_notes
                    if "print" in nt["actions"] or "export" in nt["actions"]
                ),
                also_legit_events=sum(1 for nt in self.misuse_notes if nt["also_legit_events"]),
            ),
            calibration=dict(
                intensity=round(lam, 4), events_dropped_outside_period=self.n_dropped_out_of_period
            ),
        )
        with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as fh:
            json.dump(m, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        return m


def _default_pairs():
    """The linkage pairs where this machine keeps them (first found; the first place otherwise)."""
    given = os.environ.get("PARCOURS_LINKAGE_PAIRS")
    here = os.path.dirname(os.path.abspath(__file__))
    places = ([given] if given else []) + [
        os.path.join(here, "..", "..", "shared", "data", "linkage", "pairs_dev.csv"),
        "/work/shared/data/linkage/pairs_dev.csv",
    ]
    return next((p for p in places if os.path.isfile(p)), places[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    ap.add_argument(
        "--pairs",
        default=_default_pairs(),
        help="pairs_dev.csv; default: $PARCOURS_LINKAGE_PAIRS, else shared/ beside "
        "the checkout, else /work/shared",
    )
    args = ap.parse_args(argv)
    t0 = time.time()
    w = World(args.scale, args.seed, args.pairs)
    w.sur, w.sur_w = surname_pool(w.rngs[12], 8000 if args.scale == "small" else 60000)
    w.build_structure()
    w.build_agents()
    w.build_presence()
    w.build_job_seekers()
    w.build_referents()
    lam = w.calibrate()
    w.gen_all(lam)
    w.gen_misuse()
    t1 = time.time()
    aids, dids = w.write(args.out)
    w.write_events(args.out, aids, dids)
    w.write_truth(args.out, aids, dids)
    m = w.manifest(args.out, lam)
    print(
        f"scale={args.scale} seed={args.seed} events={m['events']['total']} "
        f"misuse_pairs={m['misuse']['pairs']} "
        f"legit(strong/weak/none)={m['legitimate_by_context']['shares']}  "
        f"gen {t1 - t0:.1f}s total {time.time() - t0:.1f}s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
