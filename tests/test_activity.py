"""Saved per-trial activity (models.activity) and its linear readout."""

import numpy as np
import pandas as pd
import pytest

from analysis.readout import held_out_readout, linear_readout
from models import activity


def _block(first_epoch, epochs, per_epoch, n_units, rng):
    """Return a block's trials table and the records of a layer 'hidden'."""
    n = epochs * per_epoch
    trials = pd.DataFrame(
        {
            "epoch": first_epoch + np.arange(n) // per_epoch,
            "trial": np.arange(n) % per_epoch,
            "pattern": rng.integers(0, 10, n),
            "train": np.arange(n) % per_epoch < per_epoch // 2,
        }
    )
    records = {
        "hidden": {
            "act_m": rng.random((n, n_units)),
            "act_p": rng.random((n, n_units)),
        }
    }
    return trials, records


def test_blocks_load_in_epoch_order(tmp_path):
    rng = np.random.default_rng(0)
    blocks = [_block(1, 2, 6, 4, rng), _block(3, 2, 6, 4, rng)]
    folder = activity.activity_directory(tmp_path, "training_")
    # Written last block first, read back in epoch order.
    for trials, records in reversed(blocks):
        activity.save_block(folder, trials, records, ["hidden"])

    saved = activity.load_activity(tmp_path, "hidden", prefix="training_")
    expected = pd.concat([trials for trials, _ in blocks], ignore_index=True)
    pd.testing.assert_frame_equal(saved.trials, expected, check_dtype=False)
    for variable in activity.VARIABLES:
        values = np.concatenate([records["hidden"][variable] for _, records in blocks])
        # Stored as float32.
        np.testing.assert_allclose(getattr(saved, variable), values, rtol=1e-7)


def test_load_leaves_out_later_epochs(tmp_path):
    rng = np.random.default_rng(0)
    folder = activity.activity_directory(tmp_path, "training_")
    for first in (1, 3):
        trials, records = _block(first, 2, 6, 4, rng)
        activity.save_block(folder, trials, records, ["hidden"])
    saved = activity.load_activity(tmp_path, "hidden", prefix="training_")

    # A trials table that ends at epoch 3 (6 trials per epoch).
    cut = activity.load_activity(tmp_path, "hidden", prefix="training_", last_epoch=3)
    assert cut.trials["epoch"].tolist() == saved.trials["epoch"][:18].tolist()
    np.testing.assert_array_equal(cut.act_m, saved.act_m[:18])
    np.testing.assert_array_equal(cut.act_p, saved.act_p[:18])


def test_load_errors_name_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="--save-activity"):
        activity.load_activity(tmp_path, "hidden")

    # Files saved with a prefix: the error names their folder.
    trials, records = _block(1, 1, 4, 3, np.random.default_rng(1))
    folder = activity.activity_directory(tmp_path / "run", "training_")
    activity.save_block(folder, trials, records, ["hidden"])
    with pytest.raises(FileNotFoundError, match=r"\['training_activity'\]"):
        activity.load_activity(tmp_path / "run", "hidden")
    trials, records = _block(1, 1, 4, 3, np.random.default_rng(1))
    activity.save_block(
        activity.activity_directory(tmp_path), trials, records, ["hidden"]
    )
    with pytest.raises(KeyError, match=r"'output' not found.*\['hidden'\]"):
        activity.load_activity(tmp_path, "output")


def _saved(act_m, patterns, train, epoch=1):
    trials = pd.DataFrame(
        {
            "epoch": epoch,
            "trial": np.arange(len(patterns)),
            "pattern": patterns,
            "train": train,
        }
    )
    return activity.LayerActivity("hidden", trials, act_m, act_m)


def test_readout_separates_coded_classes():
    rng = np.random.default_rng(2)
    n_patterns, n_units = 300, 40
    labels = rng.integers(0, 5, n_patterns)
    patterns = np.arange(n_patterns)
    train = patterns < 200

    # Each class drives its own 8 units; the code is noisy but separable.
    coded = rng.random((n_patterns, n_units)) * 0.3
    for label in range(5):
        rows = labels == label
        coded[np.ix_(rows, range(8 * label, 8 * label + 8))] += 0.5
    table = linear_readout(_saved(coded, patterns, train), labels)
    assert table["epoch"].tolist() == [1]
    assert table["readout_test_acc"].iloc[0] > 0.95

    # Activity unrelated to the classes reads out near chance (0.2) on test.
    noise = rng.random((n_patterns, n_units))
    table = linear_readout(_saved(noise, patterns, train), labels)
    assert table["readout_test_acc"].iloc[0] < 0.4


def test_readout_rejects_unlabelled_patterns():
    saved = _saved(np.zeros((3, 2)), np.array([0, 1, 5]), np.array([1, 1, 0], bool))
    with pytest.raises(ValueError, match="Pattern 5 has no label: 3 labels"):
        linear_readout(saved, np.array([0, 1, 1]))


def test_held_out_readout_uses_later_epochs():
    rng = np.random.default_rng(3)
    n_per_epoch, n_units = 100, 20
    patterns = np.tile(np.arange(n_per_epoch), 4)
    epochs = np.repeat([1, 2, 3, 4], n_per_epoch)
    labels = rng.integers(0, 4, n_per_epoch)

    # Units 0-3 code the class in epochs 1 and 2 only. A readout fitted
    # there must fail on epochs 3 and 4, where that code is gone.
    act_m = rng.random((len(patterns), n_units)) * 0.2
    early = epochs <= 2
    act_m[early, labels[patterns[early]]] += 1.0
    trials = pd.DataFrame(
        {"epoch": epochs, "trial": patterns, "pattern": patterns, "train": True}
    )
    saved = activity.LayerActivity("hiddenct", trials, act_m, act_m)

    assert held_out_readout(saved, labels, [1], [2]) > 0.95
    assert held_out_readout(saved, labels, [1, 2], [3, 4]) < 0.5
    with pytest.raises(ValueError, match=r"test epochs \[7\].*epochs 1 to 4"):
        held_out_readout(saved, labels, [1], [7])
