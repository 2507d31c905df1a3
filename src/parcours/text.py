"""Free text typed by people: what counts as written.

A reason, a comment or a purpose must say something. `str.strip` leaves the format characters
(Unicode category Cf: zero-width space and joiners, direction marks, the BOM), which show nothing:
ten zero-width spaces passed "at least 10 characters", and an invisible purpose then explained a
consultation. Checks of presence and minimum length count what `visible` keeps; the text is stored
as typed.
"""

from __future__ import annotations

import unicodedata


def visible(text: str) -> str:
    """`text` without its format characters and the spaces around it."""
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


def says_something(text: str | None, *, at_least: int = 1) -> bool:
    """Whether `text` shows at least `at_least` characters."""
    return text is not None and len(visible(text)) >= at_least
