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
    with pytest.raises(SkinsegError, match="unknown architecture 'toy'; available: edge-unet, mobilenet-unet, segnet"):
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


@pytest.fixture(scope="module")
def example_installed():
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    str(REPO / "plugins" / "skinseg-example")], check=True, capture_output=True)
    yield {"SKINSEG_LOAD_PLUGINS": "skinseg-example"}
    subprocess.run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", "skinseg-example"], check=True,
                   capture_output=True)


def test_example_plugin_architecture_exporter_and_runtime(example_installed, tmp_path):
    """The documented plugin example, end to end: train its architecture, export, predict."""
    from conftest import PRATHEEPAN

    env = example_installed
    listed = {r["name"]: r for r in json.loads(run_cli("plugins", "--json", env_extra=env, check=True).stdout)}
    assert listed["example"]["registers"] == {"architectures": ["tiny-fcn"], "exporters": ["weights"],
                                              "runtimes": ["weights"]}
    run = tmp_path / "run"
    run_cli("train", "--arch", "tiny-fcn", "--img-size", "32", "--epochs", "1", "--limit", "4", "--batch-size", "4",
            "--data-dir", PRATHEEPAN, "--out", run, "--quiet", env_extra=env, check=True)
    run_cli("export", "-m", run / "best.keras", "--format", "weights", env_extra=env, check=True)
    assert (run / "best.weights.h5").exists()
    photo = PRATHEEPAN / "Pratheepan_Dataset" / "FacePhoto" / "sarah.jpg"
    result = run_cli("predict", "-m", run / "best.weights.h5", photo, "--out", tmp_path / "masks", env_extra=env,
                     check=True)
    assert "sarah.png" in result.stdout
    from PIL import Image

    assert Image.open(tmp_path / "masks" / "sarah.png").size == Image.open(photo).size
    evaluated = run_cli("evaluate", "-m", run / "best.weights.h5", "--data-dir", PRATHEEPAN, "--quiet",
                        env_extra=env, check=True)
    assert "runtime weights" in evaluated.stdout
