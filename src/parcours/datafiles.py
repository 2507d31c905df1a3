"""Typed loading of declarative YAML files whose errors name the file and the line.

`load_yaml` returns plain Python values where every mapping is a `Located` dict that remembers the
line of each of its keys, so that a loader can raise `InvalidInput` pointing at the offending line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from parcours.errors import InvalidInput, Issue


class Located(dict[str, Any]):
    """A YAML mapping that knows the file and the 1-based line of itself and of each key."""

    file: str
    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def issue(self, reason: str, key: str | None = None) -> Issue:
        return Issue(
            file=self.file,
            line=self.line_of(key) if key else self.line,
            column=key,
            reason=reason,
        )


def _construct(node: yaml.Node, file: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = Located()
        out.file, out.line, out.key_lines = file, node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = str(_construct(key_node, file))
            out[key] = _construct(value_node, file)
            out.key_lines[key] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(child, file) for child in node.value]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def _scalar(node: yaml.ScalarNode) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_yaml(path: Path) -> Any:
    """Parse `path`; a syntax error becomes an `InvalidInput` with the file and line."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise InvalidInput(
            [Issue(str(path), mark.line + 1 if mark else None, None, str(exc.problem))]
        ) from exc
    if node is None:
        raise InvalidInput([Issue(str(path), None, None, "empty file")])
    return _construct(node, str(path))


def require(mapping: Located, key: str, kind: type | tuple[type, ...], issues: list[Issue]) -> Any:
    """The value of `key` when present and of the right type; otherwise record an issue, return None."""
    if key not in mapping:
        issues.append(mapping.issue(f"missing key '{key}'"))
        return None
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, float)):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        issues.append(mapping.issue(f"'{key}' must be {names}, got {value!r}", key))
        return None
    return value
