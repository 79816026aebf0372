"""Argument types and options shared by the model command lines."""

import argparse
from collections.abc import Callable, Sequence

from . import devices
from .spec import NetworkSpec
from .training import CheckpointError, check_saved_layers
from .workers import run_seeds

__all__ = [
    "positive_int",
    "non_negative_int",
    "add_device_option",
    "add_block_options",
    "add_run_options",
    "add_seed_options",
    "training_arguments",
    "check_saved_layers_or_exit",
    "run_seeds_or_exit",
]


def _integer_at_least(text: str, minimum: int) -> int:
    """Parse ``text`` as an integer >= ``minimum`` or raise an argparse error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid value {text!r}: expected an integer >= {minimum}"
        ) from None
    if value < minimum:
        raise argparse.ArgumentTypeError(
            f"invalid value {value}: expected >= {minimum}"
        )
    return value


def positive_int(text: str) -> int:
    """Parse a command-line integer that must be 1 or more."""
    return _integer_at_least(text, 1)


def non_negative_int(text: str) -> int:
    """Parse a command-line integer that must be 0 or more."""
    return _integer_at_least(text, 0)


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--device`` and ``--precision`` of a command's simulation."""
    parser.add_argument(
        "--device",
        choices=devices.DEVICES,
        default="cpp_standalone",
        help="Brian2 device (default: cpp_standalone)",
    )
    parser.add_argument(
        "--precision",
        choices=tuple(devices.PRECISIONS),
        default="double",
        help="storage of the floating-point state (default double; single as "
        "the reference implementation, faster for large networks)",
    )


def add_block_options(parser: argparse.ArgumentParser, zero_error: str) -> None:
    """Add ``--block-epochs`` and ``--zero-stop``; ``zero_error`` names such epochs."""
    parser.add_argument(
        "--block-epochs",
        type=positive_int,
        default=5,
        help="epochs per Brian2 run and per checkpoint (default 5)",
    )
    parser.add_argument(
        "--zero-stop",
        type=positive_int,
        default=5,
        help=f"stop after this many {zero_error} epochs in a row (default 5)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--build-dir``, ``--fresh``, ``--quiet`` and ``--save-activity``."""
    parser.add_argument(
        "--build-dir",
        default=None,
        help="standalone project directory (default DIR/build); a later run "
        "with the same network reuses its compiled binary",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="ignore an existing checkpoint in --out and start over",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--save-activity",
        nargs="+",
        default=[],
        metavar="LAYER",
        help="write these layers' act_m and act_p of every trial to an activity "
        "folder in DIR (models.activity.load_activity reads them)",
    )


def add_seed_options(parser: argparse.ArgumentParser, summary: str) -> None:
    """Add ``--seeds`` and ``--jobs``; ``summary`` describes DIR/seeds.csv."""
    parser.add_argument(
        "--seeds",
        type=positive_int,
        default=1,
        help="number of seeds, from --seed on; with more than one, each seed "
        f"writes to DIR/seed_<k>/ and DIR/seeds.csv {summary}",
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="parallel worker processes for --seeds (one simulation per core)",
    )


def training_arguments(options: dict, build_dir) -> dict:
    """Return the keyword arguments of `models.training.train` for one seed.

    ``options`` is a parsed command line as a dict (``vars(args)``) with
    ``--epochs`` and the options of `add_device_option`, `add_block_options`
    and `add_run_options`. ``build_dir`` is the worker's build directory.
    """
    return {
        "epochs": options["epochs"],
        "device_name": options["device"],
        "precision": options["precision"],
        "block_epochs": options["block_epochs"],
        "zero_stop": options["zero_stop"],
        "resume": not options["fresh"],
        "build_dir": build_dir,
        "progress": not options["quiet"],
        "save_activity": tuple(options["save_activity"]),
    }


def check_saved_layers_or_exit(
    parser: argparse.ArgumentParser, spec: NetworkSpec, layers: Sequence[str]
) -> None:
    """End the command with a usage error if ``--save-activity`` names an invalid layer.

    Checked before any worker starts, so that a typo costs no simulation.
    """
    try:
        check_saved_layers(spec, layers, out=".")
    except ValueError as error:
        parser.error(f"--save-activity: {error}")


def run_seeds_or_exit(
    parser: argparse.ArgumentParser,
    function: Callable,
    options: dict,
    seeds: Sequence[int],
    out,
    jobs: int,
    build_dir=None,
) -> list:
    """Return `models.workers.run_seeds` of a command's seeds.

    A checkpoint in the output directory that cannot resume the run (other
    settings, or an older version of the network code) ends the command with
    its message and exit status 2, like an invalid option, instead of a
    traceback.
    """
    try:
        return run_seeds(function, options, seeds, out, jobs, build_dir)
    except CheckpointError as error:
        parser.exit(2, f"{parser.prog}: error: {error} Or pass --fresh.\n")
