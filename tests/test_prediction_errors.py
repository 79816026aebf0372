"""Error tables of grammar runs: by state, by context, and the command line."""

import numpy as np
import pandas as pd
import pytest

from analysis import prediction_errors
from models import fsa
from models.tasks import reber

E = reber.SYMBOLS.index("E")


def trial_table(patterns, act_m, trials_per_epoch) -> pd.DataFrame:
    """Return a trials.csv-like table of ``patterns`` scored by the grammar task."""
    task = fsa.fsa_task(trials_per_epoch)
    patterns = np.asarray(patterns, dtype=int)
    table = pd.DataFrame(task.score(np.asarray(act_m, dtype=float), patterns))
    table.insert(0, "pattern", patterns)
    table.insert(0, "trial", np.arange(len(patterns)) % trials_per_epoch)
    table.insert(0, "epoch", np.arange(len(patterns)) // trials_per_epoch + 1)
    for unit in range(len(reber.SYMBOLS)):
        table[f"act_m_{unit}"] = act_m[:, unit]
    return table


@pytest.fixture
def stream():
    """A stream of 400 trials (4 epochs) with perfect predictions."""
    patterns = reber.transition_stream(400, 7)
    act_m = 0.5 * fsa.fsa_task().targets[patterns]
    return patterns, act_m


def after_symbols(patterns, before: str) -> np.ndarray:
    """Return the indices of the trials whose preceding symbols are ``before``."""
    symbols = np.array([reber.EDGES[k][1] for k in patterns])
    n = len(before)
    return np.array(
        [t for t in range(n, len(symbols)) if "".join(symbols[t - n : t]) == before]
    )


def test_errors_by_state_counts_kinds(stream):
    patterns, act_m = stream
    in_state_2 = np.flatnonzero(fsa.fsa_task().states[patterns] == 2)
    missed, wrong = in_state_2[:3], in_state_2[3:5]
    act_m[missed] = 0.0
    act_m[wrong, E] = 0.6
    table = prediction_errors.errors_by_state(trial_table(patterns, act_m, 100))

    row = table.iloc[0]
    assert row["state"] == 2
    assert row["errors"] == 5
    assert row["share_of_errors"] == 1.0
    assert row["no_allowed"] == pytest.approx(3 / len(in_state_2))
    assert row["disallowed"] == pytest.approx(2 / len(in_state_2))
    assert row["top_disallowed"] == "E"
    assert table["trials"].sum() == len(patterns)
    assert table["errors"].iloc[1:].sum() == 0


def test_errors_by_context_uses_symbols_before(stream):
    patterns, act_m = stream
    after_ss = after_symbols(patterns, "SS")
    act_m[after_ss, E] = 0.6
    table = prediction_errors.errors_by_context(trial_table(patterns, act_m, 100))

    row = table.iloc[0]
    assert row["context"] == "S S"
    assert row["trials"] == len(after_ss)
    assert row["errors"] == len(after_ss)
    assert row["pct_err"] == 1.0
    assert row["top_disallowed"] == "E"
    # The first two trials have fewer than two symbols before them.
    assert table["trials"].sum() == len(patterns) - 2


def test_context_of_window_reaches_earlier_epochs(stream):
    patterns, act_m = stream
    table = trial_table(patterns, act_m, 100)
    counted = prediction_errors.errors_by_context(table, length=3, epochs=(2, 3))
    assert counted["trials"].sum() == 200
    assert counted["errors"].sum() == 0


def test_longer_context_splits_shorter(stream):
    patterns, act_m = stream
    table = trial_table(patterns, act_m, 100)
    short = prediction_errors.errors_by_context(table, length=1)
    long = prediction_errors.errors_by_context(table, length=3)
    last = long["context"].str[-1]
    merged = long.groupby(last)["trials"].sum()
    # Both leave out the trials without a full context at the start.
    expected = short.set_index("context")["trials"]
    expected[reber.EDGES[patterns[1]][1]] -= 1
    expected[reber.EDGES[patterns[0]][1]] -= 1
    assert merged.sort_index().equals(expected[expected > 0].sort_index())


def test_tables_reject_bad_input(stream):
    patterns, act_m = stream
    table = trial_table(patterns, act_m, 100)
    with pytest.raises(ValueError, match=r"Missing columns \['state'\]"):
        prediction_errors.errors_by_state(table.drop(columns="state"))
    with pytest.raises(ValueError, match="Invalid context length 0"):
        prediction_errors.errors_by_context(table, length=0)
    with pytest.raises(ValueError, match=r"Invalid epochs \(3, 2\)"):
        prediction_errors.errors_by_state(table, epochs=(3, 2))
    wrong_state = table.copy()
    wrong_state.loc[3, "state"] = 7
    with pytest.raises(ValueError, match="Invalid state 7 in epoch 1, trial 3"):
        prediction_errors.errors_by_state(wrong_state)
    table.loc[5, "pattern"] = 12
    with pytest.raises(ValueError, match="Invalid patterns 0 to 12"):
        prediction_errors.errors_by_context(table)


def test_command_prints_tables(tmp_path, stream, capsys):
    patterns, act_m = stream
    act_m[after_symbols(patterns, "SS"), E] = 0.6
    trial_table(patterns, act_m, 100).to_csv(tmp_path / "trials.csv", index=False)
    code = prediction_errors.main([str(tmp_path), "--epochs", "1", "4", "--top", "3"])
    printed = capsys.readouterr().out
    assert code == 0
    assert "by grammar state" in printed
    assert "S S" in printed


def test_command_rejects_missing_table(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        prediction_errors.main([str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    assert "missing trial table" in capsys.readouterr().err


def test_command_rejects_epochs_outside_run(tmp_path, stream, capsys):
    patterns, act_m = stream
    trial_table(patterns, act_m, 100).to_csv(tmp_path / "trials.csv", index=False)
    with pytest.raises(SystemExit) as exit_info:
        prediction_errors.main([str(tmp_path), "--epochs", "5", "9"])
    assert exit_info.value.code == 2
    assert "no trials in epochs 5 to 9" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--top", "-1"], ["--length", "0"]])
def test_command_rejects_bad_counts(tmp_path, option, capsys):
    with pytest.raises(SystemExit) as exit_info:
        prediction_errors.main([str(tmp_path), *option])
    assert exit_info.value.code == 2
    assert option[1] in capsys.readouterr().err


def test_command_rejects_empty_files(tmp_path, stream, capsys):
    patterns, act_m = stream
    header = trial_table(patterns, act_m, 100).iloc[:0]
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "trials.csv").write_text("")
    (tmp_path / "header").mkdir()
    header.to_csv(tmp_path / "header" / "trials.csv", index=False)
    for folder, message in [("empty", "failed to read"), ("header", "no trials in")]:
        with pytest.raises(SystemExit) as exit_info:
            prediction_errors.main([str(tmp_path / folder), "--epochs", "1", "2"])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
