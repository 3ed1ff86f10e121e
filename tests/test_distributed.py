"""Two training workers on loopback with TF_CONFIG: same weights at the end, chief-only checkpoints."""

import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import PRATHEEPAN, REPO

pytestmark = pytest.mark.slow


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_train_to_the_same_weights(tmp_path):
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    workers = []
    for index in range(2):
        env = {**os.environ, "SKINSEG_LOAD_PLUGINS": "", "KERAS_BACKEND": "tensorflow",
               "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        args = [sys.executable, "-m", "skinseg", "train", "--distributed", "--arch", "edge-unet", "--width", "0.25",
                "--img-size", "32", "--epochs", "2", "--batch-size", "2", "--limit", "8", "--data-dir",
                str(PRATHEEPAN), "--out", str(tmp_path / f"run{index}"), "--quiet", "--seed", "5"]
        workers.append(subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                        cwd=REPO))
    outputs = []
    try:
        for worker in workers:
            stdout, stderr = worker.communicate(timeout=600)
            outputs.append((worker.returncode, stdout, stderr))
    finally:
        for worker in workers:  # bounded in time and never left running
            if worker.poll() is None:
                worker.kill()
                worker.communicate()
    for code, stdout, stderr in outputs:
        assert code == 0, stderr[-3000:]
        assert "MultiWorkerMirroredStrategy, 2 workers" in stdout
    digests = [line.split()[-1] for _, stdout, _ in outputs for line in stdout.splitlines()
               if line.startswith("weights sha256")]
    assert len(digests) == 2 and digests[0] == digests[1]
    # The chief (worker 0) wrote the run folder; worker 1 wrote nothing.
    assert (tmp_path / "run0" / "best.keras").exists() and (tmp_path / "run0" / "last.keras").exists()
    assert json.loads((tmp_path / "run0" / "state.json").read_text())["epochs_done"] == 2
    assert not (tmp_path / "run1").exists()


def test_distributed_on_one_machine_uses_every_local_device(tmp_path):
    """Without TF_CONFIG, --distributed is MirroredStrategy (tensorflow) over the local devices."""
    from conftest import run_cli

    result = run_cli("train", "--distributed", "--arch", "edge-unet", "--width", "0.25", "--img-size", "32",
                     "--epochs", "1", "--batch-size", "4", "--limit", "4", "--data-dir", PRATHEEPAN, "--quiet",
                     "--out", tmp_path / "run", env_extra={"KERAS_BACKEND": "tensorflow"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MirroredStrategy over 1 device(s)" in result.stdout
    assert (tmp_path / "run" / "best.keras").exists()


def test_distributed_jax_uses_data_parallel(tmp_path):
    pytest.importorskip("jax")
    from conftest import run_cli

    result = run_cli("train", "--distributed", "--backend", "jax", "--arch", "edge-unet", "--width", "0.25",
                     "--img-size", "32", "--epochs", "1", "--batch-size", "4", "--limit", "4", "--data-dir",
                     PRATHEEPAN, "--quiet", "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DataParallel over 1 device(s)" in result.stdout


def test_ema_is_refused_for_multi_worker_runs_and_their_resumes(tmp_path):
    from conftest import last_line

    env = {**os.environ, "SKINSEG_LOAD_PLUGINS": "", "KERAS_BACKEND": "tensorflow"}
    tiny = ["--width", "0.125", "--img-size", "32", "--batch-size", "2", "--limit", "4", "--data-dir",
            str(PRATHEEPAN), "--quiet"]
    run = tmp_path / "run"
    first = subprocess.run([sys.executable, "-m", "skinseg", "train", *tiny, "--epochs", "1", "--ema", "0.5",
                            "--out", str(run)], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    before = (run / "last.keras").read_bytes()
    cluster = {"worker": [f"127.0.0.1:{_free_ports(1)[0]}"]}
    env["TF_CONFIG"] = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    expected = "Error: --ema is not available for multi-worker training (TF_CONFIG); leave it out there"
    for args in (["--ema", "0.5", "--out", str(tmp_path / "fresh")], ["--resume", "--epochs", "2", "--out", str(run)]):
        refused = subprocess.run([sys.executable, "-m", "skinseg", "train", "--distributed", *tiny, *args],
                                 capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
        assert refused.returncode == 1 and last_line(refused.stderr) == expected, refused.stderr[-3000:]
    assert not (tmp_path / "fresh").exists() and (run / "last.keras").read_bytes() == before
