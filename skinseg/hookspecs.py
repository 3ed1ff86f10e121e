"""The hooks a skinseg plugin can implement.

Each hook receives a ``register`` callback and calls it once per thing it adds, the way
``llm`` and ``datasette`` plugins do.
"""

import pluggy

hookspec = pluggy.HookspecMarker("skinseg")
hookimpl = pluggy.HookimplMarker("skinseg")


@hookspec
def register_datasets(register):
    """Add dataset loaders: ``register(name, factory, description)``.

    ``factory(data_dir=None, **options)`` returns a :class:`skinseg.datasets.Dataset`.
    """


@hookspec
def register_architectures(register):
    """Add model architectures: ``register(name, builder, description)``.

    ``builder(img_size=256, width=1.0, **options)`` returns an uncompiled Keras model that maps
    float pixels in 0..255 (batch, H, W, 3) to a skin probability (batch, H, W, 1).
    """


@hookspec
def register_exporters(register):
    """Add export formats: ``register(ExportFormat(...))``."""


@hookspec
def register_runtimes(register):
    """Add inference runtimes: ``register(name, loader, description, priority)``."""


@hookspec
def register_commands(cli):
    """Add click commands to the ``skinseg`` group."""
