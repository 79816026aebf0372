"""Per-trial layer activity saved beside a training run, and read back.

`models.training.train` with ``save_activity`` writes the minus- and
plus-phase activity (``act_m``, ``act_p``) of the chosen layers in every
trial to ``<out>/<prefix>activity/``, one compressed NumPy file per block of
epochs. It is what a study of the learned representations needs, such as a
linear readout of a hidden layer (`analysis.readout`). The values are stored
as float32: the activities lie in [0, 1] and float32 keeps 7 digits of
them, at half the size.

Each file is written atomically after its block, so an interrupted run
leaves whole files of the blocks before its checkpoint. A resumed run writes
the later blocks again, under the same names. A run that resumes the
checkpoint of a run without ``save_activity`` has files of the blocks it
runs only. The files keep every trial that ran. A last block can run past
the epoch limit or the stopping epoch, and the trials table drops those
epochs, so ``load_activity`` can leave them out too.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .files import write_atomic

__all__ = [
    "ACTIVITY_DIR",
    "VARIABLES",
    "LayerActivity",
    "activity_directory",
    "save_block",
    "clear",
    "load_activity",
]

#: Name of the folder, inside a run's output directory, of the activity files.
ACTIVITY_DIR = "activity"

#: The per-trial variables saved for each layer.
VARIABLES = ("act_m", "act_p")

#: Columns saved for every trial beside the activity.
TRIAL_COLUMNS = ("epoch", "trial", "pattern", "train")

_BLOCK_NAME = re.compile(r"epochs_(\d+)-(\d+)\.npz$")


@dataclass(frozen=True)
class LayerActivity:
    """One layer's activity in every saved trial, in the order of the trials.

    ``trials`` has the columns ``epoch``, ``trial``, ``pattern`` and
    ``train`` of the trials table. ``act_m`` and ``act_p`` have one row per
    trial and one column per unit.
    """

    layer: str
    trials: pd.DataFrame
    act_m: np.ndarray
    act_p: np.ndarray


def activity_directory(out, prefix: str = "") -> Path:
    """Return the folder of a run's activity files (``<out>/<prefix>activity``)."""
    return Path(out) / f"{prefix}{ACTIVITY_DIR}"


def _block_path(directory: Path, first_epoch: int, last_epoch: int) -> Path:
    return directory / f"epochs_{first_epoch:05d}-{last_epoch:05d}.npz"


def _block_files(directory: Path) -> list[tuple[int, int, Path]]:
    """Return (first epoch, last epoch, path) of the block files, in order."""
    if not directory.is_dir():
        return []
    blocks = []
    for path in directory.iterdir():
        match = _BLOCK_NAME.fullmatch(path.name)
        if match:
            blocks.append((int(match[1]), int(match[2]), path))
    return sorted(blocks)


def _write_arrays(path: Path, arrays: dict) -> None:
    """Write named arrays to a compressed ``.npz`` file, atomically."""
    write_atomic(path, lambda file: np.savez_compressed(file, **arrays), binary=True)


def save_block(directory, trials: pd.DataFrame, records: dict, layers) -> Path:
    """Write one block's trials and the activity of ``layers``; return the file.

    Parameters
    ----------
    directory : path
        The run's activity folder; created if missing.
    trials : pandas.DataFrame
        The block's rows of the trials table (at least `TRIAL_COLUMNS`).
    records : dict
        `models.network.LayeredNetwork.trial_records` of the block.
    layers : sequence of str
        The layers to save, each a key of ``records``.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {column: trials[column].to_numpy() for column in TRIAL_COLUMNS}
    for layer in layers:
        for variable in VARIABLES:
            values = np.asarray(records[layer][variable], dtype=np.float32)
            arrays[f"{layer}/{variable}"] = values
    epochs = trials["epoch"]
    path = _block_path(directory, int(epochs.min()), int(epochs.max()))
    _write_arrays(path, arrays)
    return path


def clear(directory) -> None:
    """Remove a run's activity folder, so that a fresh run leaves no old blocks."""
    shutil.rmtree(directory, ignore_errors=True)


def load_activity(
    out, layer: str, prefix: str = "", last_epoch: int | None = None
) -> LayerActivity:
    """Read one layer's saved activity of a run, every block in epoch order.

    Parameters
    ----------
    out : path
        The run's output directory (``out`` of `models.training.train`).
    layer : str
        A layer named in the run's ``save_activity``.
    prefix : str
        The run's ``table_prefix``.
    last_epoch : int, optional
        Leave out the trials after this epoch (for example the last epoch of
        the run's trials table).

    Raises
    ------
    FileNotFoundError
        When ``out`` contains no activity files.
    KeyError
        When the files contain no activity of ``layer``.
    """
    directory = activity_directory(out, prefix)
    blocks = _block_files(directory)
    if not blocks:
        others = sorted(
            path.name
            for path in Path(out).glob(f"*{ACTIVITY_DIR}")
            if path.is_dir() and path != directory
        )
        hint = (
            f" {out} contains {others}: pass the part before 'activity' as prefix."
            if others
            else ""
        )
        raise FileNotFoundError(
            f"No activity files in {directory}: train with save_activity (the "
            f"command lines' --save-activity) to write them.{hint}"
        )
    tables, act_m, act_p = [], [], []
    for _, _, path in blocks:
        with np.load(path) as block:
            if f"{layer}/act_m" not in block.files:
                saved = sorted({key.split("/")[0] for key in block.files if "/" in key})
                raise KeyError(
                    f"Layer {layer!r} not found in {path}, which contains the "
                    f"layers {saved}. Pass one of them, or train again with "
                    f"save_activity naming {layer!r}."
                )
            tables.append(pd.DataFrame({c: block[c] for c in TRIAL_COLUMNS}))
            act_m.append(block[f"{layer}/act_m"])
            act_p.append(block[f"{layer}/act_p"])
    trials = pd.concat(tables, ignore_index=True)
    trials["train"] = trials["train"].astype(bool)
    act_m, act_p = np.concatenate(act_m), np.concatenate(act_p)
    if last_epoch is not None:
        keep = (trials["epoch"] <= last_epoch).to_numpy()
        trials = trials[keep].reset_index(drop=True)
        act_m, act_p = act_m[keep], act_p[keep]
    return LayerActivity(layer, trials, act_m, act_p)
