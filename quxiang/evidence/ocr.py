"""OCR of one page image with RapidOCR on ONNX Runtime (issue 12; docs/decisions.md "Evidence reading").

The PP-OCRv4 Chinese models (detection, recognition) and the 0°/180° angle classifier ship inside the
rapidocr-onnxruntime wheel: nothing is downloaded at run time. The engine is loaded once per process, on
first use (a web process that never reads evidence never loads it).

What is done beyond RapidOCR's own pipeline, for phone photos and scans (timings: docs/benchmarks.md,
"Evidence OCR"):
- EXIF orientation is applied (reading.py);
- a phone photo of a sheet (a bright quadrilateral on a darker background, found with OpenCV on a 480 px
  copy) is warped flat: from the photo at full detail to at most MAX_SIDE pixels, so the desk
  around it is cut away and the perspective (the phone not parallel to the paper) undone; anything else
  (a scan, a page filling the frame, no clear sheet) is only scaled down to MAX_SIDE on its long side;
- dim or grey photos are contrast-stretched (autocontrast) before detection;
- text is detected ONCE, on a copy of at most DET_SIDE pixels (the boxes are mapped back onto the
  MAX_SIDE image, from which the lines are cut for recognition at full detail);
- a page turned by 90° / 270° is recognised from its boxes (most are tall and narrow): the image and the
  boxes are turned upright together, without a second detection; 180° is decided for the whole page by
  RapidOCR's angle classifier (the majority of the lines, weighted by confidence), and every line is then
  turned alike, so one unsure line does not come out upside down;
- each text line is cut out with a perspective transform of its own quadrilateral (RapidOCR), which
  straightens what the sheet warp left;
- lines are recognised one at a time (REC_BATCH 1: on one core, batches padded to their widest line cost
  more than they save);
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

            engine = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1)
            _tune(engine)
            _engine = engine
        return _engine


def _tune(engine: Any) -> None:
    """Detection on a copy of at most DET_SIDE pixels (RapidOCR's default, a short side of at least 736,
    runs it on the whole MAX_SIDE image); recognition REC_BATCH lines at a time."""
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    det = engine.text_det
    det.get_preprocess = lambda _max_wh: DetPreProcess(DET_SIDE, "max", det.mean, det.std)
    engine.text_rec.rec_batch_num = REC_BATCH


DET_SIDE = 1024  # the detector's input, long side (the recognition cuts lines from the MAX_SIDE image)
REC_BATCH = 1
SHEET_PROBE = 480  # long side of the copy the sheet's outline is looked for on


def image_prepare(image: Image.Image, *, max_side: int) -> Image.Image:
    """RGB, at most `max_side` pixels on the long side, contrast stretched (no sheet flattening)."""
    image = image.convert("RGB")
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(image, cutoff=1)


def sheet_quad(rgb) -> Any:
    """The four corners (top-left, top-right, bottom-right, bottom-left; float32, in `rgb`'s pixels) of a
    sheet of paper photographed on a darker background, or None: no clear sheet, or one that fills the
    frame already (a scan). Otsu's threshold of a blurred grey copy, the largest outline, simplified to
    four corners that must make a convex, roughly rectangular shape covering 20–93 % of the frame."""
    import cv2
    import numpy as np

    height, width = rgb.shape[:2]
    scale = SHEET_PROBE / max(height, width)
    small = cv2.resize(rgb, (max(1, round(width * scale)), max(1, round(height * scale))), interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), (5, 5), 0)
    _t, mask = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))  # the text inside the sheet
    contours, _h = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    outline = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(outline) / (mask.shape[0] * mask.shape[1])
    if not 0.2 <= area <= 0.93:
        return None
    approx = cv2.approxPolyDP(outline, 0.02 * cv2.arcLength(outline, True), True)
    if len(approx) != 4 or not cv2.isContourConvex(approx):
        return None
    pts = approx.reshape(4, 2).astype(np.float32)
    # Order: top-left has the smallest x + y, bottom-right the largest; top-right the smallest y − x.
    total, diff = pts.sum(axis=1), pts[:, 1] - pts[:, 0]
    quad = np.float32([pts[total.argmin()], pts[diff.argmin()], pts[total.argmax()], pts[diff.argmax()]])
    if len({tuple(p) for p in quad.tolist()}) != 4:
        return None
    for i in range(4):  # every corner between 60° and 120°: a sheet seen at a moderate angle
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        u, v = a - b, c - b
        cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-6))
        if abs(cos) > 0.5:
            return None
    return quad / scale


def page_array(image: Image.Image, *, max_side: int):
    """The page as OCR sees it: a BGR array of at most `max_side` pixels on its long side, the photographed
    sheet warped flat when there is one, contrast stretched. Returns (array, flattened)."""
    import cv2
    import numpy as np

    rgb = np.asarray(image.convert("RGB"))
    if max(rgb.shape[:2]) > 1.5 * max_side:  # a 12 MP photo: shrink by area first, the warp below is linear
        factor = 1.5 * max_side / max(rgb.shape[:2])
        rgb = cv2.resize(rgb, (round(rgb.shape[1] * factor), round(rgb.shape[0] * factor)), interpolation=cv2.INTER_AREA)
    quad = sheet_quad(rgb)
    if quad is None:
        prepared = np.asarray(image_prepare(Image.fromarray(rgb), max_side=max_side))
        return np.ascontiguousarray(prepared[:, :, ::-1]), False
    width = float(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    height = float(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    scale = min(1.0, max_side / max(width, height))
    out_w, out_h = max(32, round(width * scale)), max(32, round(height * scale))
    target = np.float32([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]])
    matrix = cv2.getPerspectiveTransform(quad, target)
    # From the photo at (at most 1.5 ×) full detail, one resampling; INTER_AREA is not available for warps.
    flat = cv2.warpPerspective(rgb, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    flat = np.asarray(ImageOps.autocontrast(Image.fromarray(flat), cutoff=1))
    return np.ascontiguousarray(flat[:, :, ::-1]), True


def _detect(engine: Any, arr) -> list:
    """Text boxes (4 × 2 float32, in `arr`'s pixels) from one pass of the detector on a copy of at most
    DET_SIDE pixels."""
    boxes, _elapsed = engine.auto_text_det(arr)
    return list(boxes) if boxes is not None else []


def _turn_upright(engine: Any, arr, boxes: list) -> tuple[Any, list]:
    """Turn a page lying on its side by 90° clockwise, and its boxes with it (no second detection). A page
    lying the other way ends upside down, which the angle classifier then sees."""
    import numpy as np

    height = arr.shape[0]
    turned = np.ascontiguousarray(np.rot90(arr, k=-1))
    out = []
    for box in boxes:
        moved = np.stack([height - 1 - box[:, 1], box[:, 0]], axis=1).astype(np.float32)  # (x, y) → (h−1−y, x)
        out.append(engine.text_det.order_points_clockwise(moved))
    return turned, engine.sorted_boxes(np.array(out))

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
    import cv2

    engine = ocr_engine(threads=threads)
    arr, _flattened = page_array(image, max_side=max_side)
    boxes = _detect(engine, arr)
    if not boxes:
        return OcrPage(text="", confidence=None, chars=0)
    if _mostly_vertical(boxes):
        arr, boxes = _turn_upright(engine, arr, boxes)
    crops = engine.get_crop_img_list(arr, boxes)
    _flipped, cls_res, _elapsed = engine.text_cls(crops)
    vote = sum((1 if label == "180" else -1) * float(score) for label, score in cls_res)
    upside_down = vote > 0
    if upside_down:
        crops = [cv2.rotate(crop, cv2.ROTATE_180) for crop in crops]
    rec_res, _elapsed = engine.text_rec(crops, False)
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
