"""YAML loading that remembers where each mapping and list item came from.

Rules, parameters and forms are edited by hand; an error must name the file and the line, not a
Python path. Mappings load as `LocatedDict` and lists as `LocatedList`, both carrying line numbers,
so that a pydantic error location (a tuple of keys and indexes) can be turned back into a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from parcours.errors import InvalidInput, Issue


class LocatedDict(dict[Any, Any]):
    line: int = 0
    key_lines: dict[Any, int]


class LocatedList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_located(path: Path) -> Any:
    """Parse one YAML file; a syntax error becomes an `InvalidInput` naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"cannot read: {exc}")]) from exc
    try:
        return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InvalidInput([Issue(str(path), line, None, str(exc.problem))]) from exc
    except yaml.YAMLError as exc:
        raise InvalidInput([Issue(str(path), None, None, str(exc))]) from exc


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
        if getattr(node, "line", None):
            # A nested mapping starts on its own line; the key line is more useful for scalars.
            line = line if not isinstance(node, LocatedDict | LocatedList) else node.line
    return line


def _match_key(node: LocatedDict, part: int | str) -> Any:
    if part in node:
        return part
    for key in node:  # pydantic reports date keys and ints as strings
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
