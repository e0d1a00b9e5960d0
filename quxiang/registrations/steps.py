"""Step gating, once for every door: may this record open (or save) this wizard step now?"""

from __future__ import annotations

from django.utils.translation import gettext as _

from quxiang.registrations.errors import RegistrationNotEditable, StepNotReady
from quxiang.registrations.models import Registration, Step
from quxiang.registrations.selectors import registration_first_open_step, registration_steps


def registration_step_check(*, registration: Registration, step: Step) -> None:
    """Raise RegistrationNotEditable when the record cannot be changed, StepNotReady (with the step to
    go to) when an earlier step is open or this type has no such step. Services call it inside their
    lock; the web wizard and the API call it before building a step's form."""
    if not registration.is_editable:
        raise RegistrationNotEditable()
    steps = registration_steps(registration=registration)
    first_open = registration_first_open_step(registration=registration)
    if step not in steps:
        raise StepNotReady(
            _("您选择的去向“%(type)s”无需填写“%(step)s”。")
            % {"type": registration.destination_type.name, "step": step.label},
            step=first_open, requested=step,
        )
    if steps.index(step) > steps.index(first_open):
        raise StepNotReady(_("请先完成“%(step)s”。") % {"step": first_open.label}, step=first_open, requested=step)
