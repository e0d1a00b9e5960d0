"""Fixed-window rate limits over Django's cache (Redis in production)."""

from django.core.cache import cache


def rate_limit_exceeded(*, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; True once more than `limit` hits fell in the current window."""
    full = f"rl:{key}"
    if cache.add(full, 1, window_seconds):
        return False
    try:
        count = cache.incr(full)
    except ValueError:
        cache.set(full, 1, window_seconds)
        return False
    return count > limit
