"""Differentially private counts with OpenDP (POLICY O4; docs/partners.md).

    counts = private_counts(contributions, epsilon=0.5, delta=1e-7,
                            min_group_size=10, max_contributions=4)

`contributions` maps each person (an opaque key, never released) to the groups their data
falls in. The unit of privacy is the person:

1. **Contribution bounding.** Each person counts at most once per group and in at most
   `max_contributions` groups (the first ones given): adding or removing one person
   changes at most `max_contributions` records — the `d_in` of the privacy map.
2. **OpenDP's stability-aware count** (`make_count_by`: vector → hashmap of counts, with
   `L01InfDistance` tracking how many groups and how much each one changes).
3. **Small groups never appear.** A 1-stable map on that hashmap subtracts
   `min_group_size - 1` from every count and drops the groups left at zero or below:
   groups with fewer people are gone before any noise, and a neighbouring dataset still
   differs in at most as many groups, by at most as much (so its stability map is the
   identity).
4. **OpenDP's thresholded Laplace mechanism** (`make_laplace_threshold`, propose-test-
   release over an unknown set of groups): noise with the scale that makes the release
   ε-DP for `d_in`, and a threshold high enough that a group only one neighbour has
   appears with probability at most δ. The constant from step 3 is added back.

The scale and the threshold are found with OpenDP's own binary search against its
privacy map, so the (ε, δ) recorded are what OpenDP proves for the whole chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import opendp.prelude as dp

SEPARATOR = "\x1f"  # joins a group's fields into one OpenDP key (fields are plain keys)


@cache
def _opendp() -> Any:
    dp.enable_features("contrib", "honest-but-curious")  # for the 1-stable filter below
    return dp


@dataclass(frozen=True)
class Mechanism:
    scale: float
    opendp_threshold: int
    threshold: int  # every released count is at least this
    epsilon: float
    delta: float


def bound_contributions(
    contributions: Mapping[Any, Sequence[tuple[str, ...]]], max_contributions: int
) -> list[str]:
    """Each person's distinct groups, at most `max_contributions` of them, as OpenDP keys."""
    records: list[str] = []
    for groups in contributions.values():
        seen: list[str] = []
        for group in groups:
            key = SEPARATOR.join(group)
            if key not in seen:
                seen.append(key)
                if len(seen) == max_contributions:
                    break
        records.extend(seen)
    return records


def _chain(scale: float, threshold: int, min_group_size: int) -> Any:
    """count_by >> drop groups under `min_group_size` >> thresholded Laplace noise, where
    `threshold` is OpenDP's (on counts less `min_group_size - 1`)."""
    lib = _opendp()
    shift = min_group_size - 1
    count_by = lib.t.make_count_by(
        lib.vector_domain(lib.atom_domain(T=str)), lib.symmetric_distance(), TV=int
    )

    def drop_small(counts: dict[str, int]) -> dict[str, int]:
        return {key: count - shift for key, count in counts.items() if count > shift}

    # Subtracting a constant and dropping what falls to zero: neighbours' hashmaps still
    # differ in at most the same groups by at most the same amount (identity map).
    small_groups_gone = lib.t.make_user_transformation(
        count_by.output_domain,
        count_by.output_metric,
        count_by.output_domain,
        count_by.output_metric,
        drop_small,
        lambda d_in: d_in,
    )
    noise = lib.m.make_laplace_threshold(
        count_by.output_domain,
        count_by.output_metric,
        scale=scale,
        threshold=threshold,
    )
    return count_by >> small_groups_gone >> noise


@cache
def mechanism(
    *, epsilon: float, delta: float, min_group_size: int, max_contributions: int
) -> Mechanism:
    """The smallest noise scale, then the lowest threshold, that OpenDP's privacy map
    proves (ε, δ)-DP for a person contributing `max_contributions` records."""
    lib = _opendp()
    d_in = max_contributions
    generous = 10**6  # a threshold so high δ is negligible while the scale is searched
    scale = lib.binary_search(
        lambda s: _chain(s, generous, min_group_size).map(d_in)[0] <= epsilon,
        bounds=(1e-3, 1e6),
        T=float,
    )
    threshold = lib.binary_search(
        lambda t: _chain(scale, t, min_group_size).map(d_in)[1] <= delta,
        bounds=(d_in, generous),
        T=int,
    )
    proved = _chain(scale, threshold, min_group_size).map(d_in)
    return Mechanism(
        scale=scale,
        opendp_threshold=threshold,
        threshold=threshold + min_group_size - 1,
        epsilon=proved[0],
        delta=proved[1],
    )


def private_counts(
    contributions: Mapping[Any, Sequence[tuple[str, ...]]],
    *,
    epsilon: float,
    delta: float,
    min_group_size: int,
    max_contributions: int,
) -> list[tuple[tuple[str, ...], int]]:
    """Noisy counts of people per group, each group with at least `min_group_size`
    people in the data (and a noisy count at or above the mechanism's threshold)."""
    found = mechanism(
        epsilon=epsilon,
        delta=delta,
        min_group_size=min_group_size,
        max_contributions=max_contributions,
    )
    records = bound_contributions(contributions, max_contributions)
    released = _chain(found.scale, found.opendp_threshold, min_group_size)(records)
    shift = min_group_size - 1
    return sorted((tuple(key.split(SEPARATOR)), count + shift) for key, count in released.items())


def people_counted(
    contributions: Mapping[Any, Sequence[tuple[str, ...]]],
) -> Iterable[Any]:
    """Whose data a release read: everyone with at least one group."""
    return (person for person, groups in contributions.items() if groups)
