"""Argument validation: one rule per kind of argument, one message shape.

Every check raises ``ValueError`` naming the argument, the value received and what is
allowed, and returns the value in the form the caller stores (a Python ``int``, a tuple, a
``float``), so configs stay JSON-serializable. NumPy integers count as ints.

>>> positive_int(np.int64(3), "k")
3
>>> positive_int(0, "k")
Traceback (most recent call last):
...
ValueError: `k` must be a positive int. Received: k=0
"""

import math
import numbers

import keras
import numpy as np


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def positive_int(value, name):
    """A positive int (NumPy integers included, bools not); returns a Python ``int``."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    return int(value)


def optional_positive_int(value, name, none_means="taken from the data"):
    """None, or a positive int (see :func:`positive_int`)."""
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        raise ValueError(
            f"`{name}` must be None ({none_means}) or a positive int. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def int_in_range(value, name, low, high):
    """An int with ``low <= value <= high``; returns a Python ``int``."""
    if not _is_int(value) or not low <= value <= high:
        raise ValueError(
            f"`{name}` must be an int from {low} to {high}. Received: {name}={value!r}"
        )
    return int(value)


def positive_ints(values, name, length=None):
    """A sequence of positive ints (exactly ``length`` of them when given); returns a tuple."""
    try:
        values = tuple(values)
    except TypeError:
        values = None
    if (
        values is None
        or not values
        or (length is not None and len(values) != length)
        or not all(_is_int(v) and v >= 1 for v in values)
    ):
        size = f"{length} " if length is not None else "a non-empty sequence of "
        raise ValueError(f"`{name}` must be {size}positive ints. Received: {name}={values!r}")
    return tuple(int(v) for v in values)


def finite_float(value, name, minimum=None):
    """A finite number (``>= minimum`` when given); returns a Python ``float``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, (bool, np.bool_)) or not math.isfinite(number) or (
        minimum is not None and number < minimum
    ):
        bound = f" >= {minimum:g}" if minimum is not None else ""
        raise ValueError(f"`{name}` must be a finite number{bound}. Received: {name}={value!r}")
    return number


def margin_argument(margin):
    """A hinge margin: a finite number ``>= 0``."""
    return finite_float(margin, "margin", minimum=0.0)


def rate_argument(rate, name="dropout"):
    """A rate in ``[0, 1)`` such as a dropout rate."""
    value = finite_float(rate, name, minimum=0.0)
    if value >= 1.0:
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={rate!r}")
    return value


def seed_argument(seed):
    """None, an int, or a ``keras.random.SeedGenerator``."""
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        return seed
    if not _is_int(seed):
        raise ValueError(
            "`seed` must be None, an int or a keras.random.SeedGenerator. "
            f"Received: seed={seed!r}"
        )
    return int(seed)


def one_of(value, name, allowed):
    """``value`` if it is one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"`{name}` must be one of {tuple(allowed)}. Received: {name}={value!r}")
    return value


def label_vectors_argument(label_vectors):
    """``label_vectors`` as a float32 ``(num_labels, d)`` array, non-empty and finite."""
    label_vectors = np.asarray(label_vectors, dtype="float32")
    if label_vectors.ndim != 2 or 0 in label_vectors.shape:
        raise ValueError(
            "`label_vectors` must be a non-empty (num_labels, d) array. Received: shape "
            f"{label_vectors.shape}"
        )
    if not np.isfinite(label_vectors).all():
        raise ValueError("`label_vectors` must be finite; found NaN or infinity.")
    return label_vectors
