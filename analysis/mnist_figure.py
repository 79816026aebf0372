"""Figure ``mnist``: the spiking XCAL network on MNIST, against rate code and backprop.

Three learners train on the same class-stratified subset of the digits of
`models.tasks.mnist.load_digits`, with the same encoding, hidden size and
seed (see `models.mnist` for the network and task):

* ``spiking``: the input -> hidden <-> output network of AdEx neurons, XCAL;
* ``rate``: the same network of rate-code neurons (XX1 gain 20), XCAL;
* ``backprop``: scikit-learn's MLP with one hidden layer of the same size.

Panel (a) shows the test error (1 - test accuracy) after every epoch, the
mean over seeds. Panel (b) shows the confusion matrix of the spiking network
on the test digits after the last epoch, for the first encoding, summed over
seeds and normalised per true class.

The scales differ in the number of digits, epochs and encodings, and the
sizes are stated in the CSV and the figure's title:

========  =========  ======  ======  ======  ================
scale     train      test    hidden  epochs  encodings
========  =========  ======  ======  ======  ================
tiny      500        100     64      2       gabor
quick     2,000      500     256     5       pixels, gabor
full      4,000      1,000   256     10      pixels, gabor
========  =========  ======  ======  ======  ================

On a standalone device each network is compiled once per encoding and every
epoch and seed reuses the binary. The runs keep their checkpoints below the
build directory (``BUILD/mnist_runs``, whatever the number of workers), so
an interrupted simulation resumes at the last finished epoch. A checkpoint of
other settings is rejected with both settings named; delete that directory,
or pass ``--fresh`` to ``reproduce_figures.py``, to start over.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from analysis.figure import SimulationSettings
from models import mnist
from models.tasks.mnist import N_CLASSES
from models.workers import run_in_workers

#: Sizes per scale: training and test digits, hidden units, epochs, encodings.
SCALE_SIZES = {
    "tiny": {
        "n_train": 500,
        "n_test": 100,
        "hidden": 64,
        "epochs": 2,
        "encodings": ("gabor",),
    },
    "quick": {
        "n_train": 2000,
        "n_test": 500,
        "hidden": 256,
        "epochs": 5,
        "encodings": ("pixels", "gabor"),
    },
    "full": {
        "n_train": 4000,
        "n_test": 1000,
        "hidden": 256,
        "epochs": 10,
        "encodings": ("pixels", "gabor"),
    },
}

#: Directory below the build directory with the runs' checkpoints.
RUNS_DIR = "mnist_runs"

COLOURS = {"spiking": "C0", "rate": "C2", "backprop": "C3"}
LINESTYLES = {"pixels": "-", "gabor": "--"}


def simulate(settings: SimulationSettings) -> dict[str, pd.DataFrame]:
    """Train every learner, encoding and seed; return ``curves`` and ``confusion``.

    ``curves`` has one row per learner, encoding, seed and epoch, with the
    columns of `models.baselines.CURVE_COLUMNS` and the sizes of the run.
    ``confusion`` has one row per encoding, seed, true and predicted class:
    the count of the spiking network's test trials in the last epoch.
    """
    sizes = SCALE_SIZES[settings.scale]
    # The checkpoints sit in one place whatever the number of workers, so
    # that a run resumes with another --jobs too.
    runs_dir = Path(settings.build_dir) / RUNS_DIR
    items = [
        (learner, encoding, seed, sizes, settings.device, runs_dir)
        for seed in settings.seeds
        for encoding in sizes["encodings"]
        for learner in mnist.LEARNERS
    ]
    runs = run_in_workers(_run, items, settings.jobs, settings.build_dir)
    curves = pd.concat([curve for curve, _ in runs], ignore_index=True)
    confusion = [table for _, table in runs if table is not None]
    for key in ("n_train", "n_test", "hidden", "epochs"):
        curves[key] = sizes[key]
    return {"curves": curves, "confusion": pd.concat(confusion, ignore_index=True)}


def _run(item: tuple, build_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Train one learner; return its curve and, for spiking, its confusion table.

    ``item`` is ``(learner, encoding, seed, sizes, device, runs_dir)``, with
    the run's checkpoint in ``runs_dir``. Every learner of one seed trains on
    the same class-stratified subset of the digits.
    """
    learner, encoding, seed, sizes, device_name, runs_dir = item
    build_dir = Path(build_dir)
    split = mnist.load_split(
        train_size=sizes["n_train"], test_size=sizes["n_test"], seed=seed
    )
    options = {}
    if learner != "backprop":
        options = {
            "device_name": device_name,
            "out": runs_dir / f"{learner}_{encoding}_seed{seed}",
            "build_dir": build_dir / f"mnist_{learner}_{encoding}",
            # A network run takes minutes, so it prints one line per epoch.
            "progress": True,
        }
    curve, trials = mnist.run_learner(
        learner,
        encoding,
        split,
        sizes["epochs"],
        seed=seed,
        hidden=sizes["hidden"],
        **options,
    )
    curve["seed"] = seed
    if learner != "spiking":
        return curve, None
    labels = np.concatenate([split.y_train, split.y_test])
    counts = mnist.confusion_matrix(trials, labels)
    return curve, _confusion_table(counts, encoding, seed)


def _confusion_table(counts: np.ndarray, encoding: str, seed: int) -> pd.DataFrame:
    """Return a count matrix as one row per (true, predicted) pair."""
    true, predicted = np.meshgrid(
        np.arange(N_CLASSES), np.arange(N_CLASSES), indexing="ij"
    )
    return pd.DataFrame(
        {
            "encoding": encoding,
            "seed": seed,
            "true": true.ravel(),
            "predicted": predicted.ravel(),
            "count": counts.ravel(),
        }
    )


def tabulate(results: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Return the learning curves: accuracies, test error, wall time and sizes."""
    table = results["curves"].copy()
    table["test_err"] = 1 - table["test_acc"]
    columns = ["learner", "encoding", "seed", "epoch", "train_acc", "test_acc"]
    columns += ["test_err", "wall_s", "n_train", "n_test", "hidden", "epochs"]
    return table[columns].sort_values(["encoding", "learner", "seed", "epoch"])


def draw(results: dict[str, pd.DataFrame]) -> Figure:
    """Draw test error against epoch, and the spiking network's confusion matrix."""
    curves = results["curves"]
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    error_axes, confusion_axes = figure.subplots(1, 2)
    _draw_errors(error_axes, curves)
    _draw_confusion(figure, confusion_axes, results["confusion"])

    first = curves.iloc[0]
    n_seeds = curves["seed"].nunique()
    figure.suptitle(
        f"MNIST, {int(first['n_train'])} training and {int(first['n_test'])} test "
        f"digits, {int(first['hidden'])} hidden units, {int(first['epochs'])} "
        f"epochs, {n_seeds} seed{'s' if n_seeds > 1 else ''}"
    )
    return figure


def _draw_errors(axes, curves: pd.DataFrame) -> None:
    mean = (
        curves.groupby(["learner", "encoding", "epoch"])["test_acc"]
        .mean()
        .reset_index()
    )
    for (learner, encoding), line in mean.groupby(["learner", "encoding"]):
        axes.plot(
            line["epoch"],
            100 * (1 - line["test_acc"]),
            marker="o",
            color=COLOURS[learner],
            linestyle=LINESTYLES[encoding],
            label=f"{learner}, {encoding}",
        )
    axes.set_xlabel("epoch")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("test error (%)")
    axes.set_ylim(bottom=0)
    axes.set_title("(a) test error", loc="left")
    axes.legend(frameon=False)


def _draw_confusion(figure, axes, confusion: pd.DataFrame) -> None:
    encoding = confusion["encoding"].iloc[0]
    chosen = confusion[confusion["encoding"] == encoding]
    counts = np.zeros((N_CLASSES, N_CLASSES))
    np.add.at(counts, (chosen["true"], chosen["predicted"]), chosen["count"])
    totals = counts.sum(axis=1, keepdims=True)
    fractions = counts / np.where(totals > 0, totals, 1)

    image = axes.imshow(fractions, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(N_CLASSES))
    axes.set_yticks(range(N_CLASSES))
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    axes.set_title(
        f"(b) spiking, {encoding}, last epoch: {100 * accuracy:.1f}% correct",
        loc="left",
    )
    figure.colorbar(image, ax=axes, label="fraction of the true class")
