"""Respondent-level scores (0-100) for every item, index and theme, from the index definitions.

Rules (the same for every wave):
- an item scores 100 when the answer is favourable (top two boxes; bottom two for a reversed item),
  0 otherwise, and is missing when unanswered; a group's item figure is thus its % favourable;
- `percent_favourable` index: 100 x favourable answers / answered items of the index;
- `mean_0_100` index: mean of the answered items rescaled to 0-100 (scale min -> 0, max -> 100;
  reversed items flipped first);
- a respondent who answered fewer than `min_answered` of an index's items gets no score for it.
A group's index figure is the mean of its respondents' scores, so that every respondent weighs the same.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from parcours.barometer.definitions import Definitions, IndexDefinition, Questionnaire

ITEM_PREFIX = "item:"


def item_measure(code: str) -> str:
    return f"{ITEM_PREFIX}{code}"


def favourable_matrix(answers: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """1.0 favourable, 0.0 not, NaN unanswered; one column per item."""
    out = {}
    for code, item in questionnaire.items.items():
        values = answers[code].astype(float)
        if item.reversed:
            fav = values <= questionnaire.scale_min + 1
        else:
            fav = values >= questionnaire.scale_max - 1
        out[code] = fav.astype(float).where(values.notna())
    return pd.DataFrame(out, index=answers.index)


def rescaled_matrix(answers: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Answers rescaled to 0-100 with reversed items flipped; NaN unanswered."""
    lo, hi = questionnaire.scale_min, questionnaire.scale_max
    out = {}
    for code, item in questionnaire.items.items():
        values = answers[code].astype(float)
        if item.reversed:
            values = lo + hi - values
        out[code] = (values - lo) / (hi - lo) * 100
    return pd.DataFrame(out, index=answers.index)


def index_scores(
    index: IndexDefinition, favourable: pd.DataFrame, rescaled: pd.DataFrame
) -> pd.Series:
    cols = list(index.items)
    basis = favourable[cols] * 100 if index.scoring == "percent_favourable" else rescaled[cols]
    answered = basis.notna().sum(axis=1)
    needed = math.ceil(index.min_answered * len(cols) - 1e-9)
    score = basis.mean(axis=1, skipna=True)
    return score.where(answered >= max(needed, 1))


def score_frame(answers: pd.DataFrame, definitions: Definitions) -> pd.DataFrame:
    """One column per measure: `<index id>` for indices and themes, `item:<code>` for items."""
    q = definitions.questionnaire
    favourable = favourable_matrix(answers, q)
    rescaled = rescaled_matrix(answers, q)
    columns: dict[str, pd.Series] = {
        index.id: index_scores(index, favourable, rescaled)
        for index in definitions.indices.values()
    }
    for code in q.items:
        columns[item_measure(code)] = favourable[code] * 100
    return pd.DataFrame(columns, index=answers.index).astype(np.float64)
