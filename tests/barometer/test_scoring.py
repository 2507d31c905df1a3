"""Index arithmetic against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from parcours.barometer.definitions import (
    Definitions,
    IndexDefinition,
    Item,
    Population,
    Questionnaire,
)
from parcours.barometer.scoring import score_frame

QUESTIONNAIRE = Questionnaire(
    scale_min=1,
    scale_max=5,
    scale_labels={},
    items={
        "A": Item("A", "a"),
        "B": Item("B", "b"),
        "C": Item("C", "c", reversed=True),
        "D": Item("D", "d"),
    },
)


def definitions(*indices: IndexDefinition) -> Definitions:
    return Definitions(QUESTIONNAIRE, Population(attributes={}), {i.id: i for i in indices})


FAV = IndexDefinition(
    "fav", "Fav", "theme", "percent_favourable", ("A", "B", "C"), min_answered=0.5
)
MEAN = IndexDefinition(
    "mean", "Mean", "index", "mean_0_100", ("A", "B", "C", "D"), min_answered=0.75
)

ANSWERS = pd.DataFrame(
    {
        # respondent:      r1   r2   r3      r4
        "A": [5.0, 3.0, 4.0, np.nan],
        "B": [4.0, 2.0, np.nan, np.nan],
        "C": [1.0, 4.0, 2.0, 5.0],  # reversed: 1 and 2 are favourable
        "D": [3.0, 1.0, 5.0, np.nan],
    }
)


def test_items_score_favourable_answers() -> None:
    scores = score_frame(ANSWERS, definitions(FAV))
    assert scores["item:A"].tolist()[:3] == [100.0, 0.0, 100.0]
    assert math.isnan(scores["item:A"].iloc[3])
    assert scores["item:C"].tolist() == [100.0, 0.0, 100.0, 0.0]  # reversed item
    # Group figure = % favourable among those who answered: A answered by 3, 2 favourable.
    assert scores["item:A"].mean() == pytest.approx(200 / 3)


def test_percent_favourable_index_by_hand() -> None:
    scores = score_frame(ANSWERS, definitions(FAV))["fav"]
    # r1: A, B, C favourable -> 3/3; r2: none of 3 -> 0; r3: A and C answered, both favourable -> 2/2;
    # r4: only C answered (1 of 3 < 50 %) -> no score.
    assert scores.tolist()[:3] == [100.0, 0.0, 100.0]
    assert math.isnan(scores.iloc[3])
    assert scores.mean() == pytest.approx(200 / 3)


def test_mean_0_100_index_by_hand() -> None:
    scores = score_frame(ANSWERS, definitions(MEAN))["mean"]
    # rescale (v - 1) / 4 * 100, C flipped to 6 - v first.
    # r1: A 100, B 75, C (6-1=5) 100, D 50 -> 81.25
    # r2: A 50, B 25, C (6-4=2) 25, D 0 -> 25
    # r3: A 75, C (6-2=4) 75, D 100 -> 3 of 4 answered (= 75 %) -> 83.333
    # r4: 1 of 4 answered -> no score
    assert scores.iloc[0] == pytest.approx(81.25)
    assert scores.iloc[1] == pytest.approx(25.0)
    assert scores.iloc[2] == pytest.approx(250 / 3)
    assert math.isnan(scores.iloc[3])


def test_the_shipped_definitions_score_every_measure() -> None:
    from parcours.barometer.definitions import default_definitions

    d = default_definitions()
    answers = pd.DataFrame({c: [5.0, 1.0] for c in d.questionnaire.items})
    scores = score_frame(answers, d)
    assert set(d.indices) <= set(scores.columns)
    assert {f"item:{c}" for c in d.questionnaire.items} <= set(scores.columns)
    # All-5 answers are favourable except on the reversed items.
    reversed_items = [c for c, i in d.questionnaire.items.items() if i.reversed]
    assert reversed_items and all(scores[f"item:{c}"].iloc[0] == 0 for c in reversed_items)
