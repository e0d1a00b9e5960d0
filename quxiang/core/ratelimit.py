"""Fixed-window counters over Django's cache (Redis in production): the one implementation behind the
login lockout, the per-address login limit and any request rate limit."""

from django.core.cache import cache


def rate_count(*, key: str, window_seconds: int) -> int:
    """Count one hit for `key` in a window that starts with its first hit; the count so far."""
    full = f"rl:{key}"
    if cache.add(full, 1, window_seconds):
        return 1
    try:
        return cache.incr(full)
    except ValueError:  # expired between add and incr
        cache.set(full, 1, window_seconds)
        return 1


def rate_peek(*, key: str) -> int:
    """The current count of `key` without counting a hit (0 once its window has passed)."""
    return cache.get(f"rl:{key}") or 0


def rate_reset(*, key: str) -> None:
    cache.delete(f"rl:{key}")


def rate_limit_exceeded(*, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit for `key`; True once more than `limit` hits fell in the current window."""
    return rate_count(key=key, window_seconds=window_seconds) > limit
