"""Clean-room synthetic region for measuring misuse-of-purpose detection.

Written from the product issue's semantics, /work/shared/DOMAIN.md, docs/formats.md (the interchange
contract) and the linkage README only, WITHOUT reading the detection engine, its data generator, its
tests or its measurement docs, and without running the detection. It is meant to measure the engine
on data whose author never saw what the rules look for.

Design choices (honest summary):
- Legitimate traffic is generated from work, not from rules: every working agent-day (calendar with
  French public holidays, part-time patterns, leave and sick days) draws Poisson counts of sessions.
  Counsellors work their portfolio (referent), hold appointments (prep / during / after sessions,
  no-shows, cancellations, collective sessions), take a few calls and tasks; GDD staff process
  back-office tasks (some created by the system days earlier, some still open); platform agents
  answer 3949 calls (consultation during the call; the telephony sometimes matched nothing or a
  homonym's file, the agent then opens the right file). A remainder has no recorded context:
  covering for colleagues / team work in the agency, managers supervising their agency, DR support
  staff, callbacks. Some agents work occasional late evenings, a Saturday or a holiday. Of legit
  events ~85 % carry a pair-level context, ~10 % only the agency, ~3 % none. Half of the agency
  staff (20 % of platform agents) publish no work pattern; 8 % of published ones are off the real
  hours. Referents are static over the quarter; no declared purpose (the contract has no column).
- Misuse pairs (1,000 for a region, by ~300 agents ≈ 6 %, a few browsing many files) are planted
  with kinds colleague (incl. own former file) / ex_colleague / protected / curiosity (neighbour,
  acquaintance, relative with the same surname, local celebrity looked at by many agents). A pair
  never has any legitimate context or legitimate consultation in the quarter (not referent, no
  appointment/call/task, no call that surfaced a homonym). Repetition is skewed (45 % one day),
  timing is mostly inside or at the edges of working hours, some off-hours/weekend/leave days,
  few prints/exports. Candidates are only looked at while they are candidates.
- Identity: HR and elected-official records carry civil names; the linked job-seeker files are exact
  (about a third) or differ by accents/case, hyphen vs space, maiden vs married/compound usage names, extra
  or missing given names, one-letter typos. Genuine homonyms (same names, another birth date, not a
  typo-like date) are ordinary job seekers with normal traffic.
Outputs: the contract files, consultations/ as Parquet (typed UTC timestamps), truth.csv,
truth_notes.csv and legit_sensitive_notes.csv (legitimate pairs on sensitive files, for analysis).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

Rng = np.random.Generator
IntArr = np.ndarray
AgencyPick = Callable[[IntArr], tuple[IntArr, IntArr]]
RegionPick = Callable[[int], IntArr]

# ----------------------------------------------------------------------------------------------
# Calendar: 2024-04-01 .. 2024-06-30, the whole quarter is in CEST (UTC+2).
Q_START = dt.date(2024, 4, 1)
N_DAYS = 91
DAY = 86_400
HOLIDAYS = {
    dt.date(2024, 4, 1),  # lundi de Pâques
    dt.date(2024, 5, 1),
    dt.date(2024, 5, 8),
    dt.date(2024, 5, 9),  # Ascension
    dt.date(2024, 5, 20),  # lundi de Pentecôte
}
BASE_UTC = int(dt.datetime(2024, 3, 31, 22, 0, tzinfo=dt.UTC).timestamp())
DATES = [Q_START + dt.timedelta(days=i) for i in range(N_DAYS)]
WEEKDAY = np.array([d.weekday() for d in DATES], dtype=np.int64)
IS_HOLIDAY = np.array([d in HOLIDAYS for d in DATES])
IS_WORKDAY = (WEEKDAY < 5) & ~IS_HOLIDAY
NO_DATE = 10**6  # sentinel for an empty date (day offsets relative to Q_START)
D64_START = np.datetime64("2024-04-01", "D")
S64_START = np.datetime64("2024-04-01T00:00:00", "s")

JOBS = ("conseiller", "gdd", "manager", "plateforme", "support", "direction")
CONSEILLER, GDD, MANAGER, PLATEFORME, SUPPORT, DIRECTION = range(6)

CTX = (
    "referent",
    "appointment",
    "collective",
    "call",
    "call_homonym",
    "call_nomatch",
    "task",
    "agency_team",
    "manager",
    "no_context",
    "off_hours",
    "misuse",
)
C_REF, C_APPT, C_COLL, C_CALL, C_CALLH, C_CALLN, C_TASK, C_TEAM, C_MGR, C_NONE, C_OFF, C_MIS = (
    range(12)
)

# ----------------------------------------------------------------------------------------------
# Geography (Occitanie, region 76): department, population weight, towns for agency names.
DEPARTMENTS: list[tuple[str, float, list[str]]] = [
    ("31", 1.45, ["Toulouse", "Muret", "Colomiers", "Blagnac", "Saint-Gaudens", "Balma"]),
    ("34", 1.20, ["Montpellier", "Béziers", "Sète", "Lunel", "Agde"]),
    ("30", 0.75, ["Nîmes", "Alès", "Bagnols-sur-Cèze", "Beaucaire"]),
    ("66", 0.48, ["Perpignan", "Céret", "Prades"]),
    ("81", 0.39, ["Albi", "Castres", "Gaillac"]),
    ("11", 0.37, ["Carcassonne", "Narbonne", "Castelnaudary", "Limoux"]),
    ("12", 0.28, ["Rodez", "Millau", "Villefranche-de-Rouergue", "Decazeville"]),
    ("82", 0.26, ["Montauban", "Castelsarrasin"]),
    ("65", 0.23, ["Tarbes", "Lourdes", "Lannemezan"]),
    ("32", 0.19, ["Auch", "Condom"]),
    ("46", 0.17, ["Cahors", "Figeac"]),
    ("09", 0.15, ["Foix", "Pamiers"]),
    ("48", 0.08, ["Mende"]),
]
DEPT_CODES = [d[0] for d in DEPARTMENTS]
DEPT_W = np.array([d[1] for d in DEPARTMENTS]) / sum(d[1] for d in DEPARTMENTS)

# ----------------------------------------------------------------------------------------------
# Names (invented lists, roughly ordered by frequency; weights are Zipf-like).


def _names(text: str, sep: str = ",") -> list[str]:
    return [s.strip() for s in text.split(sep)]


SURNAMES = _names(
    """MARTIN,BERNARD,GARCIA,THOMAS,PETIT,ROBERT,RICHARD,DURAND,DUBOIS,MOREAU,LAURENT,
SIMON,MICHEL,LEFÈVRE,LEROY,ROUX,DAVID,BERTRAND,MOREL,FOURNIER,GIRARD,BONNET,DUPONT,LAMBERT,
FONTAINE,ROUSSEAU,VINCENT,MARTINEZ,FAURE,ANDRÉ,MERCIER,BLANC,GUÉRIN,BOYER,GARNIER,CHEVALIER,
FRANÇOIS,LEGRAND,GAUTHIER,LOPEZ,PERRIN,ROBIN,CLÉMENT,MORIN,NICOLAS,HENRY,ROUSSEL,MATHIEU,GAUTIER,
MASSON,MARCHAND,DUVAL,DENIS,DUMONT,MARIE,LEMAIRE,NOËL,MEYER,DUFOUR,MEUNIER,BRUN,BLANCHARD,
GIRAUD,JOLY,RIVIÈRE,LUCAS,BRUNET,GAILLARD,BARBIER,ARNAUD,SANCHEZ,GÉRARD,ROCHE,RENARD,FERNANDEZ,
ROY,LEROUX,COLIN,VIDAL,CARON,PICARD,ROGER,FABRE,AUBERT,LEMOINE,RENAUD,DUMAS,LACROIX,OLIVIER,
PHILIPPE,BOURGEOIS,PIERRE,BENOÎT,REY,LECLERC,RODRIGUEZ,ROLLAND,PEREZ,GUILLAUME,LECOMTE,MARTY,
JEAN,DUPUY,GUILLOT,HUBERT,BERGER,CARPENTIER,ESTÈVE,DUPUIS,MOULIN,LOUIS,DESCHAMPS,HUET,DELMAS,
SABATIER,BOUSQUET,BOUCHER,FLEURY,ROYER,KLEIN,JACQUET,ADAM,PARIS,POIRIER,COMBES,AUBRY,GUYOT,
CARRÉ,CHARLES,RENAULT,CHARPENTIER,MÉNARD,MAILLARD,BARON,BERTIN,BAILLY,HERVÉ,SCHNEIDER,MAUREL,
LE GALL,COLLET,LÉGER,BOUVIER,JULIEN,PRÉVOST,MILLET,PERROT,DANIEL,LE ROUX,COUSIN,GERMAIN,BRETON,
BESSON,LANGLOIS,RÉMY,PUJOL,PELLETIER,LÉVÊQUE,PERRIER,LEBLANC,BARRÉ,LEBRUN,MARCHAL,WEBER,MALLET,
HAMON,BOULANGER,JACOB,MONNIER,MICHAUD,SERRES,GUICHARD,GILLET,ÉTIENNE,LAFON,POULAIN,TESSIER,
CHEVALLIER,COLLIN,CHAUVIN,DA SILVA,BOUCHET,GAY,LEMAÎTRE,BÉNARD,MARÉCHAL,HUMBERT,REYNAUD,ANTOINE,
LAPORTE,PERRET,BARTHÉLEMY,CORDIER,PICHON,LEJEUNE,GILBERT,LAMY,DELAUNAY,PASQUIER,CARLIER,
ROUQUETTE,CAZALS,CASTEL,BONNAFOUS,VIGUIER,CAUSSE,SÉGUIER,TEISSIER,AZÉMA,ESCANDE,CASTAING,
DOS SANTOS,FERREIRA,PEREIRA,RODRIGUES,GONÇALVES,MARTINS,OLIVEIRA,ALVES,BENHAMOU,BENALI,BOUZID,
HADDAD,MANSOURI,CHERIF,BELKACEM,EL AMRANI,BEN SAÏD,ROSSI,RUSSO,ESPOSITO,BIANCHI,FERRARI,NGUYEN,
TRAN,DIALLO,TRAORÉ,DIOP,N'DIAYE,D'ALMEIDA,DE OLIVEIRA,LE BRIS,DE LA FUENTE,SAINT-MARTIN,DELPECH,
LABORDE,DARRIEUX,BOURDARIOS,CABROL,CALMELS,FOURCADE,LASSERRE,LARRIEU,SOULIÉ,VAYSSIÈRE,MALET,
ALIBERT,BOUSQUIÉ,FAGES,CASTANIER,ROUQUIER,BARTHE,SARDA,PAGÈS,CAMBON,ARMENGAUD,ESCAFFRE,
BOURRASSOL,FABRÈGUE,VALETTE,DEVILLE,CAPDEVILLE,LARROQUE,SOUBIRAN,MAZARS,ARGUEL,CAYROL,
BALARESQUE,TOURNIER,DELTEIL,RIGAL,VERDIER,MALLEVILLE,GRANIER,ROUGEAUX,ESQUIROL,DUCASSE,
LACOMBE,MIQUEL,BRASSAC,COSTES,ICHARD,PLANTADE,ROUANET,BARRAU,CAMPS,JULIÀ"""
)
FEMALE = _names(
    """Nathalie,Isabelle,Sylvie,Catherine,Marie,Sandrine,Christine,Valérie,Stéphanie,Céline,
Françoise,Véronique,Sophie,Julie,Aurélie,Émilie,Laura,Camille,Léa,Manon,Chloé,Sarah,Emma,Inès,
Anaïs,Mélanie,Élodie,Caroline,Virginie,Karine,Laetitia,Audrey,Pauline,Marion,Claire,Anne,Hélène,
Martine,Monique,Nicole,Brigitte,Patricia,Corinne,Pascale,Dominique,Florence,Agnès,Cécile,
Delphine,Jessica,Vanessa,Amandine,Charlotte,Lucie,Justine,Océane,Clara,Jade,Louise,Alice,Zoé,
Lina,Yasmine,Fatima,Nadia,Samia,Leïla,Myriam,Sabrina,Nadège,Maëlle,Gaëlle,Noémie,Margaux,
Mathilde,Élise,Estelle,Fabienne,Ghislaine,Josiane,Jacqueline,Odile,Geneviève,Annie,Marie-Claire,
Marie-Christine,Anne-Sophie,Anne-Marie,Marie-Pierre,Marie-Laure,Marie-Hélène,Marie-Thérèse,
Josette,Régine,Muriel,Laurence,Béatrice,Claudine,Chantal,Danielle,Évelyne,Joëlle,Mireille,
Solène,Aurore,Ophélie,Morgane,Coralie,Amélie,Laurine,Eva,Romane,Ambre,Rose,Jeanne,Agathe,Éloïse,
Naïma,Khadija,Aïcha,Salomé,Cendrine,Sylvia,Katia,Fanny,Adeline,Perrine"""
)
MALE = _names(
    """Jean,Pierre,Michel,Philippe,Nicolas,Alain,Patrick,Christophe,Daniel,Bernard,Éric,
Frédéric,Laurent,Stéphane,David,Olivier,Sébastien,Julien,Thierry,Pascal,Jérôme,François,Didier,
Gérard,Christian,Dominique,Jacques,Thomas,Alexandre,Maxime,Romain,Antoine,Guillaume,Kévin,Anthony,
Mathieu,Vincent,Franck,Fabrice,Bruno,Yannick,Cédric,Hervé,Lionel,Arnaud,Benoît,Damien,Jérémy,
Florian,Hugo,Lucas,Nathan,Enzo,Théo,Louis,Léo,Gabriel,Raphaël,Arthur,Jules,Adam,Mohamed,Karim,
Mehdi,Rachid,Samir,Youssef,Bilal,Sofiane,Nabil,Hamid,Joël,Gilles,René,Serge,Roger,André,Claude,
Marcel,Henri,Yves,Guy,Régis,Loïc,Gaël,Noël,Jean-Pierre,Jean-Claude,Jean-Luc,Jean-François,
Jean-Marc,Jean-Michel,Jean-Louis,Jean-Paul,Jean-Jacques,Jean-Baptiste,Pierre-Yves,Marc-Antoine,
Paul,Benjamin,Quentin,Clément,Valentin,Adrien,Baptiste,Rémi,Xavier,Emmanuel,Ludovic,Grégory,
Jonathan,Mickaël,Cyril,Sylvain,Matthieu,Aurélien,Tristan,Bastien,Corentin,Dylan,Axel,Timothée,
Joris,Francis,Fabien,Mathis"""
)
SECOND_F = ["Marie", "Anne", "Louise", "Jeanne", "Claire", "Françoise", "Josette", "Hélène", "Rose"]
SECOND_M = ["Jean", "Louis", "Pierre", "Marie", "Joseph", "Michel", "Paul", "André", "Henri"]


def zipf_weights(n: int, a: float, offset: float) -> np.ndarray:
    w = 1.0 / (np.arange(n) + offset) ** a
    return w / w.sum()


SUR_W = zipf_weights(len(SURNAMES), 0.85, 4.0)
FEM_W = zipf_weights(len(FEMALE), 0.8, 5.0)
MAL_W = zipf_weights(len(MALE), 0.8, 5.0)


def strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def name_key(s: str) -> str:
    return re.sub(r"[^A-Z]", "", strip_accents(s).upper())


@dataclass
class Person:
    last: str
    birth: str  # birth (maiden) name, "" when the same as last
    firsts: list[str]
    sex: str
    bdate: dt.date


@dataclass
class People:
    """Column-wise person records (used for the job-seeker table)."""

    last: list[str] = field(default_factory=list)
    birth: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    bdate: list[int] = field(default_factory=list)  # days since 1970-01-01

    def add(self, last: str, birth: str, first: str, sex: str, bdate: int) -> int:
        self.last.append(last)
        self.birth.append(birth)
        self.first.append(first)
        self.sex.append(sex)
        self.bdate.append(bdate)
        return len(self.last) - 1


def epoch_day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def from_epoch_day(n: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(n))


def make_persons(
    rng: Rng,
    n: int,
    age_lo: int,
    age_hi: int,
    extra_first_p: float,
    married_p: float,
    compound_usage_p: float,
) -> list[Person]:
    """Civil identities (HR or elected-official registers): upper-case surnames, accents kept."""
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    sur = rng.choice(len(SURNAMES), size=n, p=SUR_W)
    sur2 = rng.choice(len(SURNAMES), size=n, p=SUR_W)
    fem = rng.choice(len(FEMALE), size=n, p=FEM_W)
    mal = rng.choice(len(MALE), size=n, p=MAL_W)
    age_days = rng.integers(age_lo * 365, age_hi * 365, size=n)
    nextra = (rng.random(n) < extra_first_p).astype(int) + (rng.random(n) < extra_first_p / 3)
    hyph = rng.random(n) < 0.03
    married = rng.random(n) < married_p
    compound = rng.random(n) < compound_usage_p
    out: list[Person] = []
    for i in range(n):
        s = str(sex[i])
        own = SURNAMES[sur[i]]
        if hyph[i] and SURNAMES[sur2[i]] != own:
            own = f"{own}-{SURNAMES[sur2[i]]}"
        first = FEMALE[fem[i]] if s == "F" else MALE[mal[i]]
        seconds = SECOND_F if s == "F" else SECOND_M
        firsts = [first]
        for k in range(int(nextra[i])):
            cand = seconds[(sur2[i] + 3 * k + i) % len(seconds)]
            if cand not in firsts and cand not in first:
                firsts.append(cand)
        last, birth = own, ""
        if s == "F" and married[i] and age_days[i] > 26 * 365:
            spouse = SURNAMES[sur2[i]]
            if spouse != own:
                last, birth = (f"{spouse}-{own}" if compound[i] else spouse), own
        bd = Q_START - dt.timedelta(days=int(age_days[i]))
        out.append(Person(last, birth, firsts, s, bd))
    return out


def typo(word: str, rng: Rng) -> str | None:
    """One realistic keyboard/phonetic slip: undouble, double or swap letters (>= 5 letters)."""
    chars = list(word)
    alpha = [i for i, c in enumerate(chars) if c.isalpha()]
    if len(alpha) < 5:
        return None
    doubles = [i for i in range(1, len(chars)) if chars[i] == chars[i - 1] and chars[i].isalpha()]
    op = int(rng.integers(3))
    if doubles and op == 0:
        del chars[doubles[int(rng.integers(len(doubles)))]]
        return "".join(chars)
    if op == 1:
        cands = [
            i
            for i in alpha[1:-2]
            if chars[i + 1].isalpha() and chars[i] != chars[i + 1] and chars[i] not in "AEIOUaeiou"
        ]
        if cands:
            i = cands[int(rng.integers(len(cands)))]
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
            return "".join(chars)
    cons = [i for i in alpha[1:-1] if chars[i].upper() in "BCDFGLMNPRST"]
    if not cons:
        return None
    i = cons[int(rng.integers(len(cons)))]
    chars.insert(i, chars[i])
    return "".join(chars)


VARIANTS = (
    "exact",
    "accents_case",
    "hyphen_space",
    "maiden_married",
    "given_names",
    "typo",
    "accents_and_given",
)
VARIANT_W = np.array([0.38, 0.20, 0.08, 0.12, 0.10, 0.07, 0.05])


def _swap_hyphen(s: str) -> str | None:
    if "-" in s:
        return s.replace("-", " ", 1)
    if " " in s:
        return s.replace(" ", "-", 1)
    return None


def variant_of(p: Person, rng: Rng) -> tuple[str, str, str, str]:
    """The job-seeker file of a registered person, as another system wrote it."""
    v = VARIANTS[int(rng.choice(len(VARIANTS), p=VARIANT_W))]
    if p.birth and rng.random() < 0.3:
        v = "maiden_married"  # married people's files often carry another surname form
    elif ("-" in p.last or " " in p.last) and rng.random() < 0.3:
        v = "hyphen_space"
    last, birth, firsts = p.last, p.birth, list(p.firsts)
    if v == "hyphen_space":
        sw = _swap_hyphen(last)
        if sw is not None:
            last = sw
        else:
            fs = [_swap_hyphen(f) for f in firsts]
            if fs[0] is not None:
                firsts = [*fs[0].split(" "), *firsts[1:]] if "-" in firsts[0] else [fs[0]]
            else:
                v = "accents_case"
    if v == "maiden_married":
        if p.birth:
            opt = int(rng.integers(4))
            if opt == 0:  # registered before marriage, under the maiden name only
                last, birth = p.birth, ""
            elif opt == 1:
                last, birth = f"{p.birth}-{p.last.split('-')[0]}", p.birth
            elif opt == 2:
                last, birth = f"{p.last.split('-')[0]} {p.birth}", ""
            else:  # usage name only, birth name not filled in
                last, birth = p.last, ""
        else:
            v = "given_names"
    if v == "typo":
        t = typo(last, rng)
        if t is not None:
            last = t
        else:
            t2 = typo(firsts[0], rng)
            if t2 is not None and "-" not in firsts[0]:
                firsts[0] = t2
            else:
                v = "accents_case"
    if v in ("given_names", "accents_and_given"):
        if len(firsts) > 1:
            firsts = firsts[:1]
        else:
            seconds = SECOND_F if p.sex == "F" else SECOND_M
            extra = seconds[int(rng.integers(len(seconds)))]
            if extra not in firsts[0]:
                firsts = [*firsts, extra]
    if v in ("accents_case", "accents_and_given"):
        last, birth = strip_accents(last).upper(), strip_accents(birth).upper()
        firsts = [strip_accents(f) for f in firsts]
        if rng.random() < 0.5:
            firsts = [f.upper() for f in firsts]
    return last, birth, " ".join(firsts), v


def homonym_bdate(rng: Rng, bd: dt.date) -> dt.date:
    """Another birth date that is not a typo-like variant (other year, month and day)."""
    while True:
        y = bd.year + int(rng.choice([-1, 1])) * int(rng.integers(3, 25))
        m = int(rng.integers(1, 13))
        d = int(rng.integers(1, 29))
        if m != bd.month and d != bd.day and 1940 < y < 2006:
            return dt.date(y, m, d)


# ----------------------------------------------------------------------------------------------
# Work patterns (contract syntax) and time-of-day sampling.
TEMPLATES = [
    "mon-fri 08:30-12:30,13:30-17:00",
    "mon-fri 08:00-12:00,13:00-16:30",
    "mon-thu 08:30-12:15,13:15-17:15;fri 08:30-12:00",
    "mon/tue/thu/fri 08:30-12:30,13:30-17:00",
    "mon-thu 08:30-12:30,13:30-17:00",
    "tue-fri 08:30-12:30,13:30-17:00",
    "mon/tue/thu/fri 08:30-12:30,13:30-17:00;wed 08:30-12:30",
    "mon-fri 08:00-12:30,13:30-18:30",
    "mon-fri 08:30-12:30,13:30-16:45",
    "mon-fri 09:30-13:00,14:00-17:30",
    "mon-fri 09:30-12:30,13:30-18:00",
]
TEMPLATE_BY_JOB: dict[int, list[tuple[int, float]]] = {
    CONSEILLER: [
        (0, 0.33),
        (1, 0.12),
        (2, 0.15),
        (3, 0.12),
        (4, 0.05),
        (5, 0.04),
        (6, 0.09),
        (10, 0.10),
    ],
    GDD: [(0, 0.35), (1, 0.2), (2, 0.15), (3, 0.12), (4, 0.06), (6, 0.07), (10, 0.05)],
    MANAGER: [(7, 0.7), (0, 0.2), (1, 0.1)],
    PLATEFORME: [(8, 0.5), (9, 0.35), (3, 0.15)],
    SUPPORT: [(0, 0.4), (1, 0.3), (7, 0.1), (3, 0.2)],
    DIRECTION: [(7, 0.8), (0, 0.2)],
}
DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _days(spec: str) -> list[int]:
    if "-" in spec:
        a, b = spec.split("-")
        return list(range(DAY_NAMES.index(a), DAY_NAMES.index(b) + 1))
    return [DAY_NAMES.index(x) for x in spec.split("/")]


def _slot(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return (int(h) * 60 + int(m)) // 15


def pattern_core(p: str) -> np.ndarray:
    w = np.zeros((7, 96))
    for group in p.split(";"):
        days, ranges = group.split(" ")
        for d in _days(days):
            for r in ranges.split(","):
                a, b = r.split("-")
                w[d, _slot(a) : _slot(b)] = 1.0
    return w


def build_time_tables() -> tuple[np.ndarray, np.ndarray]:
    """Flattened cumulative slot distributions per (template, weekday), and works[template, wd]."""
    t = len(TEMPLATES)
    cdf = np.zeros((t * 7, 96))
    works = np.zeros((t, 7), dtype=bool)
    for k, p in enumerate(TEMPLATES):
        core = pattern_core(p)
        for d in range(7):
            w = core[d].copy()
            if w.sum() == 0:
                w[36:68] = 1.0  # fallback 09:00-17:00, only used for odd days
            else:
                works[k, d] = True
                nz = np.nonzero(w)[0]
                lo, hi = nz[0], nz[-1]
                gap = (w[lo:hi] == 0).nonzero()[0] + lo
                w[gap] = 0.06  # some work through lunch
                w[lo - 1] += 0.22
                w[lo - 2] += 0.05
                w[hi + 1] += 0.22
                w[hi + 2] += 0.06
            c = np.cumsum(w) / w.sum()
            c[-1] = 1.0
            cdf[k * 7 + d] = c
    flat = (cdf + np.arange(t * 7)[:, None]).ravel()
    return flat, works


def sample_times(rng: Rng, flat: np.ndarray, tmpl: IntArr, day: IntArr) -> IntArr:
    """Local seconds since 2024-04-01 00:00 for sessions of agents with template tmpl on day."""
    row = tmpl.astype(np.int64) * 7 + WEEKDAY[day]
    idx = np.searchsorted(flat, row + rng.random(len(row)), side="right")
    slot = np.clip(idx - row * 96, 0, 95)
    return day.astype(np.int64) * DAY + slot * 900 + rng.integers(0, 900, len(row))


def uniform_window(rng: Rng, day: IntArr, lo_h: float, hi_h: float) -> IntArr:
    lo, hi = int(lo_h * 3600), int(hi_h * 3600)
    return day.astype(np.int64) * DAY + rng.integers(lo, hi, len(day))


# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Scale:
    agencies: int
    agency_staff: int
    platform: int
    dr_staff: int
    hq_staff: int
    ex_agents: int
    job_seekers: int
    protected: int
    misuse_pairs: int
    celebrities: int


SCALES = {
    "region": Scale(120, 4300, 450, 190, 60, 620, 375_000, 6100, 1000, 10),
    "small": Scale(6, 215, 23, 10, 3, 31, 18_750, 305, 50, 2),
}
VOLUME = 1.37  # global multiplier on legitimate session rates


@dataclass
class Sessions:
    agent: list[IntArr] = field(default_factory=list)
    de: list[IntArr] = field(default_factory=list)
    t0: list[IntArr] = field(default_factory=list)
    nev: list[IntArr] = field(default_factory=list)
    prof: list[IntArr] = field(default_factory=list)
    ctx: list[IntArr] = field(default_factory=list)

    def add(
        self, agent: IntArr, de: IntArr, t0: IntArr, nev: IntArr, prof: int | IntArr, ctx: int
    ) -> None:
        n = len(agent)
        self.agent.append(np.asarray(agent, np.int32))
        self.de.append(np.asarray(de, np.int32))
        self.t0.append(np.asarray(t0, np.int64))
        self.nev.append(np.minimum(np.asarray(nev, np.int16), 12))
        self.prof.append(np.broadcast_to(np.asarray(prof, np.int8), (n,)).copy())
        self.ctx.append(np.full(n, ctx, np.int8))

    def concat(self) -> dict[str, np.ndarray]:
        return {
            k: np.concatenate(getattr(self, k)) for k in ("agent", "de", "t0", "nev", "prof", "ctx")
        }


def poisson_cells(rng: Rng, mask: np.ndarray, lam: np.ndarray | float) -> tuple[IntArr, IntArr]:
    """Agent and day of each event when each True cell of mask draws Poisson(lam * VOLUME)."""
    lam_arr = np.asarray(lam, dtype=float) * VOLUME
    lam_m = np.where(mask, lam_arr[:, None] if lam_arr.ndim else lam_arr, 0.0)
    counts = rng.poisson(lam_m)
    a, d = np.nonzero(counts)
    c = counts[a, d]
    return np.repeat(a, c), np.repeat(d, c)


def csr(keys: IntArr, n_keys: int, values: IntArr) -> tuple[IntArr, IntArr, IntArr]:
    order = np.argsort(keys, kind="stable")
    ln = np.bincount(keys, minlength=n_keys)
    off = np.concatenate([[0], np.cumsum(ln)[:-1]])
    return values[order], off, ln


def pick(rng: Rng, pool: tuple[IntArr, IntArr, IntArr], owners: IntArr) -> tuple[IntArr, IntArr]:
    flat, off, ln = pool
    n = ln[owners]
    ok = n > 0
    idx = off[owners] + (rng.random(len(owners)) * np.maximum(n, 1)).astype(np.int64)
    out = np.where(ok, flat[np.minimum(idx, max(len(flat) - 1, 0))] if len(flat) else -1, -1)
    return out, ok


def fmt_days(days: IntArr) -> list[str]:
    s = np.datetime_as_string(D64_START + np.where(days == NO_DATE, 0, days).astype("m8[D]"))
    return ["" if e else x for x, e in zip(s.tolist(), (days == NO_DATE).tolist(), strict=True)]


def fmt_local(t: IntArr) -> list[str]:
    return np.datetime_as_string(S64_START + t.astype("m8[s]"), unit="s").tolist()


def fmt_utc(t: IntArr) -> list[str]:
    s = np.datetime_as_string(S64_START + (t - 7200).astype("m8[s]"), unit="s")
    return [x + "Z" for x in s.tolist()]


def write_csv(path: Path, header: Sequence[str], cols: Sequence[Sequence[object]]) -> int:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(zip(*cols, strict=True))
    return len(cols[0]) if cols else 0


# ----------------------------------------------------------------------------------------------
class Generator:
    def __init__(self, seed: int, scale: Scale) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.sc = scale
        self.flat_cdf, self.tmpl_works = build_time_tables()

    # -- organisation ------------------------------------------------------------------------
    def build_org(self) -> None:
        rng, sc = self.rng, self.sc
        n = sc.agencies
        if n >= len(DEPARTMENTS):
            alloc = 1 + np.floor(DEPT_W * (n - len(DEPARTMENTS))).astype(int)
            rem = n - alloc.sum()
            alloc[np.argsort(-DEPT_W)[:rem]] += 1
        else:
            chosen = rng.choice(len(DEPARTMENTS), size=n, replace=False, p=DEPT_W)
            alloc = np.bincount(chosen, minlength=len(DEPARTMENTS))
        self.ag_id: list[str] = []
        self.ag_name: list[str] = []
        self.ag_dept: list[str] = []
        self.ag_communes: list[list[str]] = []
        for di, k in enumerate(alloc):
            code, _, towns = DEPARTMENTS[di]
            used = rng.choice(np.arange(1, 1000), size=int(k) * 18, replace=False)
            for j in range(int(k)):
                town = towns[j % len(towns)]
                rep = j // len(towns)
                suffix = ["", " Nord", " Sud", " Est", " Ouest", " Centre", " Gare", " Rive"][
                    rep % 8
                ]
                self.ag_id.append(f"AGE{code}{j + 1:03d}")
                self.ag_name.append(f"Agence {town}{suffix}" + (f" {rep // 8 + 1}" * (rep >= 8)))
                self.ag_dept.append(code)
                self.ag_communes.append([f"{code}{c:03d}" for c in used[j * 18 : (j + 1) * 18]])
        self.n_ag = len(self.ag_id)
        self.ag_msa = rng.random(self.n_ag) < 0.18
        self.ag_dept_idx = np.array([DEPT_CODES.index(d) for d in self.ag_dept])
        self.est = [
            ("DR76", "Direction régionale Occitanie", "DR", "76"),
            ("DG", "Direction générale", "DG", ""),
            ("DSI", "Direction des systèmes d'information", "DSI", ""),
            ("PES76", "Plateformes de services Occitanie", "PES", "76"),
        ]

    # -- agents ------------------------------------------------------------------------------
    def build_agents(self) -> None:
        rng, sc = self.rng, self.sc
        size_w = rng.lognormal(0, 0.45, self.n_ag)
        size_w /= size_w.sum()
        sizes = 10 + rng.multinomial(sc.agency_staff - 10 * self.n_ag, size_w)
        job: list[int] = []
        agency: list[int] = []
        est: list[int] = []
        for a, s in enumerate(sizes):
            m = max(2, round(0.075 * s))
            g = round(0.2 * s)
            sup = round(0.04 * s)
            roles = [MANAGER] * m + [GDD] * g + [SUPPORT] * sup + [CONSEILLER] * (s - m - g - sup)
            job += roles
            agency += [a] * s
            est += [0] * s
        pm = max(1, round(sc.platform * 0.06))
        job += [MANAGER] * pm + [PLATEFORME] * (sc.platform - pm)
        agency += [-1] * sc.platform
        est += [3] * sc.platform
        for _ in range(sc.dr_staff):
            job.append(int(rng.choice([SUPPORT, DIRECTION, MANAGER], p=[0.7, 0.2, 0.1])))
            agency.append(-1)
            est.append(0)
        for _ in range(sc.hq_staff):
            e = int(rng.choice([1, 2]))
            job.append(SUPPORT if e == 2 else int(rng.choice([SUPPORT, DIRECTION])))
            agency.append(-1)
            est.append(e)
        n_active = len(job)
        # ex-agents: mostly former agency staff
        for _ in range(sc.ex_agents):
            if rng.random() < 0.85:
                a = int(rng.integers(self.n_ag))
                job.append(
                    int(rng.choice([CONSEILLER, GDD, MANAGER, SUPPORT], p=[0.6, 0.25, 0.05, 0.1]))
                )
                agency.append(a)
                est.append(0)
            else:
                job.append(PLATEFORME)
                agency.append(-1)
                est.append(3)
        self.n_active = n_active
        self.n_agents = len(job)
        self.a_job = np.array(job)
        self.a_agency = np.array(agency)
        self.a_est = np.array(est)
        na = self.n_agents
        self.a_dept = np.where(
            self.a_agency >= 0,
            self.ag_dept_idx[np.maximum(self.a_agency, 0)],
            rng.choice(len(DEPARTMENTS), size=na, p=DEPT_W),
        )
        self.persons = make_persons(rng, na, 22, 64, 0.55, 0.5, 0.2)
        ids = rng.choice(900_000, size=na, replace=False) + 100_000
        self.a_id = [f"AGT{x}" for x in ids]
        # hire / leave dates (day offsets relative to Q_START)
        hired = np.zeros(na, dtype=np.int64)
        left = np.full(na, NO_DATE, dtype=np.int64)
        for i, p in enumerate(self.persons):
            age_days = (Q_START - p.bdate).days
            max_seniority = max(60, age_days - 21 * 365)
            hired[i] = -int(min(max_seniority, rng.exponential(9 * 365) + 30))
        new_hires = (rng.random(na) < 0.025) & (np.arange(na) < n_active)
        hired[new_hires] = rng.integers(0, 80, new_hires.sum())
        leaving = (rng.random(na) < 0.015) & (np.arange(na) < n_active) & ~new_hires
        left[leaving] = rng.integers(10, 86, leaving.sum())
        ex = np.arange(na) >= n_active
        left[ex] = -rng.integers(20, 5 * 365, ex.sum())
        hired[ex] = np.minimum(hired[ex], left[ex] - rng.integers(200, 6000, ex.sum()))
        self.a_hired, self.a_left = hired, left
        # work patterns: actual template, published or not
        tmpl = np.zeros(na, dtype=np.int64)
        for j, opts in TEMPLATE_BY_JOB.items():
            sel = np.nonzero(self.a_job == j)[0]
            ks = np.array([o[0] for o in opts])
            ps = np.array([o[1] for o in opts])
            tmpl[sel] = ks[rng.choice(len(ks), size=len(sel), p=ps / ps.sum())]
        self.a_tmpl = tmpl
        given_p = np.where(self.a_job == PLATEFORME, 0.8, 0.5)
        self.a_given = rng.random(na) < given_p
        published = tmpl.copy()
        drift = self.a_given & (rng.random(na) < 0.08)
        published[drift] = np.where(tmpl[drift] == 0, 1, 0)  # pattern on file is slightly off
        self.a_published = published
        # presence matrix
        day = np.arange(N_DAYS)
        active = (hired[:, None] <= day[None, :]) & (day[None, :] < left[:, None])
        works_wd = self.tmpl_works[tmpl][:, WEEKDAY]
        absent = rng.random((na, N_DAYS)) < 0.02  # sick days, training
        vac = rng.random(na) < 0.75
        starts = rng.choice(
            np.arange(N_DAYS - 7),
            size=na,
            p=self._vacation_start_weights(),
        )
        lens = rng.integers(4, 12, na)
        for i in np.nonzero(vac)[0]:
            absent[i, starts[i] : starts[i] + lens[i]] = True
        self.active = active
        self.W = active & IS_WORKDAY[None, :] & works_wd & ~absent

    @staticmethod
    def _vacation_start_weights() -> np.ndarray:
        w = np.ones(N_DAYS - 7)
        for i, d in enumerate(DATES[: N_DAYS - 7]):
            if dt.date(2024, 4, 13) <= d <= dt.date(2024, 4, 28) or dt.date(
                2024, 5, 6
            ) <= d <= dt.date(2024, 5, 10):
                w[i] = 3.0
        return w / w.sum()

    # -- job seekers -------------------------------------------------------------------------
    def _ordinary(self, pp: People, n: int) -> None:
        rng = self.rng
        sex = rng.random(n) < 0.5
        sur = rng.choice(len(SURNAMES), size=n, p=SUR_W)
        sur2 = rng.choice(len(SURNAMES), size=n, p=SUR_W)
        fem = rng.choice(len(FEMALE), size=n, p=FEM_W)
        mal = rng.choice(len(MALE), size=n, p=MAL_W)
        sec = rng.integers(0, 9, n)
        nextra = rng.random(n)
        age = rng.gamma(6.0, 6.0, n) + 17
        age = np.where(age > 66, rng.uniform(18, 60, n), age)
        bdate = epoch_day(Q_START) - (age * 365.25).astype(int)
        married = sex & (age > 27) & (rng.random(n) < 0.35)
        hyph = rng.random(n) < 0.03
        keep_acc = rng.random(n) < 0.5
        upper_first = rng.random(n) < 0.3
        for i in range(n):
            own = SURNAMES[sur[i]]
            if hyph[i] and sur2[i] != sur[i]:
                own = f"{own}-{SURNAMES[sur2[i]]}"
            f = FEMALE[fem[i]] if sex[i] else MALE[mal[i]]
            if nextra[i] < 0.22:
                s2 = (SECOND_F if sex[i] else SECOND_M)[sec[i]]
                if s2 not in f:
                    f = f"{f} {s2}"
            last, birth = own, ""
            if married[i] and sur2[i] != sur[i]:
                last, birth = SURNAMES[sur2[i]], own
            if not keep_acc[i]:
                last, birth, f = strip_accents(last), strip_accents(birth), strip_accents(f)
            if upper_first[i]:
                f = f.upper()
            pp.add(last, birth, f, "F" if sex[i] else "M", int(bdate[i]))

    def build_job_seekers(self) -> None:
        rng, sc = self.rng, self.sc
        pp = People()
        role: list[int] = []  # 0 ordinary, 1 agent file, 2 ex-agent file, 3 protected, 4 homonym
        link: list[int] = []
        variant: list[str] = []
        agency: list[int] = []
        reg: list[int] = []
        dereg: list[int] = []
        # protected persons (registers)
        self.build_protected()
        # agents' own (former) job-seeker files, ex-agents' files, protected persons' files
        self.agent_js = np.full(self.n_agents, -1)
        dept_agencies = [np.nonzero(self.ag_dept_idx == d)[0] for d in range(len(DEPARTMENTS))]

        def agency_in(dept: int) -> int:
            cands = dept_agencies[dept]
            if len(cands) == 0:
                return int(rng.integers(self.n_ag))
            return int(cands[rng.integers(len(cands))])

        homonym_of: list[tuple[Person, int, int]] = []  # (person, role of source, source index)
        for i, p in enumerate(self.persons):
            is_ex = i >= self.n_active
            has = rng.random() < (0.45 if is_ex else 0.11)
            if has:
                if is_ex:
                    r = int(self.a_left[i] + rng.integers(0, 150))
                    if r > N_DAYS - 1:
                        has = False
                    else:
                        d = NO_DATE
                        if rng.random() < 0.3:
                            d = int(r + rng.integers(60, 400))
                            d = d if d > r else NO_DATE
                else:
                    r = int(self.a_hired[i] - rng.integers(60, 1500))
                    d = int(self.a_hired[i] - rng.integers(0, 30))
                    if self.a_hired[i] > -3 * 365 and rng.random() < 0.07:
                        d = NO_DATE  # still registered (short contract, reduced activity)
            if has:
                last, birth, first, v = variant_of(p, rng)
                k = pp.add(last, birth, first, p.sex, epoch_day(p.bdate))
                self.agent_js[i] = k
                role.append(2 if is_ex else 1)
                link.append(i)
                variant.append(v)
                home = int(self.a_agency[i])
                if home < 0 or rng.random() < 0.5:
                    home = agency_in(int(self.a_dept[i]))
                agency.append(home)
                reg.append(r)
                dereg.append(d)
            if rng.random() < (0.25 if has else 0.06):
                homonym_of.append((p, 1, i))
        self.pp_js = np.full(len(self.prot), -1)
        for j, (p, cat, _, dept, _vf, _vt) in enumerate(self.prot):
            share = 0.10 if cat == "candidate" else 0.035
            has = rng.random() < share
            if has:
                last, birth, first, v = variant_of(p, rng)
                k = pp.add(last, birth, first, p.sex, epoch_day(p.bdate))
                self.pp_js[j] = k
                role.append(3)
                link.append(j)
                variant.append(v)
                agency.append(agency_in(dept))
                if rng.random() < 0.65:
                    reg.append(-int(rng.integers(30, 900)))
                    dereg.append(NO_DATE if rng.random() < 0.85 else int(rng.integers(0, 91)))
                else:
                    r0 = -int(rng.integers(400, 4000))
                    reg.append(r0)
                    dereg.append(int(min(-1, r0 + rng.integers(60, 700))))
            if rng.random() < (0.3 if has else 0.05):
                homonym_of.append((p, 3, j))
        # homonyms: same names, another birth date; ordinary files with ordinary lives
        for p, _src_role, _src in homonym_of:
            last = p.last if rng.random() < 0.5 else strip_accents(p.last)
            birth = p.birth if rng.random() < 0.5 else ""
            bd = homonym_bdate(rng, p.bdate)
            pp.add(last, birth, p.firsts[0], p.sex, epoch_day(bd))
            role.append(4)
            link.append(-1)
            variant.append("")
            agency.append(-2)  # filled below
            reg.append(-2 * NO_DATE)
            dereg.append(NO_DATE)
        n_special = len(role)
        n_ord = max(0, sc.job_seekers - n_special)
        self._ordinary(pp, n_ord)
        role += [0] * n_ord
        link += [-1] * n_ord
        variant += [""] * n_ord
        agency += [-2] * n_ord
        reg += [-2 * NO_DATE] * n_ord
        dereg += [NO_DATE] * n_ord
        n = len(role)
        js_role = np.array(role, dtype=np.int8)
        js_agency = np.array(agency)
        js_reg = np.array(reg, dtype=np.int64)
        js_dereg = np.array(dereg, dtype=np.int64)
        # agencies of ordinary files follow agency size (number of counsellors)
        todo = js_agency == -2
        cons_per_ag = np.bincount(
            self.a_agency[: self.n_active][self.a_job[: self.n_active] == CONSEILLER],
            minlength=self.n_ag,
        ).astype(float)
        w = (cons_per_ag + 1) * rng.uniform(0.85, 1.15, self.n_ag)
        js_agency[todo] = rng.choice(self.n_ag, size=int(todo.sum()), p=w / w.sum())
        # registration history of ordinary files
        reg_todo = js_reg == -2 * NO_DATE
        u = rng.random(n)
        old = reg_todo & (u < 0.13)
        new = reg_todo & (u > 0.88)
        cont = reg_todo & ~old & ~new
        js_reg[old] = -rng.integers(400, 3000, old.sum())
        js_dereg[old] = np.minimum(-1, js_reg[old] + rng.integers(60, 700, old.sum()))
        js_reg[cont] = -np.minimum(4000, rng.exponential(420, cont.sum()).astype(int) + 1)
        leave_q = cont & (rng.random(n) < 0.12)
        js_dereg[leave_q] = rng.integers(1, 91, leave_q.sum())
        js_reg[new] = rng.integers(0, 88, new.sum())
        leave_n = new & (rng.random(n) < 0.05)
        js_dereg[leave_n] = np.minimum(90, js_reg[leave_n] + rng.integers(20, 60, leave_n.sum()))
        # shuffle so that special files are not grouped, then give ids
        perm = rng.permutation(n)
        inv = np.empty(n, dtype=np.int64)
        inv[perm] = np.arange(n)
        self.agent_js = np.where(self.agent_js >= 0, inv[np.maximum(self.agent_js, 0)], -1)
        self.pp_js = np.where(self.pp_js >= 0, inv[np.maximum(self.pp_js, 0)], -1)
        self.js_last = [pp.last[i] for i in perm]
        self.js_birth = [pp.birth[i] for i in perm]
        self.js_first = [pp.first[i] for i in perm]
        self.js_sex = [pp.sex[i] for i in perm]
        self.js_bdate = np.array(pp.bdate, dtype=np.int64)[perm]
        self.js_role = js_role[perm]
        self.js_link = np.array(link)[perm]
        self.js_variant = [variant[i] for i in perm]
        self.js_agency = js_agency[perm]
        self.js_reg = js_reg[perm]
        self.js_dereg = js_dereg[perm]
        self.n_js = n
        ids = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
        self.js_id = [f"DE{x}" for x in ids]
        comm_pick = rng.integers(0, 18, n)
        self.js_commune = [
            self.ag_communes[a][c]
            for a, c in zip(self.js_agency.tolist(), comm_pick.tolist(), strict=True)
        ]
        self.js_active = (self.js_reg <= N_DAYS - 1) & (self.js_dereg >= 0)
        self._assign_referents()
        self._homonym_groups()

    def _assign_referents(self) -> None:
        rng = self.rng
        n = self.n_js
        cons = np.nonzero(
            (self.a_job[: self.n_active] == CONSEILLER) & (self.a_hired[: self.n_active] < 0)
        )[0]
        cap = np.where(self.a_tmpl[cons] >= 3, 0.8, 1.0) * rng.uniform(0.7, 1.3, len(cons))
        by_ag = [cons[self.a_agency[cons] == a] for a in range(self.n_ag)]
        cap_ag = [cap[self.a_agency[cons] == a] for a in range(self.n_ag)]
        ref = np.full(n, -1, dtype=np.int64)
        has = self.js_active & (rng.random(n) < 0.88)
        for a in range(self.n_ag):
            sel = np.nonzero(has & (self.js_agency == a))[0]
            if len(by_ag[a]) == 0 or len(sel) == 0:
                continue
            p = cap_ag[a] / cap_ag[a].sum()
            ref[sel] = by_ag[a][rng.choice(len(by_ag[a]), size=len(sel), p=p)]
        # a counsellor is never the referent of their own file
        own = (self.js_role == 1) & (ref == self.js_link)
        ref[own] = -1
        self.js_ref = ref
        self.js_ref_foreign = self.js_active & (ref < 0) & (rng.random(n) < 0.02)

    def _homonym_groups(self) -> None:
        keys: dict[str, int] = {}
        gid = np.empty(self.n_js, dtype=np.int64)
        for i in range(self.n_js):
            k = name_key(self.js_last[i]) + "|" + name_key(self.js_first[i].split(" ")[0])
            gid[i] = keys.setdefault(k, len(keys))
        self.js_group = gid
        self.n_groups = len(keys)
        act = np.nonzero(self.js_active)[0]
        self.group_pool = csr(gid[act], self.n_groups, act)
        sur: dict[str, list[int]] = {}
        ordinary = np.nonzero(self.js_role == 0)[0]
        for i in ordinary.tolist():
            sur.setdefault(name_key(self.js_last[i]), []).append(i)
        self.surname_index = sur

    # -- protected persons -------------------------------------------------------------------
    def build_protected(self) -> None:
        rng, sc = self.rng, self.sc
        n = sc.protected
        # categories: mayors, departmental / regional councillors, deputies until dissolution,
        # senators, legislative candidates 2024 (+ substitutes), European list candidates 2024
        kinds = [
            ("elected", "2020-07-03", "", 0.72, (35, 80)),
            ("elected", "2021-07-01", "", 0.085, (30, 75)),
            ("elected", "2021-07-02", "", 0.025, (30, 75)),
            ("elected", "2022-06-22", "2024-06-09", 0.008, (30, 70)),
            ("elected", "2023-10-01", "", 0.004, (40, 75)),
            ("candidate", "2024-06-12", "2024-07-07", 0.145, (23, 72)),
            ("candidate", "2024-05-17", "2024-06-09", 0.013, (23, 70)),
        ]
        ws = np.array([k[3] for k in kinds])
        kidx = rng.choice(len(kinds), size=n, p=ws / ws.sum())
        self.prot: list[tuple[Person, str, str, int, int, int]] = []
        for i in range(n):
            cat, vf, vt, _, (lo, hi) = kinds[kidx[i]]
            p = make_persons(rng, 1, lo, hi, 0.4, 0.5, 0.3)[0]
            dept = int(rng.choice(len(DEPARTMENTS), p=DEPT_W))
            vf_d = (dt.date.fromisoformat(vf) - Q_START).days
            vt_d = (dt.date.fromisoformat(vt) - Q_START).days if vt else NO_DATE
            self.prot.append((p, cat, f"PP{i + 1:06d}", dept, vf_d, vt_d))

    # -- legitimate traffic --------------------------------------------------------------------
    def build_legit(self) -> None:
        rng = self.rng
        S = Sessions()
        self.S = S
        na = self.n_agents
        W = self.W
        job = self.a_job
        agency = self.a_agency
        act = np.nonzero(self.js_active)[0]
        self.port = self._portfolio()
        act_ag = self.js_agency[act]
        self.ag_pool = csr(act_ag, self.n_ag, act)
        region_pool = (act, np.array([0]), np.array([len(act)]))
        ag_owner = np.maximum(agency, 0)

        def agency_pick(agents: IntArr) -> tuple[IntArr, IntArr]:
            t, ok = pick(rng, self.ag_pool, ag_owner[agents])
            return t, ok & (agency[agents] >= 0)

        def region_pick(k: int) -> IntArr:
            return pick(rng, region_pool, np.zeros(k, dtype=np.int64))[0]

        def nev(k: int, mu: float, base: int = 1) -> IntArr:
            return base + rng.poisson(mu, k)

        def lam(per_job: dict[int, float]) -> np.ndarray:
            out = np.zeros(na)
            for j, v in per_job.items():
                out[job == j] = v
            return out

        # 1. referent work on the portfolio
        a, d = poisson_cells(rng, W, lam({CONSEILLER: 15.0}))
        de, ok = pick(rng, self.port, a)
        S.add(
            a[ok],
            de[ok],
            sample_times(rng, self.flat_cdf, self.a_tmpl[a[ok]], d[ok]),
            nev(int(ok.sum()), 1.8),
            0,
            C_REF,
        )
        # 2. appointments
        self._appointments(lam({CONSEILLER: 4.3, MANAGER: 0.3}), agency_pick)
        # 3. calls
        self._calls(lam({PLATEFORME: 34.0, CONSEILLER: 0.7}), region_pick)
        # 4. tasks
        self._tasks(lam({GDD: 10.0, CONSEILLER: 0.6, SUPPORT: 2.0}), agency_pick, region_pick)
        # 5. agency work without recorded context (covering, team work, supervision)
        for lj, ctx, mu in (
            ({CONSEILLER: 1.6, GDD: 3.0, SUPPORT: 6.0}, C_TEAM, 1.5),
            ({MANAGER: 14.0}, C_MGR, 1.0),
        ):
            a, d = poisson_cells(rng, W & (agency >= 0)[:, None], lam(lj))
            de, ok = agency_pick(a)
            S.add(
                a[ok],
                de[ok],
                sample_times(rng, self.flat_cdf, self.a_tmpl[a[ok]], d[ok]),
                nev(int(ok.sum()), mu),
                0,
                ctx,
            )
        # 6. no recorded context anywhere in the region (DR support, transfers, callbacks)
        lnone = lam({CONSEILLER: 0.25, GDD: 0.5, PLATEFORME: 2.5, SUPPORT: 0.0, DIRECTION: 1.0})
        lnone[(job == SUPPORT) & (agency < 0)] = 5.0
        lnone[(job == MANAGER) & (agency < 0)] = 3.0
        lnone[self.a_est == 2] = 0.8
        lnone[self.a_est == 1] = 0.1
        a, d = poisson_cells(rng, W, lnone)
        S.add(
            a,
            region_pick(len(a)),
            sample_times(rng, self.flat_cdf, self.a_tmpl[a], d),
            nev(len(a), 1.2),
            0,
            C_NONE,
        )
        # 7. off hours: late evenings, a Saturday, a holiday
        self._off_hours(agency_pick)

    def _portfolio(self) -> tuple[IntArr, IntArr, IntArr]:
        has = np.nonzero(self.js_ref >= 0)[0]
        return csr(self.js_ref[has], self.n_agents, has)

    def _appointments(self, lam_appt: np.ndarray, agency_pick: AgencyPick) -> None:
        rng, S = self.rng, self.S
        a, d = poisson_cells(rng, self.W, lam_appt)
        own, ok_own = pick(rng, self.port, a)
        other, ok_other = agency_pick(a)
        use_other = (rng.random(len(a)) < 0.18) | ~ok_own
        de = np.where(use_other, other, own)
        ok = np.where(use_other, ok_other, ok_own)
        t = sample_times(rng, self.flat_cdf, self.a_tmpl[a], d) // 1800 * 1800
        a, d, de, t = a[ok], d[ok], de[ok], t[ok]
        valid = (self.js_reg[de] <= d) & (d <= self.js_dereg[de])
        a, d, de, t = a[valid], d[valid], de[valid], t[valid]
        n = len(a)
        recent = (d - self.js_reg[de]) <= 30
        kinds = np.where(
            recent,
            rng.choice(["DPA", "EDA", "EDO"], size=n, p=[0.5, 0.3, 0.2]),
            rng.choice(["suivi", "CER", "bilan", "atelier"], size=n, p=[0.8, 0.08, 0.08, 0.04]),
        )
        dur = np.select(
            [kinds == "EDA", kinds == "DPA", kinds == "EDO", kinds == "atelier"],
            [3600, 2700, 900, 5400],
            1800,
        )
        u = rng.random(n)
        status = np.select([u < 0.82, u < 0.91], ["done", "no_show"], "cancelled")
        late = d >= 88
        status = np.where(late & (rng.random(n) < 0.5), "planned", status)
        # collective sessions: one row per participant
        ca, cd = poisson_cells(rng, self.W & (self.a_job == CONSEILLER)[:, None], 0.04)
        ct = sample_times(rng, self.flat_cdf, self.a_tmpl[ca], cd) // 3600 * 3600
        k = rng.integers(5, 11, len(ca))
        pa_ = np.repeat(ca, k)
        pd_ = np.repeat(cd, k)
        pt = np.repeat(ct, k)
        pde, pok = agency_pick(pa_)
        pok &= (self.js_reg[pde] <= pd_) & (pd_ <= self.js_dereg[pde])
        pa_, pd_, pt, pde = pa_[pok], pd_[pok], pt[pok], pde[pok]
        pstat = np.where(rng.random(len(pa_)) < 0.85, "done", "no_show")
        self.appt = {
            "agent": np.concatenate([a, pa_]),
            "de": np.concatenate([de, pde]),
            "t": np.concatenate([t, pt]),
            "kind": np.concatenate([kinds, np.full(len(pa_), "collectif")]),
            "status": np.concatenate([status, pstat]),
        }
        done = status == "done"
        ns = status == "no_show"
        m = (
            (done & (rng.random(n) < 0.55))
            | (ns & (rng.random(n) < 0.5))
            | ((status == "planned") & (rng.random(n) < 0.4))
        )
        S.add(
            a[m],
            de[m],
            t[m] - rng.integers(120, 2700, m.sum()),
            1 + rng.poisson(0.8, m.sum()),
            0,
            C_APPT,
        )
        m = (done & (rng.random(n) < 0.95)) | (ns & (rng.random(n) < 0.8))
        nv = np.where(done[m], 2 + rng.poisson(2.5, m.sum()), 1 + rng.poisson(0.6, m.sum()))
        S.add(a[m], de[m], t[m] + rng.integers(0, 480, m.sum()), nv, 1, C_APPT)
        m = done & (rng.random(n) < 0.3)
        S.add(
            a[m],
            de[m],
            t[m] + dur[m] + rng.integers(120, 5400, m.sum()),
            1 + rng.poisson(1.2, m.sum()),
            1,
            C_APPT,
        )
        m = (status == "cancelled") & (rng.random(n) < 0.6)
        S.add(
            a[m],
            de[m],
            t[m] - rng.integers(1800, 14400, m.sum()),
            1 + rng.poisson(0.5, m.sum()),
            0,
            C_APPT,
        )
        m = rng.random(len(pa_)) < 0.5
        S.add(
            pa_[m],
            pde[m],
            pt[m] + rng.integers(0, 1800, m.sum()),
            1 + rng.poisson(0.5, m.sum()),
            1,
            C_COLL,
        )

    def _calls(self, lam_call: np.ndarray, region_pick: RegionPick) -> None:
        rng, S = self.rng, self.S
        a, d = poisson_cells(rng, self.W, lam_call)
        n = len(a)
        caller = np.where(
            self.a_job[a] == CONSEILLER,
            pick(rng, self.port, a)[0],
            region_pick(n),
        )
        ok = (caller >= 0) & (self.js_reg[caller] <= d) & (d <= self.js_dereg[caller])
        a, d, caller = a[ok], d[ok], caller[ok]
        n = len(a)
        start = sample_times(rng, self.flat_cdf, self.a_tmpl[a], d)
        dur = np.clip(rng.lognormal(np.log(300), 0.6, n), 40, 2400).astype(np.int64)
        u = rng.random(n)
        plat = self.a_job[a] == PLATEFORME
        # which file the telephony surfaced
        hom, hom_ok = pick(rng, self.group_pool, self.js_group[caller])
        hom_ok &= hom != caller
        kind = np.select(
            [plat & (u < 0.05), plat & (u < 0.085), plat & (u < 0.11), u < 0.135],
            [2, np.where(hom_ok, 1, 0), 3, 4],
            0,
        )  # 0 right file, 1 homonym, 2 nothing, 3 other region, 4 no consultation needed
        call_de = np.where(
            kind == 1, hom, np.where(kind == 0, caller, np.where(kind == 4, caller, -1))
        )
        self.calls = {"agent": a, "de": call_de, "t": start, "dur": dur, "foreign": kind == 3}
        m = kind == 0
        S.add(
            a[m],
            caller[m],
            start[m] + rng.integers(5, 60, m.sum()),
            1 + rng.poisson(1.4, m.sum()),
            0,
            C_CALL,
        )
        m2 = m & (rng.random(n) < 0.2) & (dur > 200)
        S.add(
            a[m2], caller[m2], start[m2] + dur[m2] // 2, 1 + rng.poisson(1.0, m2.sum()), 1, C_CALL
        )
        m = (kind == 1) & (rng.random(n) < 0.6)
        S.add(
            a[m], hom[m], start[m] + rng.integers(5, 30, m.sum()), np.ones(m.sum(), int), 0, C_CALL
        )
        m = kind == 1
        S.add(
            a[m],
            caller[m],
            start[m] + rng.integers(40, 150, m.sum()),
            1 + rng.poisson(1.4, m.sum()),
            0,
            C_CALLH,
        )
        m = kind == 2
        S.add(
            a[m],
            caller[m],
            start[m] + rng.integers(30, 120, m.sum()),
            1 + rng.poisson(1.4, m.sum()),
            0,
            C_CALLN,
        )

    def _tasks(
        self, lam_task: np.ndarray, agency_pick: AgencyPick, region_pick: RegionPick
    ) -> None:
        rng, S = self.rng, self.S
        a, d = poisson_cells(rng, self.W, lam_task)
        n = len(a)
        de_ag, ok_ag = agency_pick(a)
        use_region = (rng.random(n) < 0.25) | ~ok_ag
        de = np.where(use_region, region_pick(n), de_ag)
        ok = (self.js_reg[de] <= d) & (d <= self.js_dereg[de] + 30)
        a, d, de = a[ok], d[ok], de[ok]
        n = len(a)
        tp = sample_times(rng, self.flat_cdf, self.a_tmpl[a], d)
        system = rng.random(n) < 0.35
        created = np.where(
            system,
            (d - rng.integers(1, 10, n)) * DAY + rng.integers(2 * 3600, 5 * 3600, n),
            tp - rng.integers(0, 1200, n),
        )
        v = rng.random(n)
        closed = np.where(
            v < 0.75, tp + rng.integers(900, 5400, n), tp + rng.integers(1, 5, n) * DAY
        )
        open_ = v > 0.88
        # a later closing session happens on the closing day, just before the closure
        late = ~open_ & (v >= 0.75)
        cday = np.minimum(closed[late] // DAY, N_DAYS - 1)
        ctime = sample_times(rng, self.flat_cdf, self.a_tmpl[a[late]], cday)
        closed[late] = np.maximum(ctime, tp[late] + 3600) + rng.integers(60, 900, late.sum())
        kinds = rng.choice(
            [
                "demande_allocation",
                "reexamen_droits",
                "trop_percu",
                "attestation",
                "radiation",
                "mediation",
                "pieces_justificatives",
            ],
            size=n,
            p=[0.3, 0.15, 0.1, 0.15, 0.08, 0.07, 0.15],
        )
        no_de = rng.random(n) < 0.01
        self.tasks = {
            "agent": a,
            "de": np.where(no_de, -1, de),
            "created": created,
            "closed": closed,
            "open": open_,
            "kind": kinds,
        }
        m = ~no_de & (rng.random(n) < 0.92)
        S.add(
            a[m],
            de[m],
            tp[m] + rng.integers(0, 600, m.sum()),
            2 + rng.poisson(2.0, m.sum()),
            1,
            C_TASK,
        )
        late_t = np.zeros(n, dtype=np.int64)
        late_t[late] = np.maximum(ctime, tp[late] + 3600)
        m = ~no_de & late & (rng.random(n) < 0.6) & (late_t < N_DAYS * DAY)
        S.add(a[m], de[m], late_t[m], 1 + rng.poisson(1.0, m.sum()), 1, C_TASK)

    def _off_hours(self, agency_pick: AgencyPick) -> None:
        rng, S, W = self.rng, self.S, self.W
        na = self.n_agents
        eligible = np.isin(self.a_job, [CONSEILLER, MANAGER, GDD]) & (self.a_agency >= 0)
        evening = eligible & (rng.random(na) < 0.15)
        rows_a: list[int] = []
        rows_d: list[int] = []
        for i in np.nonzero(evening)[0]:
            days = np.nonzero(W[i])[0]
            if len(days):
                k = min(len(days), int(rng.integers(1, 6)))
                for d in rng.choice(days, size=k, replace=False):
                    rows_a += [i] * int(2 + rng.poisson(3))
                    rows_d += [int(d)] * (len(rows_a) - len(rows_d))
        weekend = eligible & (rng.random(na) < 0.03)
        sats = np.nonzero(WEEKDAY == 5)[0]
        rows_a2: list[int] = []
        rows_d2: list[int] = []
        for i in np.nonzero(weekend)[0]:
            d = int(rng.choice(sats))
            if self.active[i, d]:
                k = int(2 + rng.poisson(3))
                rows_a2 += [i] * k
                rows_d2 += [d] * k
        hol = eligible & (rng.random(na) < 0.01)
        hdays = np.nonzero(IS_HOLIDAY)[0]
        for i in np.nonzero(hol)[0]:
            d = int(rng.choice(hdays))
            if self.active[i, d]:
                k = int(1 + rng.poisson(3))
                rows_a2 += [i] * k
                rows_d2 += [d] * k
        for ra, rd, lo, hi in ((rows_a, rows_d, 18.25, 21.5), (rows_a2, rows_d2, 9.0, 12.5)):
            a = np.array(ra, dtype=np.int64)
            d = np.array(rd, dtype=np.int64)
            if len(a) == 0:
                continue
            own, ok_own = pick(rng, self.port, a)
            other, ok_other = agency_pick(a)
            use = ok_own & (rng.random(len(a)) < 0.75)
            de = np.where(use, own, other)
            ok = use | ok_other
            S.add(
                a[ok],
                de[ok],
                uniform_window(rng, d[ok], lo, hi),
                1 + rng.poisson(1.5, ok.sum()),
                0,
                C_OFF,
            )

    # -- misuse ----------------------------------------------------------------------------------
    def plant_misuse(self, legit: dict[str, np.ndarray]) -> None:
        rng = self.rng
        nj = np.int64(self.n_js)
        keys = [legit["agent"].astype(np.int64) * nj + legit["de"]]
        keys.append(self.appt["agent"].astype(np.int64) * nj + self.appt["de"])
        cm = self.calls["de"] >= 0
        keys.append(self.calls["agent"][cm].astype(np.int64) * nj + self.calls["de"][cm])
        tm = self.tasks["de"] >= 0
        keys.append(self.tasks["agent"][tm].astype(np.int64) * nj + self.tasks["de"][tm])
        hr = np.nonzero(self.js_ref >= 0)[0]
        keys.append(self.js_ref[hr] * nj + hr)
        self.legit_keys = np.unique(np.concatenate(keys))
        ng = np.int64(self.n_groups)
        self.call_group_keys = np.unique(
            self.calls["agent"][cm].astype(np.int64) * ng + self.js_group[self.calls["de"][cm]]
        )

        def has_context(a: int, de: int) -> bool:
            k = np.int64(a) * nj + de
            i = np.searchsorted(self.legit_keys, k)
            if i < len(self.legit_keys) and self.legit_keys[i] == k:
                return True
            g = np.int64(a) * ng + self.js_group[de]
            j = np.searchsorted(self.call_group_keys, g)
            return bool(j < len(self.call_group_keys) and self.call_group_keys[j] == g)

        n_active = self.n_active
        full_q = (self.a_hired[:n_active] < 0) & (self.a_left[:n_active] == NO_DATE)
        jw = {
            CONSEILLER: 1.0,
            GDD: 1.0,
            PLATEFORME: 1.0,
            SUPPORT: 0.8,
            MANAGER: 0.6,
            DIRECTION: 0.3,
        }
        w = np.array([jw[int(j)] for j in self.a_job[:n_active]]) * full_q
        w[self.a_est[:n_active] != 0] *= np.where(
            self.a_job[:n_active][self.a_est[:n_active] != 0] == PLATEFORME, 1, 0.3
        )
        w /= w.sum()
        # sensitive files
        agent_files = np.nonzero(self.js_role == 1)[0]
        ex_files = np.nonzero(self.js_role == 2)[0]
        prot_files = np.nonzero(self.js_role == 3)[0]
        celeb = rng.choice(
            np.nonzero((self.js_role == 0) & self.js_active)[0],
            size=self.sc.celebrities,
            replace=False,
        )
        self.celebs = celeb
        kinds = ["colleague", "ex_colleague", "protected", "curiosity"]
        kind_p = np.array([0.30, 0.14, 0.16, 0.40])
        target = self.sc.misuse_pairs
        planned: dict[tuple[int, int], dict[str, object]] = {}
        used_agents: set[int] = set()
        attempts = 0
        while len(planned) < target and attempts < target * 50:
            attempts += 1
            a = int(rng.choice(n_active, p=w))
            if a in used_agents:
                continue
            used_agents.add(a)
            browser = rng.random() < 0.03
            npairs = int(rng.integers(8, 26)) if browser else int(rng.geometric(0.3))
            dominant = 0 if browser else int(rng.choice(4, p=kind_p))
            for _ in range(npairs):
                if len(planned) >= target:
                    break
                k = dominant if rng.random() < 0.6 else int(rng.choice(4, p=kind_p))
                res = self._choose_target(a, kinds[k], agent_files, ex_files, prot_files, celeb)
                if res is None:
                    continue
                de, sub, win = res
                if (a, de) in planned or has_context(a, de):
                    continue
                plan = self._plan_sessions(a, de, win, browser)
                if plan is None:
                    continue
                plan.update(kind=kinds[k], subtype=sub, browser=browser)
                planned[(a, de)] = plan
        self.planned = planned

    def _choose_target(
        self,
        a: int,
        kind: str,
        agent_files: IntArr,
        ex_files: IntArr,
        prot_files: IntArr,
        celeb: IntArr,
    ) -> tuple[int, str, np.ndarray] | None:
        rng = self.rng
        allowed = np.ones(N_DAYS, dtype=bool)
        my_ag = int(self.a_agency[a])
        my_dept = int(self.a_dept[a])
        if kind == "colleague":
            own = int(self.agent_js[a])
            if own >= 0 and rng.random() < 0.6:
                return own, "own_file", allowed
            src = self.js_link[agent_files]
            cand_ok = src != a
            same = (self.a_agency[src] == my_ag) & (self.a_est[src] == self.a_est[a])
            if rng.random() < 0.6 and (same & cand_ok).any():
                pool = agent_files[same & cand_ok]
                sub = "same_workplace"
            else:
                pool = agent_files[cand_ok]
                sub = "other_workplace"
            ww = np.where(self.a_hired[self.js_link[pool]] > -365, 3.0, 1.0)
            de = int(pool[rng.choice(len(pool), p=ww / ww.sum())])
            allowed = self.active[self.js_link[de]].copy()  # only while they are colleagues
            return de, sub, allowed
        if kind == "ex_colleague":
            src = self.js_link[ex_files]
            same = self.a_agency[src] == my_ag
            if my_ag >= 0 and rng.random() < 0.6 and same.any():
                return int(rng.choice(ex_files[same])), "former_same_agency", allowed
            return int(rng.choice(ex_files)), "former_elsewhere", allowed
        if kind == "protected":
            if len(prot_files) == 0:
                return None
            pdept = np.array([self.prot[int(j)][3] for j in self.js_link[prot_files]])
            local = pdept == my_dept
            pool = prot_files[local] if (rng.random() < 0.7 and local.any()) else prot_files
            de = int(rng.choice(pool))
            _, cat, _, _, vf, vt = self.prot[int(self.js_link[de])]
            day = np.arange(N_DAYS)
            allowed = (day >= vf) & (day <= vt)
            if not allowed.any():
                return None
            return de, cat, allowed
        # curiosity about ordinary people
        u = rng.random()
        if u < 0.25:
            return int(rng.choice(celeb)), "local_celebrity", allowed
        if u < 0.40:
            p = self.persons[a]
            names = [p.last, *([p.birth] if p.birth else [])]
            cands = self.surname_index.get(name_key(names[int(rng.integers(len(names)))]), [])
            if cands:
                return int(cands[int(rng.integers(len(cands)))]), "relative_same_surname", allowed
        if u < 0.75 and my_ag >= 0:
            flat, off, ln = self.ag_pool
            if ln[my_ag]:
                de = int(flat[off[my_ag] + int(rng.integers(ln[my_ag]))])
                if self.js_role[de] in (0, 4):
                    return de, "neighbour_own_agency", allowed
        dept_ags = np.nonzero(self.ag_dept_idx == my_dept)[0]
        if len(dept_ags) == 0:
            dept_ags = np.arange(self.n_ag)
        ag = int(rng.choice(dept_ags))
        flat, off, ln = self.ag_pool
        if ln[ag] == 0:
            return None
        de = int(flat[off[ag] + int(rng.integers(ln[ag]))])
        if self.js_role[de] not in (0, 4):
            return None
        return de, "acquaintance", allowed

    def _plan_sessions(
        self, a: int, de: int, allowed: np.ndarray, browser: bool
    ) -> dict[str, object] | None:
        rng = self.rng
        allowed = allowed & self.active[a]
        if not allowed.any():
            return None
        u = rng.random()
        if browser:
            ndays = 1 if u < 0.7 else 2
        else:
            ndays = (
                1
                if u < 0.45
                else 2
                if u < 0.65
                else int(rng.integers(3, 6))
                if u < 0.87
                else int(rng.integers(6, 16))
            )
        v = rng.random()
        timing = "work_hours" if v < 0.58 else "edges" if v < 0.83 else "off_hours"
        wdays = allowed & self.W[a]
        if timing == "off_hours" and rng.random() < 0.5:
            cand = allowed & ~self.W[a]
        else:
            cand = wdays if wdays.any() else allowed
        if not cand.any():
            cand = allowed
        cd = np.nonzero(cand)[0]
        centre = int(rng.choice(cd))
        near = cd[np.abs(cd - centre) <= 20]
        pool = near if len(near) >= ndays else cd
        days = np.sort(rng.choice(pool, size=min(ndays, len(pool)), replace=False))
        t0: list[int] = []
        for d in days.tolist():
            k = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
            for _ in range(k):
                if timing == "work_hours":
                    if self.W[a, d]:
                        t = int(
                            sample_times(rng, self.flat_cdf, self.a_tmpl[[a]], np.array([d]))[0]
                        )
                    else:
                        t = d * DAY + int(rng.integers(9 * 3600, 17 * 3600))
                elif timing == "edges":
                    lo, hi = [(7.25, 8.33), (12.25, 13.67), (17.15, 18.75)][int(rng.integers(3))]
                    t = d * DAY + int(rng.integers(int(lo * 3600), int(hi * 3600)))
                elif self.W[a, d]:
                    t = d * DAY + int(rng.integers(19 * 3600, int(22.75 * 3600)))
                else:
                    t = d * DAY + int(rng.integers(9 * 3600, 21 * 3600))
                t0.append(t)
        t0.sort()
        n = len(t0)
        nev = (1 + rng.poisson(0.7, n)).astype(np.int64)
        prof = np.full(n, 2, dtype=np.int64)
        r = rng.random()
        actions = "view"
        own_file = self.agent_js[a] == de
        if r < 0.10:
            i = int(rng.integers(n))
            prof[i], nev[i], actions = 3, max(2, nev[i]), "view+print"
        elif r < 0.13:
            i = int(rng.integers(n))
            prof[i], nev[i], actions = 4, max(2, nev[i]), "view+export"
        elif own_file and r < 0.35:
            i = int(rng.integers(n))
            prof[i], nev[i], actions = 5, max(2, nev[i]), "view+edit"
        return {
            "t0": np.array(t0, dtype=np.int64),
            "nev": nev,
            "prof": prof,
            "timing": timing,
            "actions": actions,
            "days": days,
        }

    # -- event expansion and writing -------------------------------------------------------------
    def write_consultations(self, out: Path, sess: dict[str, np.ndarray]) -> int:
        rng = self.rng
        cdir = out / "consultations"
        cdir.mkdir()
        order = np.argsort(sess["t0"], kind="stable")
        for k in sess:
            sess[k] = sess[k][order]
        job = self.a_job[sess["agent"]]
        app_aude = np.where(job == GDD, 0.75, 0.3)
        sess["app"] = (rng.random(len(job)) < app_aude).astype(np.int8)
        agent_ids = pa.array(self.a_id, pa.string())
        de_ids = pa.array(self.js_id, pa.string())
        apps = pa.array(["MAP", "AUDE"], pa.string())
        acts = pa.array(["view", "edit", "print", "export"], pa.string())
        week_edges = np.searchsorted(sess["t0"], np.arange(0, N_DAYS + 8, 7) * DAY)
        total = 0
        prefix = f"CR{self.seed}-"
        schema = pa.schema(
            [
                ("event_id", pa.string()),
                ("ts", pa.timestamp("s", tz="UTC")),
                ("agent_id", pa.string()),
                ("de_id", pa.string()),
                ("application", pa.string()),
                ("action", pa.string()),
            ]
        )
        for w in range(len(week_edges) - 1):
            lo, hi = int(week_edges[w]), int(week_edges[w + 1])
            if hi <= lo:
                continue
            nev = sess["nev"][lo:hi].astype(np.int64)
            n = int(nev.sum())
            sid = np.repeat(np.arange(hi - lo), nev)
            starts = np.concatenate([[0], np.cumsum(nev)[:-1]])
            rank = np.arange(n) - starts[sid]
            gaps = rng.integers(8, 240, n)
            gaps[starts] = 0
            cg = np.cumsum(gaps)
            ts = sess["t0"][lo:hi][sid] + cg - cg[starts][sid]
            prof = sess["prof"][lo:hi][sid]
            last = rank == nev[sid] - 1
            u = rng.random(n)
            act = np.zeros(n, dtype=np.int64)
            p0 = (prof == 0) & (rank > 0)
            act[p0] = np.select([u[p0] < 0.78, u[p0] < 0.98, u[p0] < 0.996], [0, 1, 2], 3)
            p1 = (prof == 1) & (rank > 0)
            act[p1] = np.select([u[p1] < 0.42, u[p1] < 0.975, u[p1] < 0.995], [0, 1, 2], 3)
            act[(prof == 3) & last] = 2
            act[(prof == 4) & last] = 3
            act[(prof == 5) & (rank == 1)] = 1
            o = np.argsort(ts, kind="stable")
            ts, sid, act = ts[o], sid[o], act[o]
            eid = np.arange(total, total + n, dtype=np.int64)
            eid_str = pc.binary_join_element_wise(
                pa.scalar(prefix), pc.cast(pa.array(eid), pa.string()), ""
            )
            table = pa.table(
                [
                    eid_str,
                    pa.array(BASE_UTC + ts, pa.timestamp("s", tz="UTC")),
                    agent_ids.take(pa.array(sess["agent"][lo:hi][sid])),
                    de_ids.take(pa.array(sess["de"][lo:hi][sid])),
                    apps.take(pa.array(sess["app"][lo:hi][sid])),
                    acts.take(pa.array(act)),
                ],
                schema=schema,
            )
            pq.write_table(table, cdir / f"week-{w + 1:02d}.parquet", row_group_size=500_000)
            total += n
        return total

    def write_reference(self, out: Path) -> dict[str, int]:
        counts: dict[str, int] = {}
        e = self.est
        counts["establishments"] = write_csv(
            out / "establishments.csv",
            ["establishment_id", "name", "kind", "region_code"],
            [[x[0] for x in e], [x[1] for x in e], [x[2] for x in e], [x[3] for x in e]],
        )
        counts["agencies"] = write_csv(
            out / "agencies.csv",
            ["agency_id", "name", "establishment_id", "department_code", "msa_experiment"],
            [
                self.ag_id,
                self.ag_name,
                ["DR76"] * self.n_ag,
                self.ag_dept,
                ["true" if m else "false" for m in self.ag_msa],
            ],
        )
        p = self.persons
        counts["agents"] = write_csv(
            out / "agents.csv",
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
            [
                self.a_id,
                [x.last for x in p],
                [x.birth for x in p],
                [" ".join(x.firsts) for x in p],
                [x.bdate.isoformat() for x in p],
                [x.sex for x in p],
                [self.est[i][0] for i in self.a_est],
                [self.ag_id[i] if i >= 0 else "" for i in self.a_agency],
                [JOBS[j] for j in self.a_job],
                fmt_days(self.a_hired),
                fmt_days(self.a_left),
                [
                    TEMPLATES[t] if g else ""
                    for t, g in zip(self.a_published, self.a_given, strict=True)
                ],
            ],
        )
        ref = [
            self.a_id[r] if r >= 0 else (f"AGX{900000 + i % 99991}" if f else "")
            for i, (r, f) in enumerate(
                zip(self.js_ref.tolist(), self.js_ref_foreign.tolist(), strict=True)
            )
        ]
        bd = np.datetime_as_string(self.js_bdate.astype("M8[D]")).tolist()
        counts["job_seekers"] = write_csv(
            out / "job_seekers.csv",
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
            [
                self.js_id,
                self.js_last,
                self.js_birth,
                self.js_first,
                bd,
                self.js_sex,
                [self.ag_dept[a] for a in self.js_agency],
                self.js_commune,
                [self.ag_id[a] for a in self.js_agency],
                ref,
                fmt_days(self.js_reg),
                fmt_days(np.where(self.js_dereg >= 10**5, NO_DATE, self.js_dereg)),
            ],
        )
        pr = self.prot
        counts["protected_persons"] = write_csv(
            out / "protected_persons.csv",
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
                [x[2] for x in pr],
                [x[1] for x in pr],
                [x[0].last for x in pr],
                [x[0].birth for x in pr],
                [" ".join(x[0].firsts) for x in pr],
                [x[0].bdate.isoformat() for x in pr],
                [x[0].sex for x in pr],
                [DEPT_CODES[x[3]] for x in pr],
                fmt_days(np.array([x[4] for x in pr], dtype=np.int64)),
                fmt_days(np.array([x[5] for x in pr], dtype=np.int64)),
            ],
        )
        ap = self.appt
        counts["appointments"] = write_csv(
            out / "appointments.csv",
            ["appointment_id", "de_id", "agent_id", "starts_at", "kind", "status"],
            [
                [f"RDV{self.seed}-{i}" for i in range(len(ap["agent"]))],
                [self.js_id[x] for x in ap["de"]],
                [self.a_id[x] for x in ap["agent"]],
                fmt_local(ap["t"]),
                ap["kind"].tolist(),
                ap["status"].tolist(),
            ],
        )
        ca = self.calls
        de_txt = [
            self.js_id[x] if x >= 0 else (f"DEX{70000000 + i % 9999991}" if f else "")
            for i, (x, f) in enumerate(zip(ca["de"].tolist(), ca["foreign"].tolist(), strict=True))
        ]
        counts["calls"] = write_csv(
            out / "calls.csv",
            ["call_id", "de_id", "agent_id", "started_at", "ended_at"],
            [
                [f"APL{self.seed}-{i}" for i in range(len(ca["agent"]))],
                de_txt,
                [self.a_id[x] for x in ca["agent"]],
                fmt_utc(ca["t"]),
                fmt_utc(ca["t"] + ca["dur"]),
            ],
        )
        tk = self.tasks
        closed = fmt_local(tk["closed"])
        counts["tasks"] = write_csv(
            out / "tasks.csv",
            ["task_id", "de_id", "agent_id", "created_at", "closed_at", "kind"],
            [
                [f"TCH{self.seed}-{i}" for i in range(len(tk["agent"]))],
                [self.js_id[x] if x >= 0 else "" for x in tk["de"]],
                [self.a_id[x] for x in tk["agent"]],
                fmt_local(tk["created"]),
                ["" if o else c for c, o in zip(closed, tk["open"].tolist(), strict=True)],
                tk["kind"].tolist(),
            ],
        )
        return counts

    def write_truth(self, out: Path) -> dict[str, int]:
        rows = sorted(
            self.planned.items(), key=lambda kv: (self.a_id[kv[0][0]], self.js_id[kv[0][1]])
        )
        with (out / "truth.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["agent_id", "de_id", "kind"])
            for (a, de), p in rows:
                w.writerow([self.a_id[a], self.js_id[de], p["kind"]])
        per_kind: dict[str, int] = {}
        with (out / "truth_notes.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(
                [
                    "agent_id",
                    "de_id",
                    "kind",
                    "subtype",
                    "agent_job",
                    "agent_agency_id",
                    "file_agency_id",
                    "same_agency",
                    "agent_pattern_given",
                    "identity_variant",
                    "target_ref_id",
                    "file_active_in_quarter",
                    "browser_agent",
                    "n_days",
                    "n_sessions",
                    "n_events",
                    "off_pattern_days",
                    "timing",
                    "actions",
                    "first_ts_local",
                    "last_ts_local",
                ]
            )
            for (a, de), p in rows:
                kind = str(p["kind"])
                per_kind[kind] = per_kind.get(kind, 0) + 1
                t0 = p["t0"]
                days = p["days"]
                role = int(self.js_role[de])
                link = int(self.js_link[de])
                ref_id = (
                    self.a_id[link] if role in (1, 2) else self.prot[link][2] if role == 3 else ""
                )
                aa = int(self.a_agency[a])
                w.writerow(
                    [
                        self.a_id[a],
                        self.js_id[de],
                        kind,
                        p["subtype"],
                        JOBS[int(self.a_job[a])],
                        self.ag_id[aa] if aa >= 0 else "",
                        self.ag_id[int(self.js_agency[de])],
                        "true" if aa == int(self.js_agency[de]) else "false",
                        "true" if self.a_given[a] else "false",
                        self.js_variant[de],
                        ref_id,
                        "true" if self.js_active[de] else "false",
                        "true" if p["browser"] else "false",
                        len(days),
                        len(t0),
                        int(np.sum(p["nev"])),
                        int(np.sum(~self.W[a, days])),
                        p["timing"],
                        p["actions"],
                        fmt_local(t0[:1])[0],
                        fmt_local(t0[-1:])[0],
                    ]
                )
        return per_kind

    def write_legit_sensitive(self, out: Path, legit: dict[str, np.ndarray]) -> int:
        m = np.isin(self.js_role[legit["de"]], [1, 2, 3])
        a, de, ctx = legit["agent"][m], legit["de"][m], legit["ctx"][m]
        key = a.astype(np.int64) * self.n_js + de
        order = np.argsort(key, kind="stable")
        key, a, de, ctx = key[order], a[order], de[order], ctx[order]
        uk, first, cnt = np.unique(key, return_index=True, return_counts=True)
        with (out / "legit_sensitive_notes.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(
                [
                    "agent_id",
                    "de_id",
                    "file_role",
                    "same_agency",
                    "is_referent",
                    "n_sessions",
                    "contexts",
                ]
            )
            for i, c in zip(first.tolist(), cnt.tolist(), strict=True):
                ai, di = int(a[i]), int(de[i])
                ctxs = sorted({CTX[int(x)] for x in ctx[i : i + c]})
                w.writerow(
                    [
                        self.a_id[ai],
                        self.js_id[di],
                        ["", "agent", "ex_agent", "protected"][int(self.js_role[di])],
                        "true" if self.a_agency[ai] == self.js_agency[di] else "false",
                        "true" if self.js_ref[di] == ai else "false",
                        c,
                        "|".join(ctxs),
                    ]
                )
        return len(uk)

    # -- driver ----------------------------------------------------------------------------------
    def run(self, out: Path) -> None:
        t_start = time.perf_counter()
        self.build_org()
        self.build_agents()
        self.build_job_seekers()
        self.build_legit()
        legit = self.S.concat()
        day = legit["t0"] // DAY
        de = legit["de"]
        keep = (self.js_reg[de] <= day) & (day <= self.js_dereg[de] + 45) & (de >= 0)
        keep |= np.isin(legit["ctx"], [C_CALL, C_CALLH, C_CALLN, C_TASK, C_APPT, C_COLL]) & (
            de >= 0
        )
        for k in legit:
            legit[k] = legit[k][keep]
        self.plant_misuse(legit)
        mis = Sessions()
        for (a, de_), p in self.planned.items():
            n = len(p["t0"])
            mis.add(np.full(n, a), np.full(n, de_), p["t0"], p["nev"], p["prof"], C_MIS)
        allsess = {k: np.concatenate([legit[k], v]) for k, v in mis.concat().items()}
        t_gen = time.perf_counter() - t_start
        counts = self.write_reference(out)
        n_events = self.write_consultations(out, allsess)
        per_kind = self.write_truth(out)
        n_sens = self.write_legit_sensitive(out, legit)
        elapsed = time.perf_counter() - t_start
        ctx_counts = np.bincount(legit["ctx"], weights=legit["nev"], minlength=len(CTX))
        print(f"written to {out} in {elapsed:.1f} s (model {t_gen:.1f} s)")
        for k, v in counts.items():
            print(f"  {k:18s} {v:>12,d}")
        print(f"  {'consultations':18s} {n_events:>12,d}")
        print(
            f"  {'truth pairs':18s} {len(self.planned):>12,d}  "
            + ", ".join(f"{k}={v}" for k, v in sorted(per_kind.items()))
        )
        mis_events = int(sum(int(np.sum(p["nev"])) for p in self.planned.values()))
        print(f"  misuse events {mis_events:,d}; legit sensitive pairs {n_sens:,d}")
        print(
            "  legit events by context: "
            + ", ".join(
                f"{CTX[i]} {ctx_counts[i] / max(1, ctx_counts.sum()):.1%}"
                for i in range(len(CTX) - 1)
            )
        )


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    args = ap.parse_args(argv)
    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    Generator(args.seed, SCALES[args.scale]).run(out)


if __name__ == "__main__":
    main()
