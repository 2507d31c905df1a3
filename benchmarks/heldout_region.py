"""Held-out synthetic region for evaluating misuse-of-purpose detection (data sheet).

Run: ``python benchmarks/heldout_region.py --out DIR --seed N --scale small|region``
(``--pairs`` points at ``shared/data/linkage/pairs_dev.csv``). Standalone: numpy, pyarrow and
the standard library only; it never imports ``parcours``. Same seed, same bytes.

Clean-room rule followed
------------------------
Written only from the product issue (its semantics of misuse define the ground truth),
``shared/DOMAIN.md``, the interchange contract ``docs/formats.md`` and ``shared/data/linkage``
(README and ``pairs_dev.csv``). The author did not read the detection engine, its scenarios,
tests or detection docs, the project's own synthetic generator nor any other benchmark, and
never ran the detection. Nothing here is tuned to what a rule can or cannot see.

World
-----
One regional directorate, Auvergne-Rhone-Alpes (DR84), quarter 2024-04-01..2024-06-30.
Europe/Paris is UTC+2 during the whole quarter; conversions use the EU rule (tasks created in
March are written with ``+01:00``). Holidays: 1 Apr, 1, 8, 9 and 20 May; half of the staff
take the 10 May bridge; most take a week of leave (spring school holidays 13-29 Apr or June);
4 % random days off; 2 % long sick leaves.

- ``region``: 12 departements, 53 agencies; ~415k job-seeker files (~376k active in the
  quarter, ~19 % registered during it, the rest closed files kept since 2021); ~4,900 staff
  in office (62 % counsellors, 19 % GDD incl. a regional GDD pool, 6 % agency managers, 320 on
  the 3949 platform in establishment PES84, ~240 regional support: CRE control, mediation,
  others; 55 direction; 24 DSI/DG), ~100 leaving and ~70 joining during the quarter, 1,700
  ex-agents; ~9k protected persons; ~20M consultation events; exactly 1,000 misuse pairs.
- ``small``: 3 departements, 6 agencies, ~21k files, ~260 staff, ~1M events, 50 pairs.

Legitimate work (~97.7 % of events have a recorded link by design)
------------------------------------------------------------------
Every legitimate event belongs to a *session* (an agent opening one file for one reason),
expanded into an over-dispersed number of events tens of seconds apart (a view first, then
views, edits, ~1.5 % prints, ~0.02 % exports). ``manifest.json`` gives events per source and
whether the data records a strong link (referent, appointment, call or task naming that agent
and file), only a weak one (agency, management, a call in progress that surfaced no or another
file) or none. Region, seeds 7 and 11: strong ~88 %, weak ~10 %, none ~2.3 %.

- Referent desk work on the portfolio (Poisson per file by modality Suivi/Guide/Renforce/
  Global/CEJ: 1.8/4/8/8/11 per quarter) - 36 % of events. 4 % of referents change mid-quarter
  (rebalancing, leavers' portfolios) and 1.5 % of files move agency: the previous referent's
  work before the change is no longer the current referent's (same agency, or none at all).
- Appointments (~630k): EDO for new registrants (40 % by the platform), DPA/EDA with the
  referent, follow-ups (15 % by a covering colleague), workshops, two Saturday job fairs;
  80 % done, 11 % no-show, 8 % cancelled, planned ones in early July prepared in late June;
  preparation before (the day before for first slots), the interview, write-up after.
- Benefit-claim tasks (~405k incl. CRE control and mediation cases): agency GDD 55 %, a GDD of
  another agency of the departement 30 %, regional pool 15 %; ~11 % still open at the end, some
  opened in March, overpayment recovery on 3 % of closed files; 3 % employer tasks without a
  de_id whose employees' files are consulted; GDD queue work without a task.
- 3949 calls (~450k): 84 % surfaced the right file, 7 % none (the agent searches), 3 % a
  homonym's file, 2 % a household member's, 4 % a caller from another region (file unknown to
  this region); 12 % open no file; 6 % followed up within two days; 1.5 % handled by national
  platform agents unknown to ``agents.csv``.
- Covering colleagues (agency only), partner or e-mail requests on files of the departement
  (60 % another agency, no record), managers (12 % also run a second site HR does not record),
  regional support ad hoc, direction, DSI incident fixes (15 % at night), 3 % of counsellors on
  a 1-2 week reinforcement mission in another agency (appointments recorded, desk work not).
- Off hours: ~10 % of counsellors and ~45 % of managers/direction work some evenings, a few
  some weekend or holiday days, DSI some nights. Declared ``work_pattern``: 70 % exact, 20 %
  empty, 10 % wrong (outdated part-time, hours shifted by 1-1.5 h, full time declared for a
  part-timer); 15 % part-timers off one weekday. ``agents_notes.csv`` lists these per agent.

Identities
----------
Names come from a Zipf-weighted pool of common French surnames, a long tail of real surnames
taken from pairs_dev and synthetic ones, and weighted given names: natural homonyms occur with
realistic frequency. Each system writes people its own way: HR (``agents.csv``) upper case with
accents, usual given name; job-seeker files the civil given names, accents mostly lost, married
women under their usage name with birth_name (sometimes birth name only, or a compound);
registers (``protected_persons.csv``) the first given name. Sensitive files also get injected
noise (hyphen/space, particles, one-letter typos). Real variants: pairs_dev same/same_variant
pairs whose watch-list side lies in the region give protected persons (mayors, departmental
councillors, 2024 candidates) whose job-seeker file is the left-hand spelling; its homonym and
different pairs give hard-negative files. Deputies are left out (not plausible job seekers).
Synthetic protected persons: municipal and departmental elected (3 % out of office or elected in
a by-election during the quarter) and 2024 legislative candidates (valid 2024-06-10..2024-07-07);
3.5 % of elected and 6 % of candidates have a file. 22 % of current agents (60 % of leavers) and
50 % of ex-agents have a file, 35 % in the agency where they work(ed): mostly closed files of
agents hired from unemployment, active files of fixed-term agents, files opened after a
contract ended. Homonym files (same written name, birth date years apart) of 2 % of agents
and 3 % of protected persons; about half of all hard-negative files get one legitimate
consultation without any context. ``sensitive_files.csv`` lists all these files.

Misuse (ground truth)
---------------------
``truth.csv``: one row per (agent, file) pair consulted with no professional purpose; the pair
never has a recorded link (referent, appointment, call, task) and legitimate events on it are
removed. Kinds: colleague 33 % (15 % of them the agent's own file, subtype own_file; ~10 %
newcomers' files; otherwise workplace colleagues or acquaintances), ex_colleague 19 % (the
consultation is after the departure), protected 26 % (58 % elected, 42 % candidates consulted
from 10 June), curiosity 22 % (acquaintances of the departement, relatives sharing the agent's
surname, local "news stories" looked up by 4-10 agents, homonyms of protected persons opened
by mistake). ~27 % of pairs are on a file of the agent's own agency, ~40 % on closed files.
Misusers: individual propensity lognormal (about 80 % of misusing agents have one pair, a few
up to 5-7), counsellors ~70 %. Repetition: 1 day 42 %, 2: 20 %, 3: 12 %, 4-6: 14 %, 7-15: 9 %,
16-30: 3 %; 1-3 short sessions a day. Timing style: office hours 55 %, day edges and lunch
15 %, evenings 15 %, weekends and holidays 7 %, mixed 8 %. Actions: views; 12 % of pairs print,
4 % export, 2 % edit (25 % on one's own file). A curiosity pair on a file of the agent's own
agency always shows something beyond one office-hours glance (off hours, repetition or a print):
such a glance is indistinguishable from covering work and was judged out of scope.
``truth_notes.csv`` adds subtype, identity variant, job, same agency/departement, file status,
timing, days, events, actions, first and last timestamps.

Formats
-------
CSV everywhere. Consultations in ``consultations/<app>/<week>.csv``: AUDE in Paris local time
without offset (space separator), MAP in UTC with ``Z``, a legacy extract (empty application)
with ``+02:00``; calls in UTC ``Z``; appointments in local ``YYYY-MM-DDTHH:MM``; tasks with
offsets. One AUDE morning (2024-05-14) was exported twice (same event ids, ``-rerun`` file).
Unresolved ids on purpose: other regions' files, national platform agents, 0.3 % of referents
from another region. No event precedes its file's registration or lies outside its agent's
employment; ``manifest.json`` counts what was dropped to guarantee it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

# ----------------------------------------------------------------------------------------------
# Calendar and time zone
# ----------------------------------------------------------------------------------------------

Q_START = np.datetime64("2024-04-01", "D")
N_DAYS = 91  # 2024-04-01 .. 2024-06-30
DAY_S = 86_400
EPOCH_Q_START = int(Q_START.astype("datetime64[s]").astype(np.int64))
HOLIDAYS = ("2024-04-01", "2024-05-01", "2024-05-08", "2024-05-09", "2024-05-20")
BRIDGE_DAY = "2024-05-10"
SCHOOL_HOLIDAYS = ("2024-04-13", "2024-04-29")
CANDIDATE_FROM = "2024-06-10"
CANDIDATE_TO = "2024-07-07"
NEVER = 10**6  # day offset meaning "no end"


def day_index(iso: str) -> int:
    """Offset in days of an ISO date from the quarter start."""
    return int((np.datetime64(iso, "D") - Q_START).astype(int))


def _last_sunday_utc_1am(year: int, month: int) -> int:
    """Epoch seconds of 01:00 UTC on the last Sunday of the month (EU DST switch)."""
    last = np.datetime64(f"{year}-{month + 1:02d}-01", "D") - 1
    weekday = (last.astype(np.int64) + 3) % 7  # 0 = Monday
    sunday = last - int((weekday - 6) % 7)
    return int(sunday.astype("datetime64[s]").astype(np.int64)) + 3600


_DST_YEARS = np.arange(2015, 2031)
_DST_START = np.array([_last_sunday_utc_1am(int(y), 3) for y in _DST_YEARS], dtype=np.int64)
_DST_END = np.array([_last_sunday_utc_1am(int(y), 10) for y in _DST_YEARS], dtype=np.int64)


def paris_offset_of_utc(t_utc: np.ndarray) -> np.ndarray:
    """UTC offset (seconds) of Europe/Paris at each UTC instant."""
    year_idx = np.clip(
        (t_utc.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970)
        - _DST_YEARS[0],
        0,
        len(_DST_YEARS) - 1,
    )
    in_dst = (t_utc >= _DST_START[year_idx]) & (t_utc < _DST_END[year_idx])
    return np.where(in_dst, 7200, 3600).astype(np.int64)


def paris_local_to_utc(t_local: np.ndarray) -> np.ndarray:
    """Paris wall-clock seconds (as if UTC) to UTC, with the contract's rules at the switches.

    A non-existent local time (spring gap) is read with the standard offset, i.e. shifted
    forward; an ambiguous one (autumn 02:00-03:00) is read as standard time.
    """
    year_idx = np.clip(
        (t_local.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970)
        - _DST_YEARS[0],
        0,
        len(_DST_YEARS) - 1,
    )
    in_dst = (t_local >= _DST_START[year_idx] + 7200) & (t_local < _DST_END[year_idx] + 3600)
    return t_local - np.where(in_dst, 7200, 3600)


@dataclass(frozen=True)
class Calendar:
    """Days of the quarter with weekday and holiday flags."""

    weekday: np.ndarray  # 0 = Monday
    holiday: np.ndarray
    weekend: np.ndarray
    local_midnight: np.ndarray  # wall-clock epoch seconds of each day's 00:00

    @property
    def off_day(self) -> np.ndarray:
        return self.holiday | self.weekend

    @staticmethod
    def build() -> Calendar:
        days = Q_START + np.arange(N_DAYS)
        weekday = ((days.astype(np.int64) + 3) % 7).astype(np.int8)
        holiday = np.isin(days, np.array(HOLIDAYS, dtype="datetime64[D]"))
        midnight = days.astype("datetime64[s]").astype(np.int64)
        return Calendar(weekday, holiday, weekday >= 5, midnight)


def to_utc(cal: Calendar, day: np.ndarray, sec_of_day: np.ndarray) -> np.ndarray:
    """UTC epoch seconds of local (day offset, second of day); day may exceed the quarter."""
    local = EPOCH_Q_START + day.astype(np.int64) * DAY_S + sec_of_day.astype(np.int64)
    return paris_local_to_utc(local)


# ----------------------------------------------------------------------------------------------
# Name pools and identity rendering
# ----------------------------------------------------------------------------------------------


def words(text: str) -> tuple[str, ...]:
    """Comma-separated word list."""
    return tuple(text.split(","))


COMMON_SURNAMES = words(
    "MARTIN,BERNARD,THOMAS,PETIT,ROBERT,RICHARD,DURAND,DUBOIS,MOREAU,LAURENT,SIMON,MICHEL,"
    "LEFÈVRE,LEROY,ROUX,DAVID,BERTRAND,MOREL,FOURNIER,GIRARD,BONNET,DUPONT,LAMBERT,FONTAINE,"
    "ROUSSEAU,VINCENT,MULLER,LEFEBVRE,FAURE,ANDRÉ,MERCIER,BLANC,GUÉRIN,BOYER,GARNIER,CHEVALIER,"
    "FRANÇOIS,LEGRAND,GAUTHIER,GARCIA,PERRIN,ROBIN,CLÉMENT,MORIN,NICOLAS,HENRY,ROUSSEL,MATHIEU,"
    "GAUTIER,MASSON,MARCHAND,DUVAL,DENIS,DUMONT,MARIE,LEMAIRE,NOËL,MEYER,DUFOUR,MEUNIER,BRUN,"
    "BLANCHARD,GIRAUD,JOLY,RIVIÈRE,LUCAS,BRUNET,GAILLARD,BARBIER,ARNAUD,MARTINEZ,GÉRARD,ROCHE,"
    "RENARD,SCHMITT,ROY,LEROUX,COLIN,VIDAL,CARON,PICARD,ROGER,FABRE,AUBERT,LEMOINE,RENAUD,DUMAS,"
    "LACROIX,OLIVIER,PHILIPPE,BOURGEOIS,PIERRE,BENOÎT,REY,LECLERC,PAYET,ROLLAND,LECLERCQ,"
    "GUILLAUME,LECOMTE,LOPEZ,JEAN,DUPUY,GUILLOT,HUBERT,BERGER,CARPENTIER,SANCHEZ,DUPUIS,MOULIN,"
    "LOUIS,DESCHAMPS,HUET,VASSEUR,PEREZ,BOUCHER,FLEURY,ROYER,KLEIN,JACQUET,ADAM,PARIS,POIRIER,"
    "MARTY,AUBRY,GUYOT,CARRÉ,CHARLES,RENAULT,CHARPENTIER,MÉNARD,MAILLARD,BARON,BERTIN,BAILLY,"
    "HERVÉ,SCHNEIDER,FERNANDEZ,LE GALL,COLLET,LÉGER,BOUVIER,JULIEN,PRÉVOST,MILLET,PERROT,DANIEL,"
    "LE ROUX,COUSIN,GERMAIN,BRETON,BESSON,LANGLOIS,RÉMY,LE GOFF,PELLETIER,LÉVÊQUE,PERRIER,"
    "LEBLANC,BARRÉ,LEBRUN,MARCHAL,WEBER,MALLET,HAMON,BOULANGER,JACOB,MONNIER,MICHAUD,RODRIGUEZ,"
    "GUICHARD,GILLET,ÉTIENNE,GRONDIN,POULAIN,TESSIER,CHEVALLIER,COLLIN,CHAUVIN,DA SILVA,BOUCHET,"
    "GAY,LEMAÎTRE,BÉNARD,MARÉCHAL,HUMBERT,REYNAUD,ANTOINE,HOARAU,PERRET,BARTHÉLEMY,CORDIER,"
    "PICHON,LEJEUNE,GILBERT,LAMY,DELAUNAY,PASQUIER,CARLIER,LAPORTE,DOS SANTOS,FERREIRA,"
    "RODRIGUES,PEREIRA,NGUYEN,DIALLO,TRAORÉ,BENALI,HADDAD,MESSAOUDI,BELKACEM,CHERIF,MARTINS,"
    "GONÇALVES,BRAHIMI,MANSOURI,KONATÉ,SOW,CAMARA,SAINT-JEAN,DE OLIVEIRA,DELMAS,CHABERT,"
    "FAVIER,BRUYÈRE,CHAMBON,PONCET,BONNEFOY,REYMOND,TEYSSIER,VERNAY,DESCOURS,MOLLARD,BOUVARD,"
    "BERTHET,BLANCHET,CHAPUIS,CHATAIN,COMBE,FAVRE,GIROUD,JOUBERT,MAGNIN,PERRIN-CHAPUIS,"
    "ROCHETTE,SERVE,TISSOT,VEYRET,VIALLET,BROSSE,CHAMPION,DUCROS,FOURNEL,VIAL"
)

FEMALE_NAMES = words(
    "Marie,Nathalie,Isabelle,Sylvie,Catherine,Sandrine,Valérie,Christine,Céline,Stéphanie,"
    "Véronique,Sophie,Aurélie,Julie,Émilie,Laetitia,Camille,Laura,Sarah,Manon,Léa,Chloé,Inès,"
    "Anaïs,Élodie,Mélanie,Audrey,Caroline,Virginie,Karine,Patricia,Françoise,Monique,Martine,"
    "Nadine,Brigitte,Hélène,Anne,Claire,Pauline,Marion,Justine,Charlotte,Océane,Morgane,Amandine,"
    "Jessica,Vanessa,Fatima,Samira,Yasmine,Nadia,Aïcha,Zoé,Emma,Lucie,Gaëlle,Agnès,Josiane,"
    "Jacqueline,Danielle,Chantal,Corinne,Delphine,Florence,Géraldine,Marie-Claire,Anne-Sophie,"
    "Marie-Christine,Marie-Hélène,Anne-Marie,Marie-Laure,Mélissa,Cindy,Thérèse,Andrée,Odile,"
    "Maëlys,Ophélie,Alexandra,Gwendoline,Noémie,Clémence,Élise,Coralie,Sabrina,Myriam"
)

MALE_NAMES = words(
    "Jean,Pierre,Michel,Philippe,Alain,Nicolas,Christophe,Patrick,Laurent,Frédéric,Stéphane,"
    "David,Éric,Sébastien,Julien,Thomas,Olivier,Pascal,Thierry,Daniel,Bernard,Jérôme,Franck,"
    "Vincent,François,Mathieu,Guillaume,Romain,Anthony,Kévin,Maxime,Alexandre,Florian,Quentin,"
    "Lucas,Hugo,Théo,Nathan,Enzo,Louis,Gabriel,Mohamed,Karim,Mehdi,Rachid,Yassine,Sofiane,"
    "Jean-Pierre,Jean-Claude,Jean-Michel,Jean-Marc,Jean-François,Jean-Luc,Jean-Paul,Pierre-Yves,"
    "Gérard,René,Claude,Jacques,André,Henri,Roger,Yves,Serge,Didier,Gilles,Hervé,Joël,Noël,"
    "Loïc,Cédric,Jérémy,Grégory,Mickaël,Yannick,Benoît,Rémi,Arnaud,Damien,Ludovic,Fabien,"
    "Adrien,Baptiste,Clément,Antoine,Bastien,Dylan,Kylian,Axel,Raphaël,Samuel,Emmanuel"
)

SYLLABLE_HEADS = words(
    "BAR,BEL,BER,BOU,BRI,CHA,CHE,COR,DAU,DEL,DU,FAU,FER,FOU,GAR,GAU,GRI,JAC,LA,LAM,LAU,LE,MA,"
    "MAR,MEL,MON,MOU,PEL,PER,POU,RA,RE,RI,RO,ROU,SAL,SER,TAR,TEI,TIS,VAL,VER,VI,VIL"
)
SYLLABLE_MIDS = ("", "", "", "BO", "CH", "DR", "GN", "L", "LL", "M", "N", "R", "RR", "S", "T", "V")
SYLLABLE_TAILS = words(
    "AC,AL,AND,ARD,AT,AUD,AUX,EAU,EL,ELLE,ET,ETTE,EY,IER,IN,ON,OT,OUX,OUD,Y,IN,ERT,AS,ES"
)

ACCENT_TABLE = str.maketrans(
    "ÀÂÄÁÃÇÉÈÊËÍÎÏÔÖÓÒÕÛÜÙÚŸàâäáãçéèêëíîïôöóòõûüùúÿ",
    "AAAAACEEEEIIIOOOOOUUUUYaaaaaceeeeiiiooooouuuuy",
)
PARTICLES = ("LE ", "DE ", "DA ", "DOS ", "DU ", "LA ", "SAINT-")


def strip_accents(text: str) -> str:
    return text.translate(ACCENT_TABLE)


def norm_key(text: str) -> str:
    """Upper case, no accents, no hyphen/space/apostrophe (for homonym grouping)."""
    return "".join(ch for ch in strip_accents(text).upper() if ch.isalpha())


@dataclass(frozen=True)
class NamePools:
    surnames: np.ndarray  # canonical spellings (upper case, accents kept)
    surname_w: np.ndarray
    female: np.ndarray
    female_w: np.ndarray
    male: np.ndarray
    male_w: np.ndarray


def build_name_pools(rng: np.random.Generator, pairs: Sequence[dict[str, str]]) -> NamePools:
    """Common surnames (Zipf weights) + real tail surnames from pairs_dev + synthetic tail."""
    common = list(dict.fromkeys(COMMON_SURNAMES))
    common_w = 1.0 / (np.arange(len(common)) + 8.0) ** 0.9
    common_w = common_w / common_w.sum() * 0.55
    seen = {norm_key(s) for s in common}
    tail: list[str] = []
    for row in pairs:
        for col in ("left_last_name", "right_last_name"):
            name = " ".join(row[col].upper().replace(",", " ").split())
            if name and norm_key(name) not in seen:
                seen.add(norm_key(name))
                tail.append(name)
    heads = rng.choice(SYLLABLE_HEADS, 9000)
    mids = rng.choice(SYLLABLE_MIDS, 9000)
    tails = rng.choice(SYLLABLE_TAILS, 9000)
    for h, m, t in zip(heads, mids, tails, strict=True):
        name = f"{h}{m}{t}"
        tripled = any(a == b == c for a, b, c in zip(name, name[1:], name[2:], strict=False))
        if norm_key(name) not in seen and len(name) >= 4 and not tripled:
            seen.add(norm_key(name))
            tail.append(name)
    tail_w = rng.pareto(1.2, len(tail)) + 1.0
    tail_w = tail_w / tail_w.sum() * 0.45
    female_w = 1.0 / (np.arange(len(FEMALE_NAMES)) + 6.0) ** 0.7
    male_w = 1.0 / (np.arange(len(MALE_NAMES)) + 6.0) ** 0.7
    return NamePools(
        surnames=np.array(common + tail, dtype=object),
        surname_w=np.concatenate([common_w, tail_w]),
        female=np.array(FEMALE_NAMES, dtype=object),
        female_w=female_w / female_w.sum(),
        male=np.array(MALE_NAMES, dtype=object),
        male_w=male_w / male_w.sum(),
    )


@dataclass
class Person:
    """A natural person, canonical spelling (surnames upper case with accents)."""

    birth_surname: str
    usage_surname: str  # empty when the person uses the birth surname
    given: list[str]
    sex: str
    birth_date: str  # ISO


@dataclass(frozen=True)
class Rendered:
    last_name: str
    birth_name: str
    first_names: str


def draw_people(
    rng: np.random.Generator, pools: NamePools, n: int, birth_lo: str, birth_hi: str
) -> list[Person]:
    """Draw n synthetic people with civil given names and married usage names."""
    sex_f = rng.random(n) < 0.5
    surname = rng.choice(len(pools.surnames), n, p=pools.surname_w)
    spouse = rng.choice(len(pools.surnames), n, p=pools.surname_w)
    n_given = rng.choice([1, 2, 3], n, p=[0.45, 0.35, 0.20])
    fem = rng.choice(len(pools.female), (n, 3), p=pools.female_w)
    mal = rng.choice(len(pools.male), (n, 3), p=pools.male_w)
    lo = np.datetime64(birth_lo, "D").astype(np.int64)
    hi = np.datetime64(birth_hi, "D").astype(np.int64)
    born = rng.integers(lo, hi, n)
    birth = np.datetime_as_string(born.astype("datetime64[D]"))
    age_years = (Q_START.astype(np.int64) - born) / 365.25
    married = sex_f & (age_years > 27) & (rng.random(n) < 0.55)
    people: list[Person] = []
    for i in range(n):
        pool = pools.female if sex_f[i] else pools.male
        picks = fem[i] if sex_f[i] else mal[i]
        given = list(dict.fromkeys(str(pool[j]) for j in picks[: n_given[i]]))
        usage = str(pools.surnames[spouse[i]]) if married[i] else ""
        if usage == str(pools.surnames[surname[i]]):
            usage = ""
        people.append(
            Person(
                str(pools.surnames[surname[i]]),
                usage,
                given,
                "F" if sex_f[i] else "M",
                str(birth[i]),
            )
        )
    return people


def render_hr(p: Person, rng: np.random.Generator) -> Rendered:
    """HR style: upper case with accents, usual given name (sometimes all)."""
    last = p.usage_surname or p.birth_surname
    birth = p.birth_surname if p.usage_surname and rng.random() < 0.8 else ""
    first = " ".join(p.given) if rng.random() < 0.3 else p.given[0]
    return Rendered(last, birth, first)


def render_rne(p: Person, rng: np.random.Generator) -> Rendered:
    """Register of elected officials / candidate lists: usage name, first given name."""
    last = p.usage_surname or p.birth_surname
    birth = p.birth_surname if p.usage_surname and rng.random() < 0.35 else ""
    first = p.given[0] if rng.random() < 0.8 else " ".join(p.given)
    return Rendered(last, birth, first)


def render_de(p: Person, rng: np.random.Generator) -> Rendered:
    """Job-seeker file style: civil given names, accents often lost, usage/birth name mixes."""
    keep_accents = rng.random() < 0.25
    birth = p.birth_surname
    last = p.usage_surname or birth
    birth_col = ""
    if p.usage_surname:
        u = rng.random()
        if u < 0.70:
            birth_col = birth
        elif u < 0.88:
            last = birth
        else:
            sep = "-" if rng.random() < 0.5 else " "
            last = f"{p.usage_surname}{sep}{birth}"
            birth_col = birth
    given = p.given if rng.random() < 0.75 else p.given[:1]
    first = " ".join(given)
    if not keep_accents:
        last, birth_col = strip_accents(last), strip_accents(birth_col)
        if rng.random() < 0.4:
            first = strip_accents(first)
    return Rendered(last, birth_col, first)


def typo(word: str, rng: np.random.Generator) -> str:
    """One edit (substitution, deletion, doubling, transposition) inside a word of >= 5 letters."""
    if len(word) < 5:
        return word
    i = int(rng.integers(1, len(word) - 1))
    op = int(rng.integers(0, 4))
    if op == 0:
        letters = "AEIOUNRSTL" if word.isupper() else "aeiounrstl"
        return word[:i] + str(rng.choice(list(letters))) + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i + 1 :]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def inject_variant(r: Rendered, rng: np.random.Generator) -> Rendered:
    """Extra spelling noise on a sensitive person's job-seeker file (beyond the usual style)."""
    last, first, birth = r.last_name, r.first_names, r.birth_name
    u = rng.random()
    if u < 0.05:
        last = typo(last, rng)
    elif u < 0.08:
        parts = first.split(" ")
        parts[0] = typo(parts[0], rng)
        first = " ".join(parts)
    if ("-" in last or " " in last) and rng.random() < 0.5:
        last = last.replace("-", "\0").replace(" ", "-").replace("\0", " ")
    if "-" in first and rng.random() < 0.3:
        first = first.replace("-", " ", 1)
    for particle in PARTICLES:
        if last.startswith(particle) and rng.random() < 0.3:
            last = last.replace(particle, particle.strip(" -"), 1)
    return Rendered(last, birth, first)


def variant_label(ref: Rendered, de: Rendered) -> str:
    """Coarse label of how a job-seeker file spelling differs from the reference identity."""

    def surn(r: Rendered) -> set[str]:
        words = f"{r.last_name} {r.birth_name}".replace("-", " ").split()
        return {norm_key(w) for w in words if len(w) > 2}

    def given(r: Rendered) -> list[str]:
        return [norm_key(w) for w in r.first_names.replace("-", " ").split()]

    if ref.last_name == de.last_name and ref.first_names == de.first_names:
        return "exact"
    if (
        strip_accents(ref.last_name).upper() == strip_accents(de.last_name).upper()
        and strip_accents(ref.first_names).upper() == strip_accents(de.first_names).upper()
    ):
        return "accents_case"
    same_sur = norm_key(ref.last_name) == norm_key(de.last_name)
    g_ref, g_de = given(ref), given(de)
    same_given = g_ref == g_de
    if same_sur and same_given:
        return "hyphen_space"
    if not same_sur and surn(ref) & surn(de):
        return "maiden_married" if same_given else "maiden_married+given"
    if same_sur and (g_ref[: len(g_de)] == g_de or g_de[: len(g_ref)] == g_ref):
        return "extra_given_names"
    if same_sur:
        return "given_typo"
    return "surname_typo"


# ----------------------------------------------------------------------------------------------
# Scale and region
# ----------------------------------------------------------------------------------------------

AGENCY_TOWNS = {
    "69": "Lyon Part-Dieu,Lyon Vaise,Lyon Gerland,Villeurbanne,Vénissieux,Vaulx-en-Velin,Bron,"
    "Villefranche-sur-Saône,Givors,Rillieux-la-Pape,Saint-Priest",
    "38": "Grenoble Europole,Grenoble Alpes,Échirolles,Vienne,Bourgoin-Jallieu,Voiron,Villefontaine",
    "63": "Clermont-Ferrand Centre,Clermont-Ferrand Nord,Riom,Thiers,Issoire",
    "42": "Saint-Étienne Centre,Saint-Étienne Est,Roanne,Montbrison,Firminy",
    "74": "Annecy,Annemasse,Thonon-les-Bains,Cluses,Sallanches",
    "01": "Bourg-en-Bresse,Oyonnax,Ambérieu-en-Bugey,Gex",
    "26": "Valence,Romans-sur-Isère,Montélimar,Pierrelatte",
    "73": "Chambéry,Aix-les-Bains,Albertville",
    "03": "Moulins,Montluçon,Vichy",
    "07": "Privas,Annonay,Aubenas",
    "43": "Le Puy-en-Velay,Yssingeaux",
    "15": "Aurillac,Saint-Flour",
}


@dataclass(frozen=True)
class Scale:
    departments: tuple[tuple[str, int], ...]
    n_active_de: int
    n_archived_de: int
    de_per_counsellor: int
    de_per_gdd: int
    n_regional_gdd: int
    n_platform: int
    n_support: int
    n_direction: int
    n_dsi: int
    n_ex_agents: int
    n_elected: int
    n_candidates: int
    n_real_same: int
    n_national_agents: int
    n_other_region_de: int
    n_truth: int


SCALES = {
    "region": Scale(
        departments=(
            ("69", 10),
            ("38", 7),
            ("63", 5),
            ("42", 5),
            ("74", 5),
            ("01", 4),
            ("26", 4),
            ("73", 3),
            ("03", 3),
            ("07", 3),
            ("43", 2),
            ("15", 2),
        ),
        n_active_de=375_000,
        n_archived_de=38_000,
        de_per_counsellor=123,
        de_per_gdd=440,
        n_regional_gdd=60,
        n_platform=320,
        n_support=240,
        n_direction=55,
        n_dsi=24,
        n_ex_agents=1_700,
        n_elected=8_000,
        n_candidates=700,
        n_real_same=70,
        n_national_agents=60,
        n_other_region_de=8_000,
        n_truth=1_000,
    ),
    "small": Scale(
        departments=(("69", 3), ("01", 2), ("73", 1)),
        n_active_de=19_000,
        n_archived_de=1_900,
        de_per_counsellor=123,
        de_per_gdd=440,
        n_regional_gdd=3,
        n_platform=16,
        n_support=12,
        n_direction=3,
        n_dsi=3,
        n_ex_agents=85,
        n_elected=400,
        n_candidates=40,
        n_real_same=12,
        n_national_agents=5,
        n_other_region_de=400,
        n_truth=50,
    ),
}

JOBS = ("conseiller", "gdd", "manager", "plateforme", "support", "direction")
J_CONS, J_GDD, J_MGR, J_PLAT, J_SUP, J_DIR = range(6)
MODALITIES = ("suivi", "guide", "renforce", "global", "cej")
MODALITY_P = (0.38, 0.33, 0.16, 0.05, 0.08)


@dataclass(frozen=True)
class Region:
    dept_codes: list[str]
    agency_ids: list[str]
    agency_names: list[str]
    agency_dept: np.ndarray
    agency_weight: np.ndarray


def build_region(rng: np.random.Generator, scale: Scale) -> Region:
    codes: list[str] = []
    ids: list[str] = []
    names: list[str] = []
    dept: list[int] = []
    for d_idx, (code, n_ag) in enumerate(scale.departments):
        codes.append(code)
        towns = AGENCY_TOWNS[code].split(",")
        for k in range(n_ag):
            ids.append(f"{code}{int(rng.integers(100, 999))}{k}")
            names.append(f"France Travail {towns[k % len(towns)]}")
            dept.append(d_idx)
    weight = rng.lognormal(0.0, 0.45, len(ids))
    return Region(codes, ids, names, np.array(dept), weight / weight.sum())


# ----------------------------------------------------------------------------------------------
# Agents
# ----------------------------------------------------------------------------------------------


@dataclass
class Agents:
    ids: np.ndarray
    job: np.ndarray
    agency: np.ndarray  # -1 outside agencies
    dept: np.ndarray  # departement index of the site (-1 region-wide)
    estab: list[str]
    subrole: np.ndarray  # support: 0 CRE, 1 mediation, 2 other; DSI flag = 3
    hired: np.ndarray  # day offset
    left: np.ndarray  # day offset, NEVER if still employed
    people: list[Person]
    hr: list[Rendered]
    start_min: np.ndarray
    lunch_start: np.ndarray
    lunch_end: np.ndarray
    end_min: np.ndarray
    friday_end: np.ndarray
    workdays: np.ndarray  # (n, 7) bool
    evening_rate: np.ndarray
    weekend_days: np.ndarray  # number of weekend days worked in the quarter
    declared: list[str]
    declared_kind: list[str]
    second_agency: np.ndarray  # managers running a second site, else -1
    renfort_agency: np.ndarray
    renfort_days: np.ndarray  # (first, last) day offsets or (-1, -1)
    present: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    next_present: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int16))
    prev_present: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.int16))

    @property
    def n(self) -> int:
        return len(self.ids)


def random_ids(
    rng: np.random.Generator, n: int, prefix: str, width: int, taken: set[str]
) -> list[str]:
    """Unique random alphanumeric ids (order carries no information)."""
    alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    out: list[str] = []
    while len(out) < n:
        block = rng.choice(alphabet, (n - len(out) + 16, width))
        for row in block:
            s = prefix + "".join(row)
            if s not in taken:
                taken.add(s)
                out.append(s)
                if len(out) == n:
                    break
    return out


def pattern_text(days: np.ndarray, start: int, l0: int, l1: int, end: int, fri_end: int) -> str:
    """Serialise a weekly schedule in the contract's work_pattern syntax."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

    def hm(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    def ranges(e: int) -> str:
        return f"{hm(start)}-{hm(l0)},{hm(l1)}-{hm(e)}"

    worked = [i for i in range(5) if days[i]]
    normal = [i for i in worked if i != 4 or fri_end == end]
    groups: list[str] = []
    if normal:
        if normal == list(range(normal[0], normal[-1] + 1)) and len(normal) > 1:
            label = f"{names[normal[0]]}-{names[normal[-1]]}"
        else:
            label = "/".join(names[i] for i in normal)
        groups.append(f"{label} {ranges(end)}")
    if days[4] and fri_end != end:
        groups.append(f"fri {ranges(fri_end)}")
    return ";".join(groups)


def assign_schedules(rng: np.random.Generator, job: np.ndarray) -> dict[str, np.ndarray]:
    """True weekly schedules: start/lunch/end minutes, part-time day off, off-hours habits."""
    n = len(job)
    start = rng.choice([450, 480, 510, 540], n, p=[0.1, 0.3, 0.45, 0.15])
    plat = job == J_PLAT
    start[plat] = rng.choice([480, 570], int(plat.sum()))
    lunch_start = np.where(start <= 480, 720, 750) + rng.choice([0, 0, 15, -15], n)
    lunch_len = rng.choice([45, 60, 75, 90], n, p=[0.2, 0.4, 0.2, 0.2])
    lunch_end = lunch_start + lunch_len
    end = start + 480 + lunch_len + rng.choice([-30, 0, 0, 30], n)
    friday_end = np.where(rng.random(n) < 0.4, end - 60, end)
    workdays = np.zeros((n, 7), bool)
    workdays[:, :5] = True
    part = rng.random(n) < 0.15
    off = rng.choice([2, 4, 0], n, p=[0.6, 0.25, 0.15])
    workdays[np.flatnonzero(part), off[part]] = False
    manager_like = np.isin(job, [J_MGR, J_DIR])
    evening_rate = np.where(
        rng.random(n) < np.where(manager_like, 0.45, 0.08),
        rng.uniform(0.05, np.where(manager_like, 0.30, 0.15)),
        0.0,
    )
    weekend_days = np.where(
        rng.random(n) < np.where(manager_like, 0.15, 0.03), rng.integers(1, 4, n), 0
    )
    return {
        "start": start,
        "lunch_start": lunch_start,
        "lunch_end": lunch_end,
        "end": end,
        "friday_end": friday_end,
        "workdays": workdays,
        "part": part,
        "evening_rate": evening_rate,
        "weekend_days": weekend_days,
    }


def declared_patterns(
    rng: np.random.Generator, s: dict[str, np.ndarray]
) -> tuple[list[str], list[str]]:
    """What HR declares: mostly the truth, sometimes empty, sometimes outdated or wrong."""
    n = len(s["start"])
    out: list[str] = []
    kinds: list[str] = []
    u = rng.random(n)
    for i in range(n):
        days = s["workdays"][i]
        args = (int(s["start"][i]), int(s["lunch_start"][i]), int(s["lunch_end"][i]))
        end, fri = int(s["end"][i]), int(s["friday_end"][i])
        if u[i] < 0.70:
            out.append(pattern_text(days, *args, end, fri))
            kinds.append("exact")
        elif u[i] < 0.90:
            out.append("")
            kinds.append("empty")
        else:
            wrong = days.copy()
            if s["part"][i]:
                wrong[:5] = True  # declared full time, works part time: harmless
                shift = 0
            else:
                shift = int(rng.choice([-60, 60, 90]))
                if rng.random() < 0.4:
                    wrong[2] = False  # outdated part-time declaration
            a0, l0, l1 = (args[0] + shift, args[1], args[2])
            e = min(end + shift, 1380)
            out.append(pattern_text(wrong, a0, l0, l1, e, min(fri + shift, e)))
            kinds.append("wrong")
    return out, kinds


def build_agents(
    rng: np.random.Generator, scale: Scale, region: Region, pools: NamePools, taken: set[str]
) -> Agents:
    """Current staff (agencies, DR, 3949 platform, DSI/DG) and ex-agents, with schedules."""
    n_ag = len(region.agency_ids)
    agency_de = region.agency_weight * scale.n_active_de
    job_l: list[np.ndarray] = []
    agency_l: list[np.ndarray] = []
    for a in range(n_ag):
        n_cons = max(3, round(agency_de[a] / scale.de_per_counsellor))
        n_gdd = max(1, round(agency_de[a] / scale.de_per_gdd))
        n_mgr = 3 + round(agency_de[a] / 2500)
        jobs = np.repeat([J_CONS, J_GDD, J_MGR], [n_cons, n_gdd, n_mgr])
        job_l.append(jobs)
        agency_l.append(np.full(len(jobs), a))
    regional = np.repeat(
        [J_GDD, J_PLAT, J_SUP, J_DIR, J_SUP],
        [scale.n_regional_gdd, scale.n_platform, scale.n_support, scale.n_direction, scale.n_dsi],
    )
    job = np.concatenate([*job_l, regional]).astype(np.int8)
    agency = np.concatenate([*agency_l, np.full(len(regional), -1)]).astype(np.int32)
    n_current = len(job)
    subrole = np.full(n_current, -1, np.int8)
    sup = np.flatnonzero(job == J_SUP)
    subrole[sup] = rng.choice([0, 1, 2], len(sup), p=[0.4, 0.2, 0.4])
    subrole[len(job) - scale.n_dsi :] = 3
    estab = ["DR84"] * n_current
    for i in np.flatnonzero(job == J_PLAT):
        estab[i] = "PES84"
    for i in range(n_current - scale.n_dsi, n_current):
        estab[i] = "DSI" if (i % 3) else "DG"

    # ex-agents: mostly fixed-term contracts that ended, with their last agency
    n_ex = scale.n_ex_agents
    ex_job = rng.choice(
        [J_CONS, J_GDD, J_MGR, J_PLAT, J_SUP], n_ex, p=[0.62, 0.18, 0.04, 0.12, 0.04]
    )
    ex_agency = np.where(
        np.isin(ex_job, [J_CONS, J_GDD, J_MGR]),
        rng.choice(n_ag, n_ex, p=region.agency_weight),
        -1,
    )
    job = np.concatenate([job, ex_job]).astype(np.int8)
    agency = np.concatenate([agency, ex_agency]).astype(np.int32)
    subrole = np.concatenate([subrole, np.where(ex_job == J_SUP, 2, -1)]).astype(np.int8)
    estab += ["PES84" if j == J_PLAT else "DR84" for j in ex_job]
    n = len(job)
    dept = np.where(agency >= 0, region.agency_dept[np.maximum(agency, 0)], -1)
    plat = np.flatnonzero(job == J_PLAT)
    dept[plat] = rng.integers(0, len(region.dept_codes), len(plat))  # platform site

    people = draw_people(rng, pools, n, "1960-01-01", "2002-06-30")
    born = np.array([p.birth_date for p in people], dtype="datetime64[D]")
    adult = (born - Q_START).astype(np.int64) + 20 * 365  # day offset of the 20th birthday
    hired = -rng.integers(30, np.maximum(31, -adult), n)
    left = np.full(n, NEVER, np.int64)
    ex = np.arange(n_current, n)
    left[ex] = np.minimum(np.maximum(-rng.integers(1, 5 * 365, n_ex), adult[ex] + 120), -1)
    hired[ex] = np.maximum(left[ex] - rng.integers(90, 3 * 365, n_ex), adult[ex])
    cur = np.arange(n_current)
    leavers = cur[(rng.random(n_current) < 0.02) & (job[:n_current] != J_DIR)]
    left[leavers] = rng.integers(5, N_DAYS - 3, len(leavers))
    newcomers = cur[(rng.random(n_current) < 0.02) & (job[:n_current] <= J_GDD)]
    newcomers = np.setdiff1d(newcomers, leavers)
    hired[newcomers] = rng.integers(0, N_DAYS - 15, len(newcomers))

    hr = [render_hr(p, rng) for p in people]
    sched = assign_schedules(rng, job)
    declared, declared_kind = declared_patterns(rng, sched)
    second = np.full(n, -1, np.int32)
    for i in np.flatnonzero((job == J_MGR) & (agency >= 0) & (rng.random(n) < 0.12)):
        same = np.flatnonzero(region.agency_dept == region.agency_dept[agency[i]])
        others = same[same != agency[i]]
        if len(others):
            second[i] = int(rng.choice(others))
    renfort = np.full(n, -1, np.int32)
    renfort_days = np.full((n, 2), -1, np.int64)
    for i in np.flatnonzero((job == J_CONS) & (np.arange(n) < n_current) & (rng.random(n) < 0.03)):
        same = np.flatnonzero(region.agency_dept == region.agency_dept[agency[i]])
        others = same[same != agency[i]]
        if len(others):
            renfort[i] = int(rng.choice(others))
            first = int(rng.integers(7, N_DAYS - 20))
            renfort_days[i] = (first, first + int(rng.integers(6, 16)))
    ids = np.array(random_ids(rng, n, "", 7, taken), dtype=object)
    return Agents(
        ids=ids,
        job=job,
        agency=agency,
        dept=dept,
        estab=estab,
        subrole=subrole,
        hired=hired,
        left=left,
        people=people,
        hr=hr,
        start_min=sched["start"],
        lunch_start=sched["lunch_start"],
        lunch_end=sched["lunch_end"],
        end_min=sched["end"],
        friday_end=sched["friday_end"],
        workdays=sched["workdays"],
        evening_rate=sched["evening_rate"],
        weekend_days=sched["weekend_days"],
        declared=declared,
        declared_kind=declared_kind,
        second_agency=second,
        renfort_agency=renfort,
        renfort_days=renfort_days,
    )


def compute_presence(rng: np.random.Generator, ag: Agents, cal: Calendar) -> None:
    """Days each agent actually works: schedule, tenure, leave, bridges, sickness."""
    n = ag.n
    days = np.arange(N_DAYS)
    present = ag.workdays[:, cal.weekday] & ~cal.holiday[None, :]
    present &= (days[None, :] >= ag.hired[:, None]) & (days[None, :] <= ag.left[:, None])
    school0, school1 = day_index(SCHOOL_HOLIDAYS[0]), day_index(SCHOOL_HOLIDAYS[1])
    block = rng.random(n)
    start = np.where(
        block < 0.55,
        rng.integers(school0, school1 - 5, n),
        np.where(block < 0.8, rng.integers(day_index("2024-06-03"), N_DAYS - 7, n), -99),
    )
    leave = (days[None, :] >= start[:, None]) & (days[None, :] < start[:, None] + 7)
    sick = rng.random(n) < 0.02
    sick_start = rng.integers(0, N_DAYS - 10, n)
    sick_len = rng.integers(15, 40, n)
    leave |= (
        sick[:, None]
        & (days[None, :] >= sick_start[:, None])
        & (days[None, :] < (sick_start + sick_len)[:, None])
    )
    leave |= rng.random((n, N_DAYS)) < 0.04
    bridge = day_index(BRIDGE_DAY)
    leave[:, bridge] |= rng.random(n) < 0.5
    present &= ~leave
    ag.present = present
    nxt = np.full((n, N_DAYS + 1), N_DAYS, np.int16)
    prv = np.full((n, N_DAYS + 1), -1, np.int16)
    for d in range(N_DAYS - 1, -1, -1):
        nxt[:, d] = np.where(present[:, d], d, nxt[:, d + 1])
    for d in range(N_DAYS):
        prv[:, d] = np.where(present[:, d], d, prv[:, d - 1] if d else -1)
    prv[:, N_DAYS] = prv[:, N_DAYS - 1]
    ag.next_present = nxt
    ag.prev_present = prv


def work_second(
    rng: np.random.Generator, ag: Agents, agent: np.ndarray, day: np.ndarray, cal: Calendar
) -> np.ndarray:
    """Random second of day inside the agent's working hours on that day."""
    start = ag.start_min[agent]
    l0 = ag.lunch_start[agent]
    l1 = ag.lunch_end[agent]
    wd = cal.weekday[np.clip(day, 0, N_DAYS - 1)]
    end = np.where(wd == 4, ag.friday_end[agent], ag.end_min[agent])
    morning = l0 - start
    total = morning + (end - l1)
    u = rng.random(len(agent)) * total
    minute = np.where(u < morning, start + u, l1 + (u - morning))
    return (minute * 60).astype(np.int64)


def present_on_or_after(ag: Agents, agent: np.ndarray, day: np.ndarray) -> np.ndarray:
    return ag.next_present[agent, np.clip(day, 0, N_DAYS)].astype(np.int64)


def present_on_or_before(ag: Agents, agent: np.ndarray, day: np.ndarray) -> np.ndarray:
    return ag.prev_present[agent, np.clip(day, 0, N_DAYS)].astype(np.int64)


# ----------------------------------------------------------------------------------------------
# Protected persons and linked identities
# ----------------------------------------------------------------------------------------------


@dataclass
class ProtectedRow:
    person_id: str
    category: str
    rendered: Rendered
    sex: str
    birth_date: str
    dept_code: str
    valid_from: str
    valid_to: str


@dataclass
class SpecialFile:
    """A job-seeker file tied to a sensitive person, or a hard negative."""

    role: str  # agent, ex_agent, protected, homonym_agent, homonym_protected, different_protected
    rendered: Rendered
    sex: str
    birth_date: str
    dept: int  # departement index
    agency_hint: int  # preferred agency or -1
    active: bool
    ref_label: str  # identity variant or pairs_dev reference
    agent: int = -1  # agents index for agent / ex_agent files
    protected: list[int] = field(default_factory=list)  # indices into protected rows
    reg_day: int = 0
    dereg_day: int = NEVER


def read_pairs(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def guess_sex(first_names: str, pools: NamePools) -> str:
    first = first_names.split(" ")[0].strip(",")
    lower = {strip_accents(str(x)).lower() for x in pools.female}
    if strip_accents(first).lower() in lower:
        return "F"
    if strip_accents(first).lower() in {strip_accents(str(x)).lower() for x in pools.male}:
        return "M"
    return ""


def real_protected(
    rng: np.random.Generator,
    scale: Scale,
    region: Region,
    pairs: Sequence[dict[str, str]],
    pools: NamePools,
    rows: list[ProtectedRow],
    files: list[SpecialFile],
    taken: set[str],
) -> None:
    """Protected persons and job-seeker files from real pairs whose watch-list side is in the region."""
    dept_of = {c: i for i, c in enumerate(region.dept_codes)}
    usable = [
        r for r in pairs if r["right_department"] in dept_of and r["left_source"] != "an_deputes_16"
    ]
    watch: dict[tuple[str, str, str], int] = {}
    cand: dict[tuple[str, str], int] = {}

    def add_row(source: str, last: str, first: str, birth: str, dept: str, category: str) -> int:
        key = (norm_key(last + first), birth, category)
        if key in watch:
            return watch[key]
        pid = random_ids(rng, 1, "PP", 8, taken)[0]
        if category == "candidate":
            vf, vt = CANDIDATE_FROM, CANDIDATE_TO
        elif source == "rne_cd_2021":
            vf, vt = "2021-07-01", ""
        else:
            vf, vt = "2020-05-23", ""
        rows.append(
            ProtectedRow(
                pid,
                category,
                Rendered(last, "", first),
                guess_sex(first, pools),
                birth,
                dept,
                vf,
                vt,
            )
        )
        watch[key] = len(rows) - 1
        return len(rows) - 1

    for r in usable:
        add_row(
            r["right_source"],
            r["right_last_name"],
            r["right_first_names"],
            r["right_birth_date"],
            r["right_department"],
            "elected",
        )
    same = [r for r in usable if r["label"] == "same"]
    chosen = [same[i] for i in rng.permutation(len(same))[: scale.n_real_same]]
    chosen += [r for r in usable if r["label"] == "same_variant"]
    negatives = [r for r in usable if r["label"] in ("homonym", "different")]
    used: set[tuple[str, str]] = set()
    for r in chosen + negatives:
        left_key = (norm_key(r["left_last_name"] + r["left_first_names"]), r["left_birth_date"])
        if left_key in used:
            continue
        used.add(left_key)
        positive = r["label"] in ("same", "same_variant")
        prot: list[int] = []
        if positive:
            prot.append(
                watch[
                    (
                        norm_key(r["right_last_name"] + r["right_first_names"]),
                        r["right_birth_date"],
                        "elected",
                    )
                ]
            )
            if r["left_source"] == "cand_leg2024_t1":
                key = left_key
                if key not in cand:
                    cand[key] = add_row(
                        r["left_source"],
                        r["left_last_name"],
                        r["left_first_names"],
                        r["left_birth_date"],
                        r["right_department"],
                        "candidate",
                    )
                prot.append(cand[key])
        role = (
            "protected"
            if positive
            else ("homonym_protected" if r["label"] == "homonym" else "different_protected")
        )
        if not positive:  # the watch-list person this file must NOT be matched to
            right_key = norm_key(r["right_last_name"] + r["right_first_names"])
            prot.append(watch[(right_key, r["right_birth_date"], "elected")])
        files.append(
            SpecialFile(
                role=role,
                rendered=Rendered(r["left_last_name"], "", r["left_first_names"]),
                sex=guess_sex(r["left_first_names"], pools),
                birth_date=r["left_birth_date"],
                dept=dept_of[r["right_department"]],
                agency_hint=-1,
                active=rng.random() < 0.75,
                ref_label=f"pairs_dev:{r['pair_id']}:{r['label']}",
                protected=prot,
            )
        )


def synthetic_protected(
    rng: np.random.Generator,
    scale: Scale,
    region: Region,
    pools: NamePools,
    rows: list[ProtectedRow],
    files: list[SpecialFile],
    taken: set[str],
) -> None:
    """Synthetic elected officials and candidates; some are (or were) job seekers."""
    n_e, n_c = scale.n_elected, scale.n_candidates
    people = draw_people(rng, pools, n_e + n_c, "1944-01-01", "2000-12-31")
    ids = random_ids(rng, n_e + n_c, "PP", 8, taken)
    depts = rng.choice(len(region.dept_codes), n_e + n_c, p=dept_weights(region))
    for i, p in enumerate(people):
        elected = i < n_e
        vf, vt = ("2020-05-23", "") if elected else (CANDIDATE_FROM, CANDIDATE_TO)
        if elected:
            u = rng.random()
            if u < 0.6:
                vf = "2020-05-23"
            elif u < 0.75:
                vf = "2021-07-01"
            elif u < 0.97:
                vf = str(rng.choice(["2020-07-10", "2021-07-02", "2022-10-16", "2023-03-19"]))
            elif u < 0.985:
                vt = str(np.datetime64("2023-01-01") + int(rng.integers(0, 400)))  # resigned
            else:
                vf = str(np.datetime64("2024-04-15") + int(rng.integers(0, 60)))  # by-election
        rendered = render_rne(p, rng)
        rows.append(
            ProtectedRow(
                ids[i],
                "elected" if elected else "candidate",
                rendered,
                p.sex if rng.random() < 0.9 else "",
                p.birth_date,
                region.dept_codes[depts[i]],
                vf,
                vt,
            )
        )
        age_ok = p.birth_date > "1958-06-30"
        in_office = vt == "" and vf < "2024-04-01"
        if age_ok and rng.random() < (0.035 if elected else 0.06):
            de = inject_variant(render_de(p, rng), rng)
            role = "protected" if (in_office or not elected) else "former_or_future_protected"
            files.append(
                SpecialFile(
                    role,
                    de,
                    p.sex,
                    p.birth_date,
                    int(depts[i]),
                    -1,
                    rng.random() < 0.75,
                    variant_label(rendered, de),
                    protected=[len(rows) - 1],
                )
            )
        if age_ok and rng.random() < 0.03:
            files.append(
                homonym_file(rng, p, rendered, int(depts[i]), "homonym_protected", len(rows) - 1)
            )


def homonym_file(
    rng: np.random.Generator, p: Person, shown: Rendered, dept: int, role: str, link: int
) -> SpecialFile:
    """Same written name as a sensitive person, clearly different birth date."""
    year = int(p.birth_date[:4])
    new_year = year + int(rng.choice([-1, 1])) * int(rng.integers(3, 15))
    new_year = min(max(new_year, 1958), 2005)
    if abs(new_year - year) < 3:
        new_year = year + 3 if year + 3 <= 2005 else year - 3
    month = (int(p.birth_date[5:7]) + int(rng.integers(1, 11)) - 1) % 12 + 1
    day = int(rng.integers(1, 28))
    rendered = Rendered(strip_accents(shown.last_name).upper(), "", shown.first_names)
    f = SpecialFile(
        role,
        rendered,
        p.sex,
        f"{new_year:04d}-{month:02d}-{day:02d}",
        dept,
        -1,
        rng.random() < 0.8,
        "homonym",
    )
    if role == "homonym_agent":
        f.agent = link
    else:
        f.protected = [link]
    return f


def dept_weights(region: Region) -> np.ndarray:
    w = np.bincount(
        region.agency_dept, weights=region.agency_weight, minlength=len(region.dept_codes)
    )
    return w / w.sum()


def agent_files(
    rng: np.random.Generator, ag: Agents, region: Region, files: list[SpecialFile]
) -> None:
    """Job-seeker files of agents (hired from unemployment, fixed-term) and of ex-agents."""
    for i in range(ag.n):
        p = ag.people[i]
        is_ex = ag.left[i] < 0
        leaver = 0 <= ag.left[i] < NEVER
        prob = 0.5 if is_ex else (0.6 if leaver else 0.22)
        if rng.random() >= prob:
            if rng.random() < 0.02:
                files.append(
                    homonym_file(rng, p, ag.hr[i], max(int(ag.dept[i]), 0), "homonym_agent", i)
                )
            continue
        de = inject_variant(render_de(p, rng), rng)
        home_dept = (
            int(ag.dept[i]) if ag.dept[i] >= 0 else int(rng.integers(0, len(region.dept_codes)))
        )
        if rng.random() < 0.15:
            home_dept = int(rng.integers(0, len(region.dept_codes)))
        hint = int(ag.agency[i]) if (ag.agency[i] >= 0 and rng.random() < 0.35) else -1
        if hint >= 0:
            home_dept = int(region.agency_dept[hint])
        f = SpecialFile(
            "ex_agent" if is_ex else "agent",
            de,
            p.sex,
            p.birth_date,
            home_dept,
            hint,
            False,
            variant_label(ag.hr[i], de),
            agent=i,
        )
        if is_ex or leaver:
            f.reg_day = int(ag.left[i] + rng.integers(1, 30))
            f.active = f.reg_day <= N_DAYS - 1 and rng.random() < 0.7
            f.dereg_day = NEVER if f.active else int(f.reg_day + rng.integers(60, 400))
            if not f.active and f.dereg_day >= 0:
                f.dereg_day = -int(rng.integers(1, 60))
                f.reg_day = min(f.reg_day, f.dereg_day - 30)
        elif ag.hired[i] >= 0:  # newcomer: file active until hiring
            f.reg_day = int(ag.hired[i] - rng.integers(60, 700))
            f.dereg_day = int(ag.hired[i])
            f.active = True
        elif rng.random() < 0.15:  # fixed-term agent still registered
            f.reg_day = int(-rng.integers(30, 900))
            f.active = True
        else:  # archived before hiring
            f.dereg_day = int(max(ag.hired[i], -1400) - rng.integers(0, 20))
            f.reg_day = int(f.dereg_day - rng.integers(40, 600))
        files.append(f)


# ----------------------------------------------------------------------------------------------
# Job seekers
# ----------------------------------------------------------------------------------------------


@dataclass
class JobSeekers:
    ids: np.ndarray
    agency: np.ndarray
    dept: np.ndarray
    reg: np.ndarray
    dereg: np.ndarray
    modality: np.ndarray
    referent: np.ndarray  # current referent (agent index, -1 none, -2 other region)
    old_referent: np.ndarray
    change_day: np.ndarray  # day the current referent took over (0 if before quarter)
    old_agency: np.ndarray
    last_name: list[str]
    birth_name: list[str]
    first_names: list[str]
    birth_date: np.ndarray  # ISO strings
    sex: list[str]
    commune: list[str]
    name_group: np.ndarray  # homonym group id (same written surname + first given name)
    surname_group: np.ndarray
    special: list[SpecialFile]
    special_index: np.ndarray  # de index of each special file
    de_role: np.ndarray  # role code per file (0 plain)

    @property
    def n(self) -> int:
        return len(self.ids)

    def active_in_quarter(self) -> np.ndarray:
        return (self.reg <= N_DAYS - 1) & (self.dereg >= 0)


ROLE_CODES = {
    "plain": 0,
    "agent": 1,
    "ex_agent": 2,
    "protected": 3,
    "former_or_future_protected": 4,
    "homonym_agent": 5,
    "homonym_protected": 6,
    "different_protected": 7,
}


def plain_dates(
    rng: np.random.Generator, n_active: int, n_archived: int
) -> tuple[np.ndarray, np.ndarray]:
    """Registration/deregistration day offsets: stock, new registrants, leavers, archives."""
    reg = np.empty(n_active + n_archived, np.int64)
    dereg = np.full(n_active + n_archived, NEVER, np.int64)
    new = rng.random(n_active) < 0.19
    reg[:n_active] = np.where(
        new, rng.integers(0, N_DAYS, n_active), -rng.exponential(420, n_active).astype(np.int64) - 1
    )
    leaving = rng.random(n_active) < 0.18
    dereg[:n_active] = np.where(
        leaving, np.maximum(reg[:n_active] + 20, rng.integers(0, N_DAYS, n_active)), NEVER
    )
    dereg[:n_active] = np.where(dereg[:n_active] >= N_DAYS, NEVER, dereg[:n_active])
    arch = slice(n_active, None)
    dereg[arch] = -rng.integers(1, 1200, n_archived)
    reg[arch] = dereg[arch] - rng.integers(40, 900, n_archived)
    return reg, dereg


def build_job_seekers(
    rng: np.random.Generator,
    scale: Scale,
    region: Region,
    pools: NamePools,
    specials: list[SpecialFile],
    taken: set[str],
) -> JobSeekers:
    """Plain files (synthetic people) plus the special files, shuffled, with agencies and dates."""
    n_plain = scale.n_active_de + scale.n_archived_de
    people = draw_people(rng, pools, n_plain, "1958-07-01", "2008-03-31")
    rendered = [render_de(p, rng) for p in people]
    reg, dereg = plain_dates(rng, scale.n_active_de, scale.n_archived_de)
    agency = rng.choice(len(region.agency_ids), n_plain, p=region.agency_weight)
    sex = [p.sex for p in people]
    birth = [p.birth_date for p in people]
    role = [0] * n_plain
    extra_agency: list[int] = []
    extra_reg: list[int] = []
    extra_dereg: list[int] = []
    for f in specials:
        if f.agency_hint >= 0:
            ag_idx = f.agency_hint
        else:
            in_dept = np.flatnonzero(region.agency_dept == f.dept)
            w = region.agency_weight[in_dept]
            ag_idx = int(rng.choice(in_dept, p=w / w.sum()))
        if f.role not in ("agent", "ex_agent"):
            if f.active:
                f.reg_day = (
                    int(-rng.exponential(300)) - 1
                    if rng.random() < 0.8
                    else int(rng.integers(0, 60))
                )
                f.dereg_day = NEVER
            else:
                f.dereg_day = -int(rng.integers(1, 900))
                f.reg_day = f.dereg_day - int(rng.integers(60, 700))
        rendered.append(f.rendered)
        sex.append(f.sex)
        birth.append(f.birth_date)
        extra_agency.append(ag_idx)
        extra_reg.append(f.reg_day)
        extra_dereg.append(f.dereg_day)
        role.append(ROLE_CODES[f.role])
    agency = np.concatenate([agency, np.array(extra_agency, np.int64)])
    reg = np.concatenate([reg, np.array(extra_reg, np.int64)])
    dereg = np.concatenate([dereg, np.array(extra_dereg, np.int64)])
    n = len(rendered)
    order = rng.permutation(n)
    rendered = [rendered[i] for i in order]
    sex = [sex[i] for i in order]
    birth_arr = np.array(birth, dtype=object)[order]
    agency, reg, dereg = agency[order], reg[order], dereg[order]
    role_arr = np.array(role, np.int8)[order]
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    special_index = inverse[n_plain:]
    ids = np.array(
        [
            f"{int(x):07d}{c}"
            for x, c in zip(
                rng.choice(9_000_000, n, replace=False) + 1_000_000,
                rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ"), n),
                strict=True,
            )
        ],
        dtype=object,
    )
    dept = region.agency_dept[agency]
    commune = [
        f"{region.dept_codes[d]}{c:03d}" for d, c in zip(dept, rng.integers(1, 400, n), strict=True)
    ]
    first_given = [r.first_names.split(" ")[0] for r in rendered]
    name_keys = np.array(
        [
            norm_key(r.last_name) + "|" + norm_key(g)
            for r, g in zip(rendered, first_given, strict=True)
        ]
    )
    _, name_group = np.unique(name_keys, return_inverse=True)
    _, surname_group = np.unique(
        np.array([norm_key(r.last_name) for r in rendered]), return_inverse=True
    )
    modality = rng.choice(len(MODALITIES), n, p=MODALITY_P).astype(np.int8)
    return JobSeekers(
        ids=ids,
        agency=agency.astype(np.int32),
        dept=dept,
        reg=reg,
        dereg=dereg,
        modality=modality,
        referent=np.full(n, -1, np.int64),
        old_referent=np.full(n, -1, np.int64),
        change_day=np.zeros(n, np.int64),
        old_agency=np.full(n, -1, np.int64),
        last_name=[r.last_name for r in rendered],
        birth_name=[r.birth_name for r in rendered],
        first_names=[r.first_names for r in rendered],
        birth_date=birth_arr,
        sex=sex,
        commune=commune,
        name_group=name_group,
        surname_group=surname_group,
        special=specials,
        special_index=special_index,
        de_role=role_arr,
    )


def assign_referents(rng: np.random.Generator, js: JobSeekers, ag: Agents, region: Region) -> None:
    """Referent counsellors by agency; mid-quarter referent changes and agency moves."""
    cons = np.flatnonzero((ag.job == J_CONS) & (ag.left >= 0) & (ag.agency >= 0))
    by_agency = [cons[ag.agency[cons] == a] for a in range(len(region.agency_ids))]
    active = js.active_in_quarter()
    has_ref = active & (rng.random(js.n) < 0.92)
    for a, members in enumerate(by_agency):
        idx = np.flatnonzero(has_ref & (js.agency == a))
        if len(members) == 0 or len(idx) == 0:
            continue
        staying = members[ag.left[members] >= NEVER]
        pool = staying if len(staying) else members
        js.referent[idx] = rng.choice(pool, len(idx))
        # leavers' portfolios were reassigned on their departure day
        old_pool = members[ag.left[members] < NEVER]
        if len(old_pool):
            moved = idx[rng.random(len(idx)) < len(old_pool) / len(members)]
            js.old_referent[moved] = rng.choice(old_pool, len(moved))
            js.change_day[moved] = ag.left[js.old_referent[moved]] + 1
        # rebalancing within the agency
        change = idx[(rng.random(len(idx)) < 0.04) & (js.old_referent[idx] < 0)]
        js.old_referent[change] = rng.choice(members, len(change))
        js.change_day[change] = rng.integers(5, N_DAYS - 5, len(change))
    # never your own file: reassign if referent is the person of the file
    for k, f in zip(js.special_index, js.special, strict=True):
        if f.agent >= 0 and f.role in ("agent", "ex_agent"):
            for arr in (js.referent, js.old_referent):
                if arr[k] == f.agent:
                    pool = by_agency[js.agency[k]]
                    pool = pool[pool != f.agent]
                    arr[k] = int(rng.choice(pool)) if len(pool) else -1
    same = js.old_referent == js.referent
    js.old_referent[same] = -1
    # moves between agencies: the old agency's referent worked on the file before the move
    movers = np.flatnonzero(
        has_ref & (js.reg < 0) & (rng.random(js.n) < 0.015) & (js.old_referent < 0)
    )
    for k in movers:
        d = region.agency_dept[js.agency[k]]
        same_d = np.flatnonzero(region.agency_dept == d)
        choices = (
            same_d[same_d != js.agency[k]]
            if rng.random() < 0.7
            else np.arange(len(region.agency_ids))
        )
        choices = choices[choices != js.agency[k]]
        if len(choices) == 0:
            continue
        old = int(rng.choice(choices))
        if len(by_agency[old]) == 0:
            continue
        js.old_agency[k] = old
        js.old_referent[k] = int(rng.choice(by_agency[old]))
        js.change_day[k] = int(rng.integers(10, N_DAYS - 10))
    # a few referents belong to another region (unresolved ids)
    js.referent[has_ref & (rng.random(js.n) < 0.003)] = -2
    # referents of files deregistered before the quarter are cleared
    js.referent[~active] = -1
    js.old_referent[~active] = -1


# ----------------------------------------------------------------------------------------------
# Sessions (legitimate work and misuse) and context records
# ----------------------------------------------------------------------------------------------

SOURCES = (
    # name, explanation, mean events, p_edit, p_print, p_export
    ("appointment_prep", "strong", 3.0, 0.05, 0.0, 0.0),
    ("appointment_during", "strong", 6.5, 0.35, 0.03, 0.0),
    ("appointment_after", "strong", 3.0, 0.5, 0.02, 0.0),
    ("referent_desk", "strong", 5.8, 0.15, 0.01, 0.0),
    ("previous_referent_same_agency", "weak", 5.0, 0.15, 0.01, 0.0),
    ("previous_referent_other_agency", "none", 5.0, 0.15, 0.01, 0.0),
    ("covering_colleague", "weak", 3.5, 0.10, 0.01, 0.0),
    ("partner_request_same_agency", "weak", 3.0, 0.05, 0.02, 0.0),
    ("partner_request_other_agency", "none", 3.0, 0.05, 0.02, 0.0),
    ("task", "strong", 6.5, 0.30, 0.04, 0.0),
    ("task_without_de", "none", 3.0, 0.10, 0.02, 0.0),
    ("gdd_queue_own_agency", "weak", 3.5, 0.20, 0.02, 0.0),
    ("gdd_queue_pooled", "none", 3.5, 0.20, 0.02, 0.0),
    ("call", "strong", 4.5, 0.10, 0.005, 0.0),
    ("call_surfaced_other_file", "strong", 1.0, 0.0, 0.0, 0.0),
    ("call_after_household_file", "weak", 4.5, 0.10, 0.005, 0.0),
    ("call_no_file_search", "weak", 4.5, 0.10, 0.005, 0.0),
    ("call_follow_up", "strong", 3.0, 0.20, 0.01, 0.0),
    ("manager_own_agency", "weak", 4.0, 0.03, 0.01, 0.002),
    ("manager_second_site", "none", 4.0, 0.03, 0.01, 0.002),
    ("support_case_task", "strong", 6.0, 0.05, 0.02, 0.01),
    ("support_ad_hoc", "none", 3.0, 0.03, 0.01, 0.003),
    ("direction", "none", 3.5, 0.02, 0.02, 0.002),
    ("dsi_incident", "none", 2.5, 0.05, 0.0, 0.02),
    ("reinforcement_desk", "none", 5.0, 0.15, 0.01, 0.0),
    ("evening_own_work", "strong", 4.0, 0.15, 0.01, 0.0),
    ("evening_agency", "weak", 3.5, 0.05, 0.01, 0.0),
    ("evening_region", "none", 3.0, 0.05, 0.01, 0.0),
    ("hard_negative_check", "none", 2.5, 0.05, 0.0, 0.0),
    ("national_platform", "strong", 4.5, 0.10, 0.005, 0.0),
)
SRC = {name: i for i, (name, *_rest) in enumerate(SOURCES)}
SRC_MISUSE = len(SOURCES)


@dataclass
class SessionBuffer:
    """Collects sessions as arrays: agent index, file index, UTC start, source."""

    agent: list[np.ndarray] = field(default_factory=list)
    de: list[np.ndarray] = field(default_factory=list)
    t: list[np.ndarray] = field(default_factory=list)
    src: list[np.ndarray] = field(default_factory=list)

    def add(self, source: str, agent: np.ndarray, de: np.ndarray, t: np.ndarray) -> None:
        agent = np.asarray(agent, np.int64)
        if len(agent) == 0:
            return
        self.agent.append(agent)
        self.de.append(np.asarray(de, np.int64))
        self.t.append(np.asarray(t, np.int64))
        self.src.append(np.full(len(agent), SRC[source], np.int16))

    def concat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return (
            np.concatenate(self.agent),
            np.concatenate(self.de),
            np.concatenate(self.t),
            np.concatenate(self.src),
        )


@dataclass
class Records:
    """Context records written to appointments/calls/tasks (indices; -1 = empty)."""

    appt: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("de", "agent", "t", "kind", "status")}
    )
    call: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("de", "agent", "t", "end")}
    )
    task: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in ("de", "agent", "t", "end", "kind")}
    )

    def add(self, table: str, **cols: np.ndarray) -> None:
        target = getattr(self, table)
        for k, v in cols.items():
            target[k].append(np.asarray(v))

    def get(self, table: str) -> dict[str, np.ndarray]:
        return {
            k: np.concatenate(v) if v else np.zeros(0, np.int64)
            for k, v in getattr(self, table).items()
        }


APPT_KINDS = ("EDO", "DPA", "EDA", "suivi", "collectif", "atelier", "evenement")
APPT_STATUS = ("planned", "done", "no_show", "cancelled")
TASK_KINDS = (
    "demande_are",
    "reexamen",
    "actualisation",
    "piece_justificative",
    "attestation_employeur",
    "trop_percu",
    "reclamation_gdd",
    "controle_cre",
    "mediation",
    "dossier_entreprise",
)


@dataclass
class World:
    cal: Calendar
    region: Region
    ag: Agents
    js: JobSeekers
    rng: np.random.Generator
    sessions: SessionBuffer
    records: Records
    n_unknown_de: int
    national_agents: np.ndarray  # agent indices >= ag.n

    def agents_of(self, mask: np.ndarray) -> np.ndarray:
        return np.flatnonzero(mask & (self.ag.left >= 0))


def registered(js: JobSeekers, k: np.ndarray, day: np.ndarray) -> np.ndarray:
    """The file exists on that day (files of other regions are assumed to)."""
    return (k >= js.n) | (js.reg[np.minimum(k, js.n - 1)] <= day)


def active_span(js: JobSeekers, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(js.reg[k], 0), np.minimum(js.dereg[k], N_DAYS - 1)


def referent_on(js: JobSeekers, k: np.ndarray, day: np.ndarray) -> np.ndarray:
    before = (day < js.change_day[k]) & (js.old_referent[k] >= 0)
    return np.where(before, js.old_referent[k], js.referent[k])


def agent_day_pairs(
    w: World, agents: np.ndarray, rate: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(rate) events per present day of each agent: (agent, day) arrays."""
    pres = w.ag.present[agents]
    a_idx, d_idx = np.nonzero(pres)
    lam = rate if np.isscalar(rate) else np.asarray(rate)[a_idx]
    k = w.rng.poisson(lam, len(a_idx))
    return np.repeat(agents[a_idx], k), np.repeat(d_idx, k)


def group_index(keys: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted members and start/size per group for fast random picks."""
    order = np.argsort(keys, kind="stable")
    counts = np.bincount(keys, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return order, starts, counts


def pick_in_groups(
    rng: np.random.Generator, index: tuple[np.ndarray, np.ndarray, np.ndarray], g: np.ndarray
) -> np.ndarray:
    """Random member of each requested group (-1 if the group is empty)."""
    order, starts, counts = index
    size = counts[g]
    pos = starts[g] + (rng.random(len(g)) * np.maximum(size, 1)).astype(np.int64)
    return np.where(size > 0, order[np.minimum(pos, len(order) - 1)], -1)


AppointmentPart = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # file, agent, day, kind


def counsellor_in_agency(w: World, agencies: np.ndarray) -> np.ndarray:
    """A random current counsellor of each given agency."""
    cons = w.agents_of((w.ag.job == J_CONS) & (w.ag.agency >= 0))
    index = group_index(w.ag.agency[cons], len(w.region.agency_ids))
    return cons[np.maximum(pick_in_groups(w.rng, index, agencies), 0)]


def follow_up_appointments(w: World, active: np.ndarray) -> AppointmentPart:
    """Follow-ups by the referent of the day (15 % by a covering colleague), by modality."""
    rng, js = w.rng, w.js
    a0, a1 = active_span(js, active)
    lam = np.array([0.4, 1.2, 3.0, 3.0, 5.0])[js.modality[active]] * (a1 - a0 + 1) / N_DAYS
    k = np.repeat(active, rng.poisson(lam))
    s0, s1 = active_span(js, k)
    day = s0 + (rng.random(len(k)) * (s1 - s0 + 1)).astype(np.int64)
    agent = referent_on(js, k, day)
    covered = (rng.random(len(k)) < 0.15) | (agent < 0)
    agent = np.where(covered, counsellor_in_agency(w, js.agency[k]), agent)
    return k, agent, day, rng.choice([3, 2, 1], len(k), p=[0.8, 0.12, 0.08])


def registration_appointments(w: World, active: np.ndarray) -> list[AppointmentPart]:
    """New registrants: EDO (platform or agency) then DPA/EDA with the referent."""
    rng, js, ag = w.rng, w.js, w.ag
    plat = w.agents_of(ag.job == J_PLAT)
    new = active[(js.reg[active] >= 0) & (js.reg[active] < N_DAYS - 3)]
    edo_day = js.reg[new] + rng.integers(1, 9, len(new))
    by_plat = (rng.random(len(new)) < 0.4) & (len(plat) > 0)
    platform_agent = plat[rng.integers(0, max(len(plat), 1), len(new))] if len(plat) else -1
    edo_agent = np.where(by_plat, platform_agent, counsellor_in_agency(w, js.agency[new]))
    eda_day = edo_day + rng.integers(7, 26, len(new))
    ref = np.where(js.referent[new] >= 0, js.referent[new], counsellor_in_agency(w, js.agency[new]))
    eda_kind = rng.choice([1, 2], len(new), p=[0.6, 0.4])
    return [(new, edo_agent, edo_day, np.zeros(len(new), np.int64)), (new, ref, eda_day, eda_kind)]


def reinforcement_appointments(w: World) -> list[AppointmentPart]:
    """Counsellors on a reinforcement mission hold appointments in the host agency."""
    rng, js, ag = w.rng, w.js, w.ag
    parts: list[AppointmentPart] = []
    active = js.active_in_quarter()
    for i in np.flatnonzero(ag.renfort_agency >= 0):
        d0, d1 = ag.renfort_days[i]
        host = np.flatnonzero((js.agency == ag.renfort_agency[i]) & active)
        n_r = int(rng.poisson(5 * (d1 - d0)))
        if len(host) and n_r:
            days = rng.integers(d0, d1 + 1, n_r)
            files = rng.choice(host, n_r)
            ok = registered(js, files, days)
            parts.append(
                (files[ok], np.full(int(ok.sum()), i), days[ok], np.full(int(ok.sum()), 3))
            )
    return parts


def gen_appointments(w: World) -> None:
    """Appointments (EDO, DPA/EDA, follow-ups, workshops, job fairs) and their sessions."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    active = np.flatnonzero(js.active_in_quarter())
    parts = [follow_up_appointments(w, active), *registration_appointments(w, active)]
    parts += reinforcement_appointments(w)
    k, agent, day, kind = (np.concatenate([p[i] for p in parts]).astype(np.int64) for i in range(4))
    ok = agent >= 0
    k, agent, day, kind = k[ok], agent[ok], day[ok], kind[ok]
    in_q = day < N_DAYS
    day = np.where(in_q, present_on_or_after(ag, agent, day), day)
    weekday = day % 7  # day 0 is a Monday; July appointments avoid weekends
    day = np.where(~in_q & (weekday >= 5), day + 7 - weekday, day)
    keep = (day < N_DAYS) | (~in_q & (day < N_DAYS + 10))
    keep &= day <= np.minimum(js.dereg[k], N_DAYS + 10)
    k, agent, day, kind = k[keep], agent[keep], day[keep], kind[keep]
    sec = (work_second(rng, ag, agent, day, cal) // 900) * 900
    emit_appointments(w, k, agent, day, sec, kind)
    gen_workshops(w, w.agents_of((ag.job == J_CONS) & (ag.agency >= 0)))


def emit_appointments(
    w: World, k: np.ndarray, agent: np.ndarray, day: np.ndarray, sec: np.ndarray, kind: np.ndarray
) -> None:
    """Record appointments and derive preparation / interview / write-up sessions."""
    rng, ag, cal = w.rng, w.ag, w.cal
    future = day >= N_DAYS
    status = rng.choice([1, 2, 3, 0], len(k), p=[0.80, 0.11, 0.08, 0.01])
    status = np.where(future, 0, status)
    t = to_utc(cal, day, sec)
    w.records.add("appt", de=k, agent=agent, t=t, kind=kind, status=status)
    done, no_show, cancelled = status == 1, status == 2, status == 3
    p_prep = np.select([done, no_show, cancelled, future], [0.5, 0.5, 0.15, 0.3], 0.0)
    prep = rng.random(len(k)) < p_prep
    same_day = rng.random(len(k)) < 0.8
    prev_day = present_on_or_before(ag, agent, np.minimum(day, N_DAYS) - 1)
    lead = rng.integers(600, 5400, len(k))
    prep_t_same = t - lead
    before_start = sec - lead < ag.start_min[agent] * 60
    same_day &= ~before_start  # first slot of the day: prepared the day before
    prep_t_prev = to_utc(cal, prev_day, work_second(rng, ag, agent, np.maximum(prev_day, 0), cal))
    prep_t = np.where(same_day & ~future, prep_t_same, prep_t_prev)
    prep &= np.where(same_day & ~future, True, (prev_day >= 0) & (prev_day >= day - 4))
    w.sessions.add("appointment_prep", agent[prep], k[prep], prep_t[prep])
    during = done & (rng.random(len(k)) < 0.92)
    w.sessions.add(
        "appointment_during",
        agent[during],
        k[during],
        t[during] + rng.integers(0, 600, len(k))[during],
    )
    after = (done & (rng.random(len(k)) < 0.35)) | (no_show & (rng.random(len(k)) < 0.7))
    next_day = present_on_or_after(ag, agent, day + 1)
    delay = rng.integers(900, 4 * 3600, len(k))
    after_hours = sec + delay > ag.end_min[agent] * 60
    late = ((rng.random(len(k)) < 0.15) | after_hours) & (next_day < N_DAYS)
    after &= late | ~after_hours
    after_t = np.where(
        late,
        to_utc(cal, next_day, work_second(rng, ag, agent, np.minimum(next_day, N_DAYS - 1), cal)),
        t + delay,
    )
    w.sessions.add("appointment_after", agent[after], k[after], after_t[after])


def gen_workshops(w: World, cons: np.ndarray) -> None:
    """Collective workshops and two Saturday job fairs (off-hours but recorded)."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    active = np.flatnonzero(js.active_in_quarter())
    attend = active[rng.random(len(active)) < 0.08]
    by_agency = group_index(js.agency[attend], len(w.region.agency_ids))
    ks: list[np.ndarray] = []
    agents: list[np.ndarray] = []
    days: list[np.ndarray] = []
    secs: list[np.ndarray] = []
    kinds: list[np.ndarray] = []
    order, starts, counts = by_agency
    for a in range(len(w.region.agency_ids)):
        members = order[starts[a] : starts[a] + counts[a]]
        hosts = cons[ag.agency[cons] == a]
        if len(members) == 0 or len(hosts) == 0:
            continue
        n_groups = max(1, len(members) // 10)
        group = rng.integers(0, n_groups, len(members))
        g_host = rng.choice(hosts, n_groups)
        g_day = present_on_or_after(ag, g_host, rng.integers(0, N_DAYS - 5, n_groups))
        g_sec = np.full(n_groups, 9 * 3600 + 1800) + rng.choice([0, 5 * 3600], n_groups)
        g_kind = rng.choice([4, 5], n_groups, p=[0.7, 0.3])  # collectif / atelier
        files = attend[members]
        day = g_day[group]
        ok = (day < N_DAYS) & (js.reg[files] <= day) & (js.dereg[files] >= day)
        ks.append(files[ok])
        agents.append(g_host[group][ok])
        days.append(day[ok])
        secs.append(g_sec[group][ok])
        kinds.append(g_kind[group][ok])
    # Saturday job fairs in two departements
    for fair_day, d_idx in (
        (day_index("2024-04-13"), 0),
        (day_index("2024-06-08"), min(1, len(w.region.dept_codes) - 1)),
    ):
        staff = cons[
            (w.region.agency_dept[ag.agency[cons]] == d_idx) & (rng.random(len(cons)) < 0.25)
        ]
        staff = staff[(ag.hired[staff] <= fair_day) & (ag.left[staff] >= fair_day)]
        registered = (js.reg[active] <= fair_day) & (js.dereg[active] >= fair_day)
        visitors = active[
            (js.dept[active] == d_idx) & registered & (rng.random(len(active)) < 0.01)
        ]
        if len(staff) == 0 or len(visitors) == 0:
            continue
        ks.append(visitors)
        agents.append(rng.choice(staff, len(visitors)))
        days.append(np.full(len(visitors), fair_day))
        secs.append(rng.integers(9 * 4, 17 * 4, len(visitors)) * 900)
        kinds.append(np.full(len(visitors), 6))
    if not ks:
        return
    k = np.concatenate(ks)
    agent = np.concatenate(agents)
    day = np.concatenate(days)
    sec = np.concatenate(secs)
    kind = np.concatenate(kinds)
    t = to_utc(cal, day, sec)
    status = rng.choice([1, 2], len(k), p=[0.85, 0.15])
    w.records.add("appt", de=k, agent=agent, t=t, kind=kind, status=status)
    during = rng.random(len(k)) < np.where(kind == 6, 0.9, 0.6)
    w.sessions.add(
        "appointment_during",
        agent[during],
        k[during],
        t[during] + rng.integers(0, 3600, len(k))[during],
    )


def gen_referent_work(w: World) -> None:
    """Portfolio desk work by the referent at the time (the previous one before a change)."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    active = np.flatnonzero(js.active_in_quarter() & ((js.referent >= 0) | (js.old_referent >= 0)))
    a0, a1 = active_span(js, active)
    lam = np.array([1.8, 4.0, 8.0, 8.0, 11.0])[js.modality[active]] * (a1 - a0 + 1) / N_DAYS
    k = np.repeat(active, rng.poisson(lam))
    s0, s1 = active_span(js, k)
    day = s0 + (rng.random(len(k)) * (s1 - s0 + 1)).astype(np.int64)
    agent = referent_on(js, k, day)
    ok = agent >= 0
    k, agent, day = k[ok], agent[ok], day[ok]
    day = present_on_or_after(ag, agent, day)
    ok = (day < N_DAYS) & (day <= js.dereg[k])
    k, agent, day = k[ok], agent[ok], day[ok]
    t = to_utc(cal, day, work_second(rng, ag, agent, day, cal))
    previous = (js.old_referent[k] == agent) & (js.referent[k] != agent)
    moved = previous & (js.old_agency[k] >= 0)
    same = previous & ~moved
    w.sessions.add("referent_desk", agent[~previous], k[~previous], t[~previous])
    w.sessions.add("previous_referent_same_agency", agent[same], k[same], t[same])
    w.sessions.add("previous_referent_other_agency", agent[moved], k[moved], t[moved])


def gen_covering(w: World) -> None:
    """Counsellors covering absent colleagues: any active file of their agency."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    cons = w.agents_of((ag.job == J_CONS) & (ag.agency >= 0))
    agent, day = agent_day_pairs(w, cons, 1.6)
    act = np.flatnonzero(js.active_in_quarter())
    k = pick_in_groups(rng, group_index(js.agency[act], len(w.region.agency_ids)), ag.agency[agent])
    ok = k >= 0
    agent, day, k = agent[ok], day[ok], act[k[ok]]
    t = to_utc(cal, day, work_second(rng, ag, agent, day, cal))
    w.sessions.add("covering_colleague", agent, k, t)


def gen_partner_requests(w: World) -> None:
    """Requests by partners (Mission Locale, Cap emploi, departement) or e-mails from job
    seekers who moved: counsellors open a file of their departement, often of another agency."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    cons = w.agents_of((ag.job == J_CONS) & (ag.agency >= 0))
    agent, day = agent_day_pairs(w, cons, 0.3)
    act = np.flatnonzero(js.active_in_quarter())
    by_ag = group_index(js.agency[act], len(w.region.agency_ids))
    by_d = group_index(js.dept[act], len(w.region.dept_codes))
    in_dept = rng.random(len(agent)) < 0.6
    k = np.where(
        in_dept,
        pick_in_groups(rng, by_d, ag.dept[agent]),
        pick_in_groups(rng, by_ag, ag.agency[agent]),
    )
    ok = k >= 0
    agent, day, k = agent[ok], day[ok], act[k[ok]]
    t = to_utc(cal, day, work_second(rng, ag, agent, day, cal))
    same = js.agency[k] == ag.agency[agent]
    w.sessions.add("partner_request_same_agency", agent[same], k[same], t[same])
    w.sessions.add("partner_request_other_agency", agent[~same], k[~same], t[~same])


def gen_reinforcement_desk(w: World) -> None:
    """Desk work during reinforcement missions in another agency (no appointment recorded)."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    active = js.active_in_quarter()
    for i in np.flatnonzero(ag.renfort_agency >= 0):
        d0, d1 = ag.renfort_days[i]
        host = np.flatnonzero((js.agency == ag.renfort_agency[i]) & active)
        days = np.arange(d0, d1 + 1)
        days = days[ag.present[i, days]]
        n_r = int(rng.poisson(4 * len(days)))
        if len(host) == 0 or n_r == 0:
            continue
        dd = rng.choice(days, n_r)
        ai = np.full(n_r, i)
        t = to_utc(cal, dd, work_second(rng, ag, ai, dd, cal))
        w.sessions.add("reinforcement_desk", ai, rng.choice(host, n_r), t)


def benefit_task_requests(w: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(file, creation day, kind) of benefit-claim tasks: follow-ups, new claims, carried-over
    tasks created in March, overpayment recovery on closed files."""
    rng, js = w.rng, w.js
    active = np.flatnonzero(js.active_in_quarter())
    a0, a1 = active_span(js, active)
    k_follow = np.repeat(active, rng.poisson(0.85 * (a1 - a0 + 1) / N_DAYS))
    s0, s1 = active_span(js, k_follow)
    d_follow = s0 + (rng.random(len(k_follow)) * (s1 - s0 + 1)).astype(np.int64)
    new = active[js.reg[active] >= 0]
    carried = active[(js.reg[active] < -20) & (rng.random(len(active)) < 0.12)]
    archived = np.flatnonzero(js.dereg < 0)
    recovery = archived[rng.random(len(archived)) < 0.03]
    k = np.concatenate([k_follow, new, carried, recovery])
    created = np.concatenate(
        [
            d_follow,
            js.reg[new] + rng.integers(0, 5, len(new)),
            -rng.integers(1, 21, len(carried)),
            rng.integers(0, N_DAYS, len(recovery)),
        ]
    )
    kind = np.concatenate(
        [
            rng.choice([1, 2, 3, 4, 6], len(k_follow), p=[0.3, 0.25, 0.27, 0.08, 0.1]),
            np.zeros(len(new), np.int64),
            rng.choice([0, 1, 3], len(carried)),
            np.full(len(recovery), 5),
        ]
    )
    ok = created < N_DAYS
    return k[ok], created[ok], kind[ok]


def gen_tasks(w: World) -> None:
    """Benefit-claim tasks: agency GDD 55 %, GDD of another agency of the departement
    (pooling) 30 %, regional GDD pool 15 %."""
    rng, js, ag = w.rng, w.js, w.ag
    k, created, kind = benefit_task_requests(w)
    gdd = w.agents_of(ag.job == J_GDD)
    local_gdd = gdd[ag.agency[gdd] >= 0]
    pool = gdd[ag.agency[gdd] < 0]
    by_agency = group_index(ag.agency[local_gdd], len(w.region.agency_ids))
    by_dept = group_index(ag.dept[local_gdd], len(w.region.dept_codes))
    u = rng.random(len(k))
    pick = np.where(
        u < 0.55,
        pick_in_groups(rng, by_agency, js.agency[k]),
        pick_in_groups(rng, by_dept, js.dept[k]),
    )
    agent = np.where(pick >= 0, local_gdd[np.maximum(pick, 0)], -1)
    if len(pool):
        agent = np.where((u > 0.85) | (agent < 0), pool[rng.integers(0, len(pool), len(k))], agent)
    ok = agent >= 0
    emit_tasks(w, k[ok], agent[ok], created[ok], kind[ok], "task", rng.poisson(0.7, int(ok.sum())))
    gen_employer_tasks(w, local_gdd, n_tasks=max(1, int(ok.sum()) // 35))
    gen_gdd_queue(w, gdd)


def gen_employer_tasks(w: World, local_gdd: np.ndarray, n_tasks: int) -> None:
    """Employer tasks without a de_id (created by a night batch, closed the same day):
    the employees' files are consulted without a recorded link."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    agent = local_gdd[rng.integers(0, len(local_gdd), n_tasks)]
    created = rng.integers(0, N_DAYS - 2, n_tasks)
    first = present_on_or_after(ag, agent, created)
    ok = first < N_DAYS
    agent, created, first = agent[ok], created[ok], first[ok]
    t_created = to_utc(cal, created, rng.integers(5 * 3600, 7 * 3600, len(agent)))
    end_of_day = np.where(cal.weekday[first] == 4, ag.friday_end[agent], ag.end_min[agent])
    t_closed = to_utc(cal, first, end_of_day * 60)
    kind = np.full(len(agent), TASK_KINDS.index("dossier_entreprise"))
    w.records.add(
        "task", de=np.full(len(agent), -1), agent=agent, t=t_created, end=t_closed, kind=kind
    )
    n_files = rng.integers(2, 6, len(agent))
    ea, ed = np.repeat(agent, n_files), np.repeat(first, n_files)
    active = np.flatnonzero(js.active_in_quarter())
    same_dept = group_index(js.dept[active], len(w.region.dept_codes))
    ek = active[np.maximum(pick_in_groups(rng, same_dept, ag.dept[ea]), 0)]
    w.sessions.add("task_without_de", ea, ek, to_utc(cal, ed, work_second(rng, ag, ea, ed, cal)))


def gen_gdd_queue(w: World, gdd: np.ndarray) -> None:
    """Incoming-documents queue without a task: own agency (70 %) or the departement."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    agent, day = agent_day_pairs(w, gdd, 3.0)
    act = np.flatnonzero(js.active_in_quarter())
    by_ag = group_index(js.agency[act], len(w.region.agency_ids))
    by_d = group_index(js.dept[act], len(w.region.dept_codes))
    random_dept = rng.integers(0, len(w.region.dept_codes), len(agent))
    dept = np.where(ag.dept[agent] >= 0, ag.dept[agent], random_dept)
    pooled_work = (ag.agency[agent] < 0) | (rng.random(len(agent)) < 0.3)
    kk = np.where(
        pooled_work,
        pick_in_groups(rng, by_d, dept),
        pick_in_groups(rng, by_ag, np.maximum(ag.agency[agent], 0)),
    )
    ok = kk >= 0
    agent, day, kk = agent[ok], day[ok], act[kk[ok]]
    t = to_utc(cal, day, work_second(rng, ag, agent, day, cal))
    pooled = js.agency[kk] != ag.agency[agent]
    w.sessions.add("gdd_queue_own_agency", agent[~pooled], kk[~pooled], t[~pooled])
    w.sessions.add("gdd_queue_pooled", agent[pooled], kk[pooled], t[pooled])


def emit_tasks(
    w: World,
    k: np.ndarray,
    agent: np.ndarray,
    created: np.ndarray,
    kind: np.ndarray,
    source: str,
    extra: np.ndarray,
) -> None:
    """Record tasks (created/closed) and the processing sessions between those instants."""
    rng, ag, cal = w.rng, w.ag, w.cal
    t_created = to_utc(cal, created, rng.integers(7 * 3600, 20 * 3600, len(k)))
    first = present_on_or_after(ag, agent, np.maximum(created, 0))
    span = np.minimum(rng.geometric(0.3, len(k)) - 1, 25)
    close_day = present_on_or_after(ag, agent, first + span)
    still_open = (close_day >= N_DAYS) | (rng.random(len(k)) < 0.06)
    close_sec = work_second(rng, ag, agent, np.minimum(close_day, N_DAYS - 1), cal)
    t_close = to_utc(cal, close_day, close_sec)
    t_close = np.maximum(t_close, t_created + 600)
    end = np.where(still_open, -1, t_close)
    w.records.add("task", de=k, agent=agent, t=t_created, end=end, kind=kind)
    n_sess = 1 + extra
    kk = np.repeat(k, n_sess)
    aa = np.repeat(agent, n_sess)
    f0 = np.repeat(first, n_sess)
    f1 = np.repeat(
        np.where(
            still_open, np.minimum(first + span, N_DAYS - 1), np.minimum(close_day, N_DAYS - 1)
        ),
        n_sess,
    )
    tc = np.repeat(t_created, n_sess)
    day = f0 + (rng.random(len(kk)) * (np.maximum(f1 - f0, 0) + 1)).astype(np.int64)
    day = present_on_or_after(ag, aa, day)
    t = to_utc(cal, day, work_second(rng, ag, aa, np.minimum(day, N_DAYS - 1), cal))
    too_early = t <= tc + 60
    day = np.where(too_early, present_on_or_after(ag, aa, day + 1), day)
    t = np.where(
        too_early, to_utc(cal, day, work_second(rng, ag, aa, np.minimum(day, N_DAYS - 1), cal)), t
    )
    te = np.repeat(end, n_sess)
    t = np.where((te > 0) & (t >= te), te - rng.integers(60, 900, len(t)), t)
    ok = (day < N_DAYS) & (t > tc)
    kk, aa, t = kk[ok], aa[ok], t[ok]
    w.sessions.add(source, aa, kk, t)


def gen_calls(w: World) -> None:
    """3949 calls: matched file, no file, homonym's or household member's file, other regions."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    plat = w.agents_of(ag.job == J_PLAT)
    agent, day = agent_day_pairs(w, plat, 34.0)
    n_national = int(len(agent) * 0.015)
    nat_agent = rng.choice(w.national_agents, n_national)
    nat_day = rng.choice(np.flatnonzero(~w.cal.off_day), n_national)
    agent = np.concatenate([agent, nat_agent])
    day = np.concatenate([day, nat_day])
    national = agent >= ag.n
    sec = np.where(
        national,
        rng.integers(int(8.5 * 3600), 17 * 3600, len(agent)),
        work_second(rng, ag, np.minimum(agent, ag.n - 1), day, cal),
    )
    t = to_utc(cal, day, sec)
    dur = np.minimum(rng.lognormal(np.log(330), 0.6, len(agent)), 2400).astype(np.int64)
    active = np.flatnonzero(js.active_in_quarter())
    weight = np.where(js.reg[active] >= 0, 3.0, 1.0)
    right = rng.choice(active, len(agent), p=weight / weight.sum())
    closed_callers = np.flatnonzero(js.dereg < 0)
    former = rng.random(len(agent)) < 0.01
    right = np.where(former, rng.choice(closed_callers, len(agent)), right)
    u = rng.random(len(agent))
    other_region = (u >= 0.96) & ~national
    right = np.where(other_region, js.n + rng.integers(0, w.n_unknown_de, len(agent)), right)
    name_idx = group_index(js.name_group, int(js.name_group.max()) + 1)
    surname_idx = group_index(js.surname_group, int(js.surname_group.max()) + 1)
    safe = np.minimum(right, js.n - 1)
    homonym = pick_in_groups(rng, name_idx, js.name_group[safe])
    household = pick_in_groups(rng, surname_idx, js.surname_group[safe])
    # the telephony can only surface files that exist on the day of the call
    homonym = np.where((homonym >= 0) & registered(js, np.maximum(homonym, 0), day), homonym, -1)
    household = np.where(
        (household >= 0) & registered(js, np.maximum(household, 0), day), household, -1
    )
    keep = registered(js, right, day)
    agent, day, t, dur, right, u = agent[keep], day[keep], t[keep], dur[keep], right[keep], u[keep]
    national, other_region = national[keep], other_region[keep]
    homonym, household = homonym[keep], household[keep]
    local = ~other_region & ~national
    case_homonym = local & (u >= 0.84) & (u < 0.87) & (homonym >= 0) & (homonym != right)
    case_house = local & (u >= 0.87) & (u < 0.89) & (household >= 0) & (household != right)
    case_empty = local & (
        ((u >= 0.89) & (u < 0.96)) | ((u >= 0.84) & (u < 0.89) & ~case_homonym & ~case_house)
    )
    surfaced = np.where(case_homonym, homonym, np.where(case_house, household, right))
    surfaced = np.where(case_empty, -1, surfaced)
    no_end = rng.random(len(agent)) < 0.02
    w.records.add("call", de=surfaced, agent=agent, t=t, end=np.where(no_end, -1, t + dur))
    opens = rng.random(len(agent)) >= 0.12
    wrong = (case_homonym | case_house) & opens
    w.sessions.add(
        "call_surfaced_other_file",
        agent[wrong],
        surfaced[wrong],
        t[wrong] + rng.integers(3, 20, int(wrong.sum())),
    )
    lag = np.minimum(rng.integers(20, 120, len(agent)), np.maximum(dur - 5, 5))
    matched = opens & ~case_empty & ~case_house & ~national
    searched = opens & case_empty & ~national
    house = opens & case_house
    w.sessions.add("call", agent[matched], right[matched], t[matched] + lag[matched])
    w.sessions.add("call_after_household_file", agent[house], right[house], t[house] + lag[house])
    w.sessions.add(
        "call_no_file_search", agent[searched], right[searched], t[searched] + lag[searched]
    )
    nat = opens & national
    w.sessions.add("national_platform", agent[nat], right[nat], t[nat] + lag[nat])
    follow = matched & (rng.random(len(agent)) < 0.06) & ~national
    fa, fk, fd = agent[follow], right[follow], day[follow]
    nd = present_on_or_after(ag, fa, fd + rng.integers(0, 3, len(fa)))
    ok = nd < N_DAYS
    w.sessions.add(
        "call_follow_up",
        fa[ok],
        fk[ok],
        to_utc(cal, nd[ok], work_second(rng, ag, fa[ok], nd[ok], cal)),
    )


def gen_supervision(w: World) -> None:
    """Managers, regional support (control, mediation, ad hoc), direction, DSI."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    act = np.flatnonzero(js.active_in_quarter())
    by_ag = group_index(js.agency[act], len(w.region.agency_ids))
    mgr = w.agents_of(ag.job == J_MGR)
    agent, day = agent_day_pairs(w, mgr, 7.0)
    second = ag.second_agency[agent]
    at_second = (second >= 0) & (rng.random(len(agent)) < 0.3)
    where = np.where(at_second, second, ag.agency[agent])
    kk = pick_in_groups(rng, by_ag, np.maximum(where, 0))
    ok = kk >= 0
    agent, day, kk, at_second = agent[ok], day[ok], act[kk[ok]], at_second[ok]
    t = to_utc(cal, day, work_second(rng, ag, agent, day, cal))
    w.sessions.add("manager_own_agency", agent[~at_second], kk[~at_second], t[~at_second])
    w.sessions.add("manager_second_site", agent[at_second], kk[at_second], t[at_second])
    support = w.agents_of(ag.job == J_SUP)
    for role, rate, kind in ((0, 4.0, 7), (1, 3.0, 8)):
        members = support[ag.subrole[support] == role]
        a, d = agent_day_pairs(w, members, rate)
        k = rng.choice(act, len(a))
        ok = registered(js, k, d)
        a, d, k = a[ok], d[ok], k[ok]
        emit_tasks(
            w, k, a, d, np.full(len(a), kind), "support_case_task", extra=rng.poisson(1.5, len(a))
        )
    rates = np.select(
        [ag.subrole[support] == 0, ag.subrole[support] == 1, ag.subrole[support] == 3],
        [1.0, 0.8, 4.0],
        5.0,
    )
    a, d = agent_day_pairs(w, support, rates)
    everyone = np.arange(js.n)
    k = rng.choice(everyone, len(a))
    sec = work_second(rng, ag, a, d, cal)
    dsi = ag.subrole[a] == 3
    night = dsi & (rng.random(len(a)) < 0.15)
    sec = np.where(night, rng.integers(20 * 3600, 23 * 3600 + 1800, len(a)), sec)
    t = to_utc(cal, d, sec)
    w.sessions.add("support_ad_hoc", a[~dsi], k[~dsi], t[~dsi])
    w.sessions.add("dsi_incident", a[dsi], k[dsi], t[dsi])
    direc = w.agents_of(ag.job == J_DIR)
    a, d = agent_day_pairs(w, direc, 1.5)
    w.sessions.add(
        "direction", a, rng.choice(act, len(a)), to_utc(cal, d, work_second(rng, ag, a, d, cal))
    )


def gen_off_hours(w: World) -> None:
    """Legitimate evenings and weekend days of agents who habitually work late."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    late = w.agents_of(ag.evening_rate > 0)
    a_idx, d_idx = np.nonzero(ag.present[late])
    a = late[a_idx]
    pick = rng.random(len(a)) < ag.evening_rate[a]
    a, d = a[pick], d_idx[pick]
    n = 1 + rng.poisson(1.5, len(a))
    a, d = np.repeat(a, n), np.repeat(d, n)
    sec = rng.integers(int(18.75 * 3600), 22 * 3600, len(a))
    weekend_agents = w.agents_of(ag.weekend_days > 0)
    wk_days = np.flatnonzero(cal.off_day)
    wa = np.repeat(weekend_agents, ag.weekend_days[weekend_agents])
    wd = rng.choice(wk_days, len(wa))
    n_wk = rng.integers(2, 6, len(wa))
    wa, wd = np.repeat(wa, n_wk), np.repeat(wd, n_wk)
    ok = (ag.hired[wa] <= wd) & (ag.left[wa] >= wd)
    wa, wd = wa[ok], wd[ok]
    a = np.concatenate([a, wa])
    d = np.concatenate([d, wd])
    sec = np.concatenate([sec, rng.integers(10 * 3600, 17 * 3600, len(wa))])
    t = to_utc(cal, d, sec)
    act = np.flatnonzero(js.active_in_quarter())
    own = act[js.referent[act] >= 0]
    portfolio = group_index(js.referent[own], ag.n)
    k_port = pick_in_groups(rng, portfolio, a)
    by_ag = group_index(js.agency[act], len(w.region.agency_ids))
    k_ag = pick_in_groups(rng, by_ag, np.maximum(ag.agency[a], 0))
    is_cons = (ag.job[a] == J_CONS) & (k_port >= 0)
    in_agency = ~is_cons & (ag.agency[a] >= 0) & (k_ag >= 0)
    w.sessions.add("evening_own_work", a[is_cons], own[k_port[is_cons]], t[is_cons])
    w.sessions.add("evening_agency", a[in_agency], act[k_ag[in_agency]], t[in_agency])
    rest = ~is_cons & ~in_agency
    w.sessions.add("evening_region", a[rest], rng.choice(act, int(rest.sum())), t[rest])


def gen_hard_negative_checks(w: World) -> None:
    """One legitimate, context-free look at about half of the sensitive-looking files."""
    rng, js, ag, cal = w.rng, w.js, w.ag, w.cal
    staff = w.agents_of(np.isin(ag.job, [J_SUP, J_DIR, J_MGR]) & (ag.left >= NEVER))
    roles = np.array([ROLE_CODES[f.role] for f in js.special])
    trap = np.isin(roles, [4, 5, 6, 7]) & (rng.random(len(roles)) < 0.5)
    k = js.special_index[trap]
    a = rng.choice(staff, len(k))
    d = present_on_or_after(ag, a, rng.integers(0, N_DAYS, len(k)))
    ok = d < N_DAYS
    k, a, d = k[ok], a[ok], d[ok]
    w.sessions.add("hard_negative_check", a, k, to_utc(cal, d, work_second(rng, ag, a, d, cal)))


# ----------------------------------------------------------------------------------------------
# Misuse
# ----------------------------------------------------------------------------------------------


@dataclass
class MisusePair:
    agent: int
    de: int
    kind: str
    subtype: str
    identity: str
    window: tuple[int, int]
    n_days_target: int = 1
    style: str = "office"
    print_: bool = False
    export: bool = False
    edit: bool = False
    days: list[int] = field(default_factory=list)
    timings: list[str] = field(default_factory=list)
    n_events: int = 0
    actions: set[str] = field(default_factory=set)
    first_t: int = 0
    last_t: int = 0


KIND_SHARES = {"colleague": 0.33, "ex_colleague": 0.19, "protected": 0.26, "curiosity": 0.22}
REPEAT_BINS = (
    (1, 1, 0.42),
    (2, 2, 0.20),
    (3, 3, 0.12),
    (4, 6, 0.14),
    (7, 15, 0.09),
    (16, 30, 0.03),
)
STYLES = (("office", 0.55), ("edge", 0.15), ("evening", 0.15), ("weekend", 0.07), ("mixed", 0.08))


def kind_counts(n: int) -> dict[str, int]:
    counts = {k: int(np.floor(v * n)) for k, v in KIND_SHARES.items()}
    rest = n - sum(counts.values())
    for k in sorted(KIND_SHARES, key=lambda x: -KIND_SHARES[x])[:rest]:
        counts[k] += 1
    return counts


def context_keys(w: World) -> np.ndarray:
    """(agent, file) pairs with any recorded professional link (sorted int64 keys)."""
    n_de = w.js.n + w.n_unknown_de
    keys: list[np.ndarray] = []
    js = w.js
    for arr in (js.referent, js.old_referent):
        ok = arr >= 0
        keys.append(arr[ok] * n_de + np.flatnonzero(ok))
    for table in ("appt", "call", "task"):
        rec = w.records.get(table)
        ok = rec["de"] >= 0
        keys.append(rec["agent"][ok].astype(np.int64) * n_de + rec["de"][ok].astype(np.int64))
    return np.unique(np.concatenate(keys))


def propensity(rng: np.random.Generator, ag: Agents) -> np.ndarray:
    """Heavy-tailed individual propensity to misuse (a few agents account for several pairs)."""
    job_w = np.array([1.0, 0.9, 0.8, 0.9, 0.7, 0.5])[ag.job]
    p = rng.lognormal(0.0, 1.0, ag.n) * job_w
    p[ag.left < 0] = 0.0
    return p / p.sum()


class MisusePlanner:
    """Chooses misuse pairs per kind, never overlapping a recorded professional link."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.rng = w.rng
        self.ctx = context_keys(w)
        self.n_de = w.js.n + w.n_unknown_de
        self.chosen: set[int] = set()
        self.pairs: list[MisusePair] = []
        self.prop = propensity(w.rng, w.ag)
        self.file_of_agent: dict[int, int] = {}
        for k, f in zip(w.js.special_index, w.js.special, strict=True):
            if f.role in ("agent", "ex_agent"):
                self.file_of_agent[f.agent] = int(k)

    def free(self, agent: int, de: int) -> bool:
        key = agent * self.n_de + de
        pos = np.searchsorted(self.ctx, key)
        in_ctx = pos < len(self.ctx) and self.ctx[pos] == key
        return not in_ctx and key not in self.chosen

    def tenure(self, agent: int) -> tuple[int, int]:
        ag = self.w.ag
        return max(int(ag.hired[agent]), 0), min(int(ag.left[agent]), N_DAYS - 1)

    def accept(self, pair: MisusePair) -> bool:
        lo = max(pair.window[0], int(self.w.js.reg[pair.de]))
        hi = pair.window[1]
        pair.window = (lo, hi)
        if hi < lo or not self.free(pair.agent, pair.de):
            return False
        self.chosen.add(pair.agent * self.n_de + pair.de)
        self.pairs.append(pair)
        return True

    def pick_agent(self, candidates: np.ndarray) -> int:
        w = self.prop[candidates]
        if w.sum() <= 0:
            return -1
        return int(self.rng.choice(candidates, p=w / w.sum()))

    def colleague_agents(self, target_agent: int, same_site: float) -> np.ndarray:
        ag = self.w.ag
        u = self.rng.random()
        current = ag.left >= 0
        if ag.agency[target_agent] >= 0 and u < same_site:
            pool = np.flatnonzero(current & (ag.agency == ag.agency[target_agent]))
        elif ag.dept[target_agent] >= 0 and u < same_site + 0.25:
            pool = np.flatnonzero(current & (ag.dept == ag.dept[target_agent]))
        else:
            pool = np.flatnonzero(current)
        return pool[pool != target_agent]

    def plan_colleagues(self, n: int) -> None:
        ag = self.w.ag
        targets = [a for a in self.file_of_agent if ag.left[a] >= 0]
        newcomers = [a for a in targets if ag.hired[a] >= 0]
        own_n = round(n * 0.15)
        tries = 0
        while sum(p.kind == "colleague" for p in self.pairs) < n and tries < 200 * n:
            tries += 1
            pick_new = newcomers and self.rng.random() < 0.1
            t_agent = int(self.rng.choice(newcomers if pick_new else targets))
            de = self.file_of_agent[t_agent]
            own = sum(p.subtype == "own_file" for p in self.pairs) < own_n
            if own:
                m = t_agent
                lo, hi = self.tenure(m)
                subtype = "own_file"
            else:
                m = self.pick_agent(self.colleague_agents(t_agent, 0.65))
                if m < 0:
                    continue
                lo0, hi0 = self.tenure(m)
                lo1, hi1 = self.tenure(t_agent)
                lo, hi = max(lo0, lo1), min(hi0, hi1)
                newcomer = ag.hired[t_agent] >= 0
                same = ag.agency[m] == ag.agency[t_agent] and ag.agency[m] >= 0
                subtype = "newcomer" if newcomer else ("workplace" if same else "acquaintance")
            self.accept(self.new_pair(m, de, "colleague", subtype, (lo, hi)))

    def plan_ex_colleagues(self, n: int) -> None:
        ag = self.w.ag
        targets = [a for a in self.file_of_agent if ag.left[a] < N_DAYS - 2]
        tries = 0
        while sum(p.kind == "ex_colleague" for p in self.pairs) < n and tries < 200 * n:
            tries += 1
            x = int(self.rng.choice(targets))
            pool = self.colleague_agents(x, 0.7)
            pool = pool[(ag.hired[pool] < ag.left[x])]
            m = self.pick_agent(pool)
            if m < 0:
                continue
            lo, hi = self.tenure(m)
            lo = max(lo, int(ag.left[x]) + 1)
            subtype = "left_this_quarter" if ag.left[x] >= 0 else "left_before"
            self.accept(self.new_pair(m, self.file_of_agent[x], "ex_colleague", subtype, (lo, hi)))

    def plan_protected(self, n: int, rows: list[ProtectedRow]) -> None:
        w, ag = self.w, self.w.ag
        files = [
            (int(k), f)
            for k, f in zip(w.js.special_index, w.js.special, strict=True)
            if f.role == "protected"
        ]
        cand = [
            (k, f) for k, f in files if any(rows[i].category == "candidate" for i in f.protected)
        ]
        elec = [(k, f) for k, f in files if any(rows[i].category == "elected" for i in f.protected)]
        n_cand = round(n * 0.42)
        tries = 0
        while sum(p.kind == "protected" for p in self.pairs) < n and tries < 200 * n:
            tries += 1
            want_cand = sum(p.subtype == "candidate" for p in self.pairs) < n_cand
            k, f = (cand if want_cand and cand else elec)[
                int(self.rng.integers(0, len(cand if want_cand and cand else elec)))
            ]
            current = ag.left >= 0
            pool = (
                np.flatnonzero(current & (ag.dept == w.js.dept[k]))
                if self.rng.random() < 0.6
                else np.flatnonzero(current)
            )
            m = self.pick_agent(pool)
            if m < 0:
                continue
            lo, hi = self.tenure(m)
            is_cand = want_cand and bool(cand)
            if is_cand:
                lo = max(lo, day_index(CANDIDATE_FROM))
            else:
                valid = [rows[i] for i in f.protected if rows[i].category == "elected"]
                lo = max(lo, max(day_index(r.valid_from) for r in valid))
                if any(r.valid_to for r in valid):
                    continue
            self.accept(
                self.new_pair(m, k, "protected", "candidate" if is_cand else "elected", (lo, hi))
            )

    def plan_curiosity(self, n: int) -> None:
        js, ag, rng = self.w.js, self.w.ag, self.rng
        plain_active = np.flatnonzero((js.de_role == 0) & js.active_in_quarter())
        plain_any = np.flatnonzero(js.de_role == 0)
        homonyms = [
            int(k)
            for k, f in zip(js.special_index, js.special, strict=True)
            if f.role == "homonym_protected"
        ]
        surname_idx = group_index(js.surname_group, int(js.surname_group.max()) + 1)
        norm_surname = {norm_key(s): i for i, s in zip(js.surname_group, js.last_name, strict=True)}
        n_story = round(n * 0.15)
        n_hom = min(round(n * 0.05), len(homonyms))
        n_family = round(n * 0.20)
        current = np.flatnonzero(ag.left >= 0)
        # local news stories: several agents of the departement look at the same file
        stories = 0
        while (
            sum(p.subtype == "news_story" for p in self.pairs) < n_story and stories < 10 * n_story
        ):
            stories += 1
            k = int(rng.choice(plain_active))
            day = int(rng.integers(3, N_DAYS - 4))
            pool = current[
                (ag.dept[current] == js.dept[k])
                & (ag.hired[current] <= day)
                & (ag.left[current] > day + 2)
            ]
            missing = n_story - sum(p.subtype == "news_story" for p in self.pairs)
            size = min(int(rng.integers(4, 11)), missing, len(pool))
            for m in rng.choice(pool, size, replace=False) if size > 0 else []:
                pair = self.new_pair(int(m), k, "curiosity", "news_story", (day, day + 2))
                pair.n_days_target = 1
                pair.style = "office" if rng.random() < 0.8 else "evening"
                self.accept(pair)
        tries = 0
        while sum(p.kind == "curiosity" for p in self.pairs) < n and tries < 200 * n:
            tries += 1
            m = self.pick_agent(current)
            have = {p.subtype: 0 for p in self.pairs}
            for p in self.pairs:
                have[p.subtype] = have.get(p.subtype, 0) + 1
            if have.get("homonym_of_protected", 0) < n_hom:
                k, subtype = int(rng.choice(homonyms)), "homonym_of_protected"
            elif have.get("relative", 0) < n_family:
                p_m = ag.people[m]
                g = norm_surname.get(norm_key(p_m.usage_surname or p_m.birth_surname))
                if g is None:
                    continue
                k = int(pick_in_groups(rng, surname_idx, np.array([g]))[0])
                if k < 0 or js.de_role[k] != 0:
                    continue
                subtype = "relative"
            else:
                same_dept = (
                    plain_any[js.dept[plain_any] == ag.dept[m]] if ag.dept[m] >= 0 else plain_any
                )
                k, subtype = int(rng.choice(same_dept)), "acquaintance"
            lo, hi = self.tenure(m)
            self.accept(self.new_pair(m, k, "curiosity", subtype, (lo, hi)))

    def new_pair(
        self, agent: int, de: int, kind: str, subtype: str, window: tuple[int, int]
    ) -> MisusePair:
        rng = self.rng
        lo, hi = window
        bins = np.array([b[2] for b in REPEAT_BINS])
        b = REPEAT_BINS[int(rng.choice(len(REPEAT_BINS), p=bins / bins.sum()))]
        n_days = int(rng.integers(b[0], b[1] + 1))
        styles = np.array([s[1] for s in STYLES])
        style = STYLES[int(rng.choice(len(STYLES), p=styles / styles.sum()))][0]
        pair = MisusePair(agent, de, kind, subtype, self.identity_of(de), (lo, hi), n_days, style)
        pair.print_ = rng.random() < 0.12
        pair.export = rng.random() < 0.04
        pair.edit = rng.random() < (0.25 if subtype == "own_file" else 0.02)
        return pair

    def identity_of(self, de: int) -> str:
        js = self.w.js
        pos = np.flatnonzero(js.special_index == de)
        return js.special[int(pos[0])].ref_label if len(pos) else "not_sensitive"


def ensure_curiosity_signal(w: World, pair: MisusePair) -> None:
    """A curiosity pair on an own-agency file needs something observable beyond one glance."""
    same_agency = w.ag.agency[pair.agent] == w.js.agency[pair.de]
    quiet = pair.n_days_target == 1 and pair.style == "office" and not (pair.print_ or pair.export)
    if pair.kind == "curiosity" and pair.subtype != "news_story" and same_agency and quiet:
        u = w.rng.random()
        if u < 0.4:
            pair.style = "evening"
        elif u < 0.8:
            pair.n_days_target = int(w.rng.integers(2, 6))
        else:
            pair.print_ = True


def misuse_days(w: World, pair: MisusePair) -> list[tuple[int, str]]:
    """Distinct (day, timing) for a pair, following its repetition and timing style."""
    rng, ag, cal = w.rng, w.ag, w.cal
    lo, hi = pair.window
    first = int(rng.integers(lo, hi + 1))
    days = [first]
    while len(days) < pair.n_days_target:
        nxt = days[-1] + int(rng.geometric(0.22))
        days.append(nxt if nxt <= hi else int(rng.integers(lo, hi + 1)))
    out: dict[int, str] = {}
    for d in days:
        timing = pair.style
        if timing == "mixed":
            timing = str(
                rng.choice(["office", "edge", "evening", "weekend"], p=[0.4, 0.2, 0.25, 0.15])
            )
        if timing in ("office", "edge"):
            d2 = int(ag.next_present[pair.agent, d])
            if d2 > hi:
                d2 = int(ag.prev_present[pair.agent, min(d, N_DAYS)])
            if d2 < lo:
                timing, d2 = "evening", d
            d = d2
        elif timing == "weekend":
            off = np.flatnonzero(cal.off_day[lo : hi + 1]) + lo
            if len(off) == 0:
                timing = "evening"
            else:
                d = int(off[np.argmin(np.abs(off - d))])
        if lo <= d <= hi and d not in out:
            out[d] = timing
    return sorted(out.items())


def misuse_second(w: World, agent: int, day: int, timing: str) -> int:
    rng, ag = w.rng, w.ag
    if timing == "office":
        return int(work_second(rng, ag, np.array([agent]), np.array([day]), w.cal)[0])
    if timing == "edge":
        u = rng.random()
        if u < 0.35:
            return int((ag.start_min[agent] - rng.integers(5, 60)) * 60 + rng.integers(0, 60))
        if u < 0.65:
            return int(
                rng.integers(ag.lunch_start[agent], ag.lunch_end[agent]) * 60 + rng.integers(0, 60)
            )
        return int((ag.end_min[agent] + rng.integers(5, 90)) * 60 + rng.integers(0, 60))
    if timing == "evening":
        return int(rng.integers(19 * 3600, 23 * 3600 + 1800))
    return int(rng.integers(9 * 3600 + 1800, 22 * 3600 + 1800))


def session_actions(
    rng: np.random.Generator, pair: MisusePair, n_ev: int, first_session: bool
) -> list[int]:
    """Actions of one misuse session: a view, more views or edits, maybe a final print/export."""
    actions = [0]
    for _ in range(n_ev - 1):
        actions.append(1 if pair.edit and rng.random() < 0.5 else 0)
    if pair.print_ and (first_session or rng.random() < 0.3):
        actions.append(2)
    if pair.export and (first_session or rng.random() < 0.3):
        actions.append(3)
    return actions


def misuse_events(w: World, pairs: list[MisusePair]) -> tuple[np.ndarray, ...]:
    """Events of all misuse pairs (agent, file, UTC time, action code)."""
    rng = w.rng
    agent_l: list[int] = []
    de_l: list[int] = []
    t_l: list[int] = []
    act_l: list[int] = []
    for pair in pairs:
        ensure_curiosity_signal(w, pair)
        times: list[int] = []
        first_session = True
        for d, timing in misuse_days(w, pair):
            n_sess = int(rng.choice([1, 2, 3], p=[0.8, 0.15, 0.05]))
            for _ in range(n_sess):
                sec = misuse_second(w, pair.agent, d, timing)
                t = int(to_utc(w.cal, np.array([d]), np.array([sec]))[0])
                n_ev = int(rng.choice([1, 2, 3, 4, 5, 6], p=[0.5, 0.25, 0.1, 0.07, 0.05, 0.03]))
                for action in session_actions(rng, pair, n_ev, first_session):
                    times.append(t)
                    act_l.append(action)
                    pair.actions.add(ACTIONS[action])
                    t += int(5 + rng.exponential(35))
                first_session = False
            pair.days.append(d)
            pair.timings.append(timing)
        agent_l += [pair.agent] * len(times)
        de_l += [pair.de] * len(times)
        t_l += times
        pair.n_events = len(times)
        pair.first_t, pair.last_t = min(times), max(times)
    return (
        np.array(agent_l, np.int64),
        np.array(de_l, np.int64),
        np.array(t_l, np.int64),
        np.array(act_l, np.int8),
    )


# ----------------------------------------------------------------------------------------------
# Expansion of sessions into events
# ----------------------------------------------------------------------------------------------

ACTIONS = ("view", "edit", "print", "export")
APPS = ("AUDE", "MAP", "")
APP_P_BY_JOB = np.array(
    [
        [0.30, 0.69, 0.01],  # conseiller
        [0.84, 0.15, 0.01],  # gdd
        [0.50, 0.49, 0.01],  # manager
        [0.40, 0.59, 0.01],  # plateforme
        [0.55, 0.44, 0.01],  # support
        [0.20, 0.79, 0.01],  # direction
    ]
)


@dataclass
class Events:
    agent: np.ndarray
    de: np.ndarray
    t: np.ndarray
    action: np.ndarray
    app: np.ndarray
    src: np.ndarray


def expand_sessions(
    w: World, agent: np.ndarray, de: np.ndarray, t: np.ndarray, src: np.ndarray
) -> Events:
    """Each session becomes 1..n events a few tens of seconds apart with source-typical actions."""
    rng = w.rng
    table = np.array([s[2:] for s in SOURCES], dtype=np.float64)
    mean = table[src, 0]
    extra = np.maximum(mean - 1, 0)
    n_ev = (1 + rng.negative_binomial(2, 2 / (2 + extra))).astype(np.int64)  # over-dispersed
    total = int(n_ev.sum())
    starts = np.concatenate([[0], np.cumsum(n_ev)[:-1]])
    first = np.zeros(total, bool)
    first[starts] = True
    gaps = (4 + rng.exponential(38, total)).astype(np.int64)
    gaps[first] = 0
    offset = np.cumsum(gaps)
    offset -= np.repeat(offset[starts], n_ev)
    sess = np.repeat(np.arange(len(agent)), n_ev)
    ev_t = t[sess] + offset
    u = rng.random(total)
    p_edit, p_print, p_export = table[src[sess], 1], table[src[sess], 2], table[src[sess], 3]
    action = np.where(
        u < p_edit,
        1,
        np.where(u < p_edit + p_print, 2, np.where(u < p_edit + p_print + p_export, 3, 0)),
    )
    action[first] = 0
    job = np.where(agent < w.ag.n, w.ag.job[np.minimum(agent, w.ag.n - 1)], J_PLAT)
    cum = np.cumsum(APP_P_BY_JOB[job], axis=1)
    v = rng.random(len(agent))[:, None]
    app = (v > cum).sum(axis=1).astype(np.int8)
    return Events(
        agent[sess], de[sess], ev_t, action.astype(np.int8), app[sess], src[sess].astype(np.int16)
    )


# ----------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------

_TIME_OF_DAY = pa.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY_S)])
_MINUTE_OF_DAY = pa.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)])


def format_ts(t_utc: np.ndarray, style: str) -> pa.Array:
    """Render UTC epoch seconds (-1 = empty) in one of the contract's timestamp styles."""
    valid = t_utc >= 0
    offset = paris_offset_of_utc(t_utc) if style != "utc_z" else np.zeros(len(t_utc), np.int64)
    shown = t_utc + offset
    day = shown // DAY_S
    d0 = int(day[valid].min()) if valid.any() else 0
    d1 = int(day[valid].max()) if valid.any() else 0
    dates = pa.array(np.datetime_as_string(np.arange(d0, d1 + 1).astype("datetime64[D]")))
    day_idx = pa.array(np.where(valid, day - d0, 0), mask=~valid)
    date_s = pc.take(dates, day_idx)
    sod = shown % DAY_S
    if style == "local_minute":
        time_s = pc.take(_MINUTE_OF_DAY, pa.array(sod // 60))
        return pc.binary_join_element_wise(date_s, time_s, "T")
    time_s = pc.take(_TIME_OF_DAY, pa.array(sod))
    if style == "utc_z":
        return pc.binary_join_element_wise(date_s, pa.scalar("T"), time_s, pa.scalar("Z"), "")
    if style == "local_space":
        return pc.binary_join_element_wise(date_s, time_s, " ")
    suffix = pc.take(pa.array(["+01:00", "+02:00"]), pa.array((offset == 7200).astype(np.int8)))
    return pc.binary_join_element_wise(pc.binary_join_element_wise(date_s, time_s, "T"), suffix, "")


def write_rows(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return len(rows)


def write_table(path: Path, columns: dict[str, pa.Array]) -> int:
    """Write a CSV with pyarrow (values never contain commas or quotes here)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table(columns)
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="none"))
    return table.num_rows


def iso_day(day: int) -> str:
    return "" if day >= NEVER // 2 else str(Q_START + int(day))


def id_lookup(ids: Sequence[str], extra: Sequence[str], idx: np.ndarray) -> pa.Array:
    """Map indices to ids (indices past the known ids address `extra`; -1 = empty)."""
    table = pa.array(list(ids) + list(extra))
    valid = idx >= 0
    return pc.take(table, pa.array(np.where(valid, idx, 0), mask=~valid))


def write_reference(
    out: Path, w: World, protected: list[ProtectedRow], unknown_referents: list[str]
) -> dict[str, int]:
    region, ag, js = w.region, w.ag, w.js
    counts: dict[str, int] = {}
    counts["establishments.csv"] = write_rows(
        out / "establishments.csv",
        ("establishment_id", "name", "kind", "region_code"),
        [
            ("DR84", "Direction régionale Auvergne-Rhône-Alpes", "DR", "84"),
            ("PES84", "Plateforme de services 3949 Auvergne-Rhône-Alpes", "PES", "84"),
            ("DG", "Direction générale", "DG", ""),
            ("DSI", "Direction des systèmes d'information", "DSI", ""),
        ],
    )
    counts["agencies.csv"] = write_rows(
        out / "agencies.csv",
        ("agency_id", "name", "establishment_id", "department_code", "msa_experiment"),
        [
            (
                region.agency_ids[a],
                region.agency_names[a],
                "DR84",
                region.dept_codes[region.agency_dept[a]],
                "true" if (a % 7 == 3) else "false",
            )
            for a in range(len(region.agency_ids))
        ],
    )
    agent_rows = []
    for i in w.rng.permutation(ag.n):
        p, hr = ag.people[i], ag.hr[i]
        agent_rows.append(
            (
                ag.ids[i],
                hr.last_name,
                hr.birth_name,
                hr.first_names,
                p.birth_date,
                p.sex if (i % 20) else "",
                ag.estab[i],
                region.agency_ids[ag.agency[i]] if ag.agency[i] >= 0 else "",
                JOBS[ag.job[i]],
                iso_day(int(ag.hired[i])),
                iso_day(int(ag.left[i])),
                ag.declared[i],
            )
        )
    counts["agents.csv"] = write_rows(
        out / "agents.csv",
        (
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
        ),
        agent_rows,
    )
    ref_ids = np.where(js.referent >= 0, js.referent, -1)
    other = js.referent == -2
    de_rows = []
    for k in range(js.n):
        if other[k]:
            ref = unknown_referents[k % len(unknown_referents)]
        else:
            ref = ag.ids[ref_ids[k]] if ref_ids[k] >= 0 else ""
        de_rows.append(
            (
                js.ids[k],
                js.last_name[k],
                js.birth_name[k],
                js.first_names[k],
                js.birth_date[k],
                js.sex[k],
                region.dept_codes[js.dept[k]],
                js.commune[k],
                region.agency_ids[js.agency[k]],
                ref,
                iso_day(int(js.reg[k])),
                iso_day(int(js.dereg[k])),
            )
        )
    counts["job_seekers.csv"] = write_rows(
        out / "job_seekers.csv",
        (
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
        ),
        de_rows,
    )
    counts["protected_persons.csv"] = write_rows(
        out / "protected_persons.csv",
        (
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
        ),
        [
            (
                r.person_id,
                r.category,
                r.rendered.last_name,
                r.rendered.birth_name,
                r.rendered.first_names,
                r.birth_date,
                r.sex,
                r.dept_code,
                r.valid_from,
                r.valid_to,
            )
            for r in protected
        ],
    )
    return counts


def write_contexts(out: Path, w: World, agent_ids: list[str], de_ids: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    appt = w.records.get("appt")
    n = len(appt["de"])
    order = np.argsort(appt["t"], kind="stable")
    counts["appointments.csv"] = write_table(
        out / "appointments.csv",
        {
            "appointment_id": pc.binary_join_element_wise(
                "RDV-", pc.cast(pa.array(np.arange(n) + 5_000_000), pa.string()), ""
            ),
            "de_id": id_lookup(de_ids, [], appt["de"][order]),
            "agent_id": id_lookup(agent_ids, [], appt["agent"][order]),
            "starts_at": format_ts(appt["t"][order], "local_minute"),
            "kind": pc.take(pa.array(APPT_KINDS), pa.array(appt["kind"][order])),
            "status": pc.take(pa.array(APPT_STATUS), pa.array(appt["status"][order])),
        },
    )
    call = w.records.get("call")
    order = np.argsort(call["t"], kind="stable")
    n = len(call["de"])
    counts["calls.csv"] = write_table(
        out / "calls.csv",
        {
            "call_id": pc.binary_join_element_wise(
                "3949-", pc.cast(pa.array(np.arange(n) * 7 + 1_000_003), pa.string()), ""
            ),
            "de_id": id_lookup(de_ids, [], call["de"][order]),
            "agent_id": id_lookup(agent_ids, [], call["agent"][order]),
            "started_at": format_ts(call["t"][order], "utc_z"),
            "ended_at": format_ts(call["end"][order], "utc_z"),
        },
    )
    task = w.records.get("task")
    order = np.argsort(task["t"], kind="stable")
    n = len(task["de"])
    counts["tasks.csv"] = write_table(
        out / "tasks.csv",
        {
            "task_id": pc.binary_join_element_wise(
                "T", pc.cast(pa.array(np.arange(n) + 20_000_000), pa.string()), ""
            ),
            "de_id": id_lookup(de_ids, [], task["de"][order]),
            "agent_id": id_lookup(agent_ids, [], task["agent"][order]),
            "created_at": format_ts(task["t"][order], "offset"),
            "closed_at": format_ts(task["end"][order], "offset"),
            "kind": pc.take(pa.array(TASK_KINDS), pa.array(task["kind"][order])),
        },
    )
    return counts


CONSULTATION_STYLES = {0: ("aude", "local_space"), 1: ("map", "utc_z"), 2: ("legacy", "offset")}
RERUN_DAY = "2024-05-14"  # one AUDE morning exported twice


def consultation_columns(
    ev: Events, sel: np.ndarray, event_no: np.ndarray, agent_tab: pa.Array, de_tab: pa.Array
) -> dict[str, pa.Array]:
    app = int(ev.app[sel[0]])
    folder, style = CONSULTATION_STYLES[app]
    return {
        "event_id": pc.binary_join_element_wise(
            pa.scalar(f"{folder.upper()}-"), pc.cast(pa.array(event_no[sel]), pa.string()), ""
        ),
        "ts": format_ts(ev.t[sel], style),
        "agent_id": pc.take(agent_tab, pa.array(ev.agent[sel])),
        "de_id": pc.take(de_tab, pa.array(ev.de[sel])),
        "application": pc.take(pa.array(APPS), pa.array(np.full(len(sel), app))),
        "action": pc.take(pa.array(ACTIONS), pa.array(ev.action[sel])),
    }


def write_consultations(
    out: Path, ev: Events, agent_ids: list[str], de_ids: list[str]
) -> dict[str, int]:
    """Weekly files per application; AUDE local time, MAP UTC 'Z', legacy '+02:00'."""
    counts: dict[str, int] = {}
    order = np.argsort(ev.t, kind="stable")
    ev = Events(
        ev.agent[order], ev.de[order], ev.t[order], ev.action[order], ev.app[order], ev.src[order]
    )
    local_sec = ev.t + paris_offset_of_utc(ev.t) - EPOCH_Q_START
    local_day = local_sec // DAY_S
    week = local_day // 7  # the quarter starts on a Monday (ISO week 14)
    agent_tab, de_tab = pa.array(agent_ids), pa.array(de_ids)
    event_no = np.arange(len(ev.t), dtype=np.int64) * 13 + 100_000_007
    rerun_day = day_index(RERUN_DAY)
    group = ev.app.astype(np.int64) * 100 + week
    by_group = np.argsort(group, kind="stable")
    for sel in np.split(by_group, np.flatnonzero(np.diff(group[by_group])) + 1):
        app, wk = int(ev.app[sel[0]]), int(week[sel[0]])
        folder = CONSULTATION_STYLES[app][0]
        stem = f"{'extract' if app == 2 else folder}-2024-W{14 + wk:02d}"
        cols = consultation_columns(ev, sel, event_no, agent_tab, de_tab)
        path = out / "consultations" / folder / f"{stem}.csv"
        counts[f"consultations/{folder}/{stem}.csv"] = write_table(path, cols)
        if app == 0 and wk == rerun_day // 7:
            again = pa.array((local_day[sel] == rerun_day) & (local_sec[sel] % DAY_S < 12 * 3600))
            rerun = {k: v.filter(again) for k, v in cols.items()}
            path = out / "consultations" / folder / f"{stem}-rerun.csv"
            counts[f"consultations/{folder}/{stem}-rerun.csv"] = write_table(path, rerun)
    return counts


def write_truth(
    out: Path, w: World, pairs: list[MisusePair], agent_ids: list[str], de_ids: list[str]
) -> None:
    ag, js = w.ag, w.js
    active = js.active_in_quarter()
    order = sorted(
        range(len(pairs)), key=lambda i: (agent_ids[pairs[i].agent], de_ids[pairs[i].de])
    )
    write_rows(
        out / "truth.csv",
        ("agent_id", "de_id", "kind"),
        [(agent_ids[pairs[i].agent], de_ids[pairs[i].de], pairs[i].kind) for i in order],
    )
    rows = []
    for i in order:
        p = pairs[i]
        timings = sorted(set(p.timings))
        timing = timings[0] if len(timings) == 1 else "mixed:" + "+".join(timings)
        same_ag = ag.agency[p.agent] >= 0 and ag.agency[p.agent] == js.agency[p.de]
        same_dept = ag.dept[p.agent] == js.dept[p.de]
        status = "active" if active[p.de] else "archived"
        rows.append(
            (
                agent_ids[p.agent],
                de_ids[p.de],
                p.kind,
                p.subtype,
                p.identity,
                JOBS[ag.job[p.agent]],
                "true" if same_ag else "false",
                "true" if same_dept else "false",
                status,
                timing,
                len(p.days),
                p.n_events,
                ";".join(a for a in ACTIONS if a in p.actions),
                format_ts(np.array([p.first_t]), "offset")[0].as_py(),
                format_ts(np.array([p.last_t]), "offset")[0].as_py(),
            )
        )
    write_rows(
        out / "truth_notes.csv",
        (
            "agent_id",
            "de_id",
            "kind",
            "subtype",
            "identity_variant",
            "agent_job",
            "same_agency",
            "same_department",
            "file_status",
            "timing",
            "n_days",
            "n_events",
            "actions",
            "first_ts",
            "last_ts",
        ),
        rows,
    )


def write_sensitive_files(
    out: Path, w: World, protected: list[ProtectedRow], agent_ids: list[str]
) -> int:
    js = w.js
    active = js.active_in_quarter()
    rows = []
    for k, f in zip(js.special_index, js.special, strict=True):
        rows.append(
            (
                js.ids[k],
                f.role,
                agent_ids[f.agent] if f.agent >= 0 else "",
                ";".join(protected[i].person_id for i in f.protected),
                f.ref_label,
                "active" if active[k] else "archived",
            )
        )
    rows.sort()
    return write_rows(
        out / "sensitive_files.csv",
        (
            "de_id",
            "role",
            "agent_id",
            "person_ids",
            "identity_variant",
            "file_status",
        ),
        rows,
    )


def write_agent_notes(out: Path, w: World, agent_ids: list[str]) -> int:
    """Per-agent facts behind legitimate off-hours or out-of-agency work (for error analysis)."""
    ag, region = w.ag, w.region
    rows = []
    for i in range(ag.n):
        d0, d1 = (int(x) for x in ag.renfort_days[i])
        rows.append(
            (
                agent_ids[i],
                ag.declared_kind[i],
                f"{ag.evening_rate[i]:.2f}",
                int(ag.weekend_days[i]),
                region.agency_ids[ag.second_agency[i]] if ag.second_agency[i] >= 0 else "",
                region.agency_ids[ag.renfort_agency[i]] if ag.renfort_agency[i] >= 0 else "",
                iso_day(d0) if d0 >= 0 else "",
                iso_day(d1) if d1 >= 0 else "",
            )
        )
    rows.sort()
    return write_rows(
        out / "agents_notes.csv",
        (
            "agent_id",
            "work_pattern_quality",
            "evening_work_rate",
            "weekend_days_worked",
            "unrecorded_second_site",
            "reinforcement_agency",
            "reinforcement_from",
            "reinforcement_to",
        ),
        rows,
    )


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------


@dataclass
class Population:
    world: World
    protected: list[ProtectedRow]
    taken: set[str]  # ids already used (agents, protected persons)


def build_population(rng: np.random.Generator, scale: Scale, pairs_path: Path) -> Population:
    """Region, staff, protected persons, job-seeker files and their referents."""
    cal = Calendar.build()
    pairs_rows = read_pairs(pairs_path)
    pools = build_name_pools(rng, pairs_rows)
    taken: set[str] = set()
    region = build_region(rng, scale)
    ag = build_agents(rng, scale, region, pools, taken)
    compute_presence(rng, ag, cal)
    protected: list[ProtectedRow] = []
    specials: list[SpecialFile] = []
    real_protected(rng, scale, region, pairs_rows, pools, protected, specials, taken)
    synthetic_protected(rng, scale, region, pools, protected, specials, taken)
    agent_files(rng, ag, region, specials)
    js = build_job_seekers(rng, scale, region, pools, specials, taken)
    assign_referents(rng, js, ag, region)
    national = np.arange(ag.n, ag.n + scale.n_national_agents)
    world = World(
        cal, region, ag, js, rng, SessionBuffer(), Records(), scale.n_other_region_de, national
    )
    return Population(world, protected, taken)


def simulate_work(w: World) -> None:
    """All legitimate sessions and their context records."""
    gen_appointments(w)
    gen_referent_work(w)
    gen_covering(w)
    gen_partner_requests(w)
    gen_reinforcement_desk(w)
    gen_tasks(w)
    gen_calls(w)
    gen_supervision(w)
    gen_off_hours(w)
    gen_hard_negative_checks(w)


def plan_misuse(w: World, scale: Scale, protected: list[ProtectedRow]) -> list[MisusePair]:
    planner = MisusePlanner(w)
    counts = kind_counts(scale.n_truth)
    planner.plan_colleagues(counts["colleague"])
    planner.plan_ex_colleagues(counts["ex_colleague"])
    planner.plan_protected(counts["protected"], protected)
    planner.plan_curiosity(counts["curiosity"])
    if len(planner.pairs) != scale.n_truth:
        raise RuntimeError(f"planned {len(planner.pairs)} misuse pairs instead of {scale.n_truth}")
    return planner.pairs


def select_events(ev: Events, keep: np.ndarray) -> Events:
    return Events(
        ev.agent[keep], ev.de[keep], ev.t[keep], ev.action[keep], ev.app[keep], ev.src[keep]
    )


def assemble_events(w: World, pairs: list[MisusePair]) -> tuple[Events, dict[str, int]]:
    """Legitimate events (minus forbidden pairs and spill-overs) plus misuse events."""
    js, ag, rng = w.js, w.ag, w.rng
    m_agent, m_de, m_t, m_action = misuse_events(w, pairs)
    ev = expand_sessions(w, *w.sessions.concat())
    n_de_total = js.n + w.n_unknown_de
    own = [
        f.agent * n_de_total + k
        for k, f in zip(js.special_index, js.special, strict=True)
        if f.role in ("agent", "ex_agent")
    ]
    truth = [p.agent * n_de_total + p.de for p in pairs]
    forbidden = np.unique(np.array(own + truth, np.int64))
    pos = np.minimum(np.searchsorted(forbidden, ev.agent * n_de_total + ev.de), len(forbidden) - 1)
    allowed = forbidden[pos] != ev.agent * n_de_total + ev.de
    quarter_utc = EPOCH_Q_START - 7200  # Paris is UTC+2 for the whole quarter
    in_q = (ev.t >= quarter_utc) & (ev.t < quarter_utc + N_DAYS * DAY_S)
    exists = registered(js, ev.de, (ev.t - quarter_utc) // DAY_S)
    stats = {
        "legit_events_dropped_on_forbidden_pairs": int((~allowed).sum()),
        "legit_events_dropped_outside_quarter": int((allowed & ~in_q).sum()),
        "legit_events_dropped_before_file_registration": int((allowed & in_q & ~exists).sum()),
    }
    ev = select_events(ev, allowed & in_q & exists)
    cum = np.cumsum(APP_P_BY_JOB[ag.job[m_agent]], axis=1)
    m_app = (rng.random(len(m_agent))[:, None] > cum).sum(axis=1).astype(np.int8)
    misuse_src = np.full(len(m_agent), SRC_MISUSE, np.int16)
    merged = Events(
        np.concatenate([ev.agent, m_agent]),
        np.concatenate([ev.de, m_de]),
        np.concatenate([ev.t, m_t]),
        np.concatenate([ev.action, m_action]),
        np.concatenate([ev.app, m_app]),
        np.concatenate([ev.src, misuse_src]),
    )
    return merged, stats


def external_ids(pop: Population, scale: Scale) -> tuple[list[str], list[str], list[str]]:
    """Id lists: agents + national agents; files + other regions' files; foreign referents."""
    w, rng = pop.world, pop.world.rng
    agent_ids = [str(x) for x in w.ag.ids] + random_ids(
        rng, scale.n_national_agents, "N", 7, pop.taken
    )
    known = set(w.js.ids.tolist())
    other: list[str] = []
    letters = list("ABCDEFGHJKLMNPRSTUVWXYZ")
    while len(other) < scale.n_other_region_de:
        candidate = f"{int(rng.integers(1_000_000, 9_999_999))}{rng.choice(letters)}"
        if candidate not in known:
            known.add(candidate)
            other.append(candidate)
    de_ids = [str(x) for x in w.js.ids] + other
    return agent_ids, de_ids, random_ids(rng, 40, "R", 7, pop.taken)


def write_outputs(
    out: Path, pop: Population, pairs: list[MisusePair], ev: Events, scale: Scale
) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    w = pop.world
    agent_ids, de_ids, foreign_referents = external_ids(pop, scale)
    files = write_reference(out, w, pop.protected, foreign_referents)
    files.update(write_contexts(out, w, agent_ids, de_ids))
    files.update(write_consultations(out, ev, agent_ids, de_ids))
    write_truth(out, w, pairs, agent_ids, de_ids)
    files["truth.csv"] = len(pairs)
    files["truth_notes.csv"] = len(pairs)
    files["sensitive_files.csv"] = write_sensitive_files(out, w, pop.protected, agent_ids)
    files["agents_notes.csv"] = write_agent_notes(out, w, agent_ids)
    return files


def build_manifest(
    seed: int, scale_name: str, files: dict[str, int], ev: Events, pairs: list[MisusePair]
) -> dict[str, object]:
    legit = ev.src != SRC_MISUSE
    by_source = np.bincount(ev.src[legit], minlength=len(SOURCES))
    legit_total = int(by_source.sum())
    split = {"strong": 0, "weak": 0, "none": 0}
    per_source = {}
    for i, (name, explanation, *_rest) in enumerate(SOURCES):
        split[explanation] += int(by_source[i])
        per_source[name] = {"explanation_by_design": explanation, "events": int(by_source[i])}
    kinds = {k: sum(p.kind == k for p in pairs) for k in KIND_SHARES}
    return {
        "seed": seed,
        "scale": scale_name,
        "files": files,
        "consultation_rows_written": sum(
            v for k, v in files.items() if k.startswith("consultations/")
        ),
        "consultation_events_distinct": len(ev.t),
        "legitimate_events": legit_total,
        "misuse_events": int((~legit).sum()),
        "legit_split_by_design": {k: round(v / legit_total, 4) for k, v in split.items()},
        "legit_by_source": per_source,
        "truth_kinds": kinds,
    }


def generate(out: Path, seed: int, scale_name: str, pairs_path: Path) -> dict[str, object]:
    t0 = time.time()
    scale = SCALES[scale_name]
    rng = np.random.default_rng(seed)
    pop = build_population(rng, scale, pairs_path)
    simulate_work(pop.world)
    timings = {"world_and_sessions_s": round(time.time() - t0, 1)}
    pairs = plan_misuse(pop.world, scale, pop.protected)
    ev, drop_stats = assemble_events(pop.world, pairs)
    timings["events_s"] = round(time.time() - t0, 1)
    files = write_outputs(out, pop, pairs, ev, scale)
    timings["total_s"] = round(time.time() - t0, 1)
    manifest = build_manifest(seed, scale_name, files, ev, pairs)
    manifest.update(drop_stats)
    manifest["timings"] = timings
    (out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def _default_pairs() -> Path:
    """The linkage pairs where this machine keeps them (first found; the first place otherwise)."""
    given = os.environ.get("PARCOURS_LINKAGE_PAIRS")
    places = [Path(given)] if given else []
    places += [
        Path(__file__).resolve().parents[2] / "shared" / "data" / "linkage" / "pairs_dev.csv",
        Path("/work/shared/data/linkage/pairs_dev.csv"),
    ]
    return next((p for p in places if p.is_file()), places[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument(
        "--pairs",
        type=Path,
        default=_default_pairs(),
        help="pairs_dev.csv of the linkage data set (real spelling variants); default: "
        "$PARCOURS_LINKAGE_PAIRS, else shared/ beside the checkout, else /work/shared",
    )
    args = parser.parse_args()
    manifest = generate(args.out, args.seed, args.scale, args.pairs)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {
        k: manifest[k]
        for k in (
            "consultation_events_distinct",
            "misuse_events",
            "truth_kinds",
            "legit_split_by_design",
            "timings",
        )
    }
    print(json.dumps({**summary, "peak_rss_mb": round(peak_mb)}, indent=2))


if __name__ == "__main__":
    main()
