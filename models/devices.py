"""Select the Brian2 device (runtime, C++ standalone or CUDA standalone) for a run.

Every model in this package is written with plain Brian2 objects and runs on any of
the names in `DEVICES`. `select_device` puts Brian2 into a clean state for the chosen
device and sets the preferences that a reproducible, parallel-safe build needs:

* one build directory per call, which also contains the Cython cache, so that
  parallel workers never share generated files;
* a capped ``make -j`` (Brian2 2.8.0 passes a bare ``-j``, which starts one compiler
  per source file at once);
* OpenMP off unless threads are asked for;
* the precision of floating-point state (`PRECISIONS`: Brian2's float64 by
  default, float32 on request, as the reference stores all its state);
* for ``cpp_standalone``: compiler flags under which gcc vectorises the
  neuron loops (`VECTOR_FLAGS`);
* for both standalone devices: glibc's malloc requests transparent huge
  pages for the binary's large arrays (`RUN_ENVIRONMENT`);
* for ``cuda_standalone``: a fixed GPU and compute capability (brian2cuda cannot
  generate code on a machine without a GPU otherwise), C++17 (CUDA 13's headers
  reject the C++11 that brian2cuda 1.0a7 asks for), and cuRAND from the
  ``nvidia-curand`` wheel when the CUDA toolkit lacks it.

Typical use::

    select_device("cpp_standalone", tmp_dir)
    ...  # create Brian2 objects, call run()
    build_and_run(tmp_dir)
    reset_device()
"""

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import brian2
import numpy as np
from brian2 import defaultclock, ms, prefs
from brian2.devices.device import all_devices, get_device

__all__ = [
    "DEVICES",
    "PRECISIONS",
    "RUN_ENVIRONMENT",
    "STANDALONE_DEVICES",
    "CudaToolkitStatus",
    "build_and_run",
    "build_cached",
    "check_run_args_names",
    "cuda_toolkit_status",
    "gpu_available",
    "reset_device",
    "check_precision",
    "select_device",
    "set_precision",
]

#: Device names accepted by `select_device`. ``"runtime"`` is Brian2's default
#: runtime target (Cython when it compiles, NumPy otherwise); ``"numpy"`` and
#: ``"cython"`` force one runtime target.
DEVICES = ("runtime", "numpy", "cython", "cpp_standalone", "cuda_standalone")

#: Precision names accepted by `select_device` -> dtype of every floating-point
#: state variable (neurons, synapses, pools; Brian2's clock stays float64). The
#: reference implementation keeps all neuron and synapse state in float32.
#: Single precision halves the memory that each time step reads and writes,
#: about 160 instead of 320 bytes per neuron and step in the membrane update.
PRECISIONS = {"double": np.float64, "single": np.float32}

#: The devices that generate a project which `build_and_run` compiles and runs.
STANDALONE_DEVICES = ("cpp_standalone", "cuda_standalone")

#: Environment of the standalone binaries, added to Brian2's own. With glibc
#: 2.35 or later, malloc then requests transparent huge pages from the kernel for
#: large allocations (madvise). A binary with 2.7x10^7 synapses spent 1.25 s
#: instead of 2.4 s of system time on page faults while loading its arrays.
#: Only where the memory lies changes, not the simulation.
RUN_ENVIRONMENT = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}

# codegen.target for the runtime names; "auto" is Brian2's own default.
_RUNTIME_TARGETS = {"runtime": "auto", "numpy": "numpy", "cython": "cython"}

#: gcc flags of C++ standalone builds that let the compiler vectorise the
#: per-neuron loops (measured on the 784-256-10 MNIST network: 2.2 times
#: faster, spike counts unchanged). Brian2's default adds
#: -fno-finite-math-only, which keeps glibc from declaring its vector exp, so
#: no loop that calls exp is vectorised. No generated code of these models
#: tests for infinities or NaN. gcc does not rely on Brian2's restrict
#: pointers, so a membrane loop needs a run-time overlap check for each pair
#: of its about 20 arrays. The last flag raises gcc's limit of 10 such checks.
VECTOR_FLAGS = (
    "-w",
    "-O3",
    "-ffast-math",
    "-march=native",
    "-std=c++11",
    "--param=vect-max-version-for-alias-checks=1000",
)

# The cuRAND wheel for CUDA 13 (cuRAND 10.4.x); it ships include/curand.h and
# lib/libcurand.so.10 under nvidia/cu13/.
_CURAND_DISTRIBUTION = "nvidia-curand"

# Values the preferences had before this module changed them, keyed by preference
# name, so that `reset_device` undoes our changes and nothing else.
_saved_prefs: dict[str, object] = {}


@dataclasses.dataclass(frozen=True)
class CudaToolkitStatus:
    """What `cuda_toolkit_status` found of the CUDA toolchain.

    Attributes
    ----------
    cuda_path : Path or None
        Toolkit root (contains ``bin/nvcc`` and ``include/cuda_runtime.h``).
    nvcc : Path or None
        The ``nvcc`` binary.
    runtime_version : float or None
        CUDA release reported by ``nvcc --version``, e.g. ``13.0``.
    curand_include : Path or None
        Directory that contains ``curand.h``.
    curand_library : Path or None
        Directory that contains ``libcurand.so`` or ``libcurand.so.<major>``.
    """

    cuda_path: Path | None
    nvcc: Path | None
    runtime_version: float | None
    curand_include: Path | None
    curand_library: Path | None

    @property
    def ready(self):
        """bool: Whether a CUDA standalone project can be compiled and linked."""
        return not self.reason

    @property
    def reason(self):
        """str: What is missing, or an empty string when nothing is."""
        missing = []
        if self.nvcc is None or self.cuda_path is None:
            missing.append(
                "CUDA toolkit not found (set CUDA_PATH to the directory that "
                "contains bin/nvcc and include/cuda_runtime.h)"
            )
        elif self.runtime_version is None:
            missing.append(
                f"'{self.nvcc} --version' printed no CUDA release (check that this "
                "nvcc runs)"
            )
        if self.curand_include is None or self.curand_library is None:
            missing.append(
                "cuRAND headers or library not found (install the "
                f"'{_CURAND_DISTRIBUTION}' wheel that matches the CUDA release)"
            )
        return "; ".join(missing)


def gpu_available():
    """Tell whether ``nvidia-smi -L`` lists at least one GPU.

    Returns
    -------
    bool
        False when ``nvidia-smi`` is missing, fails, or takes over 10 s.
    """
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return False
    try:
        result = subprocess.run(
            [exe, "-L"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    lines = result.stdout.splitlines()
    return result.returncode == 0 and any(line.startswith("GPU ") for line in lines)


def cuda_toolkit_status():
    """Find nvcc, the CUDA release and the cuRAND headers and library.

    The toolkit root is the first of ``$CUDA_PATH``, ``$CUDA_HOME``, the directory
    above the ``nvcc`` on ``PATH`` and ``/usr/local/cuda`` that contains both
    ``bin/nvcc`` and ``include/cuda_runtime.h``. cuRAND is taken from the toolkit
    when it has it, else from the ``nvidia-curand`` wheel found through
    `importlib.metadata`.

    Returns
    -------
    CudaToolkitStatus
        ``status.ready`` says whether all parts are there, ``status.reason`` names
        the missing ones.
    """
    cuda_path = _find_cuda_path()
    nvcc = None if cuda_path is None else cuda_path / "bin" / "nvcc"
    runtime_version = None if nvcc is None else _nvcc_release(nvcc)

    curand_include, curand_library = None, None
    if cuda_path is not None and (cuda_path / "include" / "curand.h").is_file():
        toolkit_libs = [cuda_path / "lib64", cuda_path / "lib"]
        curand_library = next(
            (d for d in toolkit_libs if list(d.glob("libcurand.so*"))), None
        )
        if curand_library is not None:
            curand_include = cuda_path / "include"
    if curand_library is None:
        curand_include, curand_library = _find_curand_wheel()

    return CudaToolkitStatus(
        cuda_path=cuda_path,
        nvcc=nvcc,
        runtime_version=runtime_version,
        curand_include=curand_include,
        curand_library=curand_library,
    )


def reset_device():
    """Undo `select_device`: runtime device, Brian2's default dt, our prefs restored.

    Preferences that this module did not set are left as they are.
    """
    _restore_prefs()
    _reinit_devices()
    brian2.set_device("runtime")
    defaultclock.dt = 0.1 * ms


def select_device(
    name,
    build_dir,
    *,
    threads=1,
    make_jobs=None,
    cuda_compute_capability=9.0,
    precision="double",
):
    """Reset Brian2 and make ``name`` the active device.

    Standalone devices are set with ``build_on_run=False``: build the project with
    `build_and_run` after the last ``run`` call.

    Parameters
    ----------
    name : str
        One of `DEVICES`.
    build_dir : str or os.PathLike
        Directory for the generated project and the Cython cache (in
        ``build_dir/cython_cache``). Use a separate one per parallel worker.
    threads : int, optional
        OpenMP threads for ``cpp_standalone``; 1 turns OpenMP off. The other
        devices ignore it.
    make_jobs : int, optional
        Cap for ``make -j`` of standalone builds; defaults to the number of CPUs
        this process may use.
    cuda_compute_capability : float, optional
        GPU architecture the CUDA code is compiled for (9.0 is the H100/H200).
    precision : {"double", "single"}, optional
        Storage of every floating-point state variable (`PRECISIONS`). The
        generated C++ then declares its intermediate values in the same
        precision; an expression with a double term (a constant, ``dt``) is
        evaluated in double and rounded where it is assigned.

    Raises
    ------
    ValueError
        For an unknown name or precision, or a bad ``threads``, ``make_jobs``
        or compute capability.
    RuntimeError
        For ``cuda_standalone`` when nvcc or cuRAND is missing.
    """
    if name not in DEVICES:
        raise ValueError(
            f"Invalid device name {name!r}. Use one of {', '.join(map(repr, DEVICES))}."
        )
    check_precision(precision)
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"Invalid threads {threads!r}: use an integer >= 1.")
    if make_jobs is None:
        make_jobs = len(os.sched_getaffinity(0))
    if not isinstance(make_jobs, int) or make_jobs < 1:
        raise ValueError(f"Invalid make_jobs {make_jobs!r}: use an integer >= 1.")
    cuda_status = None
    if name == "cuda_standalone":
        cuda_status = _check_cuda(cuda_compute_capability)

    build_dir = Path(build_dir).resolve()
    build_dir.mkdir(parents=True, exist_ok=True)

    # Start from the runtime device with none of our earlier preferences, keeping
    # defaultclock.dt, which set_device carries from one device to the next.
    _restore_prefs()
    _reinit_devices()
    brian2.set_device("runtime")

    _set_pref("codegen.runtime.cython.cache_dir", str(build_dir / "cython_cache"))
    _set_pref("devices.cpp_standalone.extra_make_args_unix", [f"-j{make_jobs}"])
    openmp = threads if name == "cpp_standalone" and threads > 1 else 0
    _set_pref("devices.cpp_standalone.openmp_threads", openmp)
    # NOTE: single precision on cuda_standalone compiles with nvcc, but no GPU
    # has run it yet.
    set_precision(precision)

    if name in _RUNTIME_TARGETS:
        _set_pref("codegen.target", _RUNTIME_TARGETS[name])
        return
    environment = "devices.cpp_standalone.run_environment_variables"
    _set_pref(environment, {**prefs[environment], **RUN_ENVIRONMENT})
    if name == "cpp_standalone":
        _set_pref("codegen.cpp.extra_compile_args_gcc", list(VECTOR_FLAGS))
    if name == "cuda_standalone":
        _set_cuda_prefs(build_dir, cuda_status, float(cuda_compute_capability))

    # A standalone device keeps generated code objects until reinit. Clearing them
    # lets a second select_device in one process start from an empty project.
    all_devices[name].reinit()
    brian2.set_device(name, build_on_run=False)


def set_precision(precision):
    """Store the floating-point state of objects created from now on in ``precision``.

    One of `PRECISIONS`; `reset_device` goes back to Brian2's default.

    Raises
    ------
    ValueError
        For an unknown precision.
    """
    check_precision(precision)
    _set_pref("core.default_float_dtype", PRECISIONS[precision])


def check_precision(precision):
    """Raise ValueError unless ``precision`` is one of `PRECISIONS`."""
    if precision not in PRECISIONS:
        raise ValueError(
            f"Invalid precision {precision!r}. Use one of "
            f"{', '.join(map(repr, PRECISIONS))}."
        )


def check_run_args_names(run_args):
    """Reject ``run_args`` whose file names brian2cuda would lower-case.

    brian2cuda 1.0a7 lower-cases every ``run_args`` value before opening it, while
    Brian2 writes array values to ``static_arrays/init_<group>_<variable>_<md5>.dat``
    with the names as given. A capital letter in a group, TimedArray or variable name
    therefore points the binary at a file that does not exist.

    Parameters
    ----------
    run_args : Mapping or Sequence or None
        As for ``device.build``: ``{group.variable: value}`` or ``{timed_array:
        values}``, or strings ``"group.variable=value"``.

    Raises
    ------
    ValueError
        Naming the first name or path with a capital letter.
    """
    if run_args is None:
        return
    if isinstance(run_args, Mapping):
        names = [_run_arg_name(key) for key in run_args]
    elif isinstance(run_args, Sequence) and not isinstance(run_args, str):
        names = []
        for arg in run_args:
            name, _, value = str(arg).partition("=")
            names.append(name)
            # The C++ code reads a value starting with '-' or a digit as a number.
            # Anything else is a file path, which it lower-cases.
            if value and not re.match(r"[-0-9]", value):
                names.append(value)
    else:
        raise TypeError(
            "run_args must be a mapping or a list of 'name=value' strings, got "
            f"{type(run_args).__name__}."
        )
    for name in names:
        if name != name.lower():
            raise ValueError(
                f"run_args name {name!r} contains capital letters, but "
                "cuda_standalone lower-cases run_args file paths, so the binary "
                "would not find the file. Give the object (name=...) and its "
                "variables lower-case names."
            )


def build_and_run(build_dir, *, compile=True, run=True, run_args=None, **kwargs):
    """Build, compile and run the standalone project; do nothing on runtime devices.

    Parameters
    ----------
    build_dir : str or os.PathLike
        Directory to write the project to; Brian2 2.8.0 ignores the one given to
        ``set_device`` when ``device.build`` is called explicitly.
    compile, run : bool, optional
        Whether to compile the project and whether to run the binary.
    run_args : Mapping or Sequence, optional
        Values to set at the start of the binary, see ``device.build``. Checked
        with `check_run_args_names` on ``cuda_standalone``.
    **kwargs
        Passed on to ``device.build`` (e.g. ``with_output=False``).

    Returns
    -------
    dict
        ``{"compile_s": seconds spent in make or None, "run_s": seconds the binary
        ran or None}``; both None on runtime devices.
    """
    device = get_device()
    if device is all_devices["runtime"]:
        return {"compile_s": None, "run_s": None}
    if device is all_devices.get("cuda_standalone"):
        check_run_args_names(run_args)

    device.build(
        directory=str(Path(build_dir).resolve()),
        compile=compile,
        run=run,
        run_args=run_args,
        **kwargs,
    )
    return {
        "compile_s": device.timers["compile"]["make"],
        "run_s": device.timers["run_binary"],
    }


#: File in a build directory that records the sources its binary was made from.
_COMPILED_STAMP = ".compiled_sources"
_SOURCE_SUFFIXES = {".cpp", ".h", ".hpp", ".cu", ".cuh"}
_DATA_DIRS = {"static_arrays", "results", "cython_cache"}


def build_cached(build_dir):
    """Generate the standalone project; compile it only if its sources changed.

    Brian2 rewrites every source file on each build, so ``make`` alone would
    recompile everything. Here the generated sources (not the data in
    ``static_arrays/``, which ``run_args`` replace) are hashed and compared
    with the hashes of the last compile in this directory. When they match,
    the existing binary is kept. A failed compile is retried once from clean,
    because an interrupted earlier build can leave broken object files. Run
    the binary afterwards with ``device.run``.

    Returns
    -------
    dict
        ``{"compile_s": seconds spent in make (0 when reused), "reused": bool,
        "changed": names of the source files that differed}``.
    """
    build_dir = Path(build_dir).resolve()
    device = get_device()
    device.build(directory=str(build_dir), compile=False, run=False)
    hashes = _source_hashes(build_dir)
    stamp = build_dir / _COMPILED_STAMP
    previous = json.loads(stamp.read_text()) if stamp.exists() else {}
    changed = sorted(set(hashes.items()) ^ set(previous.items()))
    if (build_dir / "main").exists() and not changed:
        return {"compile_s": 0.0, "reused": True, "changed": []}

    stamp.unlink(missing_ok=True)
    compiler, _ = brian2.devices.cpp_standalone.device.get_compiler_and_args()
    try:
        device.compile_source(str(build_dir), compiler, False, False)
    except RuntimeError:
        device.compile_source(str(build_dir), compiler, False, True)
    stamp.write_text(json.dumps(hashes, indent=0, sort_keys=True))
    return {
        "compile_s": device.timers["compile"]["make"],
        "reused": False,
        "changed": sorted({name for name, _ in changed}),
    }


def _source_hashes(build_dir: Path) -> dict[str, str]:
    """Hash each generated source file and the makefile of a standalone project."""
    hashes = {}
    for path in sorted(build_dir.rglob("*")):
        relative = path.relative_to(build_dir)
        generated = path.suffix in _SOURCE_SUFFIXES or path.name == "makefile"
        if not path.is_file() or not generated or relative.parts[0] in _DATA_DIRS:
            continue
        # Brian2 writes some statements (the clock resets in main.cpp) in the
        # iteration order of a set, which changes between Python processes.
        # Hashing the sorted lines makes the hash independent of that order.
        lines = sorted(path.read_bytes().splitlines())
        hashes[str(relative)] = hashlib.sha256(b"\n".join(lines)).hexdigest()
    return hashes


def _check_cuda(compute_capability):
    """Validate the compute capability and return a ready `CudaToolkitStatus`."""
    if isinstance(compute_capability, bool) or not isinstance(
        compute_capability, float | int
    ):
        raise ValueError(
            f"Invalid cuda_compute_capability {compute_capability!r}: use a number "
            "such as 9.0."
        )
    if compute_capability < 5.0:
        raise ValueError(
            f"Invalid cuda_compute_capability {compute_capability!r}: brian2cuda "
            "supports 5.0 and above."
        )
    status = cuda_toolkit_status()
    if not status.ready:
        raise RuntimeError(f"Cannot select cuda_standalone: {status.reason}.")
    return status


def _set_cuda_prefs(build_dir, status, compute_capability):
    """Set the brian2cuda preferences for code generation without a GPU present."""
    # Importing brian2cuda registers the cuda_standalone device and its preferences.
    import brian2cuda  # noqa: F401
    from brian2cuda.utils import gputools

    backend = "devices.cuda_standalone.cuda_backend."
    _set_pref(backend + "cuda_path", str(status.cuda_path))
    _set_pref(backend + "cuda_runtime_version", status.runtime_version)
    # With detect_gpus=True brian2cuda runs nvidia-smi and deviceQuery, which fail
    # on a machine without a GPU. With False it needs all three of the following.
    _set_pref(backend + "detect_gpus", False)
    _set_pref(backend + "compute_capability", compute_capability)
    _set_pref(backend + "gpu_id", 0)
    # brian2cuda caches the detected toolkit and GPU in module globals. Dropping
    # them makes the preferences above take effect.
    gputools.reset_cuda_installation()
    gputools.reset_gpu_selection()

    # brian2cuda 1.0a7's makefile template hard-codes "nvcc -std=c++11 ...
    # <extra_compile_args_nvcc> -Xcompiler <gcc flags>". CUDA 13's Thrust/CUB
    # headers need C++17. nvcc uses the last -std it is given, so -std=c++17 in
    # extra_compile_args_nvcc wins over the template's (nvcc warns about the
    # redefinition). The -Xcompiler flags reach g++ after nvcc's own -std, so they
    # must ask for C++17 too. No makefile patch is needed.
    nvcc_args = prefs[backend + "extra_compile_args_nvcc"]
    _set_pref(backend + "extra_compile_args_nvcc", [*nvcc_args, "-std=c++17"])
    gcc_args = prefs["codegen.cpp.extra_compile_args_gcc"]
    gcc_args = [a for a in gcc_args if not a.startswith("-std=")] + ["-std=c++17"]
    _set_pref("codegen.cpp.extra_compile_args_gcc", gcc_args)

    # The makefile links with a bare "-lcurand", but the wheel ships only
    # libcurand.so.10. A symbolic link named libcurand.so in the build directory
    # satisfies the linker without touching the installed package. The run path
    # points the binary at the wheel's directory, where the loader finds the .so.10.
    link_dir = build_dir / "curand_lib"
    link_dir.mkdir(exist_ok=True)
    link = link_dir / "libcurand.so"
    target = min(status.curand_library.glob("libcurand.so*"), key=lambda p: len(p.name))
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)

    lib_dirs = [str(link_dir), str(status.curand_library)]
    _append_pref("codegen.cpp.include_dirs", [str(status.curand_include)])
    _append_pref("codegen.cpp.library_dirs", lib_dirs)
    _append_pref("codegen.cpp.runtime_library_dirs", [str(status.curand_library)])


def _run_arg_name(key):
    """Return ``group.variable`` (or ``timed_array.values``) for a run_args key."""
    if isinstance(key, brian2.TimedArray):
        return f"{key.name}.values"
    group_name = getattr(key, "group_name", None)
    var_name = getattr(key, "name", None)
    if group_name is None or var_name is None:
        raise TypeError(
            "run_args keys must be group variables (e.g. 'group.v') or TimedArrays, "
            f"got {type(key).__name__}."
        )
    return f"{group_name}.{var_name}"


def _find_cuda_path():
    """Return the first CUDA toolkit root with bin/nvcc and headers, or None."""
    candidates = [os.environ.get("CUDA_PATH"), os.environ.get("CUDA_HOME")]
    nvcc_on_path = shutil.which("nvcc")
    if nvcc_on_path is not None:
        candidates.append(str(Path(nvcc_on_path).resolve().parent.parent))
    candidates.append("/usr/local/cuda")
    for candidate in candidates:
        if not candidate:
            continue
        root = Path(candidate).resolve()
        nvcc = root / "bin" / "nvcc"
        if nvcc.is_file() and (root / "include" / "cuda_runtime.h").is_file():
            return root
    return None


def _nvcc_release(nvcc):
    """Return the release in ``nvcc --version`` ("release 13.0, ...") or None."""
    try:
        result = subprocess.run(
            [str(nvcc), "--version"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"release (\d+\.\d+)", result.stdout)
    return float(match.group(1)) if match else None


def _find_curand_wheel():
    """Return (include dir, library dir) of the nvidia-curand wheel, or Nones."""
    try:
        dist = importlib.metadata.distribution(_CURAND_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None, None
    include, library = None, None
    for file in dist.files or []:
        if file.name == "curand.h":
            include = Path(dist.locate_file(file)).parent
        elif file.name.startswith("libcurand.so"):
            library = Path(dist.locate_file(file)).parent
    if include is None or library is None:
        return None, None
    return include, library


def _reinit_devices():
    """Clear the state of the active device and of every standalone device."""
    get_device().reinit()
    for name in STANDALONE_DEVICES:
        if name in all_devices:
            all_devices[name].reinit()


def _set_pref(name, value):
    """Set a preference, remembering its value before the first change."""
    if name not in _saved_prefs:
        old = prefs[name]
        _saved_prefs[name] = list(old) if isinstance(old, list) else old
    prefs[name] = value


def _append_pref(name, values):
    """Add ``values`` to a list preference, skipping those already there."""
    current = list(prefs[name])
    _set_pref(name, current + [v for v in values if v not in current])


def _restore_prefs():
    """Put back every preference changed by `_set_pref`."""
    for name, value in _saved_prefs.items():
        prefs[name] = value
    _saved_prefs.clear()
