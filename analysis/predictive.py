"""Figure ``predictive``: deep predictive learning of the Reber grammar.

The network of `models.fsa` learns to predict the next symbol of sequences
of the Reber grammar, in two conditions:

* ``context``: the full network, whose deep context layer (HiddenCT) gets the
  superficial layer's burst, the input and its own activity of the previous
  trial (context gain 0.2);
* ``no_context``: the control with context gain 0, whose deep layer has no
  access to the previous trial's context, so that its predictions can only
  use what is left of the activity of the trial before in its own state.

Panel (a) shows the prediction error (fraction of trials in which the
pulvinar's minus-phase activity does not pick out only symbols the grammar
allows) against the epoch: mean over seeds, with the range of the seeds.
Panel (b) shows the full network's mean minus-phase pulvinar activity in
the last epoch, per grammar state, with the allowed symbols outlined. Panel
(c) plots that activity against the grammar's true next-symbol probability,
for both conditions, with their correlation.

The dashed line in panel (a) is the error of the best prediction from the
last symbol alone (the one symbol allowed most often after it), scored the
same way: the level a network without longer context could reach.

Every run has the same number of epochs, so that the curves align. The epoch
at which a run first completes 5 error-free epochs in a row (the reference's
stop rule) is read off its curve and written to the CSV.

========  ================  ======
scale     trials per epoch  epochs
========  ================  ======
tiny      40                2
quick     200               20
full      200               60
========  ================  ======

On a standalone device each condition is compiled once and every seed reuses
the binary. Runs keep their checkpoints below the build directory
(``BUILD/fsa_runs``, whatever the number of workers), so an interrupted
simulation resumes at its last block. ``--fresh`` of ``reproduce_figures.py``
removes them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from analysis.figure import SimulationSettings
from models import fsa
from models.tasks import reber
from models.workers import run_in_workers

#: Sizes per scale: trials per epoch and epochs.
SCALE_SIZES = {
    "tiny": {"trials_per_epoch": 40, "epochs": 2},
    "quick": {"trials_per_epoch": 200, "epochs": 20},
    "full": {"trials_per_epoch": 200, "epochs": 60},
}

#: Conditions and their context gain.
CONDITIONS = {"context": 0.2, "no_context": 0.0}

#: Error-free epochs in a row that count as learned (reference NZeroStop).
ZERO_STOP = 5

#: Directory below the build directory with the runs' checkpoints.
RUNS_DIR = "fsa_runs"

COLOURS = {"context": "C0", "no_context": "C3"}


def simulate(settings: SimulationSettings) -> dict[str, pd.DataFrame]:
    """Train both conditions for every seed; return ``epochs`` and ``predictions``.

    ``epochs`` has one row per condition, seed and epoch: the grammar's
    ``pct_err``, ``unit_err`` and ``sse`` (`models.fsa.PredictionTask.score`)
    and the sizes of the run. ``predictions`` has one row per condition, seed, grammar
    state and symbol: the mean pulvinar act_m over the last epoch's trials
    from that state, the true probability and the number of trials.
    """
    sizes = SCALE_SIZES[settings.scale]
    # The checkpoints sit in one place whatever the number of workers, so
    # that a run resumes with another --jobs too.
    runs_dir = Path(settings.build_dir) / RUNS_DIR

    # Conditions alternate, so that the round-robin split of the workers
    # gives each worker one condition and so one compilation.
    items = [
        (condition, seed, sizes, settings.device, runs_dir)
        for seed in settings.seeds
        for condition in CONDITIONS
    ]
    runs = run_in_workers(_run, items, settings.jobs, settings.build_dir)
    epochs = pd.concat([curve for curve, _ in runs], ignore_index=True)
    for key, value in sizes.items():
        epochs[key] = value
    predictions = pd.concat([table for _, table in runs], ignore_index=True)
    return {"epochs": epochs, "predictions": predictions}


def _run(item: tuple, build_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train one condition and seed; return its curve and prediction table.

    ``item`` is ``(condition, seed, sizes, device, runs_dir)``, with the run's
    checkpoint in ``runs_dir``.
    """
    condition, seed, sizes, device_name, runs_dir = item
    build_dir = Path(build_dir)
    result = fsa.train_fsa(
        fsa.fsa_spec(CONDITIONS[condition]),
        fsa.fsa_task(sizes["trials_per_epoch"]),
        seed=seed,
        epochs=sizes["epochs"],
        device_name=device_name,
        out=runs_dir / f"{condition}_seed{seed}",
        build_dir=build_dir / f"fsa_{condition}",
        block_epochs=min(5, sizes["epochs"]),
        zero_stop=None,
        label=f"fsa {condition}",
    )
    curve = result.epochs[["epoch", "pct_err", "unit_err", "sse"]].copy()
    curve.insert(0, "seed", seed)
    curve.insert(0, "condition", condition)
    last = result.trials[result.trials["epoch"] == result.trials["epoch"].max()]
    table = prediction_table(last)
    table.insert(0, "seed", seed)
    table.insert(0, "condition", condition)
    return curve, table


def prediction_table(trials: pd.DataFrame) -> pd.DataFrame:
    """Return the mean act_m per grammar state and symbol, with the truth.

    ``trials`` is a trial table of `models.fsa.train_fsa`, with its ``state``.
    """
    truth = reber.next_symbol_probabilities()
    rows = []
    for state, group in trials.groupby("state"):
        for unit, symbol in enumerate(reber.SYMBOLS):
            rows.append(
                {
                    "state": int(state),
                    "symbol": symbol,
                    "act_m": float(group[f"act_m_{unit}"].mean()),
                    "p_true": float(truth[int(state), unit]),
                    "n_trials": len(group),
                }
            )
    return pd.DataFrame(rows)


def criterion_epoch(pct_err, zero_stop: int = ZERO_STOP):
    """Return the epoch (from 1) that ends the first ``zero_stop`` error-free run."""
    run = 0
    for epoch, error in enumerate(np.asarray(pct_err, dtype=float), start=1):
        run = run + 1 if error == 0 else 0
        if run >= zero_stop:
            return epoch
    return None


def first_order_error(n_trials: int = 20000, seed: int = 0) -> float:
    """Return the error rate of the best prediction from the last symbol alone.

    A trial is correct when every predicted symbol is allowed, so the best
    prediction from the last symbol is the one symbol allowed most often after
    it. Its error is measured on a stream of ``n_trials`` transitions.
    """
    patterns = reber.transition_stream(n_trials, seed)
    previous = np.array([reber.EDGES[k][1] for k in np.roll(patterns, 1)])
    allowed = np.array([reber.allowed_next(reber.EDGES[k][0]) for k in patterns])
    correct = 0.0
    for symbol in reber.SYMBOLS:
        after = previous == symbol
        correct += allowed[after].sum(axis=0).max() if after.any() else 0.0
    return float(1 - correct / n_trials)


def _correlation(predictions: pd.DataFrame) -> float:
    """Return the Pearson correlation of act_m with the true probability.

    NaN when either is constant.
    """
    a = predictions["act_m"].to_numpy(dtype=float)
    b = predictions["p_true"].to_numpy(dtype=float)
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def tabulate(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the error curves with each run's criterion epoch and correlation.

    ``criterion_epoch`` is empty where a run never had 5 error-free epochs in
    a row. ``correlation`` compares the last epoch's mean act_m per state and
    symbol with the true next-symbol probabilities. ``first_order_pct_err``
    is the error from the last symbol alone (`first_order_error`).
    """
    table = results["epochs"].copy()
    summary = []
    for (condition, seed), curve in table.groupby(["condition", "seed"]):
        predictions = results["predictions"]
        chosen = predictions[
            (predictions["condition"] == condition) & (predictions["seed"] == seed)
        ]
        summary.append(
            {
                "condition": condition,
                "seed": seed,
                "criterion_epoch": criterion_epoch(
                    curve.sort_values("epoch")["pct_err"]
                ),
                "correlation": _correlation(chosen),
            }
        )
    summary = pd.DataFrame(summary)
    summary["criterion_epoch"] = summary["criterion_epoch"].astype("Int64")
    table = table.merge(summary, on=["condition", "seed"])
    table["first_order_pct_err"] = first_order_error()
    return table.sort_values(["condition", "seed", "epoch"]).reset_index(drop=True)


def draw(results: dict[str, pd.DataFrame]) -> Figure:
    """Draw the error curves, the predictions per state and their accuracy."""
    figure = Figure(figsize=(13, 4.4), layout="constrained")
    curve_axes, state_axes, scatter_axes = figure.subplots(
        1, 3, gridspec_kw={"width_ratios": [1.2, 1, 1]}
    )
    table = tabulate(results)
    _draw_curves(curve_axes, table)
    _draw_states(figure, state_axes, results["predictions"])
    _draw_scatter(scatter_axes, results["predictions"], table)

    first = results["epochs"].iloc[0]
    n_seeds = results["epochs"]["seed"].nunique()
    figure.suptitle(
        f"Reber grammar, {int(first['trials_per_epoch'])} trials per epoch, "
        f"{n_seeds} seed{'s' if n_seeds > 1 else ''}"
    )
    return figure


def _draw_curves(axes, table: pd.DataFrame) -> None:
    for condition, rows in table.groupby("condition"):
        by_epoch = rows.groupby("epoch")["pct_err"]
        mean, low, high = by_epoch.mean(), by_epoch.min(), by_epoch.max()
        label = "with context" if condition == "context" else "no context (gain 0)"
        axes.plot(
            mean.index,
            100 * mean,
            marker="o",
            color=COLOURS[condition],
            label=label,
        )
        axes.fill_between(
            mean.index, 100 * low, 100 * high, color=COLOURS[condition], alpha=0.2
        )
    axes.axhline(
        100 * table["first_order_pct_err"].iloc[0],
        color="grey",
        linestyle="--",
        label="last symbol only (best)",
    )
    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("prediction error (% of trials)")
    axes.set_ylim(bottom=0)
    spread = "mean and range over seeds" if table["seed"].nunique() > 1 else "one seed"
    axes.set_title(f"(a) error: {spread}", loc="left")
    axes.legend(frameon=False)


def _state_matrix(predictions: pd.DataFrame, column: str) -> np.ndarray:
    matrix = np.full((reber.END, len(reber.SYMBOLS)), np.nan)
    means = predictions.groupby(["state", "symbol"])[column].mean()
    for (state, symbol), value in means.items():
        matrix[int(state), reber.SYMBOLS.index(symbol)] = value
    return matrix


def _draw_states(figure, axes, predictions: pd.DataFrame) -> None:
    chosen = predictions[predictions["condition"] == "context"]
    image = axes.imshow(
        _state_matrix(chosen, "act_m"), cmap="Blues", vmin=0, vmax=1, aspect="auto"
    )
    allowed = _state_matrix(chosen, "p_true") > 0
    for state, unit in zip(*np.nonzero(allowed), strict=True):
        axes.add_patch(
            Rectangle((unit - 0.5, state - 0.5), 1, 1, fill=False, edgecolor="C1", lw=2)
        )
    axes.set_xticks(range(len(reber.SYMBOLS)), reber.SYMBOLS)
    axes.set_yticks(range(reber.END))
    axes.set_xlabel("predicted symbol (pulvinar unit)")
    axes.set_ylabel("grammar state")
    axes.set_title("(b) act_m per state, with context", loc="left")
    figure.colorbar(image, ax=axes, label="mean act_m, last epoch")


def _draw_scatter(axes, predictions: pd.DataFrame, table: pd.DataFrame) -> None:
    correlations = table.groupby("condition")["correlation"].mean()
    for condition, rows in predictions.groupby("condition"):
        means = rows.groupby(["state", "symbol"])[["act_m", "p_true"]].mean()
        jitter = np.random.default_rng(0).uniform(-0.02, 0.02, len(means))
        axes.scatter(
            means["p_true"] + jitter,
            means["act_m"],
            color=COLOURS[condition],
            alpha=0.7,
            label=f"{condition}: r = {correlations[condition]:.2f}",
        )
    axes.axhline(
        fsa.PREDICTION_THRESHOLD, color="grey", linestyle=":", label="threshold"
    )
    axes.set_xlabel("true next-symbol probability")
    axes.set_ylabel("mean act_m, last epoch")
    axes.set_title("(c) prediction against truth", loc="left")
    axes.legend(frameon=False)
