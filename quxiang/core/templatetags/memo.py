"""``{% memo "name" value … %}…{% endmemo %}``: a fragment rendered once per process and kept in memory.

Every wizard page rendered the same markup again and again: the side navigation with its dozen ``{% url %}``
and ``{% translate %}`` tags, the language list of the footer, the step list, the 去向类型 options (a third of
the type page's render). Django's ``{% cache %}`` tag keeps fragments in a cache backend (pickled, keyed by
md5, with a timeout); these fragments depend only on the values named in the tag, so they are kept here,
in a dict per process, keyed by

- the template and the fragment's name,
- the active language and the context's autoescape setting (always part of the key), and
- the value of every variable named in the tag (each must be hashable: an Enum, a str, a bool, a tuple, a
  frozenset; a list or a set is turned into a tuple or frozenset; with any other unhashable value the
  fragment is rendered every time).

What the fragment shows must follow from those values alone: never put a ``{% csrf_token %}``, a user's
data or a message inside one. The store is dropped whole by ``memo_clear()``, which the code-table cache
(quxiang/reference/cache.py) calls whenever a code table changes, so a fragment that shows code tables
(the 去向类型 options) follows an admin's edit as fast as the tables themselves. At most MAX_ENTRIES
fragments are kept (the least recently used go first), so a fragment keyed on a value of many values costs
memory, never correctness."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

MAX_ENTRIES = 512

_lock = threading.Lock()
_store: OrderedDict[tuple, str] = OrderedDict()
_epoch = [0]


def memo_clear() -> None:
    """Forget every kept fragment (a code table changed; tests)."""
    with _lock:
        _store.clear()
        _epoch[0] += 1


def _hashable(value: Any) -> Hashable:
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_hashable(v) for v in value)
    hash(value)  # TypeError for anything else that cannot be a key
    return value


class MemoNode(template.Node):
    def __init__(self, nodelist: template.NodeList, name: str, vary_on: list[template.base.FilterExpression]):
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context: template.Context) -> str:
        origin = getattr(self, "origin", None)
        try:
            key = (origin.name if origin else "", self.name, get_language(), context.autoescape,
                   *(_hashable(v.resolve(context)) for v in self.vary_on))
        except TypeError:  # a value that cannot be a key (a dict, a model form): rendered, not kept
            return self.nodelist.render(context)
        try:
            with _lock:
                html = _store[key]
                _store.move_to_end(key)
            return html
        except KeyError:
            pass
        epoch = _epoch[0]
        html = mark_safe(self.nodelist.render(context))  # noqa: S308 - the template's own output, escaped by it
        with _lock:
            if _epoch[0] == epoch:  # not cleared while it was rendered
                _store[key] = html
                while len(_store) > MAX_ENTRIES:
                    _store.popitem(last=False)
        return html


@register.tag("memo")
def do_memo(parser: template.base.Parser, token: template.base.Token) -> MemoNode:
    """``{% memo "name" var … %}`` … ``{% endmemo %}``"""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][:1] not in "\"'" or bits[1][-1:] != bits[1][:1]:
        raise template.TemplateSyntaxError("'memo' takes a quoted fragment name, then the values it varies on")
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, bits[1][1:-1], [parser.compile_filter(b) for b in bits[2:]])
