"""The one decorator that registers public objects for `.keras` serialization."""

import keras

PACKAGE = "mlrank_keras"  # named in saved `.keras` files: never rename


def register(obj):
    """Registers a class or function under the package ``"mlrank_keras"``."""
    return keras.saving.register_keras_serializable(package=PACKAGE)(obj)
