"""The versioned interview form: questions, answer types, order and French wording, as data.

`InterviewForm.validate` checks an answer set (partial for an autosaved draft, complete before the
proposal) and fills hidden questions with their `when_hidden` value, so that the rules always see
every criterion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from parcours.errors import InvalidInput, Issue
from parcours.orientation.conditions import (
    Condition,
    ConditionError,
    FieldType,
    compile_condition,
)
from parcours.text import says_something
from parcours.yamlfiles import line_of, load_located, validate

FORMS_DIR = Path(__file__).parent / "form"
# A text answer's length when its question sets no `max`: a trade or a detail is a line, and the
# answers are kept with the interview and shown in its record.
MAX_TEXT_ANSWER = 300


class QuestionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    type: Literal["choice", "integer", "boolean", "text"]
    choices: dict[str, str] | None = None
    min: int | None = None
    max: int | None = None  # integer: the largest value; text: the longest answer
    unit: str | None = None
    show_if: dict[str, Any] | None = None
    when_hidden: Any = None
    difficulty: bool = False
    required: bool = True

    @model_validator(mode="after")
    def _choices_match_type(self) -> QuestionSpec:
        if (self.type == "choice") != bool(self.choices):
            raise ValueError("'choices' is required for a choice question and only for it")
        if self.show_if is not None and self.when_hidden is None:
            raise ValueError("a question with 'show_if' needs 'when_hidden'")
        return self


class SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str
    questions: list[QuestionSpec]


class FormSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    title: str
    effective_from: date
    reference: str
    sections: list[SectionSpec]


@dataclass(frozen=True)
class Question:
    spec: QuestionSpec
    section: str
    type: FieldType
    show_if: Condition | None

    @property
    def id(self) -> str:
        return self.spec.id

    def display(self, value: Any) -> str:
        """The answer as a counsellor reads it, in French."""
        if self.spec.choices is not None:
            return self.spec.choices.get(str(value), str(value))
        if isinstance(value, bool):
            return "oui" if value else "non"
        return f"{value} {self.spec.unit}" if self.spec.unit else str(value)


class _AnswerEnv:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def param(self, name: str) -> Any:
        raise KeyError(name)

    def programme_open(self, programme: str) -> bool:
        return False


@dataclass(frozen=True)
class InterviewForm:
    version: str
    title: str
    effective_from: date
    reference: str
    questions: tuple[Question, ...]
    source: str
    section_titles: tuple[tuple[str, str], ...] = ()  # (id, French title), in order

    def by_section(self) -> list[tuple[str, list[Question]]]:
        """(title, questions) in the order the counsellor reads them."""
        return [
            (title, [q for q in self.questions if q.section == sid])
            for sid, title in self.section_titles
        ]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    @property
    def schema(self) -> dict[str, FieldType]:
        return {q.id: q.type for q in self.questions}

    @property
    def difficulty_fields(self) -> tuple[str, ...]:
        return tuple(q.id for q in self.questions if q.spec.difficulty)

    def validate(self, answers: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
        """Typed answers in form order. A draft (`partial`) may miss questions; never wrong ones."""
        issues: list[Issue] = []
        known = {q.id for q in self.questions}
        for key in answers:
            if key not in known:
                issues.append(Issue(self.version, None, str(key), "question inconnue"))
        result: dict[str, Any] = {}
        encoded: dict[str, Any] = {}
        for q in self.questions:
            visible = True
            if q.show_if is not None:
                try:
                    visible = bool(q.show_if.evaluate(_AnswerEnv(encoded)))
                except KeyError:
                    visible = True  # the question it depends on is not answered yet
            if not visible:
                result[q.id] = q.spec.when_hidden
                continue
            if q.id not in answers or _blank(answers[q.id]):
                if not partial and q.spec.required:
                    issues.append(Issue(self.version, None, q.id, "réponse manquante"))
                continue
            value = _coerce(q, answers[q.id])
            problem = _check(q, value)
            if problem:
                issues.append(Issue(self.version, None, q.id, problem))
                continue
            result[q.id] = value
            if q.type.kind != "text":
                encoded[q.id] = q.type.encode(value)
        if issues:
            raise InvalidInput(issues)
        return result


def _coerce(q: Question, value: Any) -> Any:
    """Accept the strings an HTML form or a CSV sends for integers and booleans."""
    if q.type.kind == "integer" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if q.type.kind == "boolean" and isinstance(value, str):
        return {"true": True, "oui": True, "1": True, "false": False, "non": False, "0": False}.get(
            value.strip().lower(), value
        )
    return value


def _blank(answer: Any) -> bool:
    # Spaces or invisible characters alone answer nothing.
    return answer is None or (isinstance(answer, str) and not says_something(answer))


def _check(q: Question, value: Any) -> str | None:
    if q.type.kind == "text":
        if not isinstance(value, str):
            return "texte attendu"
        limit = q.spec.max or MAX_TEXT_ANSWER
        return f"{limit} caractères au plus" if len(value) > limit else None
    try:
        q.type.encode(value)
    except ValueError as exc:
        return str(exc)
    if q.type.kind == "integer":
        if q.spec.min is not None and value < q.spec.min:
            return f"valeur minimale {q.spec.min}"
        if q.spec.max is not None and value > q.spec.max:
            return f"valeur maximale {q.spec.max}"
    return None


def load_form(path: Path) -> InterviewForm:
    tree = load_located(path)
    spec = validate(FormSpec, tree, path)
    issues: list[Issue] = []
    questions: list[Question] = []
    schema: dict[str, FieldType] = {}
    for s_index, section in enumerate(spec.sections):
        for q_index, qspec in enumerate(section.questions):
            loc: tuple[int | str, ...] = ("sections", s_index, "questions", q_index)
            if qspec.id in schema:
                issues.append(Issue(str(path), line_of(tree, loc), qspec.id, "duplicate question"))
                continue
            ftype = FieldType(qspec.type, tuple(qspec.choices or ()))
            show_if = None
            if qspec.show_if is not None:
                try:  # a question may only depend on questions asked before it
                    show_if = compile_condition(qspec.show_if, schema)
                except ConditionError as exc:
                    where = line_of(tree, (*loc, "show_if", *exc.path))
                    issues.append(Issue(str(path), where, qspec.id, exc.reason))
            schema[qspec.id] = ftype
            questions.append(Question(qspec, section.id, ftype, show_if))
    if issues:
        raise InvalidInput(issues)
    return InterviewForm(
        spec.version,
        spec.title,
        spec.effective_from,
        spec.reference,
        tuple(questions),
        str(path),
        tuple((s.id, s.title) for s in spec.sections),
    )


@cache
def forms() -> dict[str, InterviewForm]:
    """Every form version shipped with the product, by version; the problems of every file are
    reported together."""
    loaded: list[InterviewForm] = []
    issues: list[Issue] = []
    for path in sorted(FORMS_DIR.glob("*.yaml")):
        try:
            loaded.append(load_form(path))
        except InvalidInput as exc:
            issues += exc.issues
    if issues:
        raise InvalidInput(issues)
    return {f.version: f for f in loaded}


def form_at(at: date) -> InterviewForm:
    """The form version in force on a date (the latest whose effective date has passed)."""
    candidates = [f for f in forms().values() if f.effective_from <= at]
    if not candidates:
        raise InvalidInput(f"no interview form in force on {at.isoformat()}")
    return max(candidates, key=lambda f: f.effective_from)


def get_form(version: str) -> InterviewForm:
    try:
        return forms()[version]
    except KeyError:
        raise InvalidInput(f"unknown interview form version {version!r}") from None
