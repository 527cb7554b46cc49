"""The bookkeeping of image files a pipeline skipped: counted, named, logged once."""

import logging
import threading

LOGGER = logging.getLogger("mlrank_keras.data")


class SkippedImages:
    """The image files a pipeline skipped because they could not be read or decoded.

    ``count`` is the number of distinct files, ``paths`` lists them in the order first met and
    ``events`` counts every skip (a file is met again each epoch). Thread-safe: ``tf.data``
    records from its worker threads.

    >>> skipped = SkippedImages()
    >>> skipped.count, skipped.paths
    (0, [])
    """

    def __init__(self):
        self._paths = {}
        self._lock = threading.Lock()
        self.events = 0

    @property
    def count(self):
        return len(self._paths)

    @property
    def paths(self):
        with self._lock:
            return list(self._paths)

    def __len__(self):
        return self.count

    def __repr__(self):
        return f"SkippedImages(count={self.count}, paths={self.paths!r})"

    def record(self, path):
        """Record one skip of ``path`` (bytes or str); logs the first skip of each file."""
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        with self._lock:
            self.events += 1
            new = path not in self._paths
            self._paths.setdefault(path, None)
        if new:
            LOGGER.warning("Skipped an image that could not be read or decoded: %s", path)


def recorder(skipped):
    """A ``tf.py_function`` body that records a batch of file names in ``skipped``."""

    def record(names):
        for name in names.numpy():
            skipped.record(name)
        return True

    return record
