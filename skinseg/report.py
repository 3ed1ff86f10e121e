"""The parity report of ``skinseg verify --report DIR``: one HTML page and its pictures.

For the worst images it shows the photo, the reference mask, the candidate mask and their
difference side by side (difference colours: white both skin, red reference only, blue
candidate only), so a quantization problem can be seen rather than read.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PIL import Image

from .files import atomic_write_text
from .images import read_image, save_png

THUMB_BOX = (240, 240)


def _thumb(array: np.ndarray) -> np.ndarray:
    """Fit within THUMB_BOX; nearest-neighbour keeps masks crisp."""
    img = Image.fromarray(array)
    img.thumbnail(THUMB_BOX, Image.NEAREST)
    return np.asarray(img)


def difference(reference: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    out = np.zeros((*reference.shape, 3), np.uint8)
    out[reference & candidate] = (255, 255, 255)
    out[reference & ~candidate] = (230, 40, 40)
    out[~reference & candidate] = (40, 90, 230)
    return out


def write_parity_report(result: dict, out_dir: str | Path) -> Path:
    """Write ``out_dir/index.html`` and the worst images' pictures; return the page's path."""
    out_dir = Path(out_dir)
    masks = {sample.name: (sample, ref, cand) for sample, ref, cand, _ in result["_masks"]}
    rows = []
    for i, worst in enumerate(result["worst"]):
        sample, ref, cand = masks[worst["name"]]
        pictures = {"image": read_image(sample.image), "reference": ref.astype(np.uint8) * 255,
                    "candidate": cand.astype(np.uint8) * 255, "difference": difference(ref, cand)}
        cells = []
        for kind, array in pictures.items():
            name = f"worst{i}_{kind}.png"
            save_png(out_dir / name, _thumb(array))
            cells.append(f'<td><img src="{name}" alt="{kind} of {html.escape(sample.name)}"></td>')
        rows.append(f"<tr><th>{html.escape(sample.name)}<br>agreement {100 * worst['agreement']:.2f}%<br>"
                    f"IoU {worst['reference_iou']:.3f} &rarr; {worst['candidate_iou']:.3f}</th>{''.join(cells)}</tr>")
    metric_rows = "".join(
        f"<tr><td>{role}</td><td>{html.escape(result[role]['model'])}</td><td>{result[role]['runtime']}</td>"
        + "".join(f"<td>{result[role]['per_image_mean'][k]:.4f}</td>" for k in ("iou", "f1", "miou2"))
        + "</tr>" for role in ("reference", "candidate"))
    verdict = "PASSED" if result["passed"] else "FAILED"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>skinseg parity report</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}} img{{display:block}}
.PASSED{{color:#070}} .FAILED{{color:#b00}}</style></head>
<body><h1>Parity report: <span class="{verdict}">{verdict}</span></h1>
<p>{result['images']} images of {html.escape(result['dataset'])}/{html.escape(result['split'])}.
IoU drop {result['iou_drop']:+.4f} (bound {result['max_iou_drop']}), pixel agreement
{100 * result['pixel_agreement']:.2f}%.</p>
<table id="metrics"><tr><th>model</th><th>file</th><th>runtime</th><th>IoU</th><th>F1</th><th>mIoU2</th></tr>
{metric_rows}</table>
<h2>Worst images</h2>
<p>Difference: white both skin, red reference only, blue candidate only.</p>
<table id="worst"><tr><th></th><th>image</th><th>reference</th><th>candidate</th><th>difference</th></tr>
{''.join(rows)}</table>
<script>
// Records how many pictures actually decoded, for automated checks of the rendered page.
window.addEventListener("load", () => {{
  const images = Array.from(document.images);
  const shown = images.filter((img) => img.complete && img.naturalWidth > 0).length;
  document.body.dataset.imagesLoaded = `${{shown}}/${{images.length}}`;
}});
</script></body></html>
"""
    page_path = out_dir / "index.html"
    atomic_write_text(page_path, page)
    return page_path
