"""The table of export formats (filled in by the exporters)."""

from ..hookspecs import hookimpl


@hookimpl
def register_exporters(register):
    pass
