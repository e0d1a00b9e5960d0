import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from quxiang.reference.cache import reference_cache_clear

    cache.clear()
    reference_cache_clear()  # the code tables held in process memory: a test's rows are rolled back
    yield
