from django import template

from quxiang.audit.display import audit_detail_items

register = template.Library()


@register.filter
def audit_detail(detail):
    """``{% for label, value in e.detail|audit_detail %}`` — the detail with Chinese labels."""
    return audit_detail_items(detail=detail)
