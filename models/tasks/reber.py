"""The Reber grammar: a finite-state automaton that emits symbol sequences.

The grammar of the reference's deep_fsa example (axon v1.2.94,
``examples/deep_fsa/fsa_env.go``) has 8 states and 7 symbols. Each state
emits one of its symbols with the listed probability and moves on::

    state 0 (start): B -> 1 (1)
    state 1: T -> 2 (0.5), P -> 3 (0.5)
    state 2: S -> 2 (0.5), X -> 4 (0.5)
    state 3: T -> 3 (0.5), V -> 5 (0.5)
    state 4: S -> 6 (0.5), X -> 3 (0.5)
    state 5: V -> 6 (0.5), P -> 4 (0.5)
    state 6: E -> 7 (1)

State 7 ends a sequence; the next sequence starts again in state 0, so B
always follows E. A sequence therefore has at least 5 symbols and 8 on
average. One trial of the network is one transition: it sees the symbol
emitted and predicts the symbol of the next transition.

Transitions are numbered in the order of the table above (``EDGES``); a
trial's pattern index is the number of the transition it shows, which tells
both the symbol and the state it was emitted from.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SYMBOLS",
    "N_STATES",
    "START",
    "END",
    "EDGES",
    "transition_probabilities",
    "next_symbol_probabilities",
    "allowed_next",
    "sequence",
    "sequences",
    "transition_stream",
    "is_legal",
]

#: Symbols in the order of the network's units.
SYMBOLS = ("B", "T", "S", "X", "V", "P", "E")

#: Number of states, the start state and the end state.
N_STATES = 8
START = 0
END = 7

#: Transitions (from state, symbol, to state, probability), in table order.
EDGES = (
    (0, "B", 1, 1.0),
    (1, "T", 2, 0.5),
    (1, "P", 3, 0.5),
    (2, "S", 2, 0.5),
    (2, "X", 4, 0.5),
    (3, "T", 3, 0.5),
    (3, "V", 5, 0.5),
    (4, "S", 6, 0.5),
    (4, "X", 3, 0.5),
    (5, "V", 6, 0.5),
    (5, "P", 4, 0.5),
    (6, "E", 7, 1.0),
)


def transition_probabilities() -> np.ndarray:
    """Return P(next state | state) as an (8, 8) array; state 7 moves to 0."""
    matrix = np.zeros((N_STATES, N_STATES))
    for source, _, target, probability in EDGES:
        matrix[source, target] += probability
    matrix[END, START] = 1.0
    return matrix


def next_symbol_probabilities() -> np.ndarray:
    """Return P(symbol | state) as an (8, 7) array, symbols in `SYMBOLS` order.

    Row 7 (end) gives B with probability 1, since the next sequence starts.
    """
    table = np.zeros((N_STATES, len(SYMBOLS)))
    for source, symbol, _, probability in EDGES:
        table[source, SYMBOLS.index(symbol)] += probability
    table[END] = table[START]
    return table


def allowed_next(state: int) -> np.ndarray:
    """Return a 0/1 vector of the symbols the grammar allows from ``state``."""
    if not 0 <= state < N_STATES:
        raise ValueError(
            f"Invalid state {state!r}: the grammar has states 0 to {N_STATES - 1}."
        )
    return (next_symbol_probabilities()[state] > 0).astype(float)


def sequence(rng: np.random.Generator) -> list[int]:
    """Draw one sequence, from state 0 to the end; return its edge indices."""
    state, edges = START, []
    while state != END:
        choices = [k for k, edge in enumerate(EDGES) if edge[0] == state]
        weights = np.array([EDGES[k][3] for k in choices])
        edge = choices[rng.choice(len(choices), p=weights / weights.sum())]
        edges.append(edge)
        state = EDGES[edge][2]
    return edges


def sequences(n: int, seed: int) -> list[list[int]]:
    """Draw ``n`` sequences with a generator seeded by ``seed``."""
    if int(n) != n or n < 0:
        raise ValueError(
            f"Invalid number of sequences {n!r}: expected an integer >= 0."
        )
    rng = np.random.default_rng(seed)
    return [sequence(rng) for _ in range(n)]


def transition_stream(n_trials: int, seed) -> np.ndarray:
    """Return the first ``n_trials`` transitions of one seed's sequence stream.

    Sequences follow each other without a gap (B after E). The stream of a
    seed is the same whatever its length, so the stream of ``n`` trials is
    the beginning of the stream of ``m > n`` trials, and consecutive slices of
    it continue each other's sequences.
    """
    if int(n_trials) != n_trials or n_trials < 1:
        raise ValueError(
            f"Invalid number of trials {n_trials!r}: expected an integer >= 1."
        )
    rng = np.random.default_rng(seed)
    edges: list[int] = []
    while len(edges) < n_trials:
        edges.extend(sequence(rng))
    return np.array(edges[:n_trials], dtype=int)


def is_legal(symbols: str) -> bool:
    """Return whether a symbol string is a complete sentence of the grammar."""
    state = START
    for symbol in symbols:
        moves = [edge for edge in EDGES if edge[0] == state and edge[1] == symbol]
        if not moves:
            return False
        state = moves[0][2]
    return state == END
