"""The one exception type for problems a user can cause and fix."""


class SkinsegError(Exception):
    """A user-facing error: what went wrong, with which file, and what to do.

    The CLI prints its message on one line and exits non-zero, without a traceback.
    """


def require(module: str, extra: str):
    """Import an optional dependency, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise SkinsegError(
            f"{module} is not installed; install it with: pip install 'skinseg[{extra}]'"
        ) from exc
