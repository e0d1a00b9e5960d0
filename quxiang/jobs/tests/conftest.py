import pytest
from django.core.cache import caches

from quxiang.jobs import registry


@pytest.fixture(autouse=True)
def _clear_progress_cache():
    caches["jobs"].clear()


@pytest.fixture
def register_kind():
    """Register a job kind for one test: register_kind("test.x", handler, on_fail=None)."""
    added: list[str] = []

    def register(name, handler, on_fail=None):
        added.append(name)
        return registry.job_kind_register(name, handler=handler, on_fail=on_fail)

    yield register
    for name in added:
        registry._KINDS.pop(name, None)
