"""The Reber grammar: legal sequences, transition frequencies, the trial stream."""

import numpy as np
import pytest

from models.tasks import reber


def symbols(edges) -> str:
    return "".join(reber.EDGES[k][1] for k in edges)


def test_sequences_are_legal():
    drawn = reber.sequences(2000, seed=4)
    for edges in drawn:
        assert reber.is_legal(symbols(edges)), symbols(edges)
    lengths = np.array([len(edges) for edges in drawn])
    assert lengths.min() == 5  # BTXSE and BPVVE are the shortest
    # Mean length 8 (derived from the transition table); its standard
    # deviation is about 3, so the mean of 2000 is within 0.3 of it.
    assert abs(lengths.mean() - 8) < 0.3


def test_legality_check_rejects_illegal_strings():
    for text in ("BTE", "BTXSEB", "TXSE", "BPVV", ""):
        assert not reber.is_legal(text), text
    assert reber.is_legal("BTSSXXVVE")


def test_transition_frequencies_match_probabilities():
    counts = np.zeros((reber.N_STATES, reber.N_STATES))
    for edges in reber.sequences(3000, seed=11):
        for k in edges:
            source, _, target, _ = reber.EDGES[k]
            counts[source, target] += 1
    expected = reber.transition_probabilities()
    for state in range(reber.END):
        n = counts[state].sum()
        assert n > 1000
        frequency = counts[state] / n
        # Binomial standard error of each frequency; 4 errors is p < 1e-4.
        error = np.sqrt(expected[state] * (1 - expected[state]) / n)
        assert np.all(np.abs(frequency - expected[state]) <= 4 * error + 1e-12), state


def test_next_symbol_probabilities_are_distributions():
    table = reber.next_symbol_probabilities()
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    assert table[6, reber.SYMBOLS.index("E")] == 1.0
    assert table[reber.END, reber.SYMBOLS.index("B")] == 1.0
    np.testing.assert_array_equal(reber.allowed_next(2), [0, 0, 1, 1, 0, 0, 0])


def test_stream_continues_sequences():
    long = reber.transition_stream(500, seed=[3, 1])
    short = reber.transition_stream(120, seed=[3, 1])
    np.testing.assert_array_equal(long[:120], short)
    # Every transition leaves the state the previous one entered; E leads to B.
    state = reber.START
    for k in long:
        source, _, target, _ = reber.EDGES[k]
        assert source == (reber.START if state == reber.END else state)
        state = target


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="Invalid state 9"):
        reber.allowed_next(9)
    with pytest.raises(ValueError, match="Invalid number of trials 0"):
        reber.transition_stream(0, seed=1)
    with pytest.raises(ValueError, match="Invalid number of sequences -1"):
        reber.sequences(-1, seed=1)
