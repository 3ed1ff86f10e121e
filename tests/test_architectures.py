"""The same checks for every registered architecture (timm / smp style)."""

import numpy as np
import pytest

from skinseg import SkinsegError
from skinseg.architectures import architecture_names, create_model
from skinseg.keras_io import load_keras_model, save_keras_model


@pytest.mark.parametrize("name", architecture_names())
def test_forward_save_load(name, tmp_path):
    model = create_model(name, img_size=64, width=0.125)
    batch = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    prob = np.asarray(model(batch))
    assert prob.shape == (2, 64, 64, 1)
    assert prob.min() >= 0.0 and prob.max() <= 1.0
    save_keras_model(model, tmp_path / "m.keras")
    again = load_keras_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(again(batch)), prob, atol=1e-6)


@pytest.mark.parametrize("name", ["edge-unet", "mobilenet-unet"])
def test_resize_decoder_replaces_transposed_convolutions(name):
    model = create_model(name, img_size=64, width=0.25, upsample="resize")
    kinds = [type(layer).__name__ for layer in model.layers]
    assert "Conv2DTranspose" not in kinds and kinds.count("UpSampling2D") == (5 if name == "edge-unet" else 4)
    batch = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    # Called without `training`, as the SavedModel export calls it, batch norm must use its
    # moving statistics (a Keras Resizing layer in the decoder would switch every one after it
    # to batch statistics).
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            layer.moving_mean.assign(np.full(layer.moving_mean.shape, 0.5, "float32"))
    np.testing.assert_allclose(np.asarray(model(batch)), np.asarray(model(batch, training=False)), atol=1e-6)
    assert not np.allclose(np.asarray(model(batch)), np.asarray(model(batch, training=True)), atol=1e-3)
    with pytest.raises(SkinsegError, match="unknown upsample 'nearest'; available: transpose, resize"):
        create_model(name, img_size=64, upsample="nearest")


@pytest.mark.parametrize("upsample", ["transpose", "resize"])
@pytest.mark.parametrize("name", ["edge-unet", "mobilenet-unet"])
def test_output_stride_stops_the_decoder_early(name, upsample):
    full = create_model(name, img_size=64, width=0.25, upsample=upsample)
    model = create_model(name, img_size=64, width=0.25, upsample=upsample, output_stride=4)
    batch = np.random.default_rng(0).uniform(0, 255, (1, 64, 64, 3)).astype("float32")
    assert np.asarray(model(batch)).shape == (1, 64, 64, 1)
    # Nothing of the decoder runs above 1/4 resolution; the logits are upsampled 4x in one step.
    decoder = [layer for layer in model.layers if layer.name.startswith("dec")]
    assert max(layer.output.shape[1] for layer in decoder) == 16
    assert len(decoder) < len([layer for layer in full.layers if layer.name.startswith("dec")])
    assert model.get_layer("logits").input.shape[1] == 16
    with pytest.raises(SkinsegError, match="unknown output_stride 3; available: 2, 4, 8, 16"):
        create_model(name, img_size=64, output_stride=3)


@pytest.mark.parametrize("loss", ["bce-dice", "bce-lovasz"])
@pytest.mark.parametrize("name", architecture_names())
def test_backward_reduces_loss(name, loss):
    import keras

    from skinseg.losses import LOSSES

    keras.utils.set_random_seed(0)
    model = create_model(name, img_size=32, width=0.125)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=LOSSES[loss]())
    x = np.random.default_rng(1).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    y = (x[..., :1] > 127).astype("float32")
    first = model.train_on_batch(x, y)
    for _ in range(15):
        last = model.train_on_batch(x, y)
    assert last < first


def test_reference_segnet_has_11_7_million_parameters():
    model = create_model("segnet", img_size=256, width=1.0)
    assert round(model.count_params() / 1e6, 1) == 11.7
    strided = [l for l in model.layers if getattr(l, "strides", (1, 1)) == (2, 2) and "Transpose" not in type(l).__name__]
    transposed = [l for l in model.layers if type(l).__name__ == "Conv2DTranspose"]
    assert len(strided) == 4 and len(transposed) == 4
    convs = [l for l in model.layers if type(l).__name__ in ("Conv2D", "Conv2DTranspose") and l.name != "logits"]
    norms = [l for l in model.layers if type(l).__name__ == "BatchNormalization"]
    assert len(convs) == len(norms)  # batch norm after every conv
    assert max(l.filters for l in convs) == 512 and min(l.filters for l in convs) == 64


def test_bad_sizes_and_options_are_refused():
    with pytest.raises(SkinsegError, match="divisible by 16"):
        create_model("segnet", img_size=100)
    with pytest.raises(SkinsegError, match="unknown architecture 'unet'; available: edge-unet, mobilenet-unet, segnet"):
        create_model("unet")


@pytest.mark.parametrize("upsample", ["transpose", pytest.param("resize", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", ["edge-unet", "mobilenet-unet"])
def test_edge_architectures_map_fully_onto_the_edge_tpu(name, upsample, tmp_path):
    from skinseg.export import export_model

    save_keras_model(create_model(name, img_size=64, width=0.5, upsample=upsample), tmp_path / "e.keras")
    result = export_model(tmp_path / "e.keras", "edgetpu", tmp_path / "e.tflite", calib_samples=2,
                          calib_data_dir=str(__import__("conftest").PRATHEEPAN))
    assert result.report["mapped_percent"] == 100.0
    ops = {row["op"] for row in result.report["ops"]}
    assert "DEPTHWISE_CONV_2D" in ops and "TILE" not in ops
    up_op = "TRANSPOSE_CONV" if upsample == "transpose" else "RESIZE_BILINEAR"
    assert up_op in ops and ({"TRANSPOSE_CONV", "RESIZE_BILINEAR"} - {up_op}).isdisjoint(ops)
    # batch norm folded into the convolutions, none left in training mode
    assert {"MEAN", "RSQRT", "ASSIGN_VARIABLE"}.isdisjoint(ops)


@pytest.mark.parametrize("name", ["edge-unet", "mobilenet-unet"])
def test_global_context_starts_at_zero_and_takes_a_model_trained_without_it(name, tmp_path):
    from skinseg.training import _load_initial_weights

    plain = create_model(name, img_size=64, width=0.25, upsample="resize")
    plain.get_layer("logits").bias.assign([0.3])
    save_keras_model(plain, tmp_path / "plain.keras")
    model = create_model(name, img_size=64, width=0.25, upsample="resize", context=True)
    assert model.count_params() > plain.count_params()
    _load_initial_weights(model, str(tmp_path / "plain.keras"), name)
    rng = np.random.default_rng(0)
    batch = np.stack([rng.uniform(0, 120, (64, 64, 3)), rng.uniform(130, 255, (64, 64, 3))]).astype("float32")
    np.testing.assert_allclose(np.asarray(model(batch)), np.asarray(plain(batch)), atol=1e-6)
    # Once trained, the branch shifts every bottleneck position by the same amount, one that
    # depends on the whole photo.
    import keras

    add = model.get_layer("context_add")
    bottleneck = keras.Model(model.inputs, [add.input[0], add.output])
    for layer in ("context_reduce", "context_expand"):
        kernel = model.get_layer(layer).kernel
        kernel.assign(rng.normal(0, 1, kernel.shape).astype("float32"))
    before, after = (np.asarray(t) for t in bottleneck(batch))
    shift = after - before
    assert np.allclose(shift, shift[:, :1, :1], rtol=1e-4, atol=1e-7)
    assert np.abs(shift).max() > 0 and not np.allclose(shift[0], shift[1], rtol=0.05, atol=0)
    # A model with layers the new one lacks, or of another width, does not start it.
    save_keras_model(model, tmp_path / "context.keras")
    with pytest.raises(SkinsegError, match="its layers do not match"):
        _load_initial_weights(plain, str(tmp_path / "context.keras"), name)
    with pytest.raises(SkinsegError, match="its layers do not match"):
        _load_initial_weights(create_model(name, img_size=64, width=0.5, upsample="resize", context=True),
                              str(tmp_path / "plain.keras"), name)
    with pytest.raises(SkinsegError, match="context takes true or false, got 'no'"):
        create_model(name, img_size=64, context="no")


def test_extra_block_starts_as_the_identity_and_takes_a_model_trained_without_it(tmp_path):
    from skinseg.training import _load_initial_weights

    plain = create_model("mobilenet-unet", img_size=64, width=0.25, upsample="resize")
    plain.get_layer("logits").bias.assign([0.3])
    save_keras_model(plain, tmp_path / "plain.keras")
    model = create_model("mobilenet-unet", img_size=64, width=0.25, upsample="resize", extra_block=True)
    # 64 -> 384 -> 64 channels: 52,608 weights and the batch norms'
    assert model.count_params() - plain.count_params() == 64 * 384 + 9 * 384 + 384 * 64 + 4 * (384 + 384 + 64)
    _load_initial_weights(model, str(tmp_path / "plain.keras"), "mobilenet-unet")
    batch = np.random.default_rng(0).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(batch)), np.asarray(plain(batch)), atol=1e-6)
    # The block alone, on a bottleneck of unit scale (an untrained encoder's is tiny): the identity
    # until its projection's scale moves off zero.
    import keras

    block = keras.Model(model.get_layer("block9_add").output, model.get_layer("block10_add").output)
    bottleneck = np.random.default_rng(1).normal(0, 1, (2, 4, 4, 64)).astype("float32")
    np.testing.assert_array_equal(np.asarray(block(bottleneck)), bottleneck)
    model.get_layer("block10_project_bn").gamma.assign(np.full(64, 0.5, "float32"))
    assert np.abs(np.asarray(block(bottleneck)) - bottleneck).max() > 1e-2
    with pytest.raises(SkinsegError, match="extra_block takes true or false, got 1"):
        create_model("mobilenet-unet", img_size=64, extra_block=1)



# A global-context branch adds one AVERAGE_POOL_2D; the extra block one ADD to the encoder's six.
@pytest.mark.parametrize("option, op, count", [("context", "AVERAGE_POOL_2D", 1), ("extra_block", "ADD", 7)])
def test_added_layers_map_onto_the_edge_tpu(option, op, count, tmp_path):
    from skinseg.export import export_model

    model = create_model("mobilenet-unet", img_size=64, width=0.5, upsample="resize", **{option: True})
    save_keras_model(model, tmp_path / "m.keras")
    result = export_model(tmp_path / "m.keras", "edgetpu", tmp_path / "m.tflite", calib_samples=2,
                          calib_data_dir=str(__import__("conftest").PRATHEEPAN))
    assert result.report["mapped_percent"] == 100.0
    assert [row["op"] for row in result.report["ops"]].count(op) == count
