"""The evidence reading's background job (issue 12): kind KIND_READ, run by the generic task `jobs.run`."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from quxiang.evidence.reading import KIND_READ, evidence_read, evidence_reading_fail
from quxiang.jobs.models import Job
from quxiang.jobs.registry import job_kind_register


def evidence_read_handler(job: Job) -> None:
    evidence_read(evidence_id=int(job.params["evidence"]))


def evidence_read_on_fail(job: Job) -> None:
    """The job itself failed (its worker died on this file several times): the reading says so."""
    evidence_reading_fail(evidence_id=int(job.params["evidence"]), message=job.error or _("识别任务失败。"))


job_kind_register(KIND_READ, handler=evidence_read_handler, on_fail=evidence_read_on_fail,
                  label=gettext_lazy("佐证材料识别"))
