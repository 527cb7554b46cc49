"""The one decorator that registers public objects for `.keras` serialization."""

import keras

PACKAGE = "mlrank_keras"  # named in saved `.keras` files: never rename


def register(obj):
    """Registers a class or function under the package ``"mlrank_keras"``."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(obj)


def positive_int(value, name):
    """Validates an argument that must be a positive Python int; returns it."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive int. Received: {name}={value!r}")
    return value
