"""Regenerate the study's figures from the package's own simulations.

``python reproduce_figures.py`` simulates and draws every built figure at the
``quick`` scale and writes ``NAME.png``, ``NAME.pdf`` and ``NAME.csv`` per
figure into ``figures/``, with the raw simulation results in
``figures/data/NAME/`` and standalone builds in ``figures/build/``.
``--redraw`` draws again from those saved results without simulating, and
``--list`` names every figure of the study, built or planned.

Scales: ``quick`` (the default) takes a few minutes on a 2-core machine, and
``full`` runs the largest sizes, those of the study for the figures that
simulate its networks. A third scale, ``tiny``, runs in seconds. It
exists for the test suite, so ``--help`` leaves it out.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from analysis.figure import (
    FIGURES,
    FigureError,
    SimulationSettings,
    built_figure_names,
    check_output_dir,
    make_figure,
)
from models.devices import DEVICES
from models.training import CheckpointError

#: Scales listed in --help. The command accepts "tiny" too (see the docstring).
PUBLIC_SCALES = ("quick", "full")


def build_parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(
        description="Simulate and draw the study's figures (PNG, PDF and a CSV "
        "table of the plotted values per figure).",
        epilog="Figures: "
        + "; ".join(
            f"{name} ({'built' if entry.built else 'planned'})"
            for name, entry in FIGURES.items()
        ),
    )
    parser.add_argument(
        "--figures",
        nargs="+",
        metavar="NAME",
        choices=list(FIGURES),
        help="figures to produce (default: every built figure, see --list)",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="print each figure's name, whether it is built, and what it shows, "
        "then exit",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("figures"),
        metavar="DIR",
        help="output directory for the figures, their data (DIR/data) and builds "
        "(DIR/build), created if missing (default: figures)",
    )
    parser.add_argument(
        "--scale",
        choices=("tiny", *PUBLIC_SCALES),
        default="quick",
        metavar="{" + ",".join(PUBLIC_SCALES) + "}",
        help="size of the simulations: quick takes minutes on 2 cores, full runs "
        "the largest sizes (default: quick)",
    )
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="cpp_standalone",
        help="Brian2 device of the simulations: runtime (Cython, or numpy where "
        "Cython cannot compile), numpy, cython, cpp_standalone (needs g++) or "
        "cuda_standalone (needs nvcc and a GPU) (default: cpp_standalone)",
    )
    parser.add_argument(
        "--seeds",
        type=positive_int,
        default=1,
        metavar="N",
        help="number of random seeds (0 to N-1), each one independent "
        "repetition of a figure's simulations (default: 1)",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="worker processes for a figure's independent simulations (seeds, "
        "conditions, learners), at most one per core; each worker has its own "
        "build directory (default: the number of CPU cores)",
    )
    parser.add_argument(
        "--redraw",
        action="store_true",
        help="draw from the results saved in DIR/data by an earlier run, without "
        "simulating",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start the training runs over: remove their checkpoints (in "
        "DIR/build) before simulating, keeping the compiled projects; without "
        "it an interrupted run resumes",
    )
    return parser


def positive_int(text: str) -> int:
    """Parse an integer of at least 1 for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"invalid value '{text}': expected an integer of at least 1"
        )
    return value


def list_figures() -> None:
    """Print one line per figure: name, built or planned, description."""
    width = max(len(name) for name in FIGURES)
    for name, entry in FIGURES.items():
        status = "built  " if entry.built else "planned"
        print(f"{name:<{width}}  {status}  {entry.description}")


def main(argv=None) -> int:
    """Run the command line and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list:
        list_figures()
        return 0

    if args.fresh and args.redraw:
        parser.error(
            "--fresh and --redraw exclude each other: --redraw simulates nothing"
        )
    names = args.figures or built_figure_names()
    not_built = [name for name in names if not FIGURES[name].built]
    if not_built:
        parser.error(
            f"figure '{not_built[0]}' is not built yet. Built figures: "
            f"{', '.join(built_figure_names())}"
        )
    try:
        out_dir = check_output_dir(args.out)
    except FigureError as error:
        parser.error(str(error))

    settings = SimulationSettings(
        scale=args.scale,
        device=args.device,
        seeds=tuple(range(args.seeds)),
        build_dir=out_dir / "build",
        report="text",
        jobs=args.jobs,
    )
    started = time.perf_counter()
    for number, name in enumerate(names, start=1):
        print(f"[{number}/{len(names)}] figure '{name}'", flush=True)
        try:
            make_figure(
                FIGURES[name],
                out_dir,
                settings,
                redraw=args.redraw,
                fresh=args.fresh,
                log=lambda line: print(f"  {line}", flush=True),
            )
        except FigureError as error:
            print(f"{parser.prog}: error: {error}", file=sys.stderr)
            return 1
        except CheckpointError as error:
            print(f"{parser.prog}: error: {error} Or pass --fresh.", file=sys.stderr)
            return 1
    elapsed = time.perf_counter() - started
    print(f"Done: {len(names)} figure(s) in {out_dir} after {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
