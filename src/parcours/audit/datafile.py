"""Typed loading of the detection's data files (YAML): every error names the file and the line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from parcours.errors import InvalidInput, Issue

M = TypeVar("M", bound=BaseModel)


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at `loc` (the deepest existing ancestor if absent)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    child = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
            line = child.start_mark.line + 1
        if child is None:
            break
        node = child
    return line


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse a YAML file into plain data plus its node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput([Issue(str(path), None, None, f"lecture impossible : {exc}")]) from exc
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput([Issue(str(path), line, None, f"YAML invalide : {problem}")]) from exc
    return data, node


def validate(model: type[M], data: Any, *, path: Path, node: yaml.Node | None) -> M:
    """Validate plain data into `model`; pydantic errors become Issues with file and line."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        issues = [
            Issue(
                str(path),
                _line_of(node, tuple(err["loc"])),
                ".".join(str(x) for x in err["loc"]) or None,
                err["msg"],
            )
            for err in exc.errors()
        ]
        raise InvalidInput(issues) from exc


def load_model(model: type[M], path: Path) -> M:
    data, node = read_yaml(path)
    return validate(model, data, path=path, node=node)
