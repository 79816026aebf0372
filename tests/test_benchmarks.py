"""Smoke tests of the benchmark scripts at tiny sizes; no timing is asserted."""

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

# cuda_mnist imports Brian2, so the tests import it where they use it: the
# worker processes of these tests import this module and stay light.

import harness  # noqa: E402
import suite  # noqa: E402


def _sleep(seconds):
    """Sleep in a worker, to test the time cap of `harness.in_worker`."""
    time.sleep(seconds)
    return {}


def _prepare_then_return(prepare_s):
    """Prepare for ``prepare_s`` seconds, then notify the parent and return."""
    time.sleep(prepare_s)
    harness.notify_prepared()
    return {"done": True}


def _fail():
    raise ValueError("bad value 7")


def test_fit_exponent_recovers_a_power_law():
    synapses = np.array([1e4, 1e5, 1e6, 1e7])
    noise = np.array([1.02, 0.97, 1.01, 0.99])
    cost = 3e-6 * synapses**1.05 * noise
    assert harness.fit_exponent(synapses, cost) == pytest.approx(1.05, abs=0.02)
    assert harness.fit_exponent([10, 1000], [2.0, 2.0]) == pytest.approx(0.0)


@pytest.mark.parametrize(
    "synapses, cost", [([10], [1.0]), ([10, 100], [1.0, 0.0]), ([10, 10], [1, 2])]
)
def test_fit_exponent_rejects_unfittable_points(synapses, cost):
    with pytest.raises(ValueError, match="Cannot fit an exponent"):
        harness.fit_exponent(synapses, cost)


def test_layer_sizes_split_and_minimum():
    assert harness.layer_sizes(100) == {"input": 50, "hidden": 40, "output": 10}
    assert sum(harness.layer_sizes(12_345).values()) == 12_345
    with pytest.raises(ValueError, match="Invalid network size 10"):
        harness.layer_sizes(10)


def test_sparse_network_has_fixed_fan_in():
    network, groups, fan_out, n_synapses = harness.sparse_network(
        total=200, fan_in=30, n_trials=2
    )
    forward = network["input_to_hidden"]
    j = np.asarray(forward.j[:])
    i = np.asarray(forward.i[:])
    assert np.all(np.bincount(j, minlength=len(groups["hidden"])) == 30)
    # Distinct senders per receiver.
    assert len(set(zip(i.tolist(), j.tolist(), strict=True))) == len(i)
    # The feedback projection is dense: the output layer has only 20 units.
    assert len(network["output_to_hidden"]) == 20 * len(groups["hidden"])
    assert sum(int(f.sum()) for f in fan_out.values()) == n_synapses


def measure_tiny_sparse(
    target: str, build_dir, timeout_s: float, precision: str = "double"
) -> dict:
    """Measure the 40-neuron sweep network (fan-in 10, 2 trials) in a worker."""
    return harness.in_worker(
        harness.measure,
        timeout_s=timeout_s,
        network_kind="sparse",
        target=target,
        build_dir=str(build_dir),
        options={"total": 40, "fan_in": 10, "n_trials": 2},
        precision=precision,
    )


def test_measure_in_a_worker_counts_events(tmp_path):
    row = measure_tiny_sparse("numpy", tmp_path, timeout_s=120)
    assert row["status"] == "ok"
    assert set(row) <= set(harness.COLUMNS)
    assert row["neurons"] == 40
    assert row["simulated_s"] == pytest.approx(0.4)
    assert row["speed"] * row["cost"] == pytest.approx(1.0)
    assert 0 < row["loop_cpu_s"] <= row["run_s"] * 1.05
    # Clamped input neurons spike, and every spike reaches its fan-out.
    assert row["rate_input_hz"] > 0
    assert row["events"] > 0
    assert row["peak_rss_mib"] > 50
    assert row["precision"] == "double"


def test_measure_in_single_precision(tmp_path):
    row = measure_tiny_sparse("numpy", tmp_path, timeout_s=120, precision="single")
    assert row["status"] == "ok"
    assert row["precision"] == "single"
    assert row["events"] > 0


def test_in_worker_reports_timeout_and_error():
    assert harness.in_worker(_sleep, timeout_s=1, seconds=30)["status"].startswith(
        "timeout after"
    )
    # With cap_after_prepare the cap counts from the end of preparation,
    # which takes longer than the cap here.
    prepared = harness.in_worker(
        _prepare_then_return, timeout_s=2, cap_after_prepare=True, prepare_s=4
    )
    assert prepared["status"] == "ok"
    assert prepared["done"] is True
    failed = harness.in_worker(_fail, timeout_s=60)
    assert failed["status"].startswith("error: ValueError('bad value 7')")


def test_sweep_csv_columns_exponent_and_plot(tmp_path):
    rows = [
        {
            "target": "cpp_standalone",
            "neurons": n,
            "synapses": 90 * n,
            "fan_in": 100,
            "cost": 1e-4 * n,
            "cpu_cost": 2e-4 * n**1.1,
            "status": "ok",
        }
        for n in (1000, 3000, 10_000)
    ]
    rows.append({"target": "cpp_standalone", "neurons": 30_000, "status": "error: x"})
    # A second series with ten times the fan-in and a steeper cost.
    rows += [
        {
            "target": "cpp_standalone",
            "neurons": n,
            "synapses": 900 * n,
            "fan_in": 1000,
            "cost": 1e-6 * n**1.5,
            "cpu_cost": 1e-6 * n**1.5,
            "status": "ok",
        }
        for n in (1000, 3000)
    ]
    frame = suite.row_frame(rows)
    assert list(frame.columns) == list(harness.COLUMNS)

    exponent, fitted = suite.sweep_exponent(frame, points=2, fan_in=100)
    assert exponent == pytest.approx(1.0)
    assert fitted["neurons"].tolist() == [3000, 10_000]
    dense, dense_fitted = suite.sweep_exponent(frame, points=2, fan_in=1000)
    assert dense == pytest.approx(1.5)
    assert dense_fitted["fan_in"].tolist() == [1000, 1000]
    fits = {100: (exponent, fitted), 1000: (dense, dense_fitted)}
    suite.plot_sweep(frame, fits, tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"

    harness_path = tmp_path / "sweep.csv"
    suite.write_csv(frame, harness_path)
    assert list(pd.read_csv(harness_path).columns) == list(harness.COLUMNS)


#: Code objects of the profiled MNIST and sweep networks and their kinds.
PROFILED_CODE_OBJECTS = {
    "input_membrane_codeobject": "neuron update",
    "hidden_conductance_codeobject": "neuron update",
    "output_decay_codeobject": "neuron update",
    "input_spike_thresholder_codeobject": "neuron update",
    "hidden_spike_resetter_codeobject": "neuron update",
    "input_clamp_codeobject": "neuron update",
    "input_to_hidden_pre_codeobject": "spike propagation",
    "output_to_hidden_pre_push_spikes": "spike propagation",
    "output_to_hidden_xcal_dwt_codeobject": "learning",
    "input_to_hidden_xcal_apply_push_spikes": "learning",
    "hidden_learn_trial_thresholder_codeobject": "learning",
    "hidden_trial_finish_codeobject": "learning",
    "input_to_hidden_slow_apply_push_spikes": "learning",
    "hidden_trial_slow_sum_codeobject": "learning",
    "output_slow_trial_thresholder_codeobject": "learning",
    "hidden_trials_codeobject": "monitors",
    "input_to_pool_summed_variable_act_mean_post_codeobject": "pool sums",
    "hidden_pool_fffb_codeobject": "pool sums",
    "output_pool_decay_codeobject": "pool sums",
}


def test_profile_growth_by_kind():
    for name, kind in PROFILED_CODE_OBJECTS.items():
        assert harness.code_object_kind(name) == kind, name
    assert harness.code_object_kind("spikemonitor_codeobject") == "other"

    # Ten times the synapses: neuron updates grow 20 times, the rest 10 times.
    small = {
        "synapses": 1000,
        "profile": [
            ("input_membrane_codeobject", 1.0),
            ("input_to_hidden_pre_codeobject", 2.0),
            ("input_to_hidden_xcal_dwt_codeobject", 1.0),
        ],
    }
    large = {
        "synapses": 10_000,
        "profile": [
            ("input_membrane_codeobject", 20.0),
            ("input_to_hidden_pre_codeobject", 20.0),
            ("input_to_hidden_xcal_dwt_codeobject", 10.0),
        ],
    }
    table = harness.profile_growth(small, large).set_index("kind")
    assert table.loc["neuron update", "exponent"] == pytest.approx(np.log10(20))
    assert table.loc["spike propagation", "growth"] == pytest.approx(10.0)
    assert table.loc["all", "seconds_large"] == pytest.approx(50.0)
    assert table.loc["all", "exponent"] == pytest.approx(np.log10(50 / 4))
    with pytest.raises(ValueError, match="give the smaller network first"):
        harness.profile_growth(large, small)


@pytest.mark.standalone
def test_profile_sweep_at_two_sizes(tmp_path, capsys):
    settings = suite.Settings(
        sweep_sizes=(40, 80), dense_sizes=(), fan_in=10, sweep_trials=1, fit_points=2
    )
    suite.profile_sweep(settings, tmp_path, tmp_path)
    frame = pd.read_csv(tmp_path / "profile_sweep.csv")
    assert sorted(frame["neurons"].unique()) == [40, 80]
    assert (frame["kind"] != "other").all()
    assert (frame["seconds"] >= 0).all()
    printed = capsys.readouterr().out
    assert "fan-in 10, 40 and 80 neurons" in printed
    assert "neuron update" in printed


@pytest.mark.standalone
def test_standalone_rerun_keeps_the_fastest_run(tmp_path):
    build_dir = tmp_path / "build"
    row = measure_tiny_sparse("cpp_standalone", build_dir, timeout_s=600)
    assert row["status"] == "ok"
    assert (row["repeats"], row["fan_in"]) == (1, 10)
    assert row["events"] > 0

    again = harness.rerun_binary(build_dir)
    assert again["run_s"] > 0
    assert 0 < again["loop_cpu_s"] <= again["binary_cpu_s"] * 1.05
    # The binary's own peak, without the memory of this process (over 100 MiB
    # with Brian2 imported). The tiny binary may end before its arrays load.
    assert 0 < again["binary_rss_mib"] < 100
    slow = {"run_s": 100.0, "loop_cpu_s": 99.0, "binary_cpu_s": 100.0}
    best = harness.keep_fastest(row, [again, slow])
    assert best["repeats"] == 3
    assert best["run_s"] == min(row["run_s"], again["run_s"])
    assert best["run_s_max"] == 100.0
    assert best["binary_rss_mib"] == again["binary_rss_mib"]
    assert best["loop_cpu_s"] == min(row["loop_cpu_s"], again["loop_cpu_s"])
    assert best["cost"] == pytest.approx(best["run_s"] / row["simulated_s"])
    assert best["events_per_s"] == pytest.approx(row["events"] / best["run_s"])


def test_failed_rerun_keeps_the_first_run(tmp_path, capsys):
    row = {
        "run_s": 1.0,
        "loop_cpu_s": 0.8,
        "binary_cpu_s": 0.9,
        "simulated_s": 2.0,
        "events": 10,
    }
    rows = [row]
    every_run = suite._repeat_binaries(
        rows, {0: tmp_path / "missing"}, repeats=3, label="sweep"
    )
    assert len(every_run[0]) == 1
    assert rows[0]["repeats"] == 1
    assert rows[0]["run_s"] == 1.0
    assert rows[0]["cost"] == pytest.approx(0.5)
    assert "failed" in capsys.readouterr().err


def _fake_precision_worker(function, *, network_kind, precision, options, **_):
    """Return a row whose cost grows as the synapses, 20 % less in single."""
    neurons = options.get("total", 1050)
    synapses = 100 * neurons
    run_s = 1e-5 * synapses * (0.8 if precision == "single" else 1.0)
    return {
        "status": "ok",
        "network": network_kind,
        "target": "cpp_standalone",
        "neurons": neurons,
        "synapses": synapses,
        "precision": precision,
        "run_s": run_s,
        "loop_cpu_s": run_s / 2,
        "binary_cpu_s": run_s,
        "simulated_s": 1.0,
        "speed": 1.0 / run_s,
        "prepare_s": 1.0,
        "events": 10,
        "repeats": 1,
    }


def _fake_rerun(build_dir):
    """Return a slower second run, with less memory in single precision."""
    single = str(build_dir).endswith("_single")
    return {
        "run_s": 100.0,
        "loop_cpu_s": 99.0,
        "binary_cpu_s": 100.0,
        "binary_rss_mib": 80.0 if single else 100.0,
    }


def test_part_precision_measures_both_precisions(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(suite, "in_worker", _fake_precision_worker)
    monkeypatch.setattr(suite, "rerun_binary", _fake_rerun)
    settings = suite.Settings(
        sweep_sizes=(100, 1000, 3000, 10_000), fit_points=3, repeats=2
    )
    rows = suite.part_precision(settings, tmp_path, tmp_path)

    frame = pd.read_csv(tmp_path / "precision.csv")
    assert len(rows) == len(frame) == 8
    assert sorted(frame["neurons"].unique()) == [1000, 1050, 3000, 10_000]
    assert (frame.groupby("neurons")["precision"].nunique() == 2).all()
    # The fastest run of each binary counts: the first, not the slow rerun.
    assert (frame["repeats"] == 2).all()
    assert (frame["run_s_max"] == 100.0).all()

    ratios = suite.precision_ratios(frame)
    assert len(ratios) == 4
    assert ratios["run_ratio"].to_numpy() == pytest.approx(0.8)
    assert ratios["loop_cpu_ratio"].to_numpy() == pytest.approx(0.8)
    assert ratios["memory_ratio"].to_numpy() == pytest.approx(0.8)
    printed = capsys.readouterr().out
    assert "sweep exponent, fan-in 100, single: 1.0000" in printed
    assert "sweep exponent, fan-in 100, double: 1.0000" in printed
    # The second round's reruns take 100 s at every size: exponent 0.
    line = next(text for text in printed.splitlines() if "single, each round" in text)
    first, second = (float(value) for value in line.split(": ")[1].split(", "))
    assert first == pytest.approx(1.0)
    assert second == pytest.approx(0.0, abs=1e-9)


def test_part_precision_without_disk_keeps_mnist(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(suite, "in_worker", _fake_precision_worker)
    monkeypatch.setattr(suite, "rerun_binary", _fake_rerun)
    monkeypatch.setattr(suite, "disk_shortage", lambda *args, **kwargs: "no disk")
    settings = suite.Settings(sweep_sizes=(100, 1000, 3000), repeats=2)
    rows = suite.part_precision(settings, tmp_path, tmp_path)
    assert [row["network"] for row in rows] == ["mnist", "mnist"]
    assert "sweep network skipped: no disk" in capsys.readouterr().err


def test_round_exponents_fit_each_round():
    rows = [{"synapses": n, "simulated_s": 2.0} for n in (10, 100, 1000)]
    every_run = {
        0: [{"run_s": 1.0}, {"run_s": 1.0}, {"run_s": 5.0}],
        1: [{"run_s": 10.0}, {"run_s": 100.0}],
        2: [{"run_s": 100.0}, {"run_s": 10_000.0}, {"run_s": 5.0}],
    }
    # The two largest sizes; the second size ran twice, so two rounds.
    exponents = suite.round_exponents(rows, every_run, points=2)
    assert exponents == pytest.approx([1.0, 2.0])
    assert suite.round_exponents(rows, {2: every_run[2]}, points=2) == []


def test_precision_ratios_skip_networks_measured_once():
    rows = [
        {
            "network": "sparse",
            "neurons": 100,
            "precision": precision,
            "status": "ok",
            "run_s": seconds,
            "loop_cpu_s": seconds,
            "binary_rss_mib": seconds,
        }
        for precision, seconds in (("double", 2.0), ("single", 1.0))
    ]
    rows.append(
        {
            "network": "sparse",
            "neurons": 300,
            "precision": "single",
            "status": "ok",
            "run_s": 1.0,
            "loop_cpu_s": 1.0,
            "binary_rss_mib": 1.0,
        }
    )
    rows.append(
        {
            "network": "sparse",
            "neurons": 300,
            "precision": "double",
            "status": "error: x",
        }
    )
    ratios = suite.precision_ratios(suite.row_frame(rows))
    assert ratios["neurons"].tolist() == [100]
    assert ratios["run_ratio"].tolist() == [0.5]


def test_sparse_synapses_counts_fixed_fan_in():
    # 50 input, 40 hidden and 10 output neurons: input -> hidden and
    # output -> hidden at fan-in min(20, sender), hidden -> output at 20.
    assert harness.sparse_synapses(100, 20) == 20 * 40 + 20 * 10 + 10 * 40


def test_disk_shortage_names_need_and_fix(monkeypatch, tmp_path):
    free = 10**9
    usage = shutil.disk_usage(tmp_path)._replace(free=free)
    monkeypatch.setattr(suite.shutil, "disk_usage", lambda path: usage)
    small = suite.disk_shortage(tmp_path, [100], fan_in=20)
    assert small is None

    message = suite.disk_shortage(tmp_path, [10**5, 10**6], fan_in=100, copies=2)
    assert "need about 19.8 GB" in message
    assert "1.0 GB free" in message
    assert "--no-dense" in message


def test_sweep_skips_a_series_without_disk(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(suite, "disk_shortage", lambda *args, **kwargs: "no disk")
    settings = suite.Settings(
        sweep_sizes=(2000, 3000), dense_sizes=(), fit_points=2, runtime_max_neurons=100
    )
    rows, targets = suite.part_sweep(settings, tmp_path, tmp_path, tmp_path)
    assert [row["status"] for row in rows] == ["skipped: no disk"] * 2
    assert len(pd.read_csv(tmp_path / "sweep.csv")) == 2
    assert targets[0]["met"] is None
    assert "fan-in 100 skipped: no disk" in capsys.readouterr().err


def test_target_rows_compare_with_their_limits():
    assert suite.target_row("cpp_vs_numpy_speed", 12.0)["met"] is True
    assert suite.target_row("cpp_realtime_factor", 12.0)["met"] is False
    assert suite.target_row("sweep_exponent", 1.3)["met"] is False
    assert suite.target_row("parallel_wall_ratio", None)["met"] is None
    assert suite.verdict(suite.target_row("second_run_overhead_s", 0.5)) == "met"


def test_parse_parts_and_settings_errors():
    assert suite.parse_parts("profile,mnist") == ["mnist", "profile"]
    with pytest.raises(Exception, match="invalid part speed"):
        suite.parse_parts("speed")
    with pytest.raises(ValueError, match="Invalid fan_in 0"):
        suite.Settings(fan_in=0)
    with pytest.raises(ValueError, match="Invalid sweep: 2 sizes"):
        suite.Settings(sweep_sizes=(100, 1000), fit_points=3)
    with pytest.raises(ValueError, match="Invalid dense sweep: 2 sizes"):
        suite.Settings(dense_sizes=(100, 1000), fit_points=3)
    assert suite.Settings(dense_sizes=()).dense_sizes == ()
    with pytest.raises(ValueError, match="Invalid sweep size 10"):
        suite.Settings(dense_sizes=(10, 100, 1000))
    with pytest.raises(ValueError, match="Invalid repeats 0"):
        suite.Settings(repeats=0)
    with pytest.raises(ValueError, match="Invalid dense_fan_in 100"):
        suite.Settings(dense_fan_in=100)
    with pytest.raises(ValueError, match="Invalid precision 'half'"):
        suite.Settings(precision="half")

    # The suite names the precisions without importing Brian2.
    from models.devices import PRECISIONS

    assert suite.PRECISIONS == tuple(PRECISIONS)


def test_parse_sweep_sizes_and_errors(capsys):
    assert suite.parse_sizes("3000,100,3000") == (100, 3000)
    for text in ("100,ten", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="invalid sweep sizes"):
            suite.parse_sizes(text)

    # Sizes that Settings rejects stop the command before any run.
    with pytest.raises(SystemExit):
        suite.main(["--parts", "sweep", "--sweep-sizes", "100,1000"])
    assert "Invalid sweep: 2 sizes" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        suite.main(["--parts", "sweep", "--sweep-sizes", "10,1000,3000"])
    assert "Invalid sweep size 10" in capsys.readouterr().err


def test_cuda_mnist_without_gpu_says_why(monkeypatch, capsys):
    import cuda_mnist

    missing = cuda_mnist.devices.CudaToolkitStatus(None, None, None, None, None)
    monkeypatch.setattr(cuda_mnist.devices, "gpu_available", lambda: False)
    monkeypatch.setattr(cuda_mnist.devices, "cuda_toolkit_status", lambda: missing)
    assert cuda_mnist.main(["--train-size", "20", "--test-size", "10"]) == 0
    printed = capsys.readouterr().out
    assert "skipped training: no GPU here (nvidia-smi lists none)" in printed
    assert "CUDA project not compiled: CUDA toolkit not found" in printed


def test_cuda_agreement_tolerance():
    import cuda_mnist

    assert cuda_mnist.agreement_tolerance(0.5, 0.5, 100) == pytest.approx(0.1414, 1e-3)
    assert cuda_mnist.agreement_tolerance(1.0, 1.0, 100) == 0.0
    with pytest.raises(ValueError, match="Invalid number of test digits 0"):
        cuda_mnist.agreement_tolerance(0.5, 0.5, 0)
