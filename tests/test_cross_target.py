"""One small deterministic network gives identical spikes on every target."""

import os
import re
import shlex
import subprocess

import numpy as np
import pytest
from brian2 import Network, SpikeMonitor, Synapses, ms, prefs

from equations import neuron_model
from models import devices
from models.layer import Layer

DURATION = 300 * ms


def build_network():
    """Input (clamped, 6) <-> hidden (10), with pools and delays; no rand()."""
    input_model = neuron_model(extra_equations="ext : 1 (constant)\nclamp_on : 1\n")
    hidden_model = neuron_model(clamped=False)
    inputs = Layer("inp", 6, input_model, inhibition={"gi": 0.9})
    hidden = Layer("hid", 10, hidden_model, inhibition={"gi": 1.2})
    inputs.group.ext = [1, 0, 1, 1, 0, 1]
    inputs.group.clamp_on = 1

    forward = Synapses(
        inputs.group,
        hidden.group,
        "w : 1",
        on_pre="g_e_raw_post += w*25*nS",
        delay=2 * ms,
        name="inp_to_hid",
    )
    forward.connect()
    forward.w = "0.3 + 0.6*((3*i + 7*j) % 10)/10.0"
    feedback = Synapses(
        hidden.group,
        inputs.group,
        "w : 1",
        on_pre="g_e_raw_post += w*5*nS",
        delay=2 * ms,
        name="hid_to_inp",
    )
    feedback.connect()
    feedback.w = "0.2 + 0.5*((5*i + 2*j) % 7)/7.0"
    spikes = SpikeMonitor(hidden.group, name="hid_spikes")
    net = Network(*inputs.objects, *hidden.objects, forward, feedback, spikes)
    return net, spikes


def sorted_spikes(monitor):
    order = np.lexsort((monitor.i[:], monitor.t[:]))
    return np.asarray(monitor.i[:])[order], np.asarray(monitor.t[:] / ms)[order]


def run_runtime(target):
    prefs.codegen.target = target
    net, spikes = build_network()
    net.run(DURATION)
    return sorted_spikes(spikes)


def test_runtime_targets_agree():
    numpy_i, numpy_t = run_runtime("numpy")
    cython_i, cython_t = run_runtime("cython")
    assert len(numpy_i) > 10
    np.testing.assert_array_equal(numpy_i, cython_i)
    np.testing.assert_array_equal(numpy_t, cython_t)


@pytest.mark.standalone
def test_cpp_standalone_agrees_with_numpy(tmp_path):
    numpy_i, numpy_t = run_runtime("numpy")
    build_dir = tmp_path / "build"
    devices.select_device("cpp_standalone", build_dir, make_jobs=2)
    try:
        net, spikes = build_network()
        net.run(DURATION)
        devices.build_and_run(build_dir, with_output=False)
        cpp_i, cpp_t = sorted_spikes(spikes)
    finally:
        devices.reset_device()
    # The package's compiler flags (vector exp, reassociation) keep the spikes
    # of this network identical to numpy's.
    np.testing.assert_array_equal(cpp_i, numpy_i)
    np.testing.assert_array_equal(cpp_t, numpy_t)

    # The flags must let gcc vectorise the membrane loop, the largest cost of
    # a training run. Compile its code object again and ask gcc what it did.
    makefile = (build_dir / "makefile").read_text()
    flags = re.search(r"^OPTIMISATIONS = (.*)$", makefile, re.MULTILINE).group(1)
    # Brian2 appends "_1" to the names while the numpy run's objects exist.
    (source,) = (build_dir / "code_objects").glob("hid_membrane_codeobject*.cpp")
    report = subprocess.run(
        ["g++", "-c", *shlex.split(flags), "-I.", "-fopt-info-vec-optimized"]
        + [str(source), "-o", os.devnull],
        cwd=build_dir,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "loop vectorized" in report.stderr, report.stderr


@pytest.mark.cuda
@pytest.mark.long
def test_cuda_standalone_compiles(tmp_path, monkeypatch):
    status = devices.cuda_toolkit_status()
    if not status.ready:
        pytest.skip(f"CUDA toolkit incomplete: {status.reason}")
    has_gpu = devices.gpu_available()
    reference = run_runtime("numpy") if has_gpu else None
    monkeypatch.chdir(tmp_path)
    build_dir = tmp_path / "cuda"

    devices.select_device("cuda_standalone", build_dir)
    net, spikes = build_network()
    net.run(DURATION)
    timings = devices.build_and_run(build_dir, run=has_gpu, with_output=False)
    compiled = f"nvcc compile (make): {timings['compile_s']:.1f} s"
    print(compiled)
    assert (build_dir / "main").is_file()
    assert os.access(build_dir / "main", os.X_OK)
    if not has_gpu:
        pytest.skip(f"no GPU: nvidia-smi lists none, binary not run ({compiled})")

    # The pool means are summed with atomic adds in a varying order, so spike
    # times can differ from numpy by rounding; compare spike counts per neuron.
    # NOTE: the tolerance of 2 spikes per neuron is an estimate not yet checked
    # on a GPU.
    cuda_counts = np.bincount(spikes.i[:], minlength=10)
    numpy_counts = np.bincount(reference[0], minlength=10)
    np.testing.assert_allclose(cuda_counts, numpy_counts, atol=2)
