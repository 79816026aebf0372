"""The Reber-grammar task: scoring, trial streams, the command line, learning."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analysis import prediction_errors, predictive
from models import fsa
from models.schedule import Schedule
from models.tasks import reber
from models.training import trial_table


def scores(task, patterns, act_m) -> pd.DataFrame:
    """Return the task's per-trial scores of ``act_m`` as a table."""
    patterns = np.asarray(patterns, dtype=int)
    return pd.DataFrame(task.score(np.asarray(act_m, dtype=float), patterns))


def test_perfect_prediction_scores_zero():
    task = fsa.fsa_task(50)
    patterns, _ = task.epoch_trials(1, 3)
    scored = scores(task, patterns, 0.5 * task.targets[patterns])
    assert scored["err"].sum() == 0
    assert scored["unit_err"].sum() == 0


def test_wrong_or_missing_prediction_is_an_error():
    task = fsa.fsa_task()
    x_from_2 = 4  # edge 2 -X-> 4: S or X were allowed
    act = np.zeros((3, 7))
    act[0, [2]] = 0.6  # S only: correct
    act[1, [2, 6]] = [0.6, 0.5]  # S and E: E is not allowed
    # row 2 predicts nothing
    scored = scores(task, [x_from_2] * 3, act)
    assert scored["err"].tolist() == [0, 1, 1]
    np.testing.assert_allclose(scored["unit_err"], [0, 0.5, 1])
    assert (scored["state"] == 2).all()


def test_trial_table_scores_by_grammar():
    task = fsa.fsa_task(30)
    patterns, train = task.epoch_trials(1, 3)
    act = 0.5 * task.targets[patterns]
    act[0] = 0.0  # no prediction in the first trial
    records = {"inputp": {"act_m": act, "act_p": act}}
    schedule = Schedule(task.inputs, task.targets, patterns, train)
    table = trial_table(records, schedule, task, 1, len(patterns))
    assert table["err"].tolist() == [1] + [0] * (len(patterns) - 1)
    np.testing.assert_array_equal(table["state"], task.states[patterns])


def test_previous_symbol_leaves_errors():
    # A trial is correct when every predicted symbol is allowed, so the best
    # prediction from the last symbol alone is the one symbol allowed most
    # often after it. It is wrong on a quarter or more of the trials, so zero
    # errors need the longer context.
    task = fsa.fsa_task()
    patterns = reber.transition_stream(5000, 1)
    previous = np.array([reber.EDGES[k][1] for k in np.roll(patterns, 1)])
    allowed = task.targets[patterns]
    act = np.zeros_like(allowed)
    for symbol in reber.SYMBOLS:
        after = previous == symbol
        act[after, np.argmax(allowed[after].sum(axis=0))] = 0.5
    error = scores(task, patterns, act)["err"].mean()
    assert error > 0.25
    assert abs(predictive.first_order_error(5000, 1) - error) < 1e-12


def test_task_patterns_and_stream():
    task = fsa.fsa_task(30)
    np.testing.assert_array_equal(task.inputs.sum(axis=1), 1)
    for k, (source, symbol, _, _) in enumerate(reber.EDGES):
        assert task.inputs[k, reber.SYMBOLS.index(symbol)] == 1
        np.testing.assert_array_equal(task.targets[k], reber.allowed_next(source))
    first, train = task.epoch_trials(1, 7)
    second, _ = task.epoch_trials(2, 7)
    assert len(first) == 30
    assert len(second) == 30
    assert train.all()
    # Epoch 2 goes on with the sequence epoch 1 ended in.
    assert reber.EDGES[second[0]][0] in (
        reber.EDGES[first[-1]][2],
        reber.START,
    )
    np.testing.assert_array_equal(
        np.concatenate([first, second]), reber.transition_stream(60, 7)
    )


def test_task_rejects_other_networks():
    spec = fsa.fsa_spec()
    task = fsa.fsa_task()
    wrong = fsa.PredictionTask(
        task.name, task.inputs, task.targets, "input", "hidden", task.epoch_trials
    )
    with pytest.raises(ValueError, match="has kind 'super', expected 'pulvinar'"):
        wrong.check(spec)
    with pytest.raises(ValueError, match="Invalid trials_per_epoch 0"):
        fsa.fsa_task(0)
    with pytest.raises(ValueError, match="Invalid context_gain -1"):
        fsa.fsa_spec(-1)
    for size in (0, True, 50.0):
        with pytest.raises(ValueError, match=f"Invalid size {size} of layer 'hidden'"):
            fsa.fsa_spec(hidden=size)


def test_context_projection_rejects_bcm():
    spec = fsa.fsa_spec()
    projections = [
        dataclasses.replace(p, parameters={"bcm_lrate": 0.1})
        if p.name == "hiddenct_to_hiddenct"
        else p
        for p in spec.projections
    ]
    with pytest.raises(ValueError, match="context projections learn without"):
        dataclasses.replace(spec, projections=projections)


def test_hidden_size_sets_both_layers():
    spec = fsa.fsa_spec(hidden=40)
    sizes = {layer.name: layer.size for layer in spec.layers}
    assert sizes == {"input": 7, "inputp": 7, "hidden": 40, "hiddenct": 40}


def test_command_line_rejects_bad_values(capsys):
    for argv, value in (
        (["--epochs", "-3"], "-3"),
        (["--device", "gpu"], "gpu"),
        (["--context-gain", "-0.5"], "-0.5"),
        (["--trials-per-epoch", "0"], "0"),
        (["--hidden", "0"], "--hidden: invalid value 0"),
        (["--save-activity", "hidden_ct"], "'hidden_ct'"),
    ):
        with pytest.raises(SystemExit) as stop:
            fsa.main(argv)
        assert stop.value.code != 0
        assert value in capsys.readouterr().err


@pytest.mark.standalone
def test_zero_epochs_creates_output_dir(tmp_path):
    out = tmp_path / "new" / "run"
    assert fsa.main(["--epochs", "0", "--out", str(out), "--quiet"]) == 0
    assert (out / "epochs.csv").is_file()
    assert (out / "trials.csv").is_file()


@pytest.mark.long
def test_prediction_error_falls(tmp_path):
    # Ten epochs of 200 trials run in about 10 s once compiled. Measured:
    # 83% errors in epoch 1, 15 to 18% in epochs 9 and 10.
    out = tmp_path / "run"
    assert (
        fsa.main(
            ["--seed", "1", "--epochs", "10", "--out", str(out), "--quiet"]
            + ["--build-dir", str(tmp_path / "build")]
        )
        == 0
    )
    epochs = pd.read_csv(out / "epochs.csv")
    assert epochs["epoch"].tolist() == list(range(1, 11))
    first = epochs["pct_err"].iloc[0]
    late = epochs["pct_err"].iloc[-2:].mean()
    assert first > 0.6  # the grammar starts unlearned
    assert late < 0.3
    assert late < first / 3
    assert epochs["sse"].iloc[-1] < 0.5 * epochs["sse"].iloc[0]
    assert (out / "checkpoint.npz").exists()

    # The error tables count every trial of the last two epochs once.
    trials = pd.read_csv(out / "trials.csv")
    late_errors = round(200 * epochs["pct_err"].iloc[-2:].sum())
    for table in (
        prediction_errors.errors_by_state(trials, epochs=(9, 10)),
        prediction_errors.errors_by_context(trials, length=3, epochs=(9, 10)),
    ):
        assert table["trials"].sum() == 400
        assert table["errors"].sum() == late_errors
