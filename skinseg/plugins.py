"""The plugin manager and the registries it fills.

Built-in datasets, architectures, exporters and runtimes are ordinary plugin modules that
register through the same hooks as third-party plugins; third-party plugins come only from
installed ``skinseg`` entry points, optionally narrowed by ``SKINSEG_LOAD_PLUGINS``.
"""

from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from . import hookspecs
from .errors import SkinsegError

ENTRY_POINT_GROUP = "skinseg"
BUILTIN_MODULES = (
    "skinseg.datasets.pratheepan",
    "skinseg.datasets.folder",
    "skinseg.architectures.segnet",
    "skinseg.architectures.edge_unet",
    "skinseg.architectures.mobilenet_unet",
    "skinseg.export.formats",
    "skinseg.runtime.builtin",
)
KINDS = ("datasets", "architectures", "exporters", "runtimes")
# entry-point name -> (distribution, version) of the third-party plugins loaded
_DISTRIBUTIONS: dict[str, tuple[str, str]] = {}


@dataclass
class Entry:
    """One registered thing: its name, the object itself, and who registered it."""

    name: str
    obj: Any
    description: str = ""
    plugin: str = ""
    extra: dict = field(default_factory=dict)


class Registry:
    """Name -> Entry for one kind of plugin; unknown names list what is available."""

    def __init__(self, kind: str):
        self.kind = kind
        self.entries: dict[str, Entry] = {}

    def add(self, entry: Entry) -> None:
        if entry.name in self.entries:
            other = self.entries[entry.name].plugin
            raise SkinsegError(
                f"{self.kind[:-1]} {entry.name!r} is registered by both {other} and {entry.plugin}; "
                "uninstall one of them or narrow SKINSEG_LOAD_PLUGINS"
            )
        self.entries[entry.name] = entry

    def get(self, name: str) -> Entry:
        try:
            return self.entries[name]
        except KeyError:
            available = ", ".join(sorted(self.entries)) or "none"
            raise SkinsegError(
                f"unknown {self.kind[:-1]} {name!r}; available: {available}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self.entries)

    def __contains__(self, name: str) -> bool:
        return name in self.entries


def _allowed_distributions() -> set[str] | None:
    value = os.environ.get("SKINSEG_LOAD_PLUGINS")
    if value is None:
        return None
    return {_normalise(name) for name in value.split(",") if name.strip()}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


@functools.lru_cache(maxsize=None)
def manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    pm = pluggy.PluginManager("skinseg")
    pm.add_hookspecs(hookspecs)
    allowed = _allowed_distributions()
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else ep.name
        if allowed is not None and _normalise(dist) not in allowed:
            continue
        if pm.get_plugin(ep.name) is not None:
            continue
        try:
            module = ep.load()
        except Exception as exc:  # a broken third-party plugin must not take the CLI down
            raise SkinsegError(
                f"plugin {ep.name!r} from {dist} failed to load ({exc}); "
                f"reinstall it, or leave it out with SKINSEG_LOAD_PLUGINS"
            ) from exc
        pm.register(module, name=ep.name)
        _DISTRIBUTIONS[ep.name] = (dist, ep.dist.version if ep.dist else "")
    for name in BUILTIN_MODULES:
        pm.register(importlib.import_module(name), name=name)
    return pm


def plugin_distribution(plugin_name: str) -> tuple[str, str]:
    """(distribution, version) that provides a loaded plugin."""
    if plugin_name in _DISTRIBUTIONS:
        return _DISTRIBUTIONS[plugin_name]
    from . import __version__

    return ("skinseg", __version__)


@functools.lru_cache(maxsize=None)
def registry(kind: str) -> Registry:
    """The registry of one kind (``datasets``, ``architectures``, ``exporters``, ``runtimes``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown plugin kind {kind!r}")
    pm = manager()
    reg = Registry(kind)
    caller = getattr(pm.hook, f"register_{kind}")
    # Call each implementation on its own so every entry knows which plugin added it.
    for impl in reversed(caller.get_hookimpls()):
        impl.function(register=functools.partial(_register, reg, impl.plugin_name))
    return reg


def _register(reg: Registry, plugin: str, name_or_obj, obj=None, description: str = "", **extra):
    if obj is None:  # exporters register one object that carries its own name
        name, obj = name_or_obj.name, name_or_obj
        description = description or getattr(obj, "description", "")
    else:
        name = name_or_obj
    reg.add(Entry(name=name, obj=obj, description=description, plugin=plugin, extra=extra))


def reset() -> None:
    """Forget loaded plugins (tests use it after changing the environment)."""
    manager.cache_clear()
    registry.cache_clear()
    _DISTRIBUTIONS.clear()


def describe_plugins() -> list[dict]:
    """Each loaded plugin with its distribution, version, hooks and what it registered."""
    pm = manager()
    found: dict[str, dict[str, list[str]]] = {}
    for kind in KINDS:
        for entry in registry(kind).entries.values():
            found.setdefault(entry.plugin, {}).setdefault(kind, []).append(entry.name)
    rows = []
    for name, plugin in pm.list_name_plugin():
        dist, version = plugin_distribution(name)
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "distribution": dist,
                "version": version,
                "builtin": name in BUILTIN_MODULES,
                "hooks": hooks,
                "registers": {k: sorted(v) for k, v in found.get(name, {}).items()},
            }
        )
    return sorted(rows, key=lambda r: (not r["builtin"], r["name"]))
