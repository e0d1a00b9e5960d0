"""The demo school: colleges, majors, classes, staff accounts, 300 graduates and an organisation directory.

`build.build_demo_school` generates the data (pure, deterministic: random.Random(2026)) from the constants
in `data` into the records of `specs`; `load.load_demo_school` writes what is missing to the database and
never changes what is already there, so running it again creates nothing and alters nothing;
`accounts.accounts_block` is what `python manage.py seed_demo` prints afterwards.

Initial student passwords are the last N characters of the national ID (settings.QUXIANG
["INITIAL_PASSWORD_DIGITS"]). Hashing 300 of them with the full PBKDF2 work factor takes about a minute,
so when the default hasher is PBKDF2 they are hashed with a reduced iteration count
(quxiang.accounts.passwords). That costs nothing in practice: the password is derived from the ID
number and guessable from the birth date anyway, Django re-hashes it at full strength on the first
successful login (`must_update`), and the first login forces a password change."""

from quxiang.roster.demo.accounts import accounts_block, sample_students
from quxiang.roster.demo.build import build_demo_school
from quxiang.roster.demo.data import DEMO_GRADUATION_YEAR, DEMO_SEED, STAFF_PASSWORD, STUDENT_COUNT
from quxiang.roster.demo.load import LoadSummary, counties_by_province_from_db, load_demo_school
from quxiang.roster.demo.specs import (
    ClassSpec,
    DemoSchool,
    MajorSpec,
    OrganisationSpec,
    StaffSpec,
    StudentSpec,
)

__all__ = [
    "DEMO_GRADUATION_YEAR",
    "DEMO_SEED",
    "STAFF_PASSWORD",
    "STUDENT_COUNT",
    "ClassSpec",
    "DemoSchool",
    "LoadSummary",
    "MajorSpec",
    "OrganisationSpec",
    "StaffSpec",
    "StudentSpec",
    "accounts_block",
    "build_demo_school",
    "counties_by_province_from_db",
    "load_demo_school",
    "sample_students",
]
