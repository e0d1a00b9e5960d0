"""The form renderer: Django's TemplatesSetting (so project templates such as widgets/region_picker.html are
found), with the plain widgets written in Python.

Django renders every <input> through three templates (text.html → input.html → attrs.html) and every
<textarea> through two; on the wizard's organisation page that was half the page's render time. The markup
below is exactly the markup of Django's templates (quxiang/core/tests/test_renderers.py compares the two
for every widget and value kind); any other widget, and a project override of one of these templates,
still renders through the templates. The same holds for the project's field row (partials/field.html,
what `{{ field.as_field_group }}` renders): label, widget, help text and errors, once per field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import TemplatesSetting
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, SafeString, mark_safe

INPUT_TEMPLATES = tuple(
    f"django/forms/widgets/{name}.html"
    for name in ("input", "text", "email", "number", "date", "time", "datetime", "hidden", "password", "tel",
                 "url", "search", "checkbox", "color")
)
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


def _text(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` under autoescape: escaped unless already safe."""
    text = str(value)
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{_text(value)}"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    body = escape(value) if value and not isinstance(value, SafeData) else (value or "")
    return f'<textarea name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'


FIELD_TEMPLATE = "partials/field.html"


def _field_row(field) -> str:
    """templates/partials/field.html: a field with its label, help text and errors."""
    classes = "field" + (" has-error" if field.errors else "") + (" required" if field.field.required else "")
    help_text = f'<div class="help">{conditional_escape(field.help_text)}</div>' if field.help_text else ""
    errors = "".join(f'<div class="error">{conditional_escape(e)}</div>' for e in field.errors)
    return (f'<div class="{classes}">\n  <label for="{conditional_escape(field.id_for_label)}">'
            f'{conditional_escape(field.label)}</label>\n  {conditional_escape(field)}\n  {help_text}\n  {errors}\n</div>\n')


class WidgetRenderer(TemplatesSetting):
    # `{{ field.as_field_group }}` renders this template (or _field_row, below).
    field_template_name = FIELD_TEMPLATE

    def __init__(self) -> None:
        super().__init__()
        self._fast: dict[str, Callable[[dict[str, Any]], str]] | None = None

    def _fast_paths(self) -> dict[str, Callable[[dict[str, Any]], str]]:
        # A template the project overrides (found outside Django's own forms app) keeps its template.
        if self._fast is None:
            fast: dict[str, Callable[[dict[str, Any]], str]] = {}
            for name, fn in [*((t, _input) for t in INPUT_TEMPLATES), (TEXTAREA_TEMPLATE, _textarea)]:
                try:
                    origin = get_template(name).origin.name
                except TemplateDoesNotExist:
                    continue
                if origin.replace("\\", "/").endswith(f"django/forms/templates/{name}"):
                    fast[name] = fn
            fast[FIELD_TEMPLATE] = _field_row
            self._fast = fast
        return self._fast

    def render(self, template_name, context, request=None):
        fast = self._fast_paths().get(template_name)
        if fast is not None and request is None:
            arg = context["field"] if template_name == FIELD_TEMPLATE else context["widget"]
            return SafeString(mark_safe(fast(arg)))  # noqa: S308 - every value is escaped above
        return super().render(template_name, context, request=request)
