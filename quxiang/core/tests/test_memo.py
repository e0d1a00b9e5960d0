"""{% memo %}: a fragment is rendered once per process for each combination of the values it names, the
active language and autoescape; anything else in the context does not reach a kept fragment."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import translation

from quxiang.core.templatetags import memo


@pytest.fixture(autouse=True)
def empty_store():
    memo.memo_clear()
    yield
    memo.memo_clear()


def render(source: str, **context) -> str:
    return Template("{% load memo %}" + source).render(Context(context))


FRAGMENT = "{% memo 'f' a %}{{ a }}/{{ b }}{% endmemo %}"


def test_a_fragment_is_kept_for_the_values_it_names():
    assert render(FRAGMENT, a=1, b="first") == "1/first"
    # b is not named: the kept fragment is served as it was rendered
    assert render(FRAGMENT, a=1, b="second") == "1/first"
    # another value of a is another fragment
    assert render(FRAGMENT, a=2, b="second") == "2/second"


def test_the_language_is_part_of_the_key():
    source = "{% load i18n %}{% memo 'lang' %}{% translate '退出' %}{% endmemo %}"
    with translation.override("zh-hans"):
        assert render(source) == "退出"
    with translation.override("en"):
        assert render(source) == "Log out"
    with translation.override("zh-hans"):
        assert render(source) == "退出"


def test_autoescape_is_part_of_the_key():
    escaped = render("{% memo 'esc' %}{{ v }}{% endmemo %}", v="<b>")
    raw = Template("{% load memo %}{% autoescape off %}{% memo 'esc' %}{{ v }}{% endmemo %}{% endautoescape %}"
                   ).render(Context({"v": "<b>"}))
    assert (escaped, raw) == ("&lt;b&gt;", "<b>")


def test_lists_and_sets_are_keys_by_content_and_a_dict_is_rendered_each_time():
    source = "{% memo 'coll' xs %}{{ xs|length }}{{ n }}{% endmemo %}"
    assert render(source, xs=[1, 2], n="a") == "2a"
    assert render(source, xs=[1, 2], n="b") == "2a"
    assert render(source, xs={3}, n="c") == "1c"
    assert render(source, xs={3}, n="d") == "1c"
    assert render(source, xs={"k": 1}, n="e") == "1e"
    assert render(source, xs={"k": 1}, n="f") == "1f"


def test_clear_forgets_every_fragment():
    assert render(FRAGMENT, a=1, b="first") == "1/first"
    memo.memo_clear()
    assert render(FRAGMENT, a=1, b="second") == "1/second"


def test_the_least_recently_used_go_first(monkeypatch):
    monkeypatch.setattr(memo, "MAX_ENTRIES", 2)
    render(FRAGMENT, a=1, b="one")
    render(FRAGMENT, a=2, b="two")
    render(FRAGMENT, a=1, b="ignored")  # 1 used again: 2 is now the oldest
    render(FRAGMENT, a=3, b="three")
    assert render(FRAGMENT, a=1, b="new") == "1/one"
    assert render(FRAGMENT, a=2, b="new") == "2/new"


def test_two_templates_may_use_the_same_fragment_name():
    from django.template import engines

    engine = engines["django"].engine
    t1 = engine.from_string("{% load memo %}{% memo 'same' %}one{% endmemo %}")
    t2 = engine.from_string("{% load memo %}{% memo 'same' %}two{% endmemo %}")
    t1.origin.name, t2.origin.name = "t1.html", "t2.html"
    for node in t1.nodelist.get_nodes_by_type(memo.MemoNode):
        node.origin = t1.origin
    for node in t2.nodelist.get_nodes_by_type(memo.MemoNode):
        node.origin = t2.origin
    assert (t1.render(Context()), t2.render(Context())) == ("one", "two")


def test_the_name_must_be_quoted():
    with pytest.raises(TemplateSyntaxError):
        render("{% memo f %}x{% endmemo %}")
