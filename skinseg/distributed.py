"""Training on several devices or machines with each backend's own distribution engine.

tensorflow: ``tf.distribute.MirroredStrategy`` on one machine's GPUs, or
``MultiWorkerMirroredStrategy`` across machines when ``TF_CONFIG`` describes a cluster.
jax: ``keras.distribution.DataParallel`` over the local devices. Only the chief writes the run
folder; every worker ends with the same weights.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass

from .errors import SkinsegError


@dataclass
class Plan:
    scope: object  # a context manager to build and compile the model in
    replicas: int
    is_chief: bool
    description: str
    strategy: object = None  # a tf.distribute strategy that Keras' fit cannot drive itself


def _tf_config() -> dict | None:
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise SkinsegError("TF_CONFIG is not valid JSON; see docs/distributed.md") from None


def is_chief(tf_config: dict | None) -> bool:
    """The chief task, or worker 0 of a cluster without one, writes checkpoints."""
    if not tf_config:
        return True
    task = tf_config.get("task", {})
    if "chief" in tf_config.get("cluster", {}):
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


def plan(distributed: bool, backend: str) -> Plan:
    """How to place this run: one device, or a strategy over several."""
    if not distributed:
        return Plan(contextlib.nullcontext(), 1, True, "one device")
    tf_config = _tf_config()
    if backend == "tensorflow":
        import tensorflow as tf

        if tf_config:
            strategy = tf.distribute.MultiWorkerMirroredStrategy()
            workers = len(tf_config.get("cluster", {}).get("worker", [])) + len(tf_config.get("cluster", {}).get("chief", []))
            description = f"MultiWorkerMirroredStrategy, {workers} workers"
        else:
            strategy = tf.distribute.MirroredStrategy()
            description = f"MirroredStrategy over {strategy.num_replicas_in_sync} device(s)"
        multi_worker = strategy if tf_config else None
        return Plan(strategy.scope(), strategy.num_replicas_in_sync, is_chief(tf_config), description, multi_worker)
    if backend == "jax":
        if tf_config:
            raise SkinsegError("multi-machine training (TF_CONFIG) needs --backend tensorflow")
        import keras

        devices = keras.distribution.list_devices()
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        return Plan(contextlib.nullcontext(), len(devices), True, f"DataParallel over {len(devices)} device(s)")
    raise SkinsegError(f"--distributed is not supported on the {backend} backend; use tensorflow or jax")


def weights_digest(model) -> str:
    """SHA-256 of all weights, to check that workers agree."""
    import numpy as np

    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(weight.numpy()).tobytes())
    return digest.hexdigest()


def fit_multi_worker(model, strategy, train_ds, steps: int, val_ds, epochs: int, initial_epoch: int, callback,
                     verbose: int = 0):
    """A minimal ``fit`` for ``tf.distribute`` strategies.

    Keras 3's ``Model.fit`` does not run under MultiWorkerMirroredStrategy (keras-team/keras
    issue 20585), so multi-worker training steps through the strategy directly: each replica
    computes the loss on its shard, gradients are all-reduced by the Keras optimizer, and the
    same callback as single-device training keeps the run folder (on the chief only).
    ``train_ds`` holds the epochs left back to back, ``steps`` batches each, as for ``fit``.
    """
    import tensorflow as tf

    loss_fn = model.loss
    optimizer = model.optimizer

    @tf.function
    def train_step(batch):
        def replica_step(images, masks):
            with tf.GradientTape() as tape:
                predicted = model(images, training=True)
                per_example = loss_fn.call(masks, predicted)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=tf.shape(images)[0] * strategy.num_replicas_in_sync)
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
            return loss

        per_replica = strategy.run(replica_step, args=batch)
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    callback.set_model(model)
    batches = iter(strategy.experimental_distribute_dataset(train_ds))
    for epoch in range(initial_epoch, epochs):
        losses = [float(train_step(next(batches))) for _ in range(steps)]
        logs = {"loss": sum(losses) / max(1, len(losses))}
        logs.update(_validate(model, loss_fn, val_ds))
        if verbose:
            print(f"epoch {epoch + 1}/{epochs} " + " ".join(f"{k}={v:.4f}" for k, v in logs.items()), flush=True)
        callback.on_epoch_end(epoch, logs)


def _validate(model, loss_fn, val_ds) -> dict:
    """Validation loss and pooled IoU on this worker's full validation set (no collectives)."""
    import numpy as np

    from .metrics import Confusion, confusion, scores

    total = Confusion(0, 0, 0, 0)
    losses = []
    for images, masks in val_ds:
        predicted = model(images, training=False)
        losses.append(float(np.mean(loss_fn.call(masks, predicted))))
        total += confusion(np.asarray(predicted) > 0.5, np.asarray(masks) > 0.5)
    pooled = scores(total)
    return {"val_loss": float(np.mean(losses)), "val_iou": pooled["iou"], "val_miou2": pooled["miou2"]}


def _out_of_memory(exc: Exception) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(mark in text for mark in ("ResourceExhausted", "RESOURCE_EXHAUSTED", "OutOfMemory", "out of memory"))


def find_batch_size(build, img_size: int, limit: int) -> int:
    """The largest power-of-two batch (up to ``limit``) whose training step fits in memory.

    ``build()`` returns a fresh compiled model; it is probed with real training steps on
    zeros, doubling the batch until the device runs out of memory or ``limit`` is reached.
    """
    import gc

    import numpy as np

    best, size = 0, 1
    while size <= limit:
        model = build()
        try:
            x = np.zeros((size, img_size, img_size, 3), np.float32)
            model.train_on_batch(x, np.zeros((size, img_size, img_size, 1), np.float32))
            best = size
        except Exception as exc:
            if not _out_of_memory(exc):
                raise
            break
        finally:
            del model
            gc.collect()
        size *= 2
    if best == 0:
        raise SkinsegError("not even a batch of 1 fits in memory; use a smaller --img-size or --width")
    return best


def default_batch_limit() -> int:
    """GPUs are probed up to 512 images a batch; on a CPU more than 32 buys nothing."""
    import keras

    try:
        kinds = {d.split(":")[0].lower() for d in keras.distribution.list_devices()}
    except Exception:
        kinds = set()
    return 512 if kinds & {"gpu", "cuda"} else 32
