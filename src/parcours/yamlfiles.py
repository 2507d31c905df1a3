"""Declarative YAML files loaded with their line numbers: every error names the file and the line.

The one loader of the product's hand-edited data files (scenarios, weights, orientation rules and
forms, survey definitions, activities, generator scales...). Mappings load as `LocatedDict` and
sequences as `LocatedList`; both remember their file, the line where they start and the line of
each entry (1-based, as editors show them), so that a hand-written check (`require`, `.issue`) or
a pydantic error location (`load_model`, `issues_from_validation`) points back at a line.
Keys keep their YAML type (a date stays a date, an integer an integer).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from parcours.errors import InvalidInput, Issue

M = TypeVar("M", bound=BaseModel)


class LocatedDict(dict[Any, Any]):
    """A YAML mapping that knows its file, its line and the line of each of its keys."""

    file: str = ""
    line: int = 0
    key_lines: dict[Any, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_lines = {}

    def line_of(self, key: Any) -> int:
        return self.key_lines.get(key, self.line)

    def issue(self, reason: str, key: str | None = None) -> Issue:
        return Issue(self.file, self.line_of(key) if key else self.line, key, reason)


class LocatedList(list[Any]):
    """A YAML sequence that knows its file, its line and the line of each of its items."""

    file: str = ""
    line: int = 0
    item_lines: list[int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_lines = []


class _Loader(yaml.SafeLoader):  # a SafeLoader: no arbitrary Python objects
    file = ""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    out = LocatedDict()
    out.file, out.line, out.key_lines = loader.file, node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            raise yaml.MarkedYAMLError(
                problem=f"clé en double {key!r}", problem_mark=key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    out = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    out.file, out.line = loader.file, node.start_mark.line + 1
    out.item_lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    # `2025-04-31` has a date's shape, so PyYAML builds a date and fails with a bare ValueError:
    # give it the value's line like any other YAML problem.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.MarkedYAMLError(
            problem=f"date impossible {node.value!r} ({exc})", problem_mark=node.start_mark
        ) from exc


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def read_text(path: Path) -> str:
    """The text of a hand-edited data file (a YAML, a scenario's SQL): UTF-8 and without NUL.

    An editor hides a NUL, and each reader misreports it: PyYAML without a line, the SQL engine as a
    syntax error elsewhere in the rendered query. So it is refused here, with its line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput([Issue(str(path), None, None, f"lecture impossible : {exc}")]) from exc
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise InvalidInput([Issue(str(path), line, None, "caractère NUL (octet 0x00) interdit")])
    return text


def load_located(path: Path) -> Any:
    """Parse one YAML file; an unreadable file or a syntax error becomes an `InvalidInput`."""
    text = read_text(path)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:
        # The reader refuses other control characters up front, by offset in the text: its line.
        where = text.count("\n", 0, exc.position) + 1
        reason = f"YAML invalide : caractère de contrôle U+{exc.character:04X} interdit"
        raise InvalidInput([Issue(str(path), where, None, reason)]) from exc
    loader.file = str(path)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        # Where the parser gave up can be far from the cause (an unclosed quote on line 2 is found
        # at the end of the file): also name the line where the open construct began.
        context = (
            f" ({exc.context}, ligne {exc.context_mark.line + 1})"
            if exc.context and exc.context_mark
            else ""
        )
        raise InvalidInput(
            [Issue(str(path), line, None, f"YAML invalide : {exc.problem}{context}")]
        ) from exc
    except yaml.YAMLError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"YAML invalide : {exc}")]) from exc
    finally:
        loader.dispose()


def load_mapping(path: Path) -> LocatedDict:
    """`load_located` for a file whose top level must be a mapping."""
    data = load_located(path)
    if not isinstance(data, LocatedDict):
        raise InvalidInput([Issue(str(path), 1, None, "le fichier doit contenir un dictionnaire")])
    return data


def line_of(tree: Any, loc: Sequence[int | str]) -> int | None:
    """The line of the deepest node of `loc` that exists in `tree` (the closest place to look)."""
    line: int | None = getattr(tree, "line", None)
    node = tree
    for part in loc:
        if isinstance(node, LocatedDict):
            key = _match_key(node, part)
            if key is None:
                break
            line = node.key_lines.get(key, line)
            node = node[key]
        elif isinstance(node, LocatedList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
        if isinstance(node, LocatedDict | LocatedList) and node.line:
            # A nested mapping or list starts on its own line; a scalar is on its key's line.
            line = node.line
    return line


def _match_key(node: LocatedDict, part: int | str) -> Any:
    if part in node:
        return part
    for key in node:  # pydantic reports date and integer keys as strings
        if str(key) == str(part):
            return key
    return None


def issues_from_validation(path: Path, tree: Any, error: ValidationError) -> list[Issue]:
    """Every pydantic error of one file, located by line."""
    issues = []
    for err in error.errors():
        loc = [p for p in err["loc"] if isinstance(p, int | str)]
        where = ".".join(str(p) for p in loc)
        issues.append(Issue(str(path), line_of(tree, loc), where or None, err["msg"]))
    return issues


def validate(model: type[M], tree: Any, path: Path) -> M:
    """Validate a loaded tree into `model`; pydantic errors become issues with file and line."""
    try:
        return model.model_validate(tree)
    except ValidationError as exc:
        raise InvalidInput(issues_from_validation(path, tree, exc)) from exc


def load_model(model: type[M], path: Path) -> M:
    return validate(model, load_located(path), path)


def require(
    mapping: LocatedDict, key: str, kind: type | tuple[type, ...], issues: list[Issue]
) -> Any:
    """The value of `key` when present and of the right type; otherwise record an issue, return None."""
    if key not in mapping:
        issues.append(mapping.issue(f"clé « {key} » manquante", key))
        return None
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        issues.append(mapping.issue(f"« {key} » doit être {names}, reçu {value!r}", key))
        return None
    return value
