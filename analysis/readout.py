"""Linear readout of a layer's saved activity: how well it separates the classes.

A logistic regression (scikit-learn) is fitted, epoch by epoch, to one
layer's minus-phase activity in the training trials and scored on the test
trials of the same epoch. For a hidden layer this is the accuracy that the
best linear output could reach from its code. Compared with the network's
own accuracy, it shows whether a shortfall lies in the hidden layer or in
the projection that reads it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from models.activity import LayerActivity

__all__ = ["READOUT_C", "linear_readout", "held_out_readout"]

#: Inverse L2 penalty of the readout. It is weak, because activities between 0
#: and 1 need large weights for a sharp readout.
READOUT_C = 10.0


def linear_readout(
    activity: LayerActivity,
    labels: np.ndarray,
    C: float = READOUT_C,
    max_iter: int = 3000,
) -> pd.DataFrame:
    """Fit and score a logistic regression on ``act_m`` in every epoch.

    Parameters
    ----------
    activity : models.activity.LayerActivity
        A layer's saved activity (`models.activity.load_activity`).
    labels : array of int
        The class of every pattern of the task, indexed by the trials'
        ``pattern``.
    C : float
        Inverse L2 penalty of `sklearn.linear_model.LogisticRegression`.
    max_iter : int
        Iterations of its solver.

    Returns
    -------
    pandas.DataFrame
        Columns ``epoch``, ``readout_train_acc`` and ``readout_test_acc``
        (fractions). Epochs without training trials, or with a single class
        among them, have no row; epochs without test trials have NaN test
        accuracy.

    Raises
    ------
    ValueError
        When a trial's pattern has no label.
    """
    y_all = _trial_labels(activity, labels)
    rows = []
    for epoch, trials in activity.trials.groupby("epoch", sort=True):
        index = trials.index.to_numpy()
        train = trials["train"].to_numpy(dtype=bool)
        x = activity.act_m[index]
        y = y_all[index]
        if not train.any() or len(np.unique(y[train])) < 2:
            continue
        model = _fit(x[train], y[train], C, max_iter)
        test_acc = model.score(x[~train], y[~train]) if (~train).any() else np.nan
        rows.append(
            {
                "epoch": int(epoch),
                "readout_train_acc": model.score(x[train], y[train]),
                "readout_test_acc": test_acc,
            }
        )
    return pd.DataFrame(
        rows, columns=["epoch", "readout_train_acc", "readout_test_acc"]
    )


def held_out_readout(
    activity: LayerActivity,
    labels: np.ndarray,
    fit_epochs,
    test_epochs,
    C: float = READOUT_C,
    max_iter: int = 3000,
) -> float:
    """Fit a logistic regression on some epochs' ``act_m`` and score it on others.

    For tasks whose trials all train, such as the grammar, the held-out
    trials are later epochs. ``fit_epochs`` and ``test_epochs`` are
    sequences of epoch numbers. ``labels`` gives a class per pattern (for
    example the grammar state a symbol comes from). Returns the fraction of
    test trials whose class the readout names.

    Raises
    ------
    ValueError
        When a trial's pattern has no label, or the fit or test epochs have
        no trials.
    """
    y = _trial_labels(activity, labels)
    epochs = activity.trials["epoch"].to_numpy()
    fit = np.isin(epochs, list(fit_epochs))
    test = np.isin(epochs, list(test_epochs))
    for name, mask, requested in (
        ("fit", fit, fit_epochs),
        ("test", test, test_epochs),
    ):
        if not mask.any():
            raise ValueError(
                f"No saved trials in the {name} epochs {list(requested)}: the "
                f"activity covers epochs {epochs.min()} to {epochs.max()}."
            )
    model = _fit(activity.act_m[fit], y[fit], C, max_iter)
    return float(model.score(activity.act_m[test], y[test]))


def _trial_labels(activity: LayerActivity, labels) -> np.ndarray:
    """Return the label of every trial's pattern, or raise ValueError."""
    labels = np.asarray(labels)
    patterns = activity.trials["pattern"].to_numpy()
    if patterns.size and patterns.max() >= len(labels):
        raise ValueError(
            f"Pattern {patterns.max()} has no label: {len(labels)} labels given, "
            "expected one per pattern of the task."
        )
    return labels[patterns]


def _fit(x: np.ndarray, y: np.ndarray, C: float, max_iter: int) -> LogisticRegression:
    """Fit the readout, accepting a solver that stops short of convergence."""
    model = LogisticRegression(C=C, max_iter=max_iter)
    with warnings.catch_warnings():
        # A readout that stops a little short of convergence is still a
        # fair lower bound of the layer's separability.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return model
