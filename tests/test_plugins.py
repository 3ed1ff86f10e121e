"""Plugins: built-ins are ordinary plugins; third parties come through installed entry points."""

import json
import subprocess
import sys

import pytest

from skinseg import SkinsegError, plugins
from skinseg.hookspecs import hookimpl

from conftest import REPO, SHARED, last_line, run_cli


def test_builtins_register_every_kind():
    assert "pratheepan" in plugins.registry("datasets")
    assert "segnet" in plugins.registry("architectures")
    assert {"litert", "keras"} <= set(plugins.registry("runtimes").names())
    rows = {row["name"]: row for row in plugins.describe_plugins()}
    assert rows["skinseg.datasets.pratheepan"]["registers"] == {"datasets": ["pratheepan"]}
    assert all(row["builtin"] for row in rows.values())


class _ToyPlugin:
    @hookimpl
    def register_architectures(self, register):
        register("toy", lambda **kw: None, "a toy")


def test_a_registered_plugin_adds_to_the_registry_and_duplicate_names_are_refused():
    pm = plugins.manager()
    pm.register(_ToyPlugin(), name="toy-plugin")
    try:
        plugins.registry.cache_clear()
        entry = plugins.registry("architectures").get("toy")
        assert entry.plugin == "toy-plugin"
    finally:
        pm.unregister(name="toy-plugin")
        plugins.registry.cache_clear()
    with pytest.raises(SkinsegError, match="unknown architecture 'toy'; available: segnet"):
        plugins.registry("architectures").get("toy")


@pytest.fixture(scope="module")
def sfa_installed():
    """Install plugins/skinseg-sfa into this very environment, as a user would, then remove it."""
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    str(REPO / "plugins" / "skinseg-sfa")], check=True, capture_output=True)
    yield
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", "skinseg-sfa"], check=True,
                   capture_output=True)


def test_installed_plugin_is_listed(sfa_installed):
    result = run_cli("plugins", "--json", env_extra={"SKINSEG_LOAD_PLUGINS": "skinseg-sfa"}, check=True)
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["sfa"]["distribution"] == "skinseg-sfa"
    assert rows["sfa"]["version"] == "0.1.0"
    assert rows["sfa"]["registers"] == {"datasets": ["sfa"]}
    assert not rows["sfa"]["builtin"]


def test_installed_plugin_dataset_trains(sfa_installed, tmp_path):
    env = {"SKINSEG_LOAD_PLUGINS": "skinseg-sfa", "SKINSEG_DATA": str(SHARED)}
    result = run_cli("train", "--dataset", "sfa", "--width", "0.125", "--img-size", "32", "--epochs", "1",
                     "--limit", "4", "--batch-size", "4", "--quiet", "--out", tmp_path / "run", env_extra=env)
    assert result.returncode == 0, result.stderr
    assert "trained 1 epochs on 4 images" in result.stdout
    assert (tmp_path / "run" / "best.keras").exists()
    info = run_cli("datasets", "info", "sfa", "--json", env_extra=env, check=True)
    splits = json.loads(info.stdout)["splits"]
    assert (splits["train"]["count"], splits["val"]["count"]) == (1007, 111)


def test_environment_variable_narrows_plugins(sfa_installed, tmp_path):
    result = run_cli("train", "--dataset", "sfa", "--out", tmp_path / "run",
                     env_extra={"SKINSEG_LOAD_PLUGINS": "some-other-plugin"})
    assert result.returncode == 1
    assert last_line(result.stderr) == "Error: unknown dataset 'sfa'; available: folder, pratheepan"
    assert not (tmp_path / "run").exists()
