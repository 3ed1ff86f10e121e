"""Experiment (reverted in the next commit): a trained model rebuilt with the decoder's depthwise
half in front of each skip concatenation, its weights split to match.

    python benchmarks/split_skip_depthwise.py skinseg/shipped/skinseg-mobile.keras /tmp/split.keras \
        mobilenet-unet 1.0
    cp runs/mobilenet-unet-e16/config.json /tmp/config.json
    skinseg export -m /tmp/split.keras --format tflite --quantize int8 --calib-dataset pratheepan \
        --calib-split train --out /tmp/split-int8.tflite
    skinseg verify --reference skinseg/shipped/skinseg-mobile.keras --candidate /tmp/split-int8.tflite --split val
"""

import sys

import numpy as np

from skinseg.architectures import create_model
from skinseg.keras_io import load_keras_model, save_keras_model

src, dst, arch, width = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
old = load_keras_model(src)
new = create_model(arch, img_size=old.input_shape[1], width=width)
names = {layer.name for layer in old.layers}
for layer in new.layers:
    if not layer.weights:
        continue
    if layer.name in names:
        layer.set_weights(old.get_layer(layer.name).get_weights())
        continue
    stage, rest = layer.name.split("_fuse_dw_")  # dec{i}_fuse_dw_{up,skip}[_bn]
    is_bn = rest.endswith("_bn")
    fused = old.get_layer(f"{stage}_fuse_dw" + ("_bn" if is_bn else ""))
    cut = new.get_layer(f"{stage}_up").filters  # the upsampled branch comes first in the concatenation
    part = slice(None, cut) if rest.startswith("up") else slice(cut, None)
    layer.set_weights([w[part] if is_bn else w[..., part, :] for w in fused.get_weights()])
x = np.random.default_rng(0).uniform(0, 255, (2,) + old.input_shape[1:]).astype("float32")
print("largest output difference", float(np.abs(np.asarray(old(x)) - np.asarray(new(x))).max()))
save_keras_model(new, dst)
