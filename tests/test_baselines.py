"""Tests of the backprop baseline (models.baselines)."""

import numpy as np
import pytest

from models.baselines import CURVE_COLUMNS, run_backprop
from models.tasks.mnist import load_mnist_sample, subset


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("split") / "mnist_split.npz"
    return subset(load_mnist_sample(path, seed=0), 1000, 1000, seed=0)


@pytest.fixture(scope="module")
def pixel_curve(small):
    return run_backprop(small, "pixels", hidden_size=128, n_epochs=10, seed=0)


def test_backprop_curve_columns(pixel_curve):
    assert tuple(pixel_curve.columns) == CURVE_COLUMNS
    assert len(pixel_curve) == 10
    assert (pixel_curve["learner"] == "backprop").all()
    assert (pixel_curve["encoding"] == "pixels").all()
    assert pixel_curve["epoch"].tolist() == list(range(1, 11))


def test_backprop_curve_values(pixel_curve):
    for column in ("train_acc", "test_acc"):
        assert pixel_curve[column].between(0.0, 1.0).all()
    assert (pixel_curve["wall_s"] > 0).all()
    assert pixel_curve["wall_s"].is_monotonic_increasing
    assert pixel_curve.attrs["hidden_size"] == 128
    assert pixel_curve.attrs["encode_s"] >= 0.0


def test_backprop_pixels_accuracy(pixel_curve):
    # Measured 0.882, 0.882 and 0.886 final test accuracy for seeds 0, 1 and 2
    # (1,000 training and 1,000 test digits, 128 hidden units, 10 epochs).
    assert pixel_curve["test_acc"].iloc[-1] > 0.86
    assert pixel_curve["test_acc"].iloc[-1] > pixel_curve["test_acc"].iloc[0]


def test_backprop_gabor_accuracy(small):
    curve = run_backprop(small, "gabor", hidden_size=128, n_epochs=10, seed=0)
    # Measured 0.935, 0.928 and 0.934 for seeds 0, 1 and 2 on the same subset.
    assert curve["test_acc"].iloc[-1] > 0.91
    assert (curve["encoding"] == "gabor").all()


def test_backprop_same_seed_same_curve(small, pixel_curve):
    again = run_backprop(small, "pixels", hidden_size=128, n_epochs=10, seed=0)
    np.testing.assert_array_equal(again["test_acc"], pixel_curve["test_acc"])
    np.testing.assert_array_equal(again["train_acc"], pixel_curve["train_acc"])


def test_backprop_encoding_options(small):
    tiny = subset(small, 100, 50)
    curve = run_backprop(
        tiny,
        "gabor",
        hidden_size=16,
        n_epochs=1,
        encoding_options={"n_orientations": 2, "pool_size": 7},
    )
    assert len(curve) == 1


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"solver": "lbfgs"}, ValueError, "solver='lbfgs' is not supported"),
        ({"n_epochs": 0}, ValueError, "n_epochs=0"),
        ({"encoding": "dog"}, ValueError, "Unknown encoding 'dog'"),
    ],
)
def test_backprop_bad_arguments_raise(small, options, error, message):
    with pytest.raises(error, match=message):
        run_backprop(small, **options)
