"""The small condition language of the orientation chart and the interview form.

A condition is data (`{field, op, value}`, `{all: [...]}`, `{any: [...]}`, `{not: ...}`,
`{programme: id}`); it compiles once into a tree that evaluates either one interview (Python
scalars, for the trace) or a whole column batch (numpy arrays, for the what-if) with the same
code, so the two paths cannot drift apart. Answers are encoded as integers: booleans as 0/1,
choices as their position in the form, so that an ordinal choice (qualification) compares with >=.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any, Literal, Protocol

import numpy as np

FieldKind = Literal["choice", "integer", "boolean", "text"]


@dataclass(frozen=True)
class FieldType:
    kind: FieldKind
    choices: tuple[str, ...] = ()

    def encode(self, value: Any) -> int:
        """The integer a value is compared as; raises ValueError for a value of the wrong type."""
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"expected one of {', '.join(self.choices)}, got {value!r}")
            return self.choices.index(value)
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise ValueError(f"expected true or false, got {value!r}")
            return int(value)
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"expected an integer, got {value!r}")
            return value
        raise ValueError("free-text answers cannot be used in a condition")


class Env(Protocol):
    """What a condition reads: encoded values (scalars or arrays), parameters, open programmes."""

    @property
    def values(self) -> Mapping[str, Any]: ...

    def param(self, name: str) -> Any: ...

    def programme_open(self, programme: str) -> bool: ...


class Condition(Protocol):
    def evaluate(self, env: Env) -> Any: ...

    def fields(self) -> set[str]: ...

    def params(self) -> set[str]: ...


class ConditionError(ValueError):
    """A malformed condition; `path` locates the offending part inside the raw data."""

    def __init__(self, reason: str, path: tuple[int | str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDERED = {"<", "<=", ">", ">="}


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    type: FieldType
    literal: Any  # encoded int, tuple of ints for `in`, or None when `param` is set
    param_name: str | None

    def _rhs(self, env: Env) -> Any:
        if self.param_name is None:
            return self.literal
        return self.type.encode(env.param(self.param_name))

    def evaluate(self, env: Env) -> Any:
        lhs = env.values[self.field]
        rhs = self._rhs(env)
        if self.op in ("in", "not_in"):
            if isinstance(lhs, np.ndarray):
                mask = np.isin(lhs, rhs)
                return mask if self.op == "in" else ~mask
            return (lhs in rhs) == (self.op == "in")
        return _OPS[self.op](lhs, rhs)

    def fields(self) -> set[str]:
        return {self.field}

    def params(self) -> set[str]:
        return {self.param_name} if self.param_name else set()


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def evaluate(self, env: Env) -> Any:
        results = []
        for part in self.parts:
            result = part.evaluate(env)
            if not isinstance(result, np.ndarray) and not result:
                return False  # one scalar False decides, even in a batch
            results.append(result)
        return reduce(np.logical_and, results) if results else True

    def fields(self) -> set[str]:
        return set().union(*(p.fields() for p in self.parts))

    def params(self) -> set[str]:
        return set().union(*(p.params() for p in self.parts))


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def evaluate(self, env: Env) -> Any:
        results = []
        for part in self.parts:
            result = part.evaluate(env)
            if not isinstance(result, np.ndarray) and result:
                return True
            results.append(result)
        return reduce(np.logical_or, results) if results else False

    def fields(self) -> set[str]:
        return set().union(*(p.fields() for p in self.parts))

    def params(self) -> set[str]:
        return set().union(*(p.params() for p in self.parts))


@dataclass(frozen=True)
class Not:
    part: Condition

    def evaluate(self, env: Env) -> Any:
        result = self.part.evaluate(env)
        return np.logical_not(result) if isinstance(result, np.ndarray) else not result

    def fields(self) -> set[str]:
        return self.part.fields()

    def params(self) -> set[str]:
        return self.part.params()


@dataclass(frozen=True)
class ProgrammeOpen:
    programme: str

    def evaluate(self, env: Env) -> Any:
        return env.programme_open(self.programme)

    def fields(self) -> set[str]:
        return set()

    def params(self) -> set[str]:
        return set()


def compile_condition(
    raw: Any,
    schema: Mapping[str, FieldType],
    *,
    known_params: Callable[[str], bool] = lambda _name: True,
    known_programmes: Callable[[str], bool] = lambda _name: True,
    path: tuple[int | str, ...] = (),
) -> Condition:
    """Compile raw YAML data into a condition tree; raises ConditionError with the faulty path."""
    if not isinstance(raw, Mapping):
        raise ConditionError("a condition must be a mapping", path)
    keys = set(raw)
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if keys == {combinator}:
            items = raw[combinator]
            if not isinstance(items, list) or not items:
                raise ConditionError(f"'{combinator}' needs a non-empty list", (*path, combinator))
            return cls(
                tuple(
                    compile_condition(
                        item,
                        schema,
                        known_params=known_params,
                        known_programmes=known_programmes,
                        path=(*path, combinator, i),
                    )
                    for i, item in enumerate(items)
                )
            )
    if keys == {"not"}:
        return Not(
            compile_condition(
                raw["not"],
                schema,
                known_params=known_params,
                known_programmes=known_programmes,
                path=(*path, "not"),
            )
        )
    if keys == {"programme"}:
        name = str(raw["programme"])
        if not known_programmes(name):
            raise ConditionError(f"unknown programme {name!r}", (*path, "programme"))
        return ProgrammeOpen(name)
    if keys == {"field", "op", "value"}:
        return _compile_compare(raw, schema, known_params, path)
    raise ConditionError(
        "expected {field, op, value}, {all: [...]}, {any: [...]}, {not: ...} or {programme: id}; "
        f"got keys {sorted(map(str, keys))}",
        path,
    )


def _compile_compare(
    raw: Mapping[str, Any],
    schema: Mapping[str, FieldType],
    known_params: Callable[[str], bool],
    path: tuple[int | str, ...],
) -> Compare:
    field, op, value = str(raw["field"]), str(raw["op"]), raw["value"]
    if field not in schema:
        raise ConditionError(f"unknown field {field!r}", (*path, "field"))
    ftype = schema[field]
    if ftype.kind == "text":
        raise ConditionError(f"free-text field {field!r} cannot be used in a condition", path)
    if op not in _OPS and op not in ("in", "not_in"):
        raise ConditionError(f"unknown operator {op!r}", (*path, "op"))
    if op in _ORDERED and ftype.kind == "boolean":
        raise ConditionError(f"operator {op!r} makes no sense on yes/no field {field!r}", path)
    if isinstance(value, Mapping):
        if set(value) != {"param"} or op in ("in", "not_in"):
            raise ConditionError("a value mapping must be {param: name}", (*path, "value"))
        name = str(value["param"])
        if not known_params(name):
            raise ConditionError(f"unknown parameter {name!r}", (*path, "value"))
        return Compare(field, op, ftype, None, name)
    try:
        if op in ("in", "not_in"):
            if not isinstance(value, list):
                raise ConditionError(f"'{op}' needs a list", (*path, "value"))
            literal: Any = tuple(ftype.encode(v) for v in value)
        else:
            literal = ftype.encode(value)
    except ValueError as exc:
        raise ConditionError(f"{field}: {exc}", (*path, "value")) from exc
    return Compare(field, op, ftype, literal, None)
