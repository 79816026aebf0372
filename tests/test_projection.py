"""Projection scaling and weight initialisation."""

import numpy as np
import pytest

from models.projection import initial_weights, projection_scale, round_half_away


def test_round_half_away_from_zero():
    assert round_half_away(2.5) == 3
    assert round_half_away(3.5) == 4
    assert round_half_away(0.4) == 0


# The five projections of the reference's ra25 network with their derived
# scales: (n_send, sender ActAvg.Init, rel, rel_total, expected scale).
RA25_SCALES = [
    (25, 0.15, 1.0, 1.3, 0.25 / 1.3),  # Input -> Hidden1
    (100, 0.04, 0.3, 1.3, 0.3 * 0.25 / 1.3),  # Hidden2 -> Hidden1
    (100, 0.04, 1.0, 1.3, 0.25 / 1.3),  # Hidden1 -> Hidden2
    (25, 0.24, 0.3, 1.3, 0.3 / 6 / 1.3),  # Output -> Hidden2
    (100, 0.04, 1.0, 1.0, 0.25),  # Hidden2 -> Output
]


@pytest.mark.parametrize("n_send, activity, rel, rel_total, expected", RA25_SCALES)
def test_scale_of_ra25_projections(n_send, activity, rel, rel_total, expected):
    scale = projection_scale(n_send, activity, n_send, rel, rel_total)
    assert scale == pytest.approx(expected, rel=1e-12)


def test_scale_of_partial_connectivity():
    # 100 senders at 10 % activity, 20 inputs per receiver:
    # min(max(round(2), 1) + 2, min(20, 10)) = 4.
    assert projection_scale(100, 0.1, 20) == pytest.approx(1 / 4)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ((0, 0.1, 1), "n_send=0"),
        ((10, 0.0, 10), "activity 0.0"),
        ((10, 0.1, 10, 2.0, 1.0), "rel=2.0"),
    ],
)
def test_scale_bad_input(arguments, fragment):
    with pytest.raises(ValueError, match=fragment):
        projection_scale(*arguments)


def test_initial_weights_reproduce_wt():
    rng = np.random.default_rng(1)
    weights = initial_weights((25, 100), rng)
    wt, swt, lwt = weights["wt"], weights["swt"], weights["lwt"]
    assert wt.shape == (25, 100)
    assert np.all((swt >= 0.2) & (swt <= 0.8))
    assert np.all((lwt >= 0) & (lwt <= 1))
    assert wt.mean() == pytest.approx(0.5, abs=0.02)
    assert wt.min() >= 0.25 - 1e-9
    assert wt.max() <= 0.75 + 1e-9


def test_target_projection_variance_in_lwt():
    weights = initial_weights((100, 25), np.random.default_rng(2), spct=0.0)
    np.testing.assert_allclose(weights["swt"], 0.5)
    # wt keeps its spread (uniform on +-0.25: std 0.144) through lwt alone.
    assert weights["wt"].std() > 0.12
    assert weights["lwt"].std() > 0.01
