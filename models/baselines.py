"""Non-spiking baselines trained on the same splits and encodings as the network."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.neural_network import MLPClassifier

from models.tasks.encoding import encode_split
from models.tasks.mnist import N_CLASSES, DigitSplit

#: Columns of the learning-curve tables returned by the learners in this module.
CURVE_COLUMNS = ("learner", "encoding", "epoch", "train_acc", "test_acc", "wall_s")

_PARTIAL_FIT_SOLVERS = ("adam", "sgd")


def run_backprop(
    split: DigitSplit,
    encoding: str = "pixels",
    hidden_size: int = 256,
    n_epochs: int = 20,
    seed: int = 0,
    learning_rate: float = 1e-3,
    batch_size: int = 100,
    activation: str = "relu",
    solver: str = "adam",
    encoding_options: dict | None = None,
) -> pd.DataFrame:
    """Train a one-hidden-layer MLP with backprop and record its learning curve.

    The model is scikit-learn's ``MLPClassifier`` (softmax output, cross-entropy
    loss, L2 penalty 1e-4), trained one epoch at a time with ``partial_fit``. The
    training set is shuffled before every epoch with a generator seeded by
    ``seed``, which also seeds the weight initialisation.

    Parameters
    ----------
    split : DigitSplit
        Training and test images.
    encoding : {"pixels", "gabor"}
        Input encoding, see :func:`models.tasks.encoding.encode_split`.
    hidden_size : int
        Number of hidden units.
    n_epochs : int
        Number of passes over the training set.
    seed : int
        Seed of the weight initialisation and of the per-epoch shuffling.
    learning_rate : float
        Initial learning rate of the solver (``learning_rate_init``).
    batch_size : int
        Minibatch size.
    activation : {"relu", "logistic", "tanh", "identity"}
        Hidden-unit activation function.
    solver : {"adam", "sgd"}
        Stochastic solver. ``"lbfgs"`` is not supported because it has no
        ``partial_fit``.
    encoding_options : dict, optional
        Keyword arguments of the encoder, for example ``{"n_orientations": 8}``.

    Returns
    -------
    pandas.DataFrame
        One row per epoch with the columns of :data:`CURVE_COLUMNS`. ``learner`` is
        ``"backprop"``, ``epoch`` counts from 1, the accuracies are fractions in
        [0, 1], and ``wall_s`` is the cumulative time spent in ``partial_fit`` up
        to the end of that epoch, in seconds. Encoding time is excluded from
        ``wall_s`` and stored in ``df.attrs["encode_s"]``. ``df.attrs`` also
        stores ``source``, ``hidden_size`` and ``seed``.
    """
    if solver not in _PARTIAL_FIT_SOLVERS:
        raise ValueError(
            f"solver={solver!r} is not supported; expected one of "
            f"{_PARTIAL_FIT_SOLVERS}, the scikit-learn solvers with partial_fit."
        )
    if n_epochs < 1:
        raise ValueError(f"n_epochs={n_epochs} is invalid; expected at least 1.")

    start = time.perf_counter()
    x_train, x_test = encode_split(split, encoding, **(encoding_options or {}))
    encode_s = time.perf_counter() - start

    # shuffle=False because partial_fit resets scikit-learn's random state on every
    # call when random_state is an integer, which would repeat the same minibatch
    # order each epoch. The order is drawn here instead.
    model = MLPClassifier(
        hidden_layer_sizes=(hidden_size,),
        activation=activation,
        solver=solver,
        learning_rate_init=learning_rate,
        batch_size=batch_size,
        shuffle=False,
        random_state=seed,
    )
    rng = np.random.default_rng(seed)
    classes = np.arange(N_CLASSES)

    rows = []
    train_s = 0.0
    for epoch in range(1, n_epochs + 1):
        order = rng.permutation(len(x_train))

        start = time.perf_counter()
        model.partial_fit(x_train[order], split.y_train[order], classes=classes)
        train_s += time.perf_counter() - start

        rows.append(
            {
                "learner": "backprop",
                "encoding": encoding,
                "epoch": epoch,
                "train_acc": model.score(x_train, split.y_train),
                "test_acc": model.score(x_test, split.y_test),
                "wall_s": train_s,
            }
        )

    curve = pd.DataFrame(rows, columns=list(CURVE_COLUMNS))
    curve.attrs.update(
        encode_s=encode_s, source=split.source, hidden_size=hidden_size, seed=seed
    )
    return curve
