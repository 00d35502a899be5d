"""The differentially private counts (hisho/partners/dp.py, POLICY O4).

Noise is tested statistically, over many independent releases (no seed); small-group
suppression and contribution bounding are tested exactly."""

from __future__ import annotations

import math
import statistics

from hisho.partners.dp import bound_contributions, mechanism, private_counts

DELTA = 1e-7


def people(n: int, group: tuple[str, ...], prefix: str) -> dict[str, list[tuple[str, ...]]]:
    return {f"{prefix}{i}": [group] for i in range(n)}


def test_groups_below_the_minimum_never_appear_whatever_the_noise() -> None:
    data = {**people(9, ("small",), "s"), **people(5000, ("big",), "b")}
    for _ in range(300):
        released = dict(
            private_counts(data, epsilon=1.0, delta=DELTA, min_group_size=10, max_contributions=1)
        )
        assert ("small",) not in released
        assert ("big",) in released


def test_every_released_count_is_at_least_the_threshold() -> None:
    found = mechanism(epsilon=1.0, delta=DELTA, min_group_size=10, max_contributions=1)
    assert found.threshold >= 10
    data = {**people(found.threshold, ("edge",), "e"), **people(3000, ("big",), "b")}
    for _ in range(200):
        for _group, count in private_counts(
            data, epsilon=1.0, delta=DELTA, min_group_size=10, max_contributions=1
        ):
            assert count >= found.threshold


def test_each_person_counts_once_per_group_and_in_at_most_the_bound() -> None:
    data = {"p": [("a",), ("a",), ("b",), ("c",), ("d",)], "q": [("a",)]}
    assert bound_contributions(data, 2) == ["a", "b", "a"]


def test_opendp_proves_the_epsilon_and_delta_asked_for() -> None:
    for epsilon, bound in ((0.5, 1), (1.0, 1), (0.5, 4)):
        found = mechanism(epsilon=epsilon, delta=DELTA, min_group_size=10, max_contributions=bound)
        assert found.epsilon <= epsilon + 1e-9
        assert found.delta <= DELTA
        # Laplace on counts a person changes by `bound` in `bound` groups: scale ≈ bound/ε.
        assert math.isclose(found.scale, bound / epsilon, rel_tol=0.01)


def _noise(epsilon: float, runs: int) -> list[int]:
    data = people(2000, ("g",), "p")
    out = []
    for _ in range(runs):
        released = dict(
            private_counts(
                data, epsilon=epsilon, delta=DELTA, min_group_size=10, max_contributions=1
            )
        )
        out.append(released[("g",)] - 2000)
    return out


def test_the_noise_is_centred_laplace_with_the_calibrated_scale() -> None:
    runs = 2000
    found = mechanism(epsilon=0.5, delta=DELTA, min_group_size=10, max_contributions=1)
    noise = _noise(0.5, runs)
    # Laplace(b): mean 0, standard deviation b·√2 (discretised: close to it).
    expected_sd = found.scale * math.sqrt(2)
    assert abs(statistics.fmean(noise)) < 5 * expected_sd / math.sqrt(runs)
    assert 0.85 * expected_sd < statistics.pstdev(noise) < 1.15 * expected_sd
    # Laplace, not Gaussian: P(|X| > b·ln 2... ) — half the mass lies within b·ln 2.
    within = sum(abs(x) <= found.scale * math.log(2) for x in noise) / runs
    assert 0.40 < within < 0.62
    assert len(set(noise)) > 10  # noise, not a constant


def test_more_epsilon_means_less_noise() -> None:
    wide = statistics.pstdev(_noise(0.25, 600))
    narrow = statistics.pstdev(_noise(1.0, 600))
    assert 2.5 < wide / narrow < 6  # scale ∝ 1/ε: 4× in expectation
