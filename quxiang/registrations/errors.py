"""Coded refusals of the registration rules. Every door maps them: the web shows the message (and, for a
step that is not ready, goes to the step that is), the API answers {code, message, fields}."""

from __future__ import annotations

from django.utils.translation import gettext as _

from quxiang.core.errors import DomainError
from quxiang.registrations.models import Step


class RegistrationStateError(DomainError):
    """The record is not in a state that allows this action. The message is for the user."""

    code = "state_conflict"
    http_status = 409


class RegistrationNotEditable(RegistrationStateError):
    code = "not_editable"

    def __init__(self, message: str | None = None):
        super().__init__(message or _("记录已提交，正在等待辅导员鉴证，暂时不能修改。"))


class StepNotReady(RegistrationStateError):
    """`requested` cannot be opened yet (or this type does not have it); `step` is where to go instead."""

    code = "step_not_ready"

    def __init__(self, message: str, *, step: Step, requested: Step):
        super().__init__(message, fields={"step": [step.value]})
        self.step, self.requested = step, requested


class StepInputRefused(DomainError):
    """What a step saves contradicts the record's type (部队录用 with a 单位性质 other than 部队, the archive
    sent to the employer of a type without one). ``fields`` names the field, as a form error would."""

    code = "invalid"
    http_status = 422
