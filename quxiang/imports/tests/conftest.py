import pytest
from django.core.cache import caches

from quxiang.accounts.models import Role
from quxiang.testing.factories import CollegeFactory, MajorFactory, UserFactory


@pytest.fixture(autouse=True)
def _clear_progress_cache():
    """Preview and import run eagerly in the unit tests (CELERY_TASK_ALWAYS_EAGER, config/settings/test.py);
    their progress cache starts empty in each test."""
    caches["jobs"].clear()


@pytest.fixture
def school(db):
    """A college with a bachelor and a master major and a counselor, as the office has set them up."""
    college = CollegeFactory(code="I1", name="导入测试学院")
    other_college = CollegeFactory(code="I2", name="另一学院")
    return {
        "college": college,
        "other_college": other_college,
        "major": MajorFactory(code="080999", name="导入测试专业", college=college),
        "master": MajorFactory(code="080999", name="导入测试专业", college=college, level="master"),
        "other_major": MajorFactory(code="050999", name="另一专业", college=other_college),
        "counselor": UserFactory(username="fdy900", full_name="王老师", role=Role.COUNSELOR),
        "office": UserFactory(username="office900", full_name="就业中心", role=Role.OFFICE),
    }
