"""Print the API's OpenAPI schema (what /api/openapi.json serves) as JSON, without a server or a database.

Used by `npm run gen:api` / `npm run check:api` (scripts/gen-api.mjs) to regenerate typings/api.d.ts.
Run with the project's venv: `.venv/bin/python miniprogram/scripts/dump_openapi.py > schema.json`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from quxiang.api.api import api

    schema = api.get_openapi_schema()
    json.dump(schema, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
