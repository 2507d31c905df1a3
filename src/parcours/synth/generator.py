"""`generate()`: the synthetic region, written in the interchange format, with its ground truth."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from parcours.errors import InvalidInput
from parcours.synth import output
from parcours.synth.calendar import Calendar, Period
from parcours.synth.contacts import (
    APPOINTMENT_KINDS,
    APPOINTMENT_STATUSES,
    NO_FILE,
    TASK_KINDS,
    Appointments,
    Calls,
    Tasks,
    build_appointments,
    build_calls,
    build_tasks,
)
from parcours.synth.identities import draw_identities
from parcours.synth.ids import agent_ids as make_agent_ids
from parcours.synth.ids import hex_ids
from parcours.synth.misuse import KINDS, MisusePlan, plan_misuse
from parcours.synth.names import load_name_pools
from parcours.synth.organisation import (
    Agents,
    Organisation,
    build_agents,
    build_organisation,
    minute_tables,
)
from parcours.synth.parameters import (
    JOBS,
    Geography,
    PatternTemplate,
    load_geography,
    load_pattern_templates,
    load_scales,
)
from parcours.synth.population import (
    NO_DAY,
    SENS_AGENT,
    SENS_EX_AGENT,
    SENS_NONE,
    SENS_PROTECTED,
    JobSeekers,
    ProtectedPersons,
    build_job_seekers,
    build_protected,
)
from parcours.synth.traffic import (
    Episodes,
    TrafficModel,
    build_model,
    expand,
    foreign_episodes,
    legitimate_episodes,
    misuse_episodes,
    to_table,
)

DEFAULT_PERIOD = Period(date(2024, 4, 1), date(2024, 6, 30))  # like wave 2
CSV_CONSULTATIONS_UP_TO = 5_000_000  # above this, consultations go to Parquet parts
_JOB_SEEKER_CHUNK = 200_000


@dataclass
class SynthSummary:
    out: Path
    scale: str
    seed: int
    period_start: date
    period_end: date
    rows: dict[str, int] = field(default_factory=dict)
    truth: dict[str, int] = field(default_factory=dict)
    misuse_events: int = 0
    cover_revisits: float = 0.0
    seconds: float = 0.0
    chunk_seconds: list[float] = field(default_factory=list)  # consultation chunks, for percentiles

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["out"] = str(self.out)
        d["period_start"] = self.period_start.isoformat()
        d["period_end"] = self.period_end.isoformat()
        return d


class _Steps:
    """A Rich progress bar over the generation steps (silent when progress is off)."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.progress = Progress(
            TextColumn("[bold]synth[/] {task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(), disable=not enabled,
        )  # fmt: skip
        self.task = self.progress.add_task("", total=total)

    @contextmanager
    def running(self) -> Iterator[_Steps]:
        with self.progress:
            yield self

    def step(self, description: str, advance: int = 1) -> None:
        self.progress.update(self.task, description=description, advance=advance)

    def grow(self, extra: int) -> None:
        total = self.progress.tasks[0].total or 0
        self.progress.update(self.task, total=total + extra)


def generate(
    *,
    scale: str,
    seed: int,
    out: Path,
    progress: bool = True,
    period: Period = DEFAULT_PERIOD,
    consultations_format: str = "auto",
    cover_revisits: float = 0.0,
) -> SynthSummary:
    """Write the synthetic region for `scale` into `out`. Same scale, seed and period, same bytes.

    consultations_format: "csv" (one consultations.csv), "parquet" (a consultations/ folder of
    parts) or "auto" (CSV up to 5M rows, Parquet above).
    cover_revisits: share of colleagues' cover looks followed by one or two more looks at the same
    file (a robustness variant of the legitimate traffic; 0, the default, leaves the output as is).
    """
    scales = load_scales()
    if scale not in scales:
        raise InvalidInput(f"échelle inconnue {scale!r} : au choix {', '.join(scales)}")
    if period.end < period.start:
        raise InvalidInput(f"période vide : fin {period.end} avant début {period.start}")
    if not 0 <= cover_revisits <= 1:
        raise InvalidInput(f"--cover-revisits : part entre 0 et 1 attendue, reçu {cover_revisits}")
    if consultations_format not in ("auto", "csv", "parquet"):
        raise InvalidInput(f"unknown consultations format {consultations_format!r}")
    spec = scales[scale]
    began = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    root = np.random.SeedSequence([seed, 0x5EED])
    streams = iter(root.spawn(16))

    def rng() -> np.random.Generator:
        return np.random.default_rng(next(streams))

    summary = SynthSummary(
        out=out,
        scale=scale,
        seed=seed,
        period_start=period.start,
        period_end=period.end,
        cover_revisits=cover_revisits,
    )
    steps = _Steps(progress, total=7)
    with steps.running():
        steps.step("référentiel")
        geography = load_geography()
        templates = load_pattern_templates()
        pools = load_name_pools()
        calendar = Calendar.for_period(period)
        tables = minute_tables(templates)
        org = build_organisation(rng(), geography, spec)
        agents = build_agents(rng(), pools, org, geography, spec, calendar, templates)
        protected = build_protected(rng(), pools, geography, spec)
        steps.step("demandeurs d'emploi")
        seekers = build_job_seekers(rng(), pools, org, geography, spec, calendar, agents, protected)
        steps.step("rendez-vous, appels 3949, tâches")
        n = spec.consultations
        appointments = build_appointments(rng(), calendar, tables, agents, seekers, int(n * 0.041))
        calls = build_calls(rng(), calendar, tables, agents, seekers, int(n * 0.039))
        tasks = build_tasks(rng(), calendar, tables, agents, seekers, int(n * 0.023))
        steps.step("détournements (vérité terrain)")
        plan = plan_misuse(
            rng(), calendar, agents, seekers, protected, appointments, calls, tasks,
            n_pairs=max(12, round(spec.agents * 0.2)),
        )  # fmt: skip
        foreign = make_agent_ids(rng(), len(agents) + max(3, len(agents) // 25))
        # Agents absent from agents.csv: ids of the same shape, distinct from ours.
        known = set(agents.ids)
        foreign_ids = [x for x in foreign if x not in known][: max(3, len(agents) // 25)]
        model = build_model(
            rng(),
            calendar,
            tables,
            agents,
            seekers,
            appointments,
            calls,
            tasks,
            plan,
            n,
            foreign_ids,
            cover_revisits,
        )
        steps.step("écriture du référentiel")
        summary.rows.update(
            _write_reference(out, org, geography, agents, seekers, protected, templates)
        )
        summary.rows.update(_write_contacts(out, agents, seekers, appointments, calls, tasks, seed))
        steps.step("consultations")
        use_csv = consultations_format == "csv" or (
            consultations_format == "auto" and n <= CSV_CONSULTATIONS_UP_TO
        )
        summary.rows["consultations"], summary.misuse_events = _write_consultations(
            out, model, spec.chunk_agents, root, use_csv, steps, summary.chunk_seconds
        )
        steps.step("vérité terrain")
        summary.truth = _write_truth(out, agents, seekers, protected.ids, plan, summary, period)
    summary.seconds = time.perf_counter() - began
    return summary


def _write_reference(
    out: Path,
    org: Organisation,
    geography: Geography,
    agents: Agents,
    seekers: JobSeekers,
    protected: ProtectedPersons,
    templates: tuple[PatternTemplate, ...],
) -> dict[str, int]:
    rows: dict[str, int] = {}
    rows["establishments"] = output.write_rows(
        out / "establishments.csv", output.CONTRACT["establishments"], org.establishments
    )
    codes = [d.code for d in geography.departments]
    rows["agencies"] = output.write_rows(
        out / "agencies.csv", output.CONTRACT["agencies"],
        (
            (aid, name, org.dr_id, codes[int(d)], "true" if msa else "false")
            for aid, name, d, msa in zip(org.agency_ids, org.agency_names, org.agency_department, org.agency_msa, strict=True)
        ),
    )  # fmt: skip

    def agent_rows() -> Iterator[tuple[object, ...]]:
        for i in range(len(agents)):
            p = agents.identity[i]
            ag = int(agents.agency[i])
            left = int(agents.left_on[i])
            yield (
                agents.ids[i], p.last_name, p.birth_name, p.first_names, p.birth_date, p.sex,
                agents.establishment[i], org.agency_ids[ag] if ag >= 0 else "", JOBS[int(agents.job[i])],
                str(np.datetime64(int(agents.hired_on[i]), "D")),
                str(np.datetime64(left, "D")) if left >= 0 else "",
                templates[int(agents.template[i])].text if agents.pattern_written[i] else "",
            )  # fmt: skip

    rows["agents"] = output.write_rows(out / "agents.csv", output.CONTRACT["agents"], agent_rows())
    rows["protected_persons"] = output.write_rows(
        out / "protected_persons.csv", output.CONTRACT["protected_persons"],
        (
            (pid, cat, p.last_name, p.birth_name, p.first_names, p.birth_date, p.sex, dept, vf.isoformat(), vt.isoformat())
            for pid, cat, p, dept, vf, vt in zip(
                protected.ids, protected.category, protected.identity, protected.department,
                protected.valid_from, protected.valid_to, strict=True,
            )
        ),
    )  # fmt: skip
    rows["job_seekers"] = _write_job_seekers(out, org, geography, agents, seekers)
    return rows


def _write_job_seekers(
    out: Path, org: Organisation, geography: Geography, agents: Agents, seekers: JobSeekers
) -> int:
    pools = load_name_pools()
    codes = [d.code for d in geography.departments]
    n = len(seekers)

    def rows() -> Iterator[tuple[object, ...]]:
        for c, lo in enumerate(range(0, n, _JOB_SEEKER_CHUNK)):
            hi = min(n, lo + _JOB_SEEKER_CHUNK)
            rng = np.random.default_rng([seekers.chunk_seed, c])
            people = draw_identities(
                rng, pools, hi - lo, female_share=0.5, birth_years=(1958, 2007), reference_year=2024
            )
            upper = rng.random(hi - lo) < 0.6
            registered = np.datetime_as_string(seekers.registered[lo:hi].astype("datetime64[D]"))
            dereg = seekers.deregistered[lo:hi]
            deregistered = np.datetime_as_string(
                np.where(dereg == NO_DAY, 0, dereg).astype("datetime64[D]")
            )
            for k in range(hi - lo):
                i = lo + k
                p = seekers.special_identity.get(i)
                if p is None:
                    p = people[k]
                    if upper[k]:
                        p = type(p)(
                            p.last_name.upper(),
                            p.birth_name.upper(),
                            p.first_names,
                            p.birth_date,
                            p.sex,
                        )
                d = int(seekers.department[i])
                ref = int(seekers.referent[i])
                yield (
                    seekers.ids[i], p.last_name, p.birth_name, p.first_names, p.birth_date, p.sex,
                    codes[d], f"{codes[d]}{int(seekers.commune[i]):03d}", org.agency_ids[int(seekers.agency[i])],
                    agents.ids[ref] if ref >= 0 else "", registered[k],
                    "" if dereg[k] == NO_DAY else deregistered[k],
                )  # fmt: skip

    return output.write_rows(out / "job_seekers.csv", output.CONTRACT["job_seekers"], rows())


def _id_arrays(
    agents: Agents, seekers: JobSeekers, foreign_ids: list[str]
) -> tuple[pa.Array, pa.Array]:
    return pa.array(agents.ids + foreign_ids), pa.array(seekers.ids + seekers.unknown_ids)


def _de_index(seekers: JobSeekers, de: np.ndarray) -> np.ndarray:
    return np.where(de >= 0, de, len(seekers) + (-1 - de))


def _write_contacts(
    out: Path,
    agents: Agents,
    seekers: JobSeekers,
    appointments: Appointments,
    calls: Calls,
    tasks: Tasks,
    seed: int,
) -> dict[str, int]:
    agent_ids, de_ids = _id_arrays(agents, seekers, [])
    rows: dict[str, int] = {}
    ap = appointments
    table = pa.table(
        {
            "appointment_id": pa.array(hex_ids(np.arange(len(ap.agent), dtype=np.uint64), seed * 7 + 1)).cast(pa.string()),
            "de_id": de_ids.take(pa.array(_de_index(seekers, ap.de))),
            "agent_id": agent_ids.take(pa.array(ap.agent)),
            "starts_at": output.local_timestamps(ap.start),
            "kind": pa.array(np.array(APPOINTMENT_KINDS)[ap.kind]),
            "status": pa.array(np.array(APPOINTMENT_STATUSES)[ap.status]),
        }
    )  # fmt: skip
    rows["appointments"] = _write_table(out / "appointments.csv", table)
    no_file = calls.matched == NO_FILE
    matched = np.where(no_file, 0, calls.matched)
    table = pa.table(
        {
            "call_id": pa.array(hex_ids(np.arange(len(calls.agent), dtype=np.uint64), seed * 7 + 2)).cast(pa.string()),
            "de_id": pa.array(de_ids.take(pa.array(_de_index(seekers, matched))).to_numpy(zero_copy_only=False), mask=no_file),
            "agent_id": agent_ids.take(pa.array(calls.agent)),
            "started_at": output.utc_timestamps(calls.start),
            "ended_at": output.utc_timestamps(calls.end),
        }
    )  # fmt: skip
    rows["calls"] = _write_table(out / "calls.csv", table)
    open_task = tasks.closed < 0
    table = pa.table(
        {
            "task_id": pa.array(hex_ids(np.arange(len(tasks.agent), dtype=np.uint64), seed * 7 + 3)).cast(pa.string()),
            "de_id": de_ids.take(pa.array(_de_index(seekers, tasks.de))),
            "agent_id": agent_ids.take(pa.array(tasks.agent)),
            "created_at": output.local_timestamps(tasks.created),
            "closed_at": output.local_timestamps(np.maximum(tasks.closed, 0), null=open_task),
            "kind": pa.array(np.array(TASK_KINDS)[tasks.kind]),
        }
    )  # fmt: skip
    rows["tasks"] = _write_table(out / "tasks.csv", table)
    return rows


def _write_table(path: Path, table: pa.Table) -> int:
    writer = output.CsvAppender(path, table.column_names)
    writer.write(table)
    writer.close()
    return int(table.num_rows)


def _write_consultations(
    out: Path,
    model: TrafficModel,
    chunk_agents: int,
    root: np.random.SeedSequence,
    use_csv: bool,
    steps: _Steps,
    chunk_seconds: list[float],
) -> tuple[int, int]:
    agent_ids, de_ids = _id_arrays(model.agents, model.seekers, model.foreign_agent_ids)
    salt = int(root.generate_state(1, dtype=np.uint64)[0])
    bounds = [*range(0, model.n_agents, chunk_agents), model.n_agents]
    chunks = list(itertools.pairwise(bounds))
    steps.grow(len(chunks) + 1)
    tables: list[pa.Table] = []
    total = misuse_events = 0
    folder = out / "consultations"
    for index in range(len(chunks) + 1):
        chunk_began = time.perf_counter()
        rng = np.random.default_rng([int(salt % 2**63), index])
        if index < len(chunks):
            lo, hi = chunks[index]
            episodes = Episodes.concat(
                [legitimate_episodes(model, rng, lo, hi), misuse_episodes(model, rng, lo, hi)]
            )
        else:
            episodes = foreign_episodes(model, rng)
        events = expand(model, rng, episodes)
        misuse_events += int(events["misuse"].sum())
        # Counters are spaced per chunk so ids stay unique; the mix hides the spacing.
        table = to_table(model, events, agent_ids, de_ids, index << 36, salt)
        total += table.num_rows
        if use_csv:
            tables.append(table)
        else:
            output.write_parquet_part(folder, index, table)
        chunk_seconds.append(time.perf_counter() - chunk_began)
        steps.step(f"consultations {index + 1}/{len(chunks) + 1}")
    if use_csv:
        whole = pa.concat_tables(tables)
        whole = whole.take(pa.array(np.argsort(whole.column("ts").to_numpy(), kind="stable")))
        _write_table(out / "consultations.csv", whole)
    return total, misuse_events


def _write_identity_truth(
    out: Path, agents: Agents, seekers: JobSeekers, protected_ids: list[str]
) -> None:
    """Which job-seeker files belong to an agent, an ex-agent or a protected person (with the
    spelling edits between the two records), and which are only their homonyms or an agent's
    relatives (same surname, another person): the ground truth of identity resolution."""
    kinds = {SENS_AGENT: "agent", SENS_EX_AGENT: "ex_agent", SENS_PROTECTED: "protected"}
    rows = []
    for row in np.flatnonzero(seekers.sensitive != SENS_NONE).tolist():
        kind = kinds[int(seekers.sensitive[row])]
        who = int(seekers.owner[row])
        pid = protected_ids[who] if kind == "protected" else agents.ids[who]
        rows.append((seekers.ids[row], kind, pid, "same", " ".join(seekers.edits.get(row, []))))
        twin = int(seekers.homonym[row])
        if twin >= 0:
            rows.append((seekers.ids[twin], kind, pid, "homonym", ""))
    for row in np.flatnonzero(seekers.relative_of >= 0).tolist():
        agent = int(seekers.relative_of[row])
        kind = "ex_agent" if agents.left_on[agent] >= 0 else "agent"
        rows.append((seekers.ids[row], kind, agents.ids[agent], "relative", ""))
    output.write_rows(
        out / "truth_identities.csv",
        ("de_id", "person_kind", "person_id", "relation", "edits"),
        sorted(rows),
    )


_TIMING = ("office", "off_hours", "mixed")
_FORCED_ACTION = ("none", "print", "export")


def _plan_rows(agents: Agents, seekers: JobSeekers, plan: MisusePlan) -> list[tuple[object, ...]]:
    """One row per misuse pair: how it was planned (same agency, single view, timing, action)."""
    return sorted(
        (
            agents.ids[int(plan.agent[i])],
            seekers.ids[int(plan.de[i])],
            KINDS[int(plan.kind[i])],
            str(bool(plan.weak_context[i])).lower(),
            str(bool(plan.single_view[i])).lower(),
            _TIMING[int(plan.style[i])],
            _FORCED_ACTION[int(plan.forced_action[i])],
            int(plan.episodes[i]),
        )
        for i in range(len(plan.agent))
    )


def _write_truth(
    out: Path,
    agents: Agents,
    seekers: JobSeekers,
    protected_ids: list[str],
    plan: MisusePlan,
    summary: SynthSummary,
    period: Period,
) -> dict[str, int]:
    rows = sorted(
        (agents.ids[int(a)], seekers.ids[int(d)], KINDS[int(k)])
        for a, d, k in zip(plan.agent, plan.de, plan.kind, strict=True)
    )
    output.write_rows(out / "truth.csv", output.TRUTH_COLUMNS, rows)
    output.write_rows(
        out / "truth_plan.csv", output.TRUTH_PLAN_COLUMNS, _plan_rows(agents, seekers, plan)
    )
    _write_identity_truth(out, agents, seekers, protected_ids)
    counts = {kind: int(np.sum(plan.kind == k)) for k, kind in enumerate(KINDS)}
    meta = {
        "seed": summary.seed,
        "scale": summary.scale,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "cover_revisits": summary.cover_revisits,
        "counts": counts,
        "pairs": len(rows),
        "hard_cases": {
            "single_view": int(plan.single_view.sum()),
            "weak_context_same_agency": int(plan.weak_context.sum()),
            "off_hours_or_mixed": int(np.sum(plan.style > 0)),
            "print_or_export": int(np.sum(plan.forced_action > 0)),
        },
        "misuse_events": summary.misuse_events,
        "rows": summary.rows,
    }
    (out / "truth_meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return counts
