"""Roster import (花名册导入): the public write API of the imports app.

The work is split along its seams, one module per step:
  cleaning.py  format checks of every row (`import_file_parse`), before any database lookup;
  plan.py      compare the parsed rows with the database (`import_plan_build`) in a fixed number of queries;
  apply.py     write a plan in one transaction (`import_plan_apply`), bulk writes in batches;
  jobs.py      the ImportJob lifecycle: create, queue the check and the import as background jobs
               (quxiang.jobs, Celery), the two steps themselves, fail, expire stale;
  tasks.py     registers the two job kinds;
  progress.py  the progress the page polls, reported to the background job.
Views, the admin and the benchmarks call the functions re-exported here."""

from quxiang.imports.apply import IMPORT_PASSWORD_ITERATIONS, import_plan_apply
from quxiang.imports.cleaning import ParsedFile, import_file_parse
from quxiang.imports.jobs import (
    import_job_check,
    import_job_create,
    import_job_expire_stale,
    import_job_fail,
    import_job_import,
    import_job_start_check,
    import_job_start_import,
)
from quxiang.imports.plan import Plan, PlannedRow, import_plan_build

__all__ = [
    "IMPORT_PASSWORD_ITERATIONS", "ParsedFile", "Plan", "PlannedRow", "import_file_parse",
    "import_job_check", "import_job_create", "import_job_expire_stale",
    "import_job_fail", "import_job_import", "import_job_start_check", "import_job_start_import",
    "import_plan_apply", "import_plan_build",
]
