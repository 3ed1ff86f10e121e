"""The --also option the validation benchmarks share: Pratheepan plus any NAME=DIR datasets."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_also_option(parser: argparse.ArgumentParser, scored: str = "scored") -> None:
    parser.add_argument("--also", action="append", default=[], metavar="NAME=DIR",
                        help=f"another dataset whose validation split is {scored}; repeatable")


def validation_datasets(also: list[str]) -> list[tuple[str, str | None, str]]:
    """(dataset name, data folder or None, label for keys and printouts), Pratheepan first."""
    from skinseg.datasets import parse_dataset_spec  # after the caller's TF_CPP_MIN_LOG_LEVEL

    specs = [("pratheepan", None), *map(parse_dataset_spec, also)]
    return [(name, data_dir, Path(data_dir).name if data_dir else name) for name, data_dir in specs]
