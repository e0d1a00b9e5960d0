"""OCR of one page image with RapidOCR on ONNX Runtime (issue 12; docs/decisions.md "Evidence reading").

The PP-OCRv4 Chinese models (detection, recognition) and the 0°/180° angle classifier ship inside the
rapidocr-onnxruntime wheel: nothing is downloaded at run time. The engine is loaded once per process, on
first use (a web process that never reads evidence never loads it).

What is done beyond RapidOCR's own pipeline, for phone photos and scans:
- EXIF orientation is applied (reading.py) and a very large photo is scaled down to MAX_SIDE pixels on its
  long side (the detector works at ≤ 2000 px anyway; a 12 MP photo would only cost time);
- a page turned by 90° / 270° is detected from its text boxes (most are tall and narrow) and turned
  upright before recognition; 180° is the angle classifier's, and the page's line order is then
  rebuilt from the flipped coordinates;
- perspective (a photo taken at an angle): each detected text line is cut out with a perspective
  transform of its own quadrilateral (RapidOCR), which straightens it locally; the page as a whole is not
  rectified (see docs/decisions.md);
- dim or grey photos are contrast-stretched (autocontrast) before detection;
- lines are rebuilt from the boxes' positions (boxes whose vertical centres are close form one line, left
  to right), so that a label and its value in two table cells end up on one line."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

from PIL import Image, ImageOps

_engine: Any = None
_engine_lock = threading.Lock()


@dataclass(frozen=True)
class OcrPage:
    text: str
    confidence: float | None  # character-weighted mean of the recognised lines; None when nothing was found
    chars: int


def ocr_engine_name() -> str:
    import onnxruntime

    return f"RapidOCR {version('rapidocr-onnxruntime')} PP-OCRv4 / onnxruntime {onnxruntime.__version__}"


def ocr_engine(*, threads: int = 1) -> Any:
    """The process's one RapidOCR engine. `threads` is ONNX Runtime's intra-op thread count (1: a worker
    process per core reads one page at a time)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            from rapidocr_onnxruntime import RapidOCR

            _engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
        return _engine


def image_prepare(image: Image.Image, *, max_side: int) -> Image.Image:
    """RGB, at most `max_side` pixels on the long side, contrast stretched."""
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(image, cutoff=1)


def _box_size(box) -> tuple[float, float]:
    import numpy as np

    width = float(max(np.linalg.norm(box[0] - box[1]), np.linalg.norm(box[2] - box[3])))
    height = float(max(np.linalg.norm(box[0] - box[3]), np.linalg.norm(box[1] - box[2])))
    return width, height


def _mostly_vertical(boxes) -> bool:
    """Most elongated boxes are tall: the page lies on its side (text lines run top to bottom)."""
    tall = wide = 0.0
    for box in boxes:
        width, height = _box_size(box)
        if height > 1.5 * width:
            tall += height * width
        elif width > 1.5 * height:
            wide += height * width
    return tall > wide


def _lines(items: list[tuple[float, float, float, str]]) -> list[str]:
    """items: (centre y, height, left x, text) → lines top to bottom, boxes left to right."""
    lines: list[list[tuple[float, float, float, str]]] = []
    for item in sorted(items):
        if lines:
            last = lines[-1]
            centre = sum(i[0] for i in last) / len(last)
            if abs(item[0] - centre) < 0.5 * min(item[1], min(i[1] for i in last)):
                last.append(item)
                continue
        lines.append([item])
    return [" ".join(i[3] for i in sorted(line, key=lambda i: i[2])) for line in lines]


def ocr_page(image: Image.Image, *, max_side: int = 1600, threads: int = 1) -> OcrPage:
    """The text of one page image (already EXIF-oriented), one line per text line."""
    import numpy as np

    engine = ocr_engine(threads=threads)
    arr = np.ascontiguousarray(np.asarray(image_prepare(image, max_side=max_side))[:, :, ::-1])  # BGR
    arr, _rh, _rw = engine.preprocess(arr)
    boxes, _elapsed = engine.auto_text_det(arr)
    if boxes and _mostly_vertical(boxes):
        # Turn it upright (or upside down: the classifier then turns each line, and the order is rebuilt).
        arr = np.ascontiguousarray(np.rot90(arr, k=-1))
        boxes, _elapsed = engine.auto_text_det(arr)
    if not boxes:
        return OcrPage(text="", confidence=None, chars=0)
    crops = engine.get_crop_img_list(arr, boxes)
    crops, cls_res, _elapsed = engine.text_cls(crops)
    rec_res, _elapsed = engine.text_rec(crops, False)
    upside_down = sum(1 for label, _score in cls_res if label == "180") > len(cls_res) / 2
    height, width = arr.shape[:2]
    items, weighted, chars = [], 0.0, 0
    for box, rec in zip(boxes, rec_res, strict=False):
        text, score = str(rec[0]).strip(), float(rec[1])
        if not text or score < engine.text_score:
            continue
        ys, xs = [float(p[1]) for p in box], [float(p[0]) for p in box]
        cy, left, box_h = sum(ys) / 4, min(xs), max(ys) - min(ys)
        if upside_down:
            cy, left = height - cy, width - max(xs)
        items.append((cy, max(box_h, 1.0), left, text))
        weighted += score * len(text)
        chars += len(text)
    if not items:
        return OcrPage(text="", confidence=None, chars=0)
    return OcrPage(text="\n".join(_lines(items)), confidence=weighted / chars, chars=chars)
