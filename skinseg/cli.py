"""The ``skinseg`` command line: it parses arguments and prints results; the library does the work."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the output

import click

from . import __version__
from .errors import SkinsegError


class SkinsegGroup(click.Group):
    """Turns SkinsegError into a one-line message and exit code 1, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SkinsegError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(1)


def _table(rows: list[list], headers: list[str]) -> str:
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _write_json(path: str | None, value) -> None:
    if path:
        from .files import atomic_write_json

        atomic_write_json(path, value)


@click.group(cls=SkinsegGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="skinseg")
def cli():
    """Train, shrink and run human-skin segmentation models on small devices."""


dataset_option = click.option("--dataset", "datasets", multiple=True, default=["pratheepan"], show_default=True,
                              help="Dataset name, or NAME=DATA_DIR; repeat to train on several.")
data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False), help="Folder holding the dataset.")
adapt_option = click.option(
    "--adapt/--no-adapt", default=None,
    help="Move the skin probability by a colour model of the photo itself, fitted on the pixels the "
         "model is sure of [default: the model file's].")
threshold_option = click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
                                help="Skin probability threshold [default: the model file's].")


def _settings(result: dict) -> str:
    """'threshold 0.5, colour-adapted' for the inference settings a result ran with."""
    settings = result.get("settings", {})
    return f"threshold {settings.get('threshold')}" + (", colour-adapted" if settings.get("adapt") else "")


@cli.command()
@dataset_option
@data_dir_option
@click.option("--split", type=str, default=None, help="Split scheme: seed (Pratheepan), manifest, random.")
@click.option("--subset", type=str, default=None, help="Dataset subset, e.g. face or family for Pratheepan.")
@click.option("--split-ratios", default="0.6,0.2,0.2", show_default=True, help="train,val,test ratios for --split random.")
@click.option("--split-seed", default=0, show_default=True, help="Seed of --split random.")
@click.option("--arch", default="segnet", show_default=True, help="Architecture name (see 'skinseg plugins').")
@click.option("--width", default=1.0, show_default=True, help="Width multiplier of every layer.")
@click.option("--img-size", default=256, show_default=True, help="Square input size in pixels.")
@click.option("--arch-option", "arch_options", multiple=True,
              help="KEY=VALUE passed to the architecture, repeatable; 'skinseg plugins' lists each one's options "
                   "(e.g. upsample=resize).")
@click.option("--epochs", default=None, type=int, help="Epochs to train [default: 50; on --resume, the run's own; more extends it, and the "
                   "extra epochs train at the end of its learning-rate schedule, 1% of its peak rate].")
@click.option("--batch-size", default="8", show_default=True,
              help="Images per device and step, or 'auto' for the largest that fits in memory.")
@click.option("--lr", "learning_rate", default=1e-3, show_default=True, help="Peak learning rate (cosine schedule).")
@click.option("--weight-decay", default=1e-4, show_default=True, type=click.FloatRange(0.0, 1.0, max_open=True),
              help="AdamW's decoupled weight decay: each step shrinks every weight by learning rate x this "
                   "(0.01-0.1 regularises a long run on little data; the default barely does).")
@click.option("--ema", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0, max_open=True),
              help="Keep an exponential moving average of the weights with this momentum (e.g. 0.998); the "
                   "average is what is validated and saved. 0 turns it off.")
@click.option("--loss", type=click.Choice(["bce-dice", "bce-lovasz"]), default="bce-dice", show_default=True,
              help="bce-lovasz optimises each image's two-class IoU directly (for fine-tuning).")
@click.option("--no-augment", is_flag=True, help="Train without flips, scale/crop and colour jitter.")
@click.option("--min-scale", default=0.6, show_default=True, type=click.FloatRange(0.1, 1.0),
              help="Smallest random crop, as a fraction of each side; 1.0 keeps whole images (no zoom).")
@click.option("--aspect", default=1.25, show_default=True, type=click.FloatRange(1.0, 3.0),
              help="Largest factor by which a training crop's width over height is changed (both ways), so the "
                   "model also sees people squeezed or stretched, as tiled inference shows them.")
@click.option("--mosaic", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="Share of training examples that are mosaics of several photos, each shrunk to fit, so the "
                   "model also sees people as small as in group photos.")
@click.option("--mosaic-grid", default=2, show_default=True, type=click.IntRange(2, 4),
              help="Photos per side of each mosaic: 2 shows four at half scale, 3 nine at a third.")
@click.option("--exposure", default=0.0, show_default=True, type=click.FloatRange(0.0, 3.0),
              help="Change each training photo's exposure by up to this many stops, as other cameras and light do.")
@click.option("--white-balance", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="Shift each training photo's red and blue by up to this many stops (warm or cool light).")
@click.option("--grayscale", default=0.0, show_default=True, type=click.FloatRange(0.0, 1.0),
              help="Share of training photos shown without colour, so the model also segments black-and-white ones.")
@click.option("--seed", default=0, show_default=True, help="Random seed; the same seed repeats a run.")
@click.option("--precision", type=click.Choice(["float32", "mixed"]), default="float32", show_default=True,
              help="mixed: float16 compute with float32 weights (for GPUs).")
@click.option("--backend", type=click.Choice(["tensorflow", "jax", "torch"]), default=None,
              help="Keras backend [default: $KERAS_BACKEND or tensorflow].")
@click.option("--limit", type=int, default=None, help="Use only the first N samples of each split (smoke tests).")
@click.option("--oversample", multiple=True,
              help="NAME=K: repeat a dataset's training images K times (a fraction such as 0.5 keeps a seeded part).")
@click.option("--select-on", multiple=True,
              help="Dataset whose validation split picks best.keras; repeatable [default: every dataset].")
@click.option("--select-metric", type=click.Choice(["iou", "image-miou2"]), default="iou", show_default=True,
              help="What picks best.keras: skin IoU pooled over the validation pixels, or the mean of each "
                   "validation photo's two-class IoU (the measure the Pratheepan baseline reports).")
@click.option("--train-on-val", multiple=True,
              help="Dataset whose validation split joins its training split, for a final refit with a recipe "
                   "already chosen on it (take last.keras); repeatable. Its test split stays unseen.")
@click.option("--init", default=None,
              help="Start from this .keras model's weights (a run's best.keras or a shipped name) to fine-tune; "
                   "'imagenet' starts mobilenet-unet's encoder from ImageNet weights.")
@click.option("--teacher", "teachers", multiple=True,
              help="Distil from this model (a shipped name or a model file), repeatable: the teachers' mean skin "
                   "probability on each training photo is blended into its target.")
@click.option("--distill-weight", default=0.5, show_default=True, type=click.FloatRange(0.0, 1.0, min_open=True),
              help="Share of each training target that is the teachers' probability (the rest is the mask).")
@click.option("--distributed", is_flag=True,
              help="Use every local GPU, or the machines in TF_CONFIG (tensorflow backend); see docs.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Run folder.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its last.keras.")
@click.option("--force", is_flag=True, help="Overwrite an existing run folder.")
@click.option("--quiet", is_flag=True, help="No per-epoch progress.")
def train(datasets, data_dir, split, subset, split_ratios, split_seed, arch, width, img_size, arch_options, epochs, batch_size,
          learning_rate, weight_decay, ema, loss, no_augment, min_scale, aspect, mosaic, mosaic_grid, exposure, white_balance, grayscale, seed,
          precision, backend, limit, oversample, select_on, select_metric, train_on_val, init, teachers, distill_weight,
          distributed, out, resume, force, quiet):
    """Train a model; the run folder gets best.keras, last.keras, metrics.csv and curves.png."""
    from .backend import use_backend

    use_backend(backend)
    from .training import TrainConfig
    from .training import train as run_training

    try:
        ratios = tuple(float(r) for r in split_ratios.split(","))
    except ValueError:
        raise SkinsegError(f"--split-ratios must be three numbers like 0.6,0.2,0.2, got {split_ratios!r}") from None
    if batch_size != "auto" and not (batch_size.isdigit() and int(batch_size) > 0):
        raise SkinsegError(f"--batch-size takes a positive whole number or 'auto', got {batch_size!r}")
    batch_size = batch_size if batch_size == "auto" else int(batch_size)
    repeats = {}
    for item in oversample:
        name, _, count = item.partition("=")
        try:
            repeats[name] = float(count)
        except ValueError:
            repeats[name] = math.nan
        if not (math.isfinite(repeats[name]) and repeats[name] > 0):
            raise SkinsegError(f"--oversample takes NAME=K with K a positive number, got {item!r}")
    config = TrainConfig(out=out, datasets=list(datasets), data_dir=data_dir, split=split, subset=subset,
                         split_ratios=ratios, split_seed=split_seed, arch=arch, width=width, img_size=img_size,
                         epochs=epochs or (0 if resume else 50), batch_size=batch_size, learning_rate=learning_rate, weight_decay=weight_decay,
                         ema=ema, loss=loss,
                         augment=not no_augment, min_scale=min_scale, aspect=aspect, mosaic=mosaic, mosaic_grid=mosaic_grid,
                         exposure=exposure, white_balance=white_balance, grayscale=grayscale,
                         seed=seed, precision=precision, limit=limit,
                         oversample=repeats, select_on=list(select_on), select_metric=select_metric,
                         train_on_val=list(train_on_val),
                         init=init, teachers=list(teachers),
                         distill_weight=distill_weight, distributed=distributed,
                         arch_options=_key_values("--arch-option", arch_options))
    verbose = 0 if quiet else (1 if sys.stdout.isatty() else 2)
    result = run_training(config, resume=resume, force=force, verbose=verbose)
    click.echo(f"trained {result.epochs_done} epochs on {result.train_samples} images ({result.placement}); best val "
               f"{result.select_metric} {result.best_score:.4f} at epoch {result.best_epoch}; run folder {result.run_dir}")
    click.echo(f"weights sha256 {result.weights_sha256}")


def _key_values(option: str, items) -> dict:
    """KEY=VALUE pairs; a value that reads as JSON (a number, true, false) is taken as such."""
    values = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not (sep and key):
            raise SkinsegError(f"{option} takes KEY=VALUE, got {item!r}")
        try:
            values[key] = json.loads(text)
        except ValueError:
            values[key] = text
    return values


def _metrics_table(result: dict) -> str:
    from .metrics import METRIC_KEYS

    rows = [[label, *(f"{result[key][m]:.4f}" for m in METRIC_KEYS)]
            for label, key in (("per-image mean", "per_image_mean"), ("pooled", "pooled"))]
    return _table(rows, ["", *METRIC_KEYS])


@cli.command()
@click.option("-m", "--model", required=True, help="Model file (.keras, .tflite) or shipped model name.")
@click.option("--dataset", default="pratheepan", show_default=True)
@data_dir_option
@click.option("--split", default="test", show_default=True, help="Which split to score (train, val, test, all).")
@click.option("--scheme", default=None, help="Split scheme (seed, random, manifest); dataset default if omitted.")
@click.option("--subset", default=None)
@click.option("--runtime", default=None, help="Runtime for the model (default: best installed).")
@click.option("--threads", type=int, default=None)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON.")
@click.option("--per-image", is_flag=True, help="Print every image's scores.")
@threshold_option
@adapt_option
@click.option("--quiet", is_flag=True)
def evaluate(model, dataset, data_dir, split, scheme, subset, runtime, threads, json_path, per_image, threshold, adapt,
             quiet):
    """Score a model on a dataset split, at each image's original size."""
    from .evaluation import evaluate as run_evaluation

    result = run_evaluation(model, dataset, split, data_dir=data_dir, runtime=runtime, num_threads=threads,
                            progress=not quiet, threshold=threshold, adapt=adapt, scheme=scheme, subset=subset)
    _write_json(json_path, result)
    click.echo(f"{result['images']} images of {dataset}/{split}, runtime {result['runtime']}, {_settings(result)}")
    click.echo(_metrics_table(result))
    if per_image:
        click.echo(_table([[r["name"], f"{r['iou']:.4f}", f"{r['f1']:.4f}", f"{r['miou2']:.4f}"]
                           for r in result["per_image"]], ["image", "iou", "f1", "miou2"]))


@cli.command()
@click.option("-m", "--model", default=None, help="Model file or shipped model name [default: skinseg-lite-int8].")
@click.option("--data-root", type=click.Path(file_okay=False),
              help="Folder holding pratheepan/, sfa/, abdomen/, ccp/ and hgr/ [default: $SKINSEG_DATA].")
@click.option("--dataset", "extra", multiple=True,
              help="Also score this dataset's val split: NAME=DATA_DIR or a folder of images/ + masks/ (repeatable).")
@click.option("--only-added", is_flag=True, help="Score only the --dataset ones, not the five defaults.")
@click.option("--runtime", default=None, help="Runtime for the model (default: best installed).")
@click.option("--threads", type=int, default=None, help="Interpreter threads [default: the runtime's].")
@threshold_option
@adapt_option
@click.option("--against", type=click.Path(dir_okay=False, exists=True),
              help="An earlier --json result: print each dataset's paired F1 gain over it, with its standard error.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON.")
@click.option("--quiet", is_flag=True)
def validate(model, data_root, extra, only_added, runtime, threads, threshold, adapt, against, json_path, quiet):
    """Score a model on the validation suite: the val splits of several datasets at once.

    Prints per-image F1, IoU and mIoU2 per dataset and their macro mean, and the end-to-end time per
    photo (decoded photo in, full-size mask out). Defaults are chosen on this suite.
    """
    from .validation import paired_gain
    from .validation import validate as run_validation

    result = run_validation(model, data_root, extra, defaults=not only_added, runtime=runtime, num_threads=threads,
                            progress=not quiet, threshold=threshold, adapt=adapt)
    _write_json(json_path, result)
    click.echo(f"{result['model']}, runtime {result['runtime']}, {_settings(result)}")
    rows = [[label, r["images"], *(f"{r['per_image_mean'][m]:.4f}" for m in ("f1", "iou", "miou2")),
             f"{r['latency_ms']['median']:.1f}", f"{r['latency_ms']['p90']:.1f}"]
            for label, r in result["datasets"].items()]
    macro = result["macro"]
    rows.append(["macro mean", sum(r["images"] for r in result["datasets"].values()),
                 *(f"{macro[m]:.4f}" for m in ("f1", "iou", "miou2")), f"{macro['latency_ms_median']:.1f}", ""])
    click.echo(_table(rows, ["dataset", "photos", "f1", "iou", "miou2", "ms median", "ms p90"]))
    if against:
        gain = paired_gain(result, json.loads(Path(against).read_text()))
        rows = [[label, f"{g['gain']:+.4f} ± {g['se']:.4f}", f"{g['up']}/{g['down']}"]
                for label, g in gain["datasets"].items()]
        rows.append(["macro mean", f"{gain['macro']['gain']:+.4f} ± {gain['macro']['se']:.4f}", ""])
        click.echo(_table(rows, ["dataset", f"F1 gain over {Path(against).name}", "photos up/down"]))


@cli.command()
@click.option("-m", "--model", default=None, help="Model file or shipped model name [default: skinseg-lite-int8].")
@click.argument("inputs", nargs=-1, type=click.Path())
@click.option("--out", required=True, type=click.Path(), help="Folder for STEM.png masks (with --camera: a video file).")
@click.option("--camera", default=None, help="Camera index (0) or video file: segment live, with an FPS overlay.")
@click.option("--show", is_flag=True, help="With --camera: show the overlay in a window (q quits).")
@click.option("--max-frames", type=int, default=None, help="With --camera: stop after this many frames.")
@click.option("--overlay", is_flag=True, help="Also write STEM_overlay.png, the mask tinted over the photo.")
@click.option("--runtime", default=None)
@click.option("--threads", type=int, default=None)
@threshold_option
@adapt_option
@click.option("--force", is_flag=True, help="Overwrite existing masks in --out.")
@click.option("--quiet", is_flag=True)
def predict(model, inputs, out, camera, show, max_frames, overlay, runtime, threads, threshold, adapt, force, quiet):
    """Write a 0/255 skin mask for each image (or each image in each folder), at its original size."""
    from .prediction import predict_files

    if camera is not None:
        from .camera import stream
        from .runtime import Segmenter

        if Path(out).exists() and not force:
            raise SkinsegError(f"{out}: already exists; use --force to overwrite it")
        segmenter = Segmenter(model, runtime=runtime, num_threads=threads, threshold=threshold, adapt=adapt)
        stats = None
        for stats in stream(segmenter, camera, Path(out), show=show, max_frames=max_frames):
            if not quiet and stats["frame"] % 30 == 0:
                click.echo(f"frame {stats['frame']}: {stats['fps']:.1f} fps, {stats['latency_ms']:.1f} ms")
        if stats is None:
            raise SkinsegError(f"camera or video {camera!r} gave no frames")
        click.echo(f"{stats['frame']} frames at {stats['fps']:.1f} fps ({segmenter.runtime}) -> {out}")
        return
    if not inputs:
        raise SkinsegError("give images or folders to segment, or --camera")
    failures = 0
    for path, target, error in predict_files(model, inputs, out, overlay=overlay, runtime=runtime,
                                             num_threads=threads, threshold=threshold, adapt=adapt, force=force):
        if error:
            failures += 1
            click.echo(f"Error: {error}", err=True)
        elif not quiet:
            click.echo(f"{path} -> {target}")
    if failures:
        raise SkinsegError(f"{failures} image(s) could not be segmented; see the messages above")


@cli.command()
@click.option("--reference", required=True, type=click.Path(), help="Full-precision model (usually .keras).")
@click.option("--candidate", required=True, type=click.Path(), help="Exported model to check against it.")
@click.option("--dataset", default="pratheepan", show_default=True)
@data_dir_option
@click.option("--split", default="test", show_default=True)
@click.option("--max-iou-drop", default=0.01, show_default=True, help="Fail when IoU drops by more than this.")
@click.option("--runtime", default=None, help="Runtime for the candidate (default: best installed).")
@click.option("--threads", type=int, default=None)
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the results as JSON.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Write an HTML parity report with the worst images side by side.")
@threshold_option
@adapt_option
@click.option("--quiet", is_flag=True)
def verify(reference, candidate, dataset=None, data_dir=None, split="test", max_iou_drop=0.01, runtime=None,
           threads=None, json_path=None, report_dir=None, threshold=None, adapt=None, quiet=False):
    """Check that an exported model keeps the reference model's accuracy; exit 1 if it does not."""
    from .verification import verify as run_verify

    result = run_verify(reference, candidate, dataset or "pratheepan", split, data_dir=data_dir,
                        max_iou_drop=max_iou_drop, runtime=runtime, num_threads=threads, progress=not quiet,
                        keep_masks=report_dir is not None, threshold=threshold, adapt=adapt)
    if report_dir:
        from .report import write_parity_report

        click.echo(f"report: {write_parity_report(result, report_dir)}")
        del result["_masks"]
    _write_json(json_path, result)
    rows = [[role, result[role]["runtime"], *(f"{result[role]['per_image_mean'][k]:.4f}" for k in ("iou", "f1", "miou2"))]
            for role in ("reference", "candidate")]
    click.echo(f"{result['images']} images of {result['dataset']}/{result['split']}, {_settings(result)}")
    if result["reference"]["rebuilt_at"]:
        click.echo("reference rebuilt at {}x{}, the candidate's input size".format(*result["reference"]["rebuilt_at"]))
    click.echo(_table(rows, ["model", "runtime", "iou", "f1", "miou2"]))
    click.echo(f"IoU drop {result['iou_drop']:+.4f} (bound {max_iou_drop}); pixel agreement "
               f"{100 * result['pixel_agreement']:.2f}%")
    if not quiet:
        click.echo("worst images: " + ", ".join(f"{w['name']} ({100 * w['agreement']:.1f}%)" for w in result["worst"]))
    if not result["passed"]:
        raise SkinsegError(f"{candidate}: IoU drop {result['iou_drop']:.4f} exceeds --max-iou-drop {max_iou_drop}")
    click.echo("PASSED")


@cli.command()
@click.option("-m", "--model", required=True, type=click.Path(),
              help="The .keras model to export, or a shipped float model's name.")
@click.option("--format", "format_", required=True, help="savedmodel, tflite or edgetpu (see 'skinseg plugins').")
@click.option("--img-size", type=click.IntRange(min=16), default=None,
              help="Rebuild the network at this input size first (same weights; a larger input finds "
                   "small people better and costs time) [default: the size it was trained at].")
@click.option("--quantize", default=None, help="none, float16, dynamic or int8 [default: the format's first].")
@click.option("--io-type", default=None, help="int8 only: uint8 (default) or int8 input and output.")
@click.option("--calib-samples", type=int, default=None, help="int8 only: calibration images [default: 100 or all].")
@click.option("--calib-dataset", default=None, help="int8 only: calibration dataset [default: the model's own].")
@click.option("--calib-split", default=None, help="int8 only: calibration split [default: train].")
@click.option("--calib-data-dir", type=click.Path(file_okay=False), default=None, help="int8 only: its folder.")
@click.option("--equalize/--no-equalize", default=None,
              help="int8 only: rescale narrow ReLU channels so int8 resolves them better; the float "
                   "function is unchanged [default: on].")
@click.option("--bias-correction/--no-bias-correction", default=None,
              help="int8 only: measure each convolution's mean int8 error on the calibration images and "
                   "take it out [default: on].")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              help="Skin probability threshold written into the file [default: the source model's].")
@click.option("--adapt/--no-adapt", default=None,
              help="Colour adaptation on or off in the file's settings [default: the source model's].")
@click.option("--out", type=click.Path(), default=None, help="Output path [default: beside the model].")
@click.option("--force", is_flag=True, help="Overwrite an existing artifact.")
@click.option("--verify", "verify_after", is_flag=True, help="Run 'skinseg verify' on the artifact right after.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Also write the result as JSON.")
@click.option("--quiet", is_flag=True)
def export(model, format_, img_size, quantize, io_type, calib_samples, calib_dataset, calib_split, calib_data_dir,
           equalize, bias_correction, threshold, adapt, out, force, verify_after, json_path, quiet):
    """Export a trained model to SavedModel, TFLite or Edge TPU, with embedded metadata."""
    from .backend import use_backend
    from .export import export_model

    use_backend("tensorflow")  # the converter needs the TensorFlow backend, whatever trained the model

    result = export_model(model, format_, out, quantize=quantize, force=force, progress=not quiet, io_type=io_type,
                          calib_samples=calib_samples, calib_dataset=calib_dataset, calib_split=calib_split,
                          calib_data_dir=calib_data_dir, equalize=equalize, bias_correction=bias_correction,
                          img_size=img_size, threshold=threshold, adapt=adapt)
    click.echo(f"{result.format} ({result.quantize}) -> {result.path}  {result.size_bytes / 1e6:.2f} MB")
    for note in result.notes:
        click.echo(f"  {note}")
    if result.report and not quiet:
        from .export.edgetpu import format_report

        click.echo(format_report(result.report))
    _write_json(json_path, {"path": str(result.path), "format": result.format, "quantize": result.quantize,
                            "size_bytes": result.size_bytes, "notes": result.notes, "metadata": result.metadata,
                            "edgetpu_report": result.report})
    if verify_after:
        ctx = click.get_current_context()
        ctx.invoke(verify, reference=model, candidate=str(result.path), quiet=quiet)


@cli.command()
@click.option("-m", "--model", required=True, type=click.Path(), help="The .keras model to benchmark.")
@click.option("--dataset", default="pratheepan", show_default=True)
@data_dir_option
@click.option("--split", default="test", show_default=True)
@click.option("--format", "formats", multiple=True, help="Only these export formats (repeatable) [default: all].")
@click.option("--threads", type=int, default=None, help="Interpreter threads [default: all cores].")
@click.option("--calib-samples", type=int, default=None, help="Calibration images for int8 formats.")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for artifacts and the table.")
@click.option("--force", is_flag=True, help="Overwrite a finished benchmark in --out.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON.")
@click.option("--quiet", is_flag=True)
def benchmark(model, dataset, data_dir, split, formats, threads, calib_samples, out, force, as_json, quiet):
    """Export to every format, reload each through the runtime, score and time it."""
    from .backend import use_backend
    from .benchmark import benchmark as run_benchmark

    use_backend("tensorflow")

    rows = run_benchmark(model, out, dataset, split, data_dir=data_dir, formats=list(formats) or None,
                         num_threads=threads, calib_samples=calib_samples, force=force, progress=not quiet)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return

    def fmt(value, spec):
        return "-" if value is None else format(value, spec)

    table = [[r["format"], "ok" if r["status"] == "ok" else "FAILED", fmt(r["size_mb"], ".2f"), fmt(r["iou"], ".4f"),
              fmt(r["iou_drop"], "+.4f"), fmt(r["f1"], ".4f"), fmt(r["latency_ms_median"], ".1f"),
              fmt(r.get("e2e_ms_median"), ".1f"), fmt(r.get("e2e_ms_p90"), ".1f"), fmt(r["images_per_s"], ".1f"),
              r["runtime"] or "-"] for r in rows]
    click.echo(_table(table, ["format", "status", "size MB", "IoU", "IoU drop", "F1", "call ms", "e2e ms",
                              "e2e ms p90", "photos/s", "runtime"]))
    click.echo("call ms: the model call alone, median; e2e ms: decoded photo in, full-size mask out (what a user "
               "waits for)")
    for r in rows:
        if r["status"] != "ok":
            click.echo(f"{r['format']}: {r['status']}", err=True)
    click.echo(f"table written to {Path(out) / 'benchmark.csv'} and benchmark.json")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def models(as_json):
    """Models shipped inside the package, with their settings and metrics."""
    from .models import DEFAULT_MODEL, model_settings, shipped_models

    shipped = shipped_models()
    if as_json:
        click.echo(json.dumps({k: {**v, "path": str(v["path"]), "settings": model_settings(v["path"])}
                               for k, v in shipped.items()}, indent=2))
        return

    def number(metrics: dict, *keys, spec=".3f"):
        for key in keys:
            metrics = metrics.get(key, {}) if isinstance(metrics, dict) else {}
        return format(metrics, spec) if isinstance(metrics, (int, float)) else "-"

    rows = []
    for name, entry in shipped.items():
        metrics, settings = entry.get("metrics", {}), model_settings(entry["path"])
        rows.append([name + (" *" if name == DEFAULT_MODEL else ""), entry.get("format", ""),
                     f"{entry['path'].stat().st_size / 1024:.0f} KB",
                     f"{settings['threshold']:g}" + (" adapt" if settings["adapt"] else ""),
                     number(metrics, "suite", "macro", "f1"), number(metrics, "pratheepan_test", "f1"),
                     number(metrics, "e2e_ms", "test", spec=".1f")])
    click.echo(_table(rows, ["name", "format", "size", "settings", "suite F1", "test F1", "e2e ms"]))
    click.echo(f"* the default. suite F1: macro mean of per-photo F1 over the validation suite ('skinseg validate'); "
               f"test F1: Pratheepan test; e2e ms: a Pratheepan test photo in, its mask out, 2 threads "
               f"(benchmarks/e2e_latency.py). "
               f"'skinseg models --json' has the rest.")


@cli.group()
def datasets():
    """List, describe and fetch datasets."""


@datasets.command("list")
def datasets_list():
    """Registered datasets."""
    from .plugins import registry

    entries = registry("datasets").entries.values()
    click.echo(_table([[e.name, e.plugin, e.description] for e in entries], ["name", "plugin", "description"]))


@datasets.command("info")
@click.argument("name")
@data_dir_option
@click.option("--scheme", default=None, help="Split scheme (seed, random, manifest).")
@click.option("--json", "as_json", is_flag=True)
def datasets_info(name, data_dir, scheme, as_json):
    """Counts per split, image sizes and skin fraction."""
    from .datasets import describe, load_dataset

    info = describe(load_dataset(name, data_dir, scheme=scheme))
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"{info['name']} at {info['root']} ({info['scheme']} split)")
    rows = [[split, s["count"], "x".join(map(str, s["min_size"] or [])), "x".join(map(str, s["max_size"] or [])),
             f"{s['skin_fraction']:.3f}" if s["skin_fraction"] is not None else "-"]
            for split, s in info["splits"].items()]
    click.echo(_table(rows, ["split", "images", "min size", "max size", "skin fraction"]))


@datasets.command("fetch")
@click.argument("name")
@click.option("--from", "source", type=click.Path(), help="An archive or folder you already have.")
@click.option("--url", default=None, help="Download from this address instead of the default.")
@click.option("--sha256", default=None, help="Expected SHA-256 of the downloaded archive.")
@click.option("--dest", type=click.Path(file_okay=False), default=None, help="Where to keep it [default: cache].")
@click.option("--force", is_flag=True, help="Replace a copy that is already there.")
@click.option("--quiet", is_flag=True)
def datasets_fetch(name, source, url, sha256, dest, force, quiet):
    """Download (or import --from) a dataset, verify every file and cache it."""
    from .datasets import pratheepan

    if name != pratheepan.NAME:
        raise SkinsegError(f"only pratheepan can be fetched; put {name!r} in place and use --data-dir")
    dest = Path(dest) if dest else None
    if source:
        path = pratheepan.import_copy(source, dest, force=force, progress=not quiet)
    else:
        path = pratheepan.fetch(url=url, dest=dest, force=force, progress=not quiet, sha256=sha256)
    click.echo(f"pratheepan verified ({len(pratheepan.file_manifest())} files) at {path}")


@cli.command()
@click.option("--no-gpu", is_flag=True, help="Skip asking each backend for GPUs (faster).")
@click.option("--json", "as_json", is_flag=True)
def doctor(no_gpu, as_json):
    """Versions, backends, runtimes, GPUs, Edge TPU and data folders: one line each, OK or what to do."""
    from .doctor import run_checks

    checks = run_checks(check_gpus=not no_gpu)
    if as_json:
        click.echo(json.dumps([c.__dict__ for c in checks], indent=2))
        return
    for check in checks:
        click.echo(f"{'OK' if check.ok else '--':<3} {check.name:<24} {check.detail}")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
def plugins(as_json):
    """Loaded plugins, their versions and what each registers."""
    from .plugins import describe_plugins

    rows = describe_plugins()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    lines = []
    for row in rows:
        registers = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in row["registers"].items())
        lines.append([row["name"], f"{row['distribution']} {row['version']}", registers or ", ".join(row["hooks"])])
    click.echo(_table(lines, ["plugin", "distribution", "registers"]))


def _add_plugin_commands() -> None:
    from .plugins import manager

    try:
        manager().hook.register_commands(cli=cli)
    except SkinsegError as exc:  # a broken plugin must not stop the CLI from starting
        click.echo(f"Error: {exc}", err=True)


_add_plugin_commands()


def main() -> None:
    cli(prog_name="skinseg")
