"""Registry of the study's figures, their output paths and atomic file writing.

A figure is one module in ``analysis/`` with three functions:

* ``simulate(settings)`` runs the Brian2 simulations and returns the raw
  results as a dict of pandas DataFrames, keyed by table name.
* ``tabulate(results)`` returns the tidy table written beside the figure.
* ``draw(results)`` returns a `matplotlib.figure.Figure`.

``tabulate`` and ``draw`` only read the results, so a figure is redrawn from
saved tables without simulating again. To add a figure, write such a module
and give its entry in `FIGURES` the module name. A module whose training runs
checkpoint names their directory below the build directory in ``RUNS_DIR``,
so that ``make_figure(..., fresh=True)`` can start them over.

For a figure ``NAME`` and an output directory ``DIR`` the files are
``DIR/NAME.png``, ``DIR/NAME.pdf`` and ``DIR/NAME.csv``, the raw results are
``DIR/data/NAME/<table>.csv`` with the run settings in
``DIR/data/NAME/run.json``, and simulations build in ``DIR/build``. Every file
is written to a temporary file in its directory and then moved into place with
`os.replace`, so an interrupted run never leaves a truncated file.
"""

from __future__ import annotations

import importlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd

from models.files import write_atomic, write_csv

__all__ = [
    "FIGURES",
    "SCALES",
    "FigureEntry",
    "FigureError",
    "FigurePaths",
    "SimulationSettings",
    "check_output_dir",
    "load_results",
    "make_figure",
    "save_results",
    "write_atomic",
    "write_csv",
    "write_figure",
]

#: Sizes of a run: ``tiny`` for the tests (seconds), ``quick`` the default
#: (minutes on a 2-core machine) and ``full`` the largest, with the study's
#: sizes for the figures that simulate its networks.
SCALES = ("tiny", "quick", "full")


class FigureError(Exception):
    """Raised for a figure that cannot be produced as requested (bad name, no data)."""


@dataclass(frozen=True)
class FigureEntry:
    """One figure of the study in the registry.

    Attributes
    ----------
    name : str
        Name on the command line and stem of the output files.
    description : str
        One line on what the figure shows.
    module : str or None
        Dotted name of the module that implements the figure, or None while
        the figure is planned but not built.
    """

    name: str
    description: str
    module: str | None = None

    @property
    def built(self) -> bool:
        """Whether the figure has an implementation."""
        return self.module is not None

    def load(self) -> ModuleType:
        """Import and return the figure's module.

        Raises
        ------
        FigureError
            If the figure is not built yet.
        """
        if self.module is None:
            raise FigureError(
                f"Figure '{self.name}' is not built yet ({self.description}). "
                f"Built figures: {', '.join(built_figure_names())}."
            )
        return importlib.import_module(self.module)


#: The study's figures, in the order of the study. A new figure needs one entry
#: here, with the name of its module.
FIGURES = {
    entry.name: entry
    for entry in (
        FigureEntry(
            "xcal",
            "XCAL dWt against the short-term co-activity x, for several thresholds",
            "analysis.xcal_curve",
        ),
        FigureEntry(
            "threshold",
            "the floating threshold makes dWt follow the plus-minus rate difference",
            "analysis.threshold",
        ),
        FigureEntry(
            "stabilization",
            "NMDA and GABA-B stabilise a sparse firing pattern",
            "analysis.stabilization",
        ),
        FigureEntry(
            "mnist",
            "spiking XCAL network on MNIST against rate-code and backprop",
            "analysis.mnist_figure",
        ),
        FigureEntry(
            "predictive",
            "predictive learning of a finite-state grammar",
            "analysis.predictive",
        ),
    )
}


def built_figure_names() -> list[str]:
    """Return the names of the figures that have an implementation."""
    return [name for name, entry in FIGURES.items() if entry.built]


@dataclass(frozen=True)
class SimulationSettings:
    """Settings of a figure's simulations: size, device, seeds and output.

    Attributes
    ----------
    scale : str
        One of `SCALES`.
    device : str
        A device name of `models.devices.DEVICES`.
    seeds : tuple of int
        Random seeds, each one independent repetition.
    build_dir : Path
        Directory for standalone projects and the Cython cache.
    report : str or None
        Brian2's ``report`` argument of ``run`` (``"text"`` prints progress).
    jobs : int
        Worker processes for independent simulations (`models.workers`),
        ideally no more than the CPU cores. With 1, everything runs in this
        process.
    """

    scale: str = "quick"
    device: str = "runtime"
    seeds: tuple[int, ...] = (0,)
    build_dir: Path = Path("build")
    report: str | None = None
    jobs: int = 1

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(
                f"Invalid scale {self.scale!r}: use one of {', '.join(SCALES)}."
            )
        if len(self.seeds) == 0:
            raise ValueError("Invalid seeds (): give at least one seed.")
        if self.jobs < 1:
            raise ValueError(f"Invalid jobs={self.jobs}: use at least 1 process.")


@dataclass(frozen=True)
class FigurePaths:
    """Files of one figure below an output directory."""

    out_dir: Path
    name: str

    @property
    def png(self) -> Path:
        """The raster image."""
        return self.out_dir / f"{self.name}.png"

    @property
    def pdf(self) -> Path:
        """The vector image."""
        return self.out_dir / f"{self.name}.pdf"

    @property
    def csv(self) -> Path:
        """The tidy table of the values the figure shows."""
        return self.out_dir / f"{self.name}.csv"

    @property
    def data_dir(self) -> Path:
        """Directory of the raw simulation results, one CSV file per table."""
        return self.out_dir / "data" / self.name

    @property
    def build_dir(self) -> Path:
        """Directory for standalone projects and the Cython cache."""
        return self.out_dir / "build"

    @property
    def outputs(self) -> tuple[Path, Path, Path]:
        """The three files of the figure: PNG, PDF and CSV."""
        return (self.png, self.pdf, self.csv)


def check_output_dir(path) -> Path:
    """Create the output directory if needed and check that files can be written.

    Returns
    -------
    Path
        The directory, resolved.

    Raises
    ------
    FigureError
        If the path is a file, lies below a file, or is not writable.
    """
    directory = Path(path).expanduser()
    if directory.exists() and not directory.is_dir():
        raise FigureError(
            f"Invalid output directory '{path}': it is a file. Choose a directory "
            "with --out."
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise FigureError(
            f"Invalid output directory '{path}': cannot write there ({reason}). "
            "Choose a writable directory with --out."
        ) from error
    return directory.resolve()


def write_figure(figure, paths: FigurePaths, *, dpi: int = 150) -> None:
    """Save a matplotlib figure as PNG and PDF, each atomically."""
    for path, file_format in ((paths.png, "png"), (paths.pdf, "pdf")):
        write_atomic(
            path,
            lambda file, fmt=file_format: figure.savefig(file, format=fmt, dpi=dpi),
            binary=True,
        )


def save_results(
    results: dict[str, pd.DataFrame], paths: FigurePaths, settings: SimulationSettings
) -> None:
    """Save raw results as ``data/NAME/<table>.csv`` and the settings as run.json."""
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    for table, frame in results.items():
        write_csv(frame, paths.data_dir / f"{table}.csv")
    record = asdict(settings)
    record["build_dir"] = str(settings.build_dir)
    record["tables"] = sorted(results)
    write_atomic(
        paths.data_dir / "run.json",
        lambda file: json.dump(record, file, indent=2),
        binary=False,
    )


def load_results(paths: FigurePaths) -> dict[str, pd.DataFrame]:
    """Read the raw results saved by `save_results`.

    Raises
    ------
    FigureError
        If no complete set of results is saved for the figure.
    """
    record_path = paths.data_dir / "run.json"
    hint = "run the command without --redraw to simulate it first"
    if not record_path.is_file():
        raise FigureError(
            f"No saved results for figure '{paths.name}' in {paths.data_dir}: {hint}."
        )
    tables = json.loads(record_path.read_text(encoding="utf-8"))["tables"]
    results = {}
    for table in tables:
        table_path = paths.data_dir / f"{table}.csv"
        if not table_path.is_file():
            raise FigureError(
                f"Missing result table {table_path} of figure '{paths.name}': {hint}."
            )
        results[table] = pd.read_csv(table_path)
    return results


def make_figure(
    entry: FigureEntry,
    out_dir: Path,
    settings: SimulationSettings,
    *,
    redraw: bool = False,
    fresh: bool = False,
    log: Callable[[str], None] = print,
) -> FigurePaths:
    """Simulate (unless ``redraw``), then write a figure's PNG, PDF and CSV.

    Parameters
    ----------
    entry : FigureEntry
        The figure.
    out_dir : Path
        Output directory, already checked with `check_output_dir`.
    settings : SimulationSettings
        Scale, device, seeds and build directory of the simulations.
    redraw : bool
        Draw from the results saved by an earlier run instead of simulating.
    fresh : bool
        Remove the checkpoints of the figure's training runs (the module's
        ``RUNS_DIR`` below the build directory) before simulating, so that
        they start over. Compiled projects are kept.
    log : callable
        Receives one line per step, for progress output.

    Returns
    -------
    FigurePaths
        Where the files were written.
    """
    module = entry.load()
    paths = FigurePaths(out_dir, entry.name)
    if redraw:
        log(f"{entry.name}: reading saved results from {paths.data_dir}")
        results = load_results(paths)
        record = json.loads((paths.data_dir / "run.json").read_text(encoding="utf-8"))
        log(
            f"{entry.name}: results of scale '{record['scale']}' on "
            f"{record['device']}, seeds {record['seeds']}"
        )
    else:
        runs_dir = getattr(module, "RUNS_DIR", None)
        if fresh and runs_dir is not None:
            checkpoints = Path(settings.build_dir) / runs_dir
            log(f"{entry.name}: removing the checkpoints in {checkpoints}")
            shutil.rmtree(checkpoints, ignore_errors=True)
        log(
            f"{entry.name}: simulating at scale '{settings.scale}' on "
            f"{settings.device}, seeds {list(settings.seeds)}"
        )
        results = module.simulate(settings)
        save_results(results, paths, settings)

    log(f"{entry.name}: drawing")
    write_csv(module.tabulate(results), paths.csv)
    figure = module.draw(results)
    write_figure(figure, paths)
    log(f"{entry.name}: wrote {paths.png}, {paths.pdf} and {paths.csv}")
    return paths
