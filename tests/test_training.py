"""Training runs: checkpoints, resuming, the ra25 command line, ra25 learning."""

import numpy as np
import pandas as pd
import pytest

from models import ra25, training
from models.activity import load_activity
from models.network import initial_state
from models.training import CheckpointError, train


@pytest.mark.standalone
def test_resumed_run_ends_with_the_same_weights(tmp_path):
    spec = ra25.ra25_spec()
    task = ra25.ra25_task()
    build = tmp_path / "build"
    options = dict(
        epochs=2,
        block_epochs=1,
        device_name="cpp_standalone",
        seed=2,
        save_activity=("hidden1", "output"),
    )

    whole = train(spec, task, out=tmp_path / "whole", build_dir=build, **options)
    first = train(
        spec,
        task,
        out=tmp_path / "split",
        build_dir=build,
        stop_after_blocks=1,
        **options,
    )
    assert first.epochs["epoch"].tolist() == [1]
    assert (tmp_path / "split" / "checkpoint.npz").exists()
    resumed = train(spec, task, out=tmp_path / "split", build_dir=build, **options)

    assert resumed.epochs["epoch"].tolist() == [1, 2]
    for key, values in whole.state.items():
        np.testing.assert_array_equal(resumed.state[key], values, err_msg=key)
    # The weights did learn, so equality is not the trivial one.
    initial = initial_state(spec, seed=2)
    assert not np.allclose(
        whole.state["hidden2_to_output.wt"], initial["hidden2_to_output.wt"]
    )
    pd.testing.assert_frame_equal(resumed.trials, whole.trials)

    # The saved activity of the resumed run is that of the whole run, and
    # the output's act_m is the one in the trials table.
    for layer in options["save_activity"]:
        saved = load_activity(tmp_path / "whole", layer)
        resumed_saved = load_activity(tmp_path / "split", layer)
        pd.testing.assert_frame_equal(resumed_saved.trials, saved.trials)
        np.testing.assert_array_equal(resumed_saved.act_m, saved.act_m)
        np.testing.assert_array_equal(resumed_saved.act_p, saved.act_p)
    output = load_activity(tmp_path / "whole", "output")
    columns = [f"act_m_{unit}" for unit in range(output.act_m.shape[1])]
    np.testing.assert_allclose(
        output.act_m, whole.trials[columns].to_numpy(), rtol=1e-6, atol=1e-7
    )
    assert output.trials["epoch"].tolist() == whole.trials["epoch"].tolist()

    # A later call for fewer epochs runs nothing and keeps the saved epochs.
    shorter = train(
        spec, task, out=tmp_path / "whole", build_dir=build, **{**options, "epochs": 1}
    )
    assert shorter.epochs["epoch"].tolist() == [1]
    after_shorter = load_activity(tmp_path / "whole", "output")
    assert after_shorter.trials["epoch"].tolist() == output.trials["epoch"].tolist()


def test_resume_with_other_settings_raises(tmp_path):
    spec = ra25.ra25_spec()
    task = ra25.ra25_task()
    out = tmp_path / "run"
    train(spec, task, epochs=1, block_epochs=1, device_name="numpy", out=out, seed=1)
    with pytest.raises(CheckpointError, match="another configuration") as error:
        train(
            spec, task, epochs=2, block_epochs=1, device_name="numpy", out=out, seed=5
        )
    # Only the differing setting is shown, not the whole configuration.
    assert "seed: saved ...1..." in str(error.value)
    assert "spec:" not in str(error.value)


def test_save_activity_rejects_invalid_layers(tmp_path):
    spec = ra25.ra25_spec()
    task = ra25.ra25_task()
    options = dict(epochs=1, device_name="numpy")
    with pytest.raises(ValueError, match="'input'.*non-input layers"):
        train(spec, task, out=tmp_path, save_activity=["input"], **options)
    with pytest.raises(ValueError, match="'hiden'.*'output'\\]\\.$"):
        train(spec, task, out=tmp_path, save_activity=["hiden"], **options)
    with pytest.raises(ValueError, match="needs an output directory"):
        train(spec, task, save_activity=["output"], **options)


def test_resume_with_other_precision_raises(tmp_path):
    spec = ra25.ra25_spec()
    task = ra25.ra25_task()
    out = tmp_path / "run"
    options = dict(block_epochs=1, device_name="numpy", out=out, seed=1)
    train(spec, task, epochs=1, precision="single", **options)
    with pytest.raises(CheckpointError, match=r"precision: saved \.\.\.\"single\""):
        train(spec, task, epochs=2, **options)
    with pytest.raises(ValueError, match="Invalid precision 'half'"):
        train(spec, task, epochs=2, precision="half", **options)


def test_old_checkpoint_format_stops_command(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(training, "CHECKPOINT_FORMAT", training.CHECKPOINT_FORMAT - 1)
        train(
            ra25.ra25_spec(),
            ra25.ra25_task(),
            epochs=1,
            block_epochs=1,
            device_name="numpy",
            out=out,
            seed=1,
        )
    argv = ["--seed", "1", "--epochs", "2", "--block-epochs", "1", "--quiet"]
    with pytest.raises(SystemExit) as stop:
        ra25.main([*argv, "--device", "numpy", "--out", str(out)])
    # An invalid-option exit with the differing setting, not a traceback.
    assert stop.value.code == 2
    message = capsys.readouterr().err
    assert f"format: saved ...{training.CHECKPOINT_FORMAT - 1}..." in message
    assert "--fresh" in message


def test_command_line_rejects_bad_values(capsys):
    for argv, value in (
        (["--epochs", "-3"], "-3"),
        (["--device", "gpu"], "gpu"),
        (["--block-epochs", "0"], "0"),
        (["--save-activity", "input"], "'input'"),
    ):
        with pytest.raises(SystemExit) as stop:
            ra25.main(argv)
        assert stop.value.code != 0
        assert value in capsys.readouterr().err


@pytest.mark.standalone
@pytest.mark.long
@pytest.mark.parametrize("neuron", ["spiking", "rate"])
def test_ra25_reaches_zero_errors(neuron, tmp_path):
    # Three seeds share one compiled binary; at least one must learn all 25
    # pairs (no error trial in an epoch) within the epoch limit.
    spec = ra25.ra25_spec(neuron)
    build = tmp_path / "build"
    firsts = []
    for seed in (1, 2, 3):
        result = train(
            spec,
            ra25.ra25_task(),
            seed=seed,
            epochs=60,
            block_epochs=5,
            zero_stop=1,
            device_name="cpp_standalone",
            build_dir=build,
            progress=False,
        )
        epochs = result.epochs
        assert epochs["pct_err"].iloc[0] > 0.5  # the task starts unlearned
        first = epochs["first_zero"].dropna()
        firsts.append(int(first.iloc[0]) if len(first) else None)
    assert any(first is not None for first in firsts), firsts


def test_command_runs_seeds_in_parallel(tmp_path):
    out = tmp_path / "seeds"
    argv = ["--device", "numpy", "--epochs", "1", "--block-epochs", "1"]
    argv += ["--seeds", "2", "--jobs", "2", "--out", str(out), "--quiet"]
    assert ra25.main(argv) == 0
    table = pd.read_csv(out / "seeds.csv")
    assert table["seed"].tolist() == [1, 2]
    assert (table["epochs"] == 1).all()
    for seed in (1, 2):
        epochs = pd.read_csv(out / f"seed_{seed}" / "epochs.csv")
        assert epochs["epoch"].tolist() == [1]
    assert (out / "build" / "worker_0").is_dir()
    assert (out / "build" / "worker_1").is_dir()
