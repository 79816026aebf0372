"""Encode 28x28 images as input-layer activities in [0, 1].

Each value sets the clamp strength of one input neuron, so every encoding returns
float32 features in [0, 1], one row per image.

``"pixels"``
    The 784 pixel intensities themselves (:func:`encode_pixels`).
``"gabor"``
    V1-like oriented edge features (:class:`GaborEncoder`, :func:`encode_gabor`).
    Each image is filtered with even-phase Gabor kernels at several orientations,
    each response is split into an on map (positive part) and an off map
    (negative part), and each map is pooled to a coarser grid. With the defaults
    (4 orientations, 2 polarities, 4x4 max pooling to 7x7) there are
    4 x 2 x 7 x 7 = 392 features per image.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve
from skimage.filters import gabor_kernel
from skimage.measure import block_reduce
from sklearn.base import BaseEstimator, TransformerMixin

from models.tasks.mnist import IMAGE_SIDE, N_PIXELS, DigitSplit

ENCODINGS = ("pixels", "gabor")

_POOL_FUNCTIONS = {"max": np.max, "mean": np.mean}

# Images are filtered in chunks of this many so that the FFT buffers stay bounded
# whatever the number of images (peak about 170 MB, measured with tracemalloc for
# 4,000 images at the default parameters).
_CHUNK_SIZE = 500


def encode_pixels(images: np.ndarray) -> np.ndarray:
    """Check that images are intensities in [0, 1] and flatten them.

    Parameters
    ----------
    images : numpy.ndarray
        Shape (n, 784) or (n, 28, 28), values in [0, 1].

    Returns
    -------
    numpy.ndarray
        float32 of shape (n, 784), a copy of the input.
    """
    return _as_image_stack(images).reshape(-1, N_PIXELS).astype(np.float32)


class GaborEncoder(TransformerMixin, BaseEstimator):
    """V1-like on/off Gabor features, scaled to [0, 1] per feature map.

    :meth:`fit` stores, for each (orientation, polarity) map, the maximum pooled
    response over the fitting images. :meth:`transform` divides by that maximum
    and clips to [0, 1], so training and test images share one scale. Fit on the
    training images only.

    Parameters
    ----------
    n_orientations : int
        Number of kernel orientations. Orientation ``i`` has
        ``theta = i * 180 / n_orientations`` degrees as in
        ``skimage.filters.gabor_kernel``, where theta = 0 varies along the image
        columns and so responds most to vertical bars.
    frequency : float
        Spatial frequency of the kernels, in cycles per pixel. The default 0.25
        (a 4-pixel period) matches MNIST strokes, which are 2-3 pixels wide.
    bandwidth : float
        Bandwidth of the kernels in octaves, as in ``skimage.filters.gabor_kernel``.
        It sets the Gaussian envelope (sigma about 2.2 pixels at the defaults).
    pool_size : int
        Side of the square pooling blocks, in pixels. The pooled grid side is
        ``ceil(28 / pool_size)``. Blocks that overhang the image are padded with
        zeros, which lowers the mean-pooled values of the last row and column of
        blocks when ``pool_size`` does not divide 28.
    pool : {"max", "mean"}
        Pooling function over each block.
    saturation : float
        Fraction of a map's maximum at which its features reach 1. At 1 only
        the strongest response of the fitting images gives 1, and most
        features stay small (mean 0.12 over the default training digits).
        Spiking input neurons respond to their clamp with a threshold, so weak
        features send few spikes. The default 0.5 lets the strong half of each
        map drive the input layer fully (mean 0.23).

    Attributes
    ----------
    kernels_ : numpy.ndarray
        Zero-mean real Gabor kernels, shape (n_orientations, k, k).
    scale_ : numpy.ndarray
        ``saturation`` times the maximum pooled response per map over the
        fitting images, shape (n_orientations, 2). A map that is zero on every
        fitting image has scale 1, so it stays zero.
    """

    def __init__(
        self,
        n_orientations: int = 4,
        frequency: float = 0.25,
        bandwidth: float = 1.0,
        pool_size: int = 4,
        pool: str = "max",
        saturation: float = 0.5,
    ):
        self.n_orientations = n_orientations
        self.frequency = frequency
        self.bandwidth = bandwidth
        self.pool_size = pool_size
        self.pool = pool
        self.saturation = saturation

    @property
    def output_shape(self) -> tuple[int, int, int, int]:
        """Shape of one image's features before flattening.

        The axes are (orientation, polarity, row, column), polarity 0 being on and
        1 being off. Flattened rows of :meth:`transform` use this C order.
        """
        side = -(-IMAGE_SIDE // self.pool_size)
        return (self.n_orientations, 2, side, side)

    @property
    def n_features(self) -> int:
        """Number of features per image."""
        return int(np.prod(self.output_shape))

    def fit(self, images: np.ndarray, y=None) -> GaborEncoder:
        """Build the kernels and store the per-map scale of ``images``.

        Parameters
        ----------
        images : numpy.ndarray
            Shape (n, 784) or (n, 28, 28), values in [0, 1].
        y : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        GaborEncoder
            ``self``.
        """
        self._fit_scale(self._pooled_responses(images))
        return self

    def transform(self, images: np.ndarray) -> np.ndarray:
        """Compute scaled features of ``images``.

        Parameters
        ----------
        images : numpy.ndarray
            Shape (n, 784) or (n, 28, 28), values in [0, 1].

        Returns
        -------
        numpy.ndarray
            float32 of shape (n, n_features), values in [0, 1].
        """
        if not hasattr(self, "scale_"):
            raise RuntimeError(
                "GaborEncoder.transform called before fit; call fit on the "
                "training images first."
            )
        return self._scale(self._pooled_responses(images))

    def fit_transform(self, images: np.ndarray, y=None) -> np.ndarray:
        """Fit on ``images`` and return their features, filtering them only once.

        Parameters
        ----------
        images : numpy.ndarray
            Shape (n, 784) or (n, 28, 28), values in [0, 1].
        y : ignored
            Present for scikit-learn compatibility.

        Returns
        -------
        numpy.ndarray
            float32 of shape (n, n_features), values in [0, 1].
        """
        pooled = self._pooled_responses(images)
        self._fit_scale(pooled)
        return self._scale(pooled)

    def _check_params(self) -> None:
        if not (isinstance(self.n_orientations, int | np.integer)) or (
            self.n_orientations < 1
        ):
            raise ValueError(
                f"n_orientations={self.n_orientations!r} is invalid; expected a "
                "positive integer such as 4."
            )
        if not 0 < self.frequency <= 0.5:
            raise ValueError(
                f"frequency={self.frequency!r} cycles/pixel is invalid; expected a "
                "value in (0, 0.5], the Nyquist limit, such as 0.25."
            )
        if not self.bandwidth > 0:
            raise ValueError(
                f"bandwidth={self.bandwidth!r} octaves is invalid; expected a "
                "positive value such as 1.0."
            )
        if not (isinstance(self.pool_size, int | np.integer)) or not (
            1 <= self.pool_size <= IMAGE_SIDE
        ):
            raise ValueError(
                f"pool_size={self.pool_size!r} is invalid; expected an integer "
                f"from 1 to {IMAGE_SIDE} pixels, such as 4."
            )
        if self.pool not in _POOL_FUNCTIONS:
            raise ValueError(
                f"pool={self.pool!r} is invalid; expected one of "
                f"{tuple(_POOL_FUNCTIONS)}."
            )
        if not 0 < self.saturation <= 1:
            raise ValueError(
                f"saturation={self.saturation!r} is invalid; expected a fraction "
                "of the map maximum in (0, 1], such as 0.5."
            )

    def _build_kernels(self) -> np.ndarray:
        # skimage sizes each kernel by the bounding box of its rotated envelope,
        # which truncates diagonal kernels at about 2.1 standard deviations where
        # axis-aligned ones reach 3. Building every kernel at 3 * sqrt(2) standard
        # deviations and cropping all of them to the theta = 0 size gives every
        # orientation the same square support. Kernel sides are odd, so the crop
        # stays centred.
        side = gabor_kernel(self.frequency, bandwidth=self.bandwidth).shape[0]
        kernels = np.empty((self.n_orientations, side, side))

        for index in range(self.n_orientations):
            theta = np.pi * index / self.n_orientations
            kernel = np.real(
                gabor_kernel(
                    self.frequency,
                    theta=theta,
                    bandwidth=self.bandwidth,
                    n_stds=3 * np.sqrt(2),
                )
            )
            start = (kernel.shape[0] - side) // 2
            kernel = kernel[start : start + side, start : start + side]

            # The even-phase kernel has a small DC component. Removing it makes
            # the interior of a uniform patch, such as a thick stroke, give no
            # response.
            kernels[index] = kernel - kernel.mean()

        return kernels

    def _pooled_responses(self, images: np.ndarray) -> np.ndarray:
        self._check_params()
        stack = _as_image_stack(images).astype(np.float64)
        self.kernels_ = self._build_kernels()

        pool_function = _POOL_FUNCTIONS[self.pool]
        block = (1, 1, 1, self.pool_size, self.pool_size)
        pooled = np.empty((len(stack), *self.output_shape), dtype=np.float32)

        for start in range(0, len(stack), _CHUNK_SIZE):
            chunk = stack[start : start + _CHUNK_SIZE]

            # One call filters every image with every kernel. The images are
            # broadcast to (n, k, 28, 28) first because mode="same" crops the
            # output to the shape of the first argument. Zero padding outside the
            # image matches MNIST's black background.
            images_by_kernel = np.broadcast_to(
                chunk[:, None], (len(chunk), len(self.kernels_), *chunk.shape[1:])
            )
            responses = fftconvolve(
                images_by_kernel, self.kernels_[None], mode="same", axes=(2, 3)
            )
            maps = np.stack(
                [np.maximum(responses, 0.0), np.maximum(-responses, 0.0)], axis=2
            )
            pooled[start : start + len(chunk)] = block_reduce(
                maps, block_size=block, func=pool_function, cval=0.0
            )

        return pooled

    def _fit_scale(self, pooled: np.ndarray) -> None:
        if len(pooled) == 0:
            raise ValueError(
                "GaborEncoder.fit needs at least one image to set the scale; "
                "received 0."
            )
        scale = self.saturation * pooled.max(axis=(0, 3, 4))
        self.scale_ = np.where(scale > 0, scale, 1.0).astype(np.float32)

    def _scale(self, pooled: np.ndarray) -> np.ndarray:
        scaled = pooled / self.scale_[None, :, :, None, None]
        return np.clip(scaled, 0.0, 1.0).reshape(len(pooled), -1).astype(np.float32)


def encode_gabor(
    images: np.ndarray,
    n_orientations: int = 4,
    frequency: float = 0.25,
    bandwidth: float = 1.0,
    pool_size: int = 4,
    pool: str = "max",
    saturation: float = 0.5,
) -> np.ndarray:
    """Compute Gabor features of ``images``, each map scaled by its own maximum.

    The scale comes from ``images`` themselves. To give test images the training
    scale, use :class:`GaborEncoder` or :func:`encode_split`. The parameters are
    those of :class:`GaborEncoder`.

    Returns
    -------
    numpy.ndarray
        float32 of shape (n, n_orientations * 2 * side * side), values in [0, 1],
        with ``side = ceil(28 / pool_size)`` (392 features at the defaults).
    """
    encoder = GaborEncoder(
        n_orientations=n_orientations,
        frequency=frequency,
        bandwidth=bandwidth,
        pool_size=pool_size,
        pool=pool,
        saturation=saturation,
    )
    return encoder.fit_transform(images)


def encode_split(
    split: DigitSplit, encoding: str = "pixels", **options
) -> tuple[np.ndarray, np.ndarray]:
    """Encode the training and test images of a split.

    For ``"gabor"`` the per-map scale is fitted on the training images and applied
    to both parts.

    Parameters
    ----------
    split : DigitSplit
        Images to encode.
    encoding : {"pixels", "gabor"}
        Encoding name.
    **options
        Parameters of :class:`GaborEncoder`. ``"pixels"`` takes none.

    Returns
    -------
    x_train, x_test : numpy.ndarray
        float32 features in [0, 1], one row per image.
    """
    if encoding == "pixels":
        if options:
            raise ValueError(
                f"encoding='pixels' takes no options; received {sorted(options)}."
            )
        return encode_pixels(split.x_train), encode_pixels(split.x_test)

    if encoding == "gabor":
        encoder = GaborEncoder(**options)
        x_train = encoder.fit_transform(split.x_train)
        return x_train, encoder.transform(split.x_test)

    raise ValueError(f"Unknown encoding {encoding!r}; expected one of {ENCODINGS}.")


def _as_image_stack(images: np.ndarray) -> np.ndarray:
    """Return images as an (n, 28, 28) array after checking shape and range."""
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == N_PIXELS:
        images = images.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise ValueError(
            f"images have shape {images.shape}; expected (n, {N_PIXELS}) or "
            f"(n, {IMAGE_SIDE}, {IMAGE_SIDE})."
        )
    if not np.issubdtype(images.dtype, np.floating):
        raise ValueError(
            f"images have dtype {images.dtype}; expected floating-point "
            "intensities in [0, 1] (divide 0-255 pixel values by 255)."
        )
    if images.size and not (images.min() >= 0.0 and images.max() <= 1.0):
        raise ValueError(
            f"image intensities span {images.min()} to {images.max()}; expected "
            "finite values in [0, 1] (divide 0-255 pixel values by 255)."
        )
    return images
