"""config.settings.production for the load and fault benches (bench/load, bench/faults). Two changes only:

- PASSWORD_HASHERS: the load database's passwords are hashed with Django's MD5 hasher, so that a login
  still goes through `authenticate()` (backend, hasher, session rotation) without 100 concurrent PBKDF2
  verifications (Django 5.2: 1,000,000 iterations, ~0.5 s of CPU each) swamping two cores. The real cost
  of a PBKDF2 login is measured on its own (run.py --full-hash) and added in docs/deploy.md.
  QUXIANG_LOAD_FULL_HASH=1 keeps production's hashers.
- ROOT_URLCONF adds /healthz/ready (quxiang.core.health.ready) until config/urls.py routes it.

Never use this module outside bench/."""

import os

from config.settings.production import *  # noqa: F403

if os.environ.get("QUXIANG_LOAD_FULL_HASH") != "1":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ROOT_URLCONF = "load_urls"
