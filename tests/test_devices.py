"""Tests for models.devices: device selection, C++ and CUDA standalone builds."""

import brian2
import numpy as np
import pytest
from brian2 import (
    Network,
    NeuronGroup,
    SpikeMonitor,
    Synapses,
    TimedArray,
    defaultclock,
    linked_var,
    ms,
)
from brian2.devices.device import all_devices

from models import devices

DURATION = 500 * ms
N_NEURONS = 4
W_START = 0.05
# The Synapses' run_regularly (dt=200 ms) fires at t = 0, 200 and 400 ms.
W_END = W_START * 0.9**3


@pytest.fixture(autouse=True)
def _clean_device():
    devices.reset_device()
    yield
    devices.reset_device()


def _build_model():
    """Create the model on the active device and return its network and objects.

    All names are lower-case so that the model also works with cuda_standalone
    run_args.
    """
    defaultclock.dt = 0.1 * ms

    # Drive of shape (time, neuron): neuron k gets a constant input that grows with
    # k, switched off for the second 250 ms.
    drive = np.zeros((int(DURATION / ms), N_NEURONS))
    drive[:250] = 0.02 + 0.01 * np.arange(N_NEURONS)
    stimulus = TimedArray(drive, dt=1 * ms, name="stimulus")

    neurons = NeuronGroup(
        N_NEURONS,
        """v : 1
        pool_total : 1 (linked)""",
        threshold="v > 1",
        reset="v = 0",
        namespace={"stimulus": stimulus},
        name="neurons",
    )
    neurons.run_regularly(
        "v += stimulus(t, i) - 0.001 * pool_total", name="neurons_update"
    )

    pool = NeuronGroup(1, "total : 1", name="pool")
    to_pool = Synapses(neurons, pool, "total_post = v_pre : 1 (summed)", name="to_pool")
    to_pool.connect()
    neurons.pool_total = linked_var(pool, "total", index=np.zeros(N_NEURONS, int))

    recurrent = Synapses(
        neurons, neurons, "w : 1", on_pre="v_post += w", delay=2 * ms, name="recurrent"
    )
    recurrent.connect(condition="i != j")
    recurrent.w = W_START
    recurrent.run_regularly("w = w * 0.9", dt=200 * ms, name="recurrent_decay")

    spikes = SpikeMonitor(neurons, name="spikes")
    net = Network(neurons, pool, to_pool, recurrent, spikes)
    return net, {"neurons": neurons, "recurrent": recurrent, "spikes": spikes}


def _reference_spike_counts(tmp_path):
    """Spike counts per neuron from the NumPy runtime target."""
    devices.select_device("numpy", tmp_path / "numpy")
    net, objs = _build_model()
    net.run(DURATION)
    counts = np.bincount(objs["spikes"].i[:], minlength=N_NEURONS)
    devices.reset_device()
    return counts


def _check_results(objs, reference_counts):
    counts = np.bincount(objs["spikes"].i[:], minlength=N_NEURONS)
    np.testing.assert_array_equal(counts, reference_counts)
    np.testing.assert_allclose(objs["recurrent"].w[:], W_END)


def test_select_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="Invalid device name 'gpu'.*'cpp_standalone'"):
        devices.select_device("gpu", tmp_path)


@pytest.mark.parametrize(
    ("name", "option", "message"),
    [
        ("cpp_standalone", {"threads": 0}, "Invalid threads 0"),
        ("cpp_standalone", {"make_jobs": 1.5}, "Invalid make_jobs 1.5"),
        (
            "cuda_standalone",
            {"cuda_compute_capability": 3.5},
            "Invalid cuda_compute_capability 3.5",
        ),
        ("numpy", {"precision": "half"}, "Invalid precision 'half'.*'single'"),
    ],
)
def test_select_invalid_option(tmp_path, name, option, message):
    with pytest.raises(ValueError, match=message):
        devices.select_device(name, tmp_path, **option)


def test_select_sets_and_resets_prefs(tmp_path):
    caller_gcc_args = list(brian2.prefs.codegen.cpp.extra_compile_args_gcc)
    brian2.prefs.codegen.cpp.extra_compile_args_gcc = ["-O1"]
    try:
        devices.select_device("cpp_standalone", tmp_path, threads=3, make_jobs=2)
        assert brian2.prefs.devices.cpp_standalone.openmp_threads == 3
        assert brian2.prefs.devices.cpp_standalone.extra_make_args_unix == ["-j2"]
        cache = brian2.prefs.codegen.runtime.cython.cache_dir
        assert cache == str(tmp_path.resolve() / "cython_cache")
        assert brian2.get_device() is all_devices["cpp_standalone"]
        compile_args = brian2.prefs.codegen.cpp.extra_compile_args_gcc
        assert compile_args == list(devices.VECTOR_FLAGS)
        environment = brian2.prefs.devices.cpp_standalone.run_environment_variables
        assert environment == {"LD_BIND_NOW": "1", **devices.RUN_ENVIRONMENT}

        devices.reset_device()
        environment = brian2.prefs.devices.cpp_standalone.run_environment_variables
        assert environment == {"LD_BIND_NOW": "1"}
        assert brian2.prefs.devices.cpp_standalone.openmp_threads == 0
        assert brian2.prefs.devices.cpp_standalone.extra_make_args_unix == ["-j"]
        assert brian2.prefs.codegen.runtime.cython.cache_dir is None
        # A preference the caller set stays.
        assert brian2.prefs.codegen.cpp.extra_compile_args_gcc == ["-O1"]
    finally:
        brian2.prefs.codegen.cpp.extra_compile_args_gcc = caller_gcc_args


@pytest.mark.standalone
def test_single_precision_state_in_cpp_standalone(tmp_path):
    devices.select_device("cpp_standalone", tmp_path / "cpp", precision="single")
    net, objs = _build_model()
    net.run(DURATION)
    assert objs["neurons"].variables["v"].dtype == np.float32
    assert objs["recurrent"].variables["w"].dtype == np.float32
    devices.build_and_run(tmp_path / "cpp", with_output=False)

    # The binary computes w * 0.9 in double and stores it as float32, three
    # times. Had it written float64, Brian2 would read back other numbers.
    expected = np.float32(W_START)
    for _ in range(3):
        expected = np.float32(np.float64(expected) * 0.9)
    w = objs["recurrent"].w[:]
    assert w.dtype == np.float32
    np.testing.assert_array_equal(w, expected)
    assert len(objs["spikes"].i[:]) > 0

    devices.reset_device()
    assert brian2.prefs.core.default_float_dtype is np.float64


def test_run_args_capital_string():
    with pytest.raises(ValueError, match="'Pool.v'"):
        devices.check_run_args_names(["Pool.v=static_arrays/init.dat"])
    with pytest.raises(ValueError, match="'static_arrays/Init.dat'"):
        devices.check_run_args_names(["pool.v=static_arrays/Init.dat"])
    devices.check_run_args_names(["pool.v=-1.5E-3", "pool.v=static_arrays/a.dat"])


@pytest.mark.cuda
def test_cuda_run_args_capital(tmp_path):
    status = devices.cuda_toolkit_status()
    if not status.ready:
        pytest.skip(f"CUDA toolkit incomplete: {status.reason}")
    devices.select_device("cuda_standalone", tmp_path)
    group = NeuronGroup(3, "v : 1", name="Pool")
    Network(group).run(1 * ms)

    with pytest.raises(ValueError, match="'Pool.v'.*lower-case"):
        devices.build_and_run(tmp_path, run_args={group.v: np.arange(3.0)})
    assert not (tmp_path / "main.cu").exists()


@pytest.mark.standalone
def test_cpp_standalone_model(tmp_path, monkeypatch):
    reference = _reference_spike_counts(tmp_path)
    # A build that ignored build_dir would land in ./output of this directory.
    monkeypatch.chdir(tmp_path)
    build_dir = tmp_path / "cpp"

    devices.select_device("cpp_standalone", build_dir)
    net, objs = _build_model()
    net.run(DURATION)
    timings = devices.build_and_run(build_dir, with_output=False)

    print(f"C++ standalone compile (make): {timings['compile_s']:.1f} s")
    assert (build_dir / "main").is_file()
    assert (build_dir / "results").is_dir()
    assert not (tmp_path / "output").exists()
    _check_results(objs, reference)
