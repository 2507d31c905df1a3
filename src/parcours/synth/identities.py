"""Drawing people: sex, birth date, given names, birth and usage surnames."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from parcours.synth.names import Identity, NamePools


def draw_identities(
    rng: np.random.Generator,
    pools: NamePools,
    n: int,
    *,
    female_share: float,
    birth_years: tuple[int, int],
    reference_year: int,
) -> list[Identity]:
    """People as a civil-status register knows them. Married women mostly use their spouse's
    surname (birth_name keeps the maiden name), some a compound `Spouse-Maiden` usage name; about
    one person in twenty has a double birth surname."""
    sex = np.where(rng.random(n) < female_share, "F", "M")
    years = rng.integers(birth_years[0], birth_years[1] + 1, n)
    day_of_year = rng.integers(0, 365, n)
    surname = pools.draw_surnames(rng, n)
    spouse = pools.draw_surnames(rng, n)
    second = pools.draw_surnames(rng, n)
    double = rng.random(n) < 0.05
    n_given = rng.choice([1, 2, 3, 4], size=n, p=[0.3, 0.42, 0.22, 0.06])
    married = rng.random(n)
    compound_usage = rng.random(n)
    names = pools.surnames
    given_all = pools.draw_given_names(rng, sex, years, 4)
    people: list[Identity] = []
    for i in range(n):
        s = str(sex[i])
        year = int(years[i])
        born = date(year, 1, 1) + timedelta(days=int(day_of_year[i]))
        birth = names[surname[i]]
        if double[i]:
            birth = (
                f"{birth}-{names[second[i]]}"
                if compound_usage[i] < 0.6
                else f"{birth} {names[second[i]]}"
            )
        given = given_all[i][: int(n_given[i])]
        # A second given name identical to the first is not how parents name children.
        given = list(dict.fromkeys(given))
        age = reference_year - year
        last, maiden = birth, ""
        if s == "F" and age >= 26 and married[i] < min(0.62, 0.02 * (age - 22)):
            last, maiden = names[spouse[i]], birth
            if compound_usage[i] < 0.12:
                last = f"{last}-{birth}"
        people.append(Identity(last, maiden, " ".join(given), born.isoformat(), s))
    return people


def homonym_of(rng: np.random.Generator, person: Identity) -> Identity:
    """Same name, another person: a different birth date (often a different year)."""
    born = date.fromisoformat(person.birth_date)
    shift = int(rng.integers(200, 9000)) * (1 if rng.random() < 0.5 else -1)
    other = born + timedelta(days=shift)
    other = min(max(other, date(1950, 1, 1)), date(2007, 12, 31))
    if other == born:
        other = born + timedelta(days=400)
    first = person.first_names.split(" ")[0] if rng.random() < 0.5 else person.first_names
    return Identity(person.last_name, person.birth_name, first, other.isoformat(), person.sex)
