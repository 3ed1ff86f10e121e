"""Live segmentation from a camera (or a video file) with OpenCV, showing frames per second.

OpenCV (a core dependency: the runtime resizes with it too); on a Pi, ``--camera 0`` opens the Pi
camera through V4L2 like any webcam.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .errors import SkinsegError, require
from .prediction import overlay_mask
from .runtime import Segmenter


def _source(spec: str):
    return int(spec) if spec.isdigit() else spec


def stream(segmenter: Segmenter, source: str, out: Path | None = None, show: bool = False,
           max_frames: int | None = None) -> Iterator[dict]:
    """Segment frames from ``source`` (camera index or video path); yield per-frame stats.

    With ``out`` the overlays are written to a video file; with ``show`` they go to a window.
    """
    cv2 = require("cv2", "camera")
    capture = cv2.VideoCapture(_source(source))
    if not capture.isOpened():
        raise SkinsegError(f"camera or video {source!r} could not be opened; check the index or path")
    writer = None
    frames, started = 0, time.perf_counter()
    try:
        while max_frames is None or frames < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            rgb = np.ascontiguousarray(frame[..., ::-1])
            start = time.perf_counter()
            mask = segmenter.predict(rgb)
            latency = time.perf_counter() - start
            frames += 1
            fps = frames / (time.perf_counter() - started)
            shown = np.ascontiguousarray(overlay_mask(rgb, mask)[..., ::-1])
            cv2.putText(shown, f"{fps:.1f} fps", (8, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
            if out is not None:
                if writer is None:
                    out.parent.mkdir(parents=True, exist_ok=True)
                    height, width = shown.shape[:2]
                    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 15, (width, height))
                writer.write(shown)
            if show:
                cv2.imshow("skinseg", shown)
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
            yield {"frame": frames, "latency_ms": latency * 1000, "fps": fps, "skin_fraction": float(mask.mean())}
    finally:
        capture.release()
        if writer is not None:
            writer.release()
        if show:
            cv2.destroyAllWindows()
