"""Training a skin model into a run folder that can be resumed, reproduced and exported.

A run folder holds ``config.json`` (the resolved configuration), ``best.keras`` (the epoch with
the best validation score, :data:`SELECT_METRICS`), ``last.keras`` (for ``--resume``),
``metrics.csv``, ``curves.png`` and ``state.json``.
Every file is written atomically, so an interrupted run resumes from its last finished epoch.
"""

from __future__ import annotations

import csv
import io
import json
import platform
import random
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__
from .datasets import Sample, load_dataset, parse_dataset_spec
from .errors import SkinsegError, require
from .files import atomic_write_bytes, atomic_write_json, atomic_write_text

RUN_FILES = ("config.json", "best.keras", "last.keras", "metrics.csv", "curves.png", "state.json")

# What picks best.keras, and the metrics.csv column it is read from. "iou" pools every validation
# pixel, so photos with much skin weigh most; "image-miou2" is the mean over validation photos of
# each photo's two-class IoU at the input size: the measure the Pratheepan baseline reports.
SELECT_METRICS = {"iou": "val_iou", "image-miou2": "val_image_miou2"}


@dataclass
class TrainConfig:
    """Everything that determines a training run; written to config.json."""

    out: str
    datasets: list[str] = field(default_factory=lambda: ["pratheepan"])
    data_dir: str | None = None
    split: str | None = None  # split scheme: seed, random, manifest (dataset default if None)
    subset: str | None = None
    split_ratios: tuple[float, float, float] = (0.6, 0.2, 0.2)
    split_seed: int = 0
    arch: str = "segnet"
    width: float = 1.0
    img_size: int = 256
    epochs: int = 50
    batch_size: int | str = 8  # per device; "auto" finds the largest that fits
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    ema: float = 0.0  # momentum of an exponential moving average of the weights, saved and validated (0: off)
    warmup_epochs: int = 2
    loss: str = "bce-dice"  # or "bce-lovasz" (skinseg.losses.LOSSES)
    dice_weight: float = 1.0
    augment: bool = True
    min_scale: float = 0.6
    aspect: float = 1.25  # largest factor by which augmentation changes a crop's width over height
    mosaic: float = 0.0  # share of training examples that are mosaics of several photos (pipeline._mosaic)
    mosaic_grid: int = 2  # photos per side of each mosaic
    exposure: float = 0.0  # stops of random exposure change (pipeline.Camera)
    white_balance: float = 0.0  # stops of random red and blue gain
    grayscale: float = 0.0  # share of training photos shown without colour
    seed: int = 0
    precision: str = "float32"  # or "mixed" (float16 compute on a GPU)
    limit: int | None = None  # use only the first N samples of each split (smoke tests)
    oversample: dict = field(default_factory=dict)  # dataset name -> repeats of its training samples
    select_on: list[str] = field(default_factory=list)  # datasets whose val split picks best.keras (all if empty)
    select_metric: str = "iou"  # the validation score that picks best.keras (SELECT_METRICS)
    train_on_val: list[str] = field(default_factory=list)  # datasets whose val split joins training (a final refit)
    init: str | None = None  # .keras file or shipped model whose weights start the run, or "imagenet"
    teachers: list[str] = field(default_factory=list)  # models whose soft maps join the targets (distillation)
    distill_weight: float = 0.5  # share of each training target that is the teachers' probability
    distributed: bool = False  # several GPUs (Mirrored / DataParallel) or machines (TF_CONFIG)
    arch_options: dict = field(default_factory=dict)


@dataclass
class TrainResult:
    run_dir: Path
    epochs_done: int
    best_epoch: int
    best_score: float  # the best epoch's validation score, by config.select_metric
    select_metric: str
    train_samples: int
    val_samples: int
    weights_sha256: str = ""
    placement: str = ""


def _train_and_val_samples(config: TrainConfig) -> tuple[list[Sample], list[Sample]]:
    """Every dataset's training and validation samples; each dataset is loaded (and verified) once."""
    specs = [parse_dataset_spec(spec) for spec in config.datasets]
    names = {name for name, _ in specs}
    for flag, given in (("--select-on", config.select_on), ("--train-on-val", config.train_on_val)):
        unknown = set(given) - names
        if unknown:
            raise SkinsegError(f"{flag} {', '.join(sorted(unknown))}: not among the training datasets")
    refit = set(config.train_on_val)
    if refit & set(config.select_on):
        # A split the model trains on cannot also pick its epoch: that score would only measure memory.
        raise SkinsegError(f"--select-on and --train-on-val both name {', '.join(sorted(refit & set(config.select_on)))}; "
                           "select on another dataset's validation split")
    train: list[Sample] = []
    val: list[Sample] = []
    for name, data_dir in specs:
        if data_dir is None and len(specs) == 1:
            data_dir = config.data_dir
        dataset = load_dataset(name, data_dir, scheme=config.split, subset=config.subset,
                               ratios=config.split_ratios, seed=config.split_seed)
        own_train = dataset.splits.get("train", [])[: config.limit or None]
        own_val = dataset.splits.get("val", [])[: config.limit or None]
        if name in refit:
            own_train = own_train + own_val
        train.extend(_repeated(own_train, config.oversample.get(name, 1), config.seed))
        if name in config.select_on or (not config.select_on and name not in refit):
            val.extend(own_val)
    if refit and not val:
        raise SkinsegError("--train-on-val leaves no validation split to pick best.keras; "
                           "train on at least one more dataset and select on it")
    return train, val


def _repeated(samples: list[Sample], repeats: float, seed: int) -> list[Sample]:
    """Small datasets are repeated so big ones do not drown them out; a fraction keeps a seeded subset."""
    whole, fraction = int(repeats), repeats - int(repeats)
    extra = random.Random(seed).sample(samples, round(fraction * len(samples))) if fraction else []
    return samples * whole + extra


def prepare_run_folder(out: Path, resume: bool, force: bool) -> bool:
    """Decide what to do with an existing run folder; True if resuming."""
    if not out.exists() or not any(out.iterdir()):
        if resume:
            raise SkinsegError(f"{out}: nothing to resume; start the run without --resume")
        return False
    if resume and force:
        raise SkinsegError("--resume and --force contradict each other; pick one")
    if resume:
        if not (out / "last.keras").exists() or not (out / "config.json").exists():
            raise SkinsegError(f"{out}: no last.keras/config.json to resume from; use --force to start over")
        return True
    if force:
        shutil.rmtree(out)
        return False
    raise SkinsegError(f"{out}: run folder already exists; use --resume to continue it or --force to overwrite it")


IMAGENET = "imagenet"


def _initial_weights(init: str) -> Path:
    """The file that ``--init`` names, checked before any data is loaded."""
    from .models import resolve_model

    if init == IMAGENET:
        from .pretrained import checkpoint_path

        return checkpoint_path()
    path = resolve_model(init)
    if path.suffix != ".keras":
        raise SkinsegError(f"--init {init}: needs a .keras model, not {path.name}")
    return path


def _load_initial_weights(model, init: str, arch: str) -> None:
    """Start from ``--init``: a trained model of the same architecture and width (a fully
    convolutional model's weights do not depend on the input size, so a 256x256 model can start a
    384x384 run), or the ImageNet checkpoint.

    The new model may have layers the trained one lacks (an ``--arch-option`` that adds a branch):
    every trained layer then goes to the layer of its name, and the added ones start fresh."""
    from .keras_io import load_keras_model

    path = _initial_weights(init)
    if init == IMAGENET:
        from .pretrained import load_imagenet_encoder

        load_imagenet_encoder(model, path)
        return
    source = load_keras_model(path)
    if _shapes(source) == _shapes(model):
        model.set_weights(source.get_weights())
        return
    targets = {layer.name: layer for layer in model.layers}
    trained = [layer for layer in source.layers if layer.weights]
    if not all(layer.name in targets and _shapes(targets[layer.name]) == _shapes(layer) for layer in trained):
        raise SkinsegError(f"--init {init}: its layers do not match --arch {arch} at this --width/--img-size; "
                           "give the same architecture options the model was trained with")
    for layer in trained:
        targets[layer.name].set_weights(layer.get_weights())


def _shapes(layer_or_model) -> list[tuple]:
    return [tuple(w.shape) for w in layer_or_model.weights]


def _check_choices(config: TrainConfig) -> None:
    """Refuse a loss, precision, mosaic or camera setting the library cannot train with, before the run
    folder is touched."""
    from .losses import LOSSES

    if config.loss not in LOSSES:
        raise SkinsegError(f"unknown loss {config.loss!r}; available: {', '.join(LOSSES)}")
    if config.precision not in ("float32", "mixed"):
        raise SkinsegError(f"unknown precision {config.precision!r}; available: float32, mixed")
    if not 0 <= config.mosaic <= 1 or config.mosaic_grid not in (2, 3, 4):
        raise SkinsegError(f"--mosaic {config.mosaic} --mosaic-grid {config.mosaic_grid}: "
                           "the share goes from 0 to 1 and the grid from 2 to 4")
    if not 1 <= config.aspect <= 3:
        raise SkinsegError(f"--aspect {config.aspect}: give the largest change of a crop's width over height, from 1 to 3")
    if not 0 <= config.weight_decay < 1:
        raise SkinsegError(f"--weight-decay {config.weight_decay}: give AdamW's decay per unit of learning rate, "
                           "from 0 up to but not including 1 (e.g. 0.05)")
    if config.select_metric not in SELECT_METRICS:
        raise SkinsegError(f"unknown --select-metric {config.select_metric!r}; available: {', '.join(SELECT_METRICS)}")
    if not 0 <= config.ema < 1:
        raise SkinsegError(f"--ema {config.ema}: give the average's momentum, from 0 (off) up to but not including 1")
    if config.teachers and not 0 < config.distill_weight <= 1:
        raise SkinsegError(f"--distill-weight {config.distill_weight}: give a share above 0 and at most 1")
    if not (0 <= config.exposure <= 3 and 0 <= config.white_balance <= 1 and 0 <= config.grayscale <= 1):
        raise SkinsegError(f"--exposure {config.exposure} --white-balance {config.white_balance} --grayscale "
                           f"{config.grayscale}: exposure goes from 0 to 3 stops, white balance from 0 to 1, "
                           "the grayscale share from 0 to 1")
    given = [flag for flag, value in (("--mosaic", config.mosaic), ("--aspect", config.aspect != TrainConfig.aspect),
                                      ("--exposure", config.exposure),
                                      ("--white-balance", config.white_balance), ("--grayscale", config.grayscale))
             if value]
    if given and not config.augment:
        # make_dataset applies these to augmented photos only; silently training without them misleads.
        names = " and ".join(given)
        raise SkinsegError(f"{names} need{'s' if len(given) == 1 else ''} augmentation; "
                           f"drop --no-augment or leave out {names}")


def _build_model(config: TrainConfig):
    from .architectures import create_model

    return create_model(config.arch, img_size=config.img_size, width=config.width, **config.arch_options)


def _starting_weights(config: TrainConfig) -> list | None:
    """Build the model once, before ``--force`` clears a folder or images load, so an unknown
    architecture, an option it does not take or an ``--init`` that does not fit it fails first.
    Returns the ``--init`` weights to start from, or None for a fresh start."""
    model = _build_model(config)
    if not config.init:
        return None
    _load_initial_weights(model, config.init, config.arch)
    return model.get_weights()


def _read_state(out: Path) -> dict:
    path = out / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _versions() -> dict:
    keras = require("keras", "train")
    return {"skinseg": __version__, "keras": keras.__version__, "backend": keras.backend.backend(),
            "python": platform.python_version()}


def _compile(model, config: TrainConfig, steps_per_epoch: int):
    keras = require("keras", "train")
    from .losses import LOSSES, BceDiceLoss, TargetIoU

    total = max(1, config.epochs * steps_per_epoch)
    warmup = min(total // 2, config.warmup_epochs * steps_per_epoch)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * (0.1 if warmup else 1.0),
        decay_steps=total - warmup, alpha=0.01,
        warmup_target=config.learning_rate if warmup else None, warmup_steps=warmup,
    )
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=config.weight_decay,
                                       use_ema=config.ema > 0, ema_momentum=config.ema or 0.99)
    metrics = [TargetIoU(target_class_ids=[1], threshold=0.5, name="iou"),
               TargetIoU(target_class_ids=[0, 1], threshold=0.5, name="miou2")]
    loss = BceDiceLoss(dice_weight=config.dice_weight) if config.loss == "bce-dice" else LOSSES[config.loss]()
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)


def plot_curves(rows: list[dict], path: Path) -> None:
    """Loss and IoU per epoch, train and validation, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [int(r["epoch"]) for r in rows]
    fig, (ax_loss, ax_iou) = plt.subplots(1, 2, figsize=(10, 4))
    for key, ax in (("loss", ax_loss), ("iou", ax_iou)):
        for series, label in ((key, f"train {key}"), (f"val_{key}", f"val {key}")):
            if all(r.get(series) not in (None, "") for r in rows):  # the multi-worker loop logs no train IoU
                ax.plot(epochs, [float(r[series]) for r in rows], label=label)
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def image_miou2(model, images, masks, batch_size: int) -> float:
    """Mean over photos of each photo's two-class IoU, predicted and scored at the input size."""
    import numpy as np

    from .metrics import confusion, summarise

    skin = model.predict(images.astype(np.float32), batch_size=batch_size, verbose=0)[..., 0] >= 0.5
    confusions = [confusion(p, t[..., 0] > 0) for p, t in zip(skin, masks)]
    return summarise([str(i) for i in range(len(confusions))], confusions)["per_image_mean"]["miou2"]


def _run_folder_callback(out: Path, is_chief: bool = True, select_metric: str = "iou", val=None):
    """The callback that keeps the run folder; on other workers it only tracks metrics. ``val``
    (images, masks, batch size) is what the per-photo selection metric predicts on."""
    keras = require("keras", "train")
    from .keras_io import save_keras_model

    column = SELECT_METRICS[select_metric]

    class RunFolder(keras.callbacks.Callback):
        """Writes metrics.csv, last.keras, best.keras, curves.png and state.json after every epoch."""

        def __init__(self):
            super().__init__()
            self.state = _read_state(out) if out.exists() else {}
            self.rows = []
            if is_chief and (out / "metrics.csv").exists():
                with open(out / "metrics.csv", newline="") as fh:
                    self.rows = list(csv.DictReader(fh))

        def on_epoch_end(self, epoch, logs=None):
            logs = dict(logs or {})
            if select_metric == "image-miou2":
                logs[column] = image_miou2(self.model, *val)
            lr = self.model.optimizer.learning_rate
            row = {"epoch": epoch + 1, **{k: float(v) for k, v in sorted(logs.items())},
                   "lr": float(lr.numpy() if hasattr(lr, "numpy") else lr)}
            self.rows = [r for r in self.rows if int(r["epoch"]) < epoch + 1] + [row]
            if not is_chief:
                return
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=list(row))
            writer.writeheader()
            writer.writerows({k: r.get(k, "") for k in row} for r in self.rows)
            atomic_write_text(out / "metrics.csv", text.getvalue())
            score = row.get(column, float("nan"))
            if score > self.state.get(f"best_{column}", -1.0):
                save_keras_model(self.model, out / "best.keras")
                self.state.update({f"best_{column}": score, "best_epoch": epoch + 1})
            save_keras_model(self.model, out / "last.keras")
            self.state.update(epochs_done=epoch + 1, finished=False)
            atomic_write_json(out / "state.json", self.state)
            plot_curves(self.rows, out / "curves.png")

    return RunFolder()


def _check_placement(config: TrainConfig, placement) -> None:
    if config.ema and placement.strategy is not None:
        # The multi-worker loop does not call the callbacks that swap the average in for validation.
        raise SkinsegError("--ema is not available for multi-worker training (TF_CONFIG); leave it out there")
    if config.select_metric != "iou" and placement.strategy is not None:
        # Every worker would have to join the prediction that scores each photo; the loop validates pooled.
        raise SkinsegError(f"--select-metric {config.select_metric} is not available for multi-worker training "
                           "(TF_CONFIG); use --select-metric iou there")


def _ema_callback(resuming: bool):
    """Keeps the weights' moving average in the model while it is validated and saved, so best.keras
    is the average that scored and last.keras the average a resumed run goes on from."""
    keras = require("keras", "train")

    class AverageWeights(keras.callbacks.SwapEMAWeights):
        def on_train_begin(self, logs=None):
            if resuming:
                # last.keras was saved with the two swapped: the average in the model, the raw
                # weights in the optimizer's slot. Swap back so training goes on from the raw ones.
                self._swap_variables()

    return AverageWeights(swap_on_epoch=True)


def train(config: TrainConfig, resume: bool = False, force: bool = False, verbose: int = 1) -> TrainResult:
    """Train ``config.arch`` on the datasets' train splits, selecting on a validation score."""
    keras = require("keras", "train")
    from .distillation import blend_targets, open_teachers, teacher_probabilities
    from .distributed import plan, weights_digest
    from .keras_io import load_keras_model
    from .pipeline import Camera, load_arrays, make_dataset

    out = Path(config.out)
    # The strategy comes first: TensorFlow's multi-worker collectives must be set up before anything
    # else (such as building a model) starts its runtime.
    placement = plan(config.distributed, keras.backend.backend())
    _check_placement(config, placement)
    if not resume:
        _check_choices(config)
    start = None if resume else _starting_weights(config)
    # Teachers open before --force clears a folder too: a missing or broken file fails first.
    teachers = [] if resume else open_teachers(config.teachers)
    # Only the chief looks after the run folder; other workers read it when resuming.
    resuming = prepare_run_folder(out, resume, force) if placement.is_chief else resume
    if resuming:
        saved = json.loads((out / "config.json").read_text())["config"]
        saved["epochs"] = max(config.epochs, saved["epochs"]) if config.epochs else saved["epochs"]
        config = TrainConfig(**{**saved, "out": str(out)})
        _check_placement(config, placement)  # the run's own settings, not the resuming call's
        teachers = open_teachers(config.teachers)

    keras.utils.set_random_seed(config.seed)
    if config.precision == "mixed":
        keras.mixed_precision.set_global_policy("mixed_float16")

    train_samples, val_samples = _train_and_val_samples(config)
    if not val_samples:
        raise SkinsegError("the datasets have no validation split; model selection needs one (use --split random)")
    train_x, train_y = load_arrays(train_samples, config.img_size)
    if teachers:
        soft = teacher_probabilities(train_samples, config.img_size, teachers, progress=verbose > 0)
        train_y = blend_targets(train_y, soft, config.distill_weight)
    val_x, val_y = load_arrays(val_samples, config.img_size)

    if config.batch_size == "auto":
        from .distributed import default_batch_limit, find_batch_size

        def probe():
            model = _build_model(config)
            _compile(model, config, 1)
            return model

        limit = min(default_batch_limit(), max(1, len(train_samples) // placement.replicas))
        config = TrainConfig(**{**asdict(config), "batch_size": find_batch_size(probe, config.img_size, limit)})
    batch_size = config.batch_size * placement.replicas  # --batch-size is per device
    initial_epoch = _read_state(out).get("epochs_done", 0) if resuming else 0

    # The epochs left, back to back: both loops read it on across epochs, `steps` batches each.
    train_ds = make_dataset(train_x, train_y, batch_size, augment=config.augment, shuffle=True,
                            seed=config.seed, min_scale=config.min_scale, aspect=config.aspect,
                            mosaic=config.mosaic, mosaic_grid=config.mosaic_grid,
                            camera=Camera(config.exposure, config.white_balance, config.grayscale),
                            epochs=(initial_epoch, config.epochs))
    val_ds = make_dataset(val_x, val_y, batch_size)
    steps = -(-len(train_x) // batch_size)

    with placement.scope:
        if resuming:
            model = load_keras_model(out / "last.keras", compile=True)
        else:
            model = _build_model(config)
            if start is not None:
                model.set_weights(start)
            _compile(model, config, steps)
    if not resuming and placement.is_chief:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "config.json", {
            "config": asdict(config),
            "command": " ".join(["skinseg", *sys.argv[1:]]) if sys.argv and "skinseg" in sys.argv[0] else None,
            "versions": _versions(),
            "samples": {"train": len(train_samples), "val": len(val_samples)},
            "parameters": int(model.count_params()),
            "placement": placement.description,
        })
    callback = _run_folder_callback(out, is_chief=placement.is_chief, select_metric=config.select_metric,
                                    val=(val_x, val_y, batch_size))
    if placement.strategy is not None:
        from .distributed import fit_multi_worker

        fit_multi_worker(model, placement.strategy, train_ds, steps, val_ds, config.epochs, initial_epoch, callback,
                         verbose)
    else:
        # The average must be in the model before the run folder callback saves it.
        callbacks = ([_ema_callback(resuming)] if config.ema else []) + [callback]
        model.fit(train_ds, validation_data=val_ds, epochs=config.epochs,
                  initial_epoch=initial_epoch, steps_per_epoch=steps, callbacks=callbacks, verbose=verbose,
                  shuffle=False)
    state = _read_state(out) if placement.is_chief else callback.state
    if placement.is_chief:
        state["finished"] = state.get("epochs_done", 0) >= config.epochs
        atomic_write_json(out / "state.json", state)
    return TrainResult(run_dir=out, epochs_done=state.get("epochs_done", len(callback.rows)),
                       best_epoch=state.get("best_epoch", 0),
                       best_score=state.get(f"best_{SELECT_METRICS[config.select_metric]}", float("nan")),
                       select_metric=config.select_metric,
                       train_samples=len(train_samples), val_samples=len(val_samples),
                       weights_sha256=weights_digest(model), placement=placement.description)
