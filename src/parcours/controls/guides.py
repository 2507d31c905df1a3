"""Practical guides ("fiches pratiques"): versioned Markdown files shown in context to managers and agents."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown
import yaml

from parcours.errors import InvalidInput, Issue, NotFound

GUIDES_DIR = Path(__file__).parent / "guides"


@dataclass(frozen=True)
class Guide:
    slug: str
    version: str
    title: str
    body_markdown: str

    def html(self) -> str:
        return markdown.markdown(self.body_markdown, extensions=["sane_lists"])


def parse_guide(path: Path) -> Guide:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise InvalidInput(
            [Issue(file=str(path), line=1, column=None, reason="en-tête YAML manquant")]
        )
    head, _, body = text[4:].partition("\n---\n")
    meta = yaml.safe_load(head) or {}
    for key in ("slug", "version", "title"):
        if not meta.get(key):
            raise InvalidInput(
                [Issue(file=str(path), line=1, column=key, reason="champ obligatoire")]
            )
    if meta["slug"] != path.stem:
        raise InvalidInput(
            [
                Issue(
                    file=str(path),
                    line=2,
                    column="slug",
                    reason="le slug doit être le nom du fichier",
                )
            ]
        )
    return Guide(
        slug=meta["slug"],
        version=str(meta["version"]),
        title=meta["title"],
        body_markdown=body.strip(),
    )


@lru_cache(maxsize=1)
def all_guides() -> dict[str, Guide]:
    return {g.slug: g for g in (parse_guide(p) for p in sorted(GUIDES_DIR.glob("*.md")))}


def get_guide(slug: str) -> Guide:
    guide = all_guides().get(slug)
    if guide is None:
        raise NotFound(f"fiche pratique {slug}")
    return guide
