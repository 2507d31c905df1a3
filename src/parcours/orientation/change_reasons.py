"""The fixed list of reasons for changing a proposal (`change_reasons.yaml`): code -> French label.

The codes are stored on decisions and counted in the national deviation report, and the labels
are what the counsellor picks from: every problem of the file is reported at once, with its line
(`parcours rules validate`), and a broken file is never read into a half-empty list.
"""

from __future__ import annotations

import re
from pathlib import Path

from parcours.errors import InvalidInput, Issue
from parcours.yamlfiles import load_mapping

CHANGE_REASONS_FILE = Path(__file__).parent / "change_reasons.yaml"
CODE = re.compile(r"[a-z][a-z0-9_]*")


def load_change_reasons(path: Path = CHANGE_REASONS_FILE) -> dict[str, str]:
    """Read and check the file: each entry a code (lowercase letters, digits, `_`) and a
    non-empty label, no label twice. Raises one InvalidInput listing every problem."""
    tree = load_mapping(path)
    issues: list[Issue] = []
    reasons: dict[str, str] = {}
    label_lines: dict[str, tuple[str, int]] = {}
    for key, label in tree.items():
        line = tree.line_of(key)
        if not isinstance(key, str):
            issues.append(Issue(str(path), line, str(key), f"a code must be text, got {key!r}"))
            continue
        if not CODE.fullmatch(key):
            issues.append(
                Issue(str(path), line, key, "a code is lowercase letters, digits and '_'")
            )
        if label is None:
            issues.append(Issue(str(path), line, key, "label missing"))
            continue
        if not isinstance(label, str):
            issues.append(Issue(str(path), line, key, f"a label must be text, got {label!r}"))
            continue
        text = label.strip()
        if not text:
            issues.append(Issue(str(path), line, key, "label missing"))
            continue
        if text in label_lines:
            other, other_line = label_lines[text]
            issues.append(
                Issue(str(path), line, key, f"same label as {other!r} ({path}:{other_line})")
            )
        label_lines.setdefault(text, (key, line))
        reasons[key] = label
    if not tree and not issues:
        issues.append(Issue(str(path), tree.line or 1, None, "no change reason"))
    if issues:
        raise InvalidInput(issues)
    return reasons
