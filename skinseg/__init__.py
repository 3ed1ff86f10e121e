"""skinseg: train, shrink and run human-skin segmentation models on small devices."""

from importlib.metadata import PackageNotFoundError, version

from .errors import SkinsegError

try:
    __version__ = version("skinseg")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["SkinsegError", "__version__"]
