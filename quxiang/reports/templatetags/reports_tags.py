from django import template

register = template.Library()


@register.filter
def with_columns(row, columns):
    """``{% for column, cell in row|with_columns:table.columns %}``: each cell with its column's name, so a
    phone card can label every figure (``data-label``)."""
    return zip(columns, row, strict=False)
