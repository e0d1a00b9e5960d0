"""Reading evidence files (issue 12): what the paper says, stored per file as an EvidenceReading.

A PDF's text layer is taken as it is (pypdfium2); a PDF page without text and every image is read by OCR
(quxiang/evidence/ocr.py). Only the first MAX_PAGES pages of a long PDF are read. Each file has a hard time
budget; a crash or a timeout marks its reading failed (识别失败) and nothing else: the student's record and
the other files are never touched. Reading is keyed by the sha256 of the bytes read, so running it again
does nothing new, a replaced file is read anew, and a copy (a change request's carried-over evidence, the
same PDF uploaded twice) reuses the reading of its twin.

Readings run in the background: `evidence_reading_schedule` queues a job of kind KIND_READ on the job
engine (quxiang/jobs) after the upload commits; settings.QUXIANG["EVIDENCE_READING"]["MODE"] can make it
"inline" (tests), "thread" or "off"."""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import version

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from quxiang.core.storage import STORAGE_ERRORS
from quxiang.evidence.fields import evidence_fields_extract
from quxiang.evidence.models import EvidenceFile, EvidenceReading, ReadingStatus

logger = logging.getLogger(__name__)

KIND_READ = "evidence.read"
DEFAULTS = {
    "MODE": "job",  # job | thread | inline | off
    "MAX_PAGES": 3,  # of a PDF; the rest of a 50-page file is not read
    "TIME_BUDGET_SECONDS": 60,  # per file; past it the reading is failed
    "MAX_SIDE": 1600,  # pixels on the long side of a page image given to OCR (docs/benchmarks.md)
    "PDF_DPI": 150,  # a PDF page without text is rendered at this resolution for OCR
    "OCR_THREADS": 1,
    "MIN_CHARS": 6,  # fewer readable characters than this: 未识别
    "MIN_CONFIDENCE": 0.6,  # a lower mean OCR confidence: 未识别 (a photo of a wall "reads" as noise)
}
# A page whose text layer has fewer characters than this is treated as a scan and read by OCR.
TEXT_LAYER_MIN_CHARS = 10
_pdfium_lock = threading.Lock()  # pdfium is not thread-safe


def reading_setting(name: str):
    return settings.QUXIANG.get("EVIDENCE_READING", {}).get(name, DEFAULTS[name])


@dataclass
class Outcome:
    status: str
    text: str = ""
    confidence: float | None = None
    pages_read: int = 0
    pages_total: int = 0
    ocr_pages: int = 0
    error: str = ""
    ocr_used: bool = False
    _conf: list[tuple[float, int]] = field(default_factory=list)


class _OutOfTime(Exception):
    pass


def _meaningful(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _ocr(image, outcome: Outcome) -> str:
    from quxiang.evidence.ocr import ocr_page

    page = ocr_page(image, max_side=int(reading_setting("MAX_SIDE")), threads=int(reading_setting("OCR_THREADS")))
    outcome.ocr_used = True
    outcome.ocr_pages += 1
    if page.confidence is not None:
        outcome._conf.append((page.confidence, page.chars))
    return page.text


def _read_pdf(data: bytes, outcome: Outcome, deadline: float) -> list[str]:
    import pypdfium2 as pdfium

    texts = []
    with _pdfium_lock:
        pdf = pdfium.PdfDocument(data)
        outcome.pages_total = len(pdf)
    try:
        for index in range(min(outcome.pages_total, int(reading_setting("MAX_PAGES")))):
            if time.monotonic() > deadline:
                raise _OutOfTime
            with _pdfium_lock:
                page = pdf[index]
                text = page.get_textpage().get_text_bounded().strip()
                image = None
                if _meaningful(text) < TEXT_LAYER_MIN_CHARS:  # a scanned page: render it for OCR
                    image = page.render(scale=int(reading_setting("PDF_DPI")) / 72).to_pil()
                page.close()
            texts.append(text if image is None else _ocr(image, outcome))
            outcome.pages_read += 1
    finally:
        with _pdfium_lock:
            pdf.close()
    return texts


def _read_image(data: bytes, outcome: Outcome) -> list[str]:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        image = ImageOps.exif_transpose(img)  # a phone photo taken sideways is stored sideways
        image.load()
    outcome.pages_total = 1
    text = _ocr(image, outcome)
    outcome.pages_read = 1
    return [text]


def _extract(data: bytes, content_type: str, deadline: float) -> Outcome:
    outcome = Outcome(status=ReadingStatus.READ)
    texts = _read_pdf(data, outcome, deadline) if content_type == "application/pdf" else _read_image(data, outcome)
    outcome.text = "\n\n".join(t for t in texts if t)
    if outcome._conf:
        total = sum(chars for _c, chars in outcome._conf)
        outcome.confidence = sum(c * chars for c, chars in outcome._conf) / total if total else None
    too_unsure = outcome.confidence is not None and outcome.confidence < float(reading_setting("MIN_CONFIDENCE"))
    if _meaningful(outcome.text) < int(reading_setting("MIN_CHARS")) or too_unsure:
        outcome.status = ReadingStatus.UNREADABLE
    return outcome


def _extract_within_budget(data: bytes, content_type: str) -> Outcome:
    """Run the reading in a thread of its own and wait at most TIME_BUDGET_SECONDS. ONNX Runtime cannot
    be interrupted: a reader past its budget is abandoned (it stops at its next page) and its result
    dropped; the file's reading is failed at once."""
    budget = float(reading_setting("TIME_BUDGET_SECONDS"))
    deadline = time.monotonic() + budget
    box: dict[str, Outcome] = {}

    def run() -> None:
        try:
            box["outcome"] = _extract(data, content_type, deadline)
        except _OutOfTime:
            pass
        except Exception as exc:  # a broken page, a decoder error, the OCR engine itself
            logger.warning("evidence reading crashed", exc_info=True)
            box["outcome"] = Outcome(status=ReadingStatus.FAILED, error=_("识别出错（%(kind)s）。") % {
                "kind": type(exc).__name__})

    worker = threading.Thread(target=run, name="evidence-reading", daemon=True)
    worker.start()
    worker.join(timeout=budget)
    if worker.is_alive() or "outcome" not in box:
        return Outcome(status=ReadingStatus.FAILED, error=_("识别超时（超过 %(n)d 秒），已放弃。") % {"n": budget})
    return box["outcome"]


def _engine_name(outcome: Outcome) -> str:
    names = [f"pypdfium2 {version('pypdfium2')}"] if outcome.pages_total and not outcome.ocr_used else []
    if outcome.ocr_used:
        from quxiang.evidence.ocr import ocr_engine_name

        names.append(ocr_engine_name())
    return " + ".join(names)[:120]


def _store(evidence: EvidenceFile, sha256: str, values: dict) -> EvidenceReading | None:
    try:
        with transaction.atomic():
            reading, _created = EvidenceReading.objects.update_or_create(
                evidence=evidence, defaults={"sha256": sha256, **values})
        return reading
    except (IntegrityError, DatabaseError):  # the file was removed while it was being read
        if not EvidenceFile.objects.filter(pk=evidence.pk).exists():
            return None
        raise


def evidence_read(*, evidence_id: int) -> EvidenceReading | None:
    """Read one evidence file and store what it says. Returns None when the file is gone (removed before
    its reading ran). Never raises for the file's content: a bad file is 未识别 or 识别失败."""
    evidence = EvidenceFile.objects.filter(pk=evidence_id).first()
    if evidence is None:
        return None
    try:
        # Through the storage API (the disk or the object store; at most EVIDENCE_MAX_BYTES).
        with evidence.file.open("rb") as handle:
            data = handle.read()
    except STORAGE_ERRORS as exc:
        message = _("文件无法打开。") if isinstance(exc, FileNotFoundError) else _("文件存储暂时无法连接，未能识别。")
        return _store(evidence, evidence.sha256, {
            "status": ReadingStatus.FAILED, "error": message, "text": "", "fields": {}})
    sha256 = hashlib.sha256(data).hexdigest()
    existing = EvidenceReading.objects.filter(evidence=evidence).first()
    if existing is not None and existing.sha256 == sha256 and existing.status != ReadingStatus.FAILED:
        return existing  # read already: nothing new
    twin = (EvidenceReading.objects.filter(sha256=sha256).exclude(status=ReadingStatus.FAILED)
            .exclude(evidence=evidence).order_by("-read_at").first())
    if twin is not None:  # the same bytes were read for another file
        return _store(evidence, sha256, {name: getattr(twin, name) for name in (
            "status", "text", "confidence", "pages_read", "pages_total", "ocr_pages", "engine", "fields", "error",
            "seconds")})
    started = time.monotonic()
    outcome = _extract_within_budget(data, evidence.content_type)
    found = evidence_fields_extract(text=outcome.text).as_dict() if outcome.status == ReadingStatus.READ else {}
    return _store(evidence, sha256, {
        "status": outcome.status, "text": outcome.text, "confidence": outcome.confidence,
        "pages_read": outcome.pages_read, "pages_total": outcome.pages_total, "ocr_pages": outcome.ocr_pages,
        "engine": _engine_name(outcome), "fields": found, "error": outcome.error[:300],
        "seconds": round(time.monotonic() - started, 3),
    })


def evidence_reading_fail(*, evidence_id: int, message: str) -> None:
    """Record a reading as failed without reading (its job died, e.g. the worker ran out of memory)."""
    evidence = EvidenceFile.objects.filter(pk=evidence_id).first()
    if evidence is not None:
        _store(evidence, evidence.sha256, {"status": ReadingStatus.FAILED, "error": message[:300], "text": "",
                                           "fields": {}})


def evidence_reading_schedule(*, evidence_id: int) -> None:
    """Read the file in the background (MODE "job": a job on the job engine; "thread": a thread of this
    process; "inline": now; "off": not at all)."""
    mode = reading_setting("MODE")
    if mode == "off":
        return
    if mode == "inline":
        evidence_read(evidence_id=evidence_id)
        return
    if mode == "thread":
        threading.Thread(target=_read_in_thread, args=(evidence_id,), name="evidence-reading-bg", daemon=True).start()
        return
    from quxiang.jobs.services import job_create, job_enqueue

    job_enqueue(job=job_create(kind=KIND_READ, params={"evidence": evidence_id}))


def _read_in_thread(evidence_id: int) -> None:
    from django.db import connection

    try:
        evidence_read(evidence_id=evidence_id)
    except Exception:
        logger.exception("evidence %s: reading failed", evidence_id)
    finally:
        connection.close()


def evidence_reading_after_commit(evidence_id: int) -> None:
    """The on_commit hook of an upload: queue the reading; a failure to queue is logged, never raised
    (the upload has committed and must stand)."""
    try:
        evidence_reading_schedule(evidence_id=evidence_id)
    except Exception:
        logger.exception("evidence %s: reading could not be scheduled", evidence_id)
