"""Error tables of a network trained on the Reber grammar, by state and by context.

`models.fsa.train_fsa` writes one row per trial to ``trials.csv``, in the
order of the continuous stream of sequences, with the transition shown
(``pattern``), the grammar state it left (``state``), the trial's error
(``err``) and the pulvinar's minus-phase activity (``act_m_<unit>``). The
tables here group those trials by the grammar state or by the symbols of
the trials before, and split each group's errors into the two ways a trial can
fail: no allowed symbol above the threshold, or a symbol the grammar rules
out above it.

From the command line::

    python -m analysis.prediction_errors results/fsa --length 2 --epochs 31 60
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from models.cli import positive_int
from models.fsa import predicted_units
from models.tasks import reber

__all__ = ["trial_symbols", "errors_by_state", "errors_by_context", "main"]

#: Columns of the trial table that these tables read.
REQUIRED_COLUMNS = ("epoch", "trial", "pattern", "err", "state") + tuple(
    f"act_m_{unit}" for unit in range(len(reber.SYMBOLS))
)

#: Columns of both tables after the group key.
COLUMNS = (
    "trials",
    "errors",
    "pct_err",
    "share_of_errors",
    "no_allowed",
    "disallowed",
    "top_disallowed",
)


def _check(trials: pd.DataFrame) -> pd.DataFrame:
    """Return the trials in stream order, or raise if a column or a state is wrong."""
    missing = [column for column in REQUIRED_COLUMNS if column not in trials]
    if missing:
        raise ValueError(
            f"Missing columns {missing} in the trial table: expected the "
            "trials.csv of a grammar run (python -m models.fsa)."
        )
    trials = trials.sort_values(["epoch", "trial"], kind="stable")
    trials = trials.reset_index(drop=True)
    sources = np.array([edge[0] for edge in reber.EDGES])
    patterns = _patterns(trials)
    wrong = np.flatnonzero(trials["state"].to_numpy() != sources[patterns])
    if wrong.size:
        # Column by column, because a row of mixed columns comes back as floats.
        first = wrong[0]
        state, epoch, trial = (
            trials[column].iloc[first] for column in ("state", "epoch", "trial")
        )
        raise ValueError(
            f"Invalid state {state} in epoch {epoch}, trial {trial}: transition "
            f"{patterns[first]} leaves state {sources[patterns[first]]}. The trial "
            "table is not one that python -m models.fsa wrote."
        )
    return trials


def _patterns(trials: pd.DataFrame) -> np.ndarray:
    """Return the transition of each trial, or raise if one is not the grammar's."""
    patterns = trials["pattern"].to_numpy(dtype=int)
    if patterns.size and (patterns.min() < 0 or patterns.max() >= len(reber.EDGES)):
        raise ValueError(
            f"Invalid patterns {patterns.min()} to {patterns.max()}: the grammar "
            f"has transitions 0 to {len(reber.EDGES) - 1}."
        )
    return patterns


def trial_symbols(trials: pd.DataFrame) -> np.ndarray:
    """Return the symbol each trial showed, from its transition ``pattern``."""
    symbols = np.array([edge[1] for edge in reber.EDGES])
    return symbols[_patterns(trials)]


def _error_kinds(trials: pd.DataFrame) -> pd.DataFrame:
    """Return per trial whether no allowed symbol, or a disallowed one, was on.

    A symbol is on when the grammar task's scoring counts it as predicted
    (`models.fsa.predicted_units`). ``top`` names the disallowed symbol with
    the largest act_m among those on.
    """
    act_m = trials[[f"act_m_{unit}" for unit in range(len(reber.SYMBOLS))]]
    act_m = act_m.to_numpy(dtype=float)
    allowed = reber.next_symbol_probabilities()[trials["state"].to_numpy(int)] > 0
    allowed_on, disallowed = predicted_units(act_m, allowed)
    top = np.where(disallowed, act_m, -np.inf).argmax(axis=1)
    return pd.DataFrame(
        {
            "no_allowed": ~allowed_on.any(axis=1),
            "disallowed": disallowed.any(axis=1),
            "top": np.where(disallowed.any(axis=1), np.array(reber.SYMBOLS)[top], ""),
        },
        index=trials.index,
    )


def _in_epochs(trials: pd.DataFrame, epochs) -> pd.Series:
    """Return a mask of the trials in ``epochs`` (first, last), both included."""
    if epochs is None:
        return pd.Series(True, index=trials.index)
    first, last = epochs
    if not 1 <= first <= last:
        raise ValueError(
            f"Invalid epochs ({first}, {last}): expected 1 <= first <= last."
        )
    return trials["epoch"].between(first, last)


def _group_table(trials: pd.DataFrame, key: pd.Series, name: str) -> pd.DataFrame:
    """Return the errors of ``trials`` grouped by ``key``, most errors first."""
    kinds = _error_kinds(trials)
    total = int(trials["err"].sum())
    rows = []
    for value, index in trials.groupby(key.to_numpy()).groups.items():
        group, group_kinds = trials.loc[index], kinds.loc[index]
        errors = int(group["err"].sum())
        tops = group_kinds["top"][group_kinds["top"] != ""]
        rows.append(
            {
                name: value,
                "trials": len(group),
                "errors": errors,
                "pct_err": errors / len(group),
                "share_of_errors": errors / total if total else 0.0,
                "no_allowed": float(group_kinds["no_allowed"].mean()),
                "disallowed": float(group_kinds["disallowed"].mean()),
                "top_disallowed": tops.mode().iloc[0] if len(tops) else "",
            }
        )
    table = pd.DataFrame(rows, columns=[name, *COLUMNS])
    return table.sort_values(["errors", name], ascending=[False, True]).reset_index(
        drop=True
    )


def errors_by_state(trials: pd.DataFrame, *, epochs=None) -> pd.DataFrame:
    """Tabulate the errors per grammar state the trial's symbol was emitted from.

    Parameters
    ----------
    trials : pandas.DataFrame
        The trial table of a grammar run (``trials.csv``).
    epochs : tuple of int, optional
        First and last epoch to count, both included; all epochs by default.

    Returns
    -------
    pandas.DataFrame
        One row per state, most errors first: ``state``, ``trials``,
        ``errors``, ``pct_err`` (fraction of the state's trials) and
        ``share_of_errors`` (fraction of all errors counted). ``no_allowed``
        is the fraction of the state's trials with no allowed symbol above the
        threshold, and ``disallowed`` the fraction with a disallowed symbol
        above it. ``top_disallowed`` is the disallowed symbol that was most
        often the strongest of those above it.
    """
    trials = _check(trials)
    trials = trials[_in_epochs(trials, epochs)]
    return _group_table(trials, trials["state"].astype(int), "state")


def errors_by_context(
    trials: pd.DataFrame, length: int = 2, *, epochs=None
) -> pd.DataFrame:
    """Tabulate the errors per context: the ``length`` symbols before the trial.

    A trial's minus phase predicts its own symbol from the trials before it,
    so its context is the symbols of the ``length`` trials before it in the
    stream, oldest first ("T S" for a prediction made after T, then S).
    Earlier epochs supply the symbols before the first trial counted. The
    first ``length`` trials of the table have no full context and are left
    out. The columns are those of `errors_by_state`, with ``context`` in
    place of ``state``.
    """
    if int(length) != length or length < 1:
        raise ValueError(
            f"Invalid context length {length!r}: expected an integer >= 1."
        )
    trials = _check(trials)
    symbols = pd.Series(trial_symbols(trials), index=trials.index)
    context = symbols.shift(1)
    for back in range(2, int(length) + 1):
        context = symbols.shift(back) + " " + context
    keep = context.notna() & _in_epochs(trials, epochs)
    return _group_table(trials[keep], context[keep], "context")


def main(argv=None) -> int:
    """Print the error tables of a grammar run; see ``--help``."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.prediction_errors",
        description="Print where a grammar run erred: errors per grammar state "
        "and per context of the last symbols shown.",
    )
    parser.add_argument(
        "run", help="output directory of python -m models.fsa, or its trials.csv"
    )
    parser.add_argument(
        "--length", type=positive_int, default=2, help="symbols per context (default 2)"
    )
    parser.add_argument(
        "--epochs",
        type=positive_int,
        nargs=2,
        metavar=("FIRST", "LAST"),
        help="count only these epochs, both included (default: all)",
    )
    parser.add_argument(
        "--top", type=positive_int, default=10, help="contexts to print (default 10)"
    )
    args = parser.parse_args(argv)

    path = Path(args.run)
    if path.is_dir():
        path = path / "trials.csv"
    if not path.is_file():
        parser.exit(
            2,
            f"{parser.prog}: error: missing trial table {path}: pass the "
            "output directory of python -m models.fsa or its trials.csv.\n",
        )
    try:
        trials = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        parser.exit(2, f"{parser.prog}: error: failed to read {path}: {error}\n")
    if trials.empty:
        parser.exit(2, f"{parser.prog}: error: no trials in {path}.\n")
    try:
        states = errors_by_state(trials, epochs=args.epochs)
        contexts = errors_by_context(trials, args.length, epochs=args.epochs)
    except ValueError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")

    counted = int(states["trials"].sum())
    if counted == 0:
        parser.exit(
            2,
            f"{parser.prog}: error: no trials in epochs {args.epochs[0]} to "
            f"{args.epochs[1]}: {path} has epochs {trials['epoch'].min()} to "
            f"{trials['epoch'].max()}.\n",
        )
    errors = int(states["errors"].sum())
    first, last = args.epochs or (trials["epoch"].min(), trials["epoch"].max())
    print(
        f"{path}, epochs {first} to {last}: {errors} errors in {counted} trials "
        f"({errors / counted:.2%})"
    )
    with pd.option_context("display.width", 120, "display.precision", 3):
        print("\nby grammar state")
        print(states.to_string(index=False))
        before = "symbol" if args.length == 1 else f"{args.length} symbols"
        print(f"\nby the {before} before the trial, {args.top} with most errors")
        print(contexts.head(args.top).to_string(index=False))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # The reader closed the pipe early (as head does). Python's documented
        # recipe: point stdout at devnull so that the exit flush stays silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
