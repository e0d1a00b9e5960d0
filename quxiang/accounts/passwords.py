"""How initial passwords (the last N characters of the ID) are hashed, for the demo seed and roster imports.

The initial password is derived from the national ID, which the roster stores in full next to the
account, and is guessable from the birth date anyway: a slow hash protects nothing here. So when the
default hasher is PBKDF2, initial passwords are hashed with a reduced iteration count; Django re-hashes
at full strength on the first successful login (`PBKDF2PasswordHasher.must_update`), and the first login
forces a password change. Production settings keep the full-strength hasher for every chosen password."""

from __future__ import annotations

import copy

from django.contrib.auth.hashers import BasePasswordHasher, PBKDF2PasswordHasher, get_hasher

INITIAL_PASSWORD_ITERATIONS = 50_000


def initial_password_hasher(*, full_strength: bool) -> BasePasswordHasher:
    hasher = get_hasher("default")
    if full_strength or not isinstance(hasher, PBKDF2PasswordHasher):
        return hasher
    fast = copy.copy(hasher)
    fast.iterations = min(INITIAL_PASSWORD_ITERATIONS, hasher.iterations)
    return fast
