"""Evidence files (佐证材料). Stored under generated names in private storage; served only through the
authorised view."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def evidence_path(instance: "EvidenceFile", filename: str) -> str:
    # The student's file name never reaches the file system.
    ext = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.content_type, "bin")
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{ext}"


class EvidenceFile(models.Model):
    """One uploaded file of a registration (at most EVIDENCE_MAX_FILES each)."""

    registration = models.ForeignKey(
        "registrations.Registration", on_delete=models.CASCADE, related_name="evidence_files"
    )
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("文件名"), max_length=120)
    # What the file was uploaded as (registrations/rules.py EVIDENCE_KIND_LABELS), so that a type change
    # can tell an agreement from an offer. Blank: uploaded before kinds were recorded.
    kind = models.CharField(_("材料类别"), max_length=40, blank=True)
    content_type = models.CharField(_("类型"), max_length=50)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ReadingStatus(models.TextChoices):
    READ = "read", _("已识别")
    UNREADABLE = "unreadable", _("未识别")  # no text found (a blank page, a photo of a wall)
    FAILED = "failed", _("识别失败")  # the reader crashed or ran out of time


class EvidenceReading(models.Model):
    """What the evidence file says (issue 12): its text (PDF text layer, OCR for images and pages without
    text) and the key fields found in it. Keyed by the sha256 of the bytes read, so that reading again does
    nothing new and a replaced file is read anew. Never touches the file's registration."""

    evidence = models.OneToOneField(EvidenceFile, on_delete=models.CASCADE, related_name="reading")
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("识别状态"), max_length=12, choices=ReadingStatus.choices)
    text = models.TextField(_("识别文字"), blank=True)
    # The mean OCR confidence (0–1) weighted by characters; null when the text came from the text layer only.
    confidence = models.FloatField(_("识别置信度"), null=True, blank=True)
    pages_read = models.PositiveSmallIntegerField(_("已读页数"), default=0)
    pages_total = models.PositiveSmallIntegerField(_("总页数"), default=0)
    ocr_pages = models.PositiveSmallIntegerField(_("OCR 页数"), default=0)
    engine = models.CharField(_("识别引擎"), max_length=120, blank=True)
    # {"orgs": [...], "usccs": [...], "persons": [...], "dates": [...]} (quxiang/evidence/fields.py)
    fields = models.JSONField(_("关键字段"), default=dict, blank=True)
    error = models.CharField(_("错误说明"), max_length=300, blank=True)
    seconds = models.FloatField(_("耗时（秒）"), default=0)
    read_at = models.DateTimeField(_("识别时间"), auto_now=True)
    # Near-duplicate content (evidence/similarity.py, the integrity check evidence_near_duplicate): a cache
    # filled by the check, valid while `content_for` equals `sha256` (a re-read file has a new sha256); the
    # signature also only while its content (the grams left once the corpus' template is removed) has the
    # fingerprint `content_key`. Written with bulk_update, so caching never moves `read_at`.
    content_for = models.CharField(max_length=64, blank=True)
    content_shingles = models.BinaryField(default=b"", blank=True)  # the text's bigram hashes (uint32)
    content_key = models.CharField(max_length=16, blank=True)
    content_signature = models.BinaryField(default=b"", blank=True)  # MinHash of the filled-in content

    class Meta:
        verbose_name = verbose_name_plural = _("材料识别结果")

    def __str__(self) -> str:
        return f"{self.evidence} · {self.get_status_display()}"
