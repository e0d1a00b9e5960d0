"""Test helpers for background jobs: point the Celery app at another broker for a while."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from celery import current_app

_KEYS = ("broker_url", "broker_transport_options", "task_always_eager", "task_publish_retry_policy")


def _drop_connections(app) -> None:
    """Forget pooled broker connections, so the next publish connects to the broker configured now."""
    app._pool = None  # kombu keeps the pool itself, per broker URL, for the next use of that URL
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@contextmanager
def celery_broker(url: str, *, eager: bool = False, transport_options: dict | None = None,
                  publish_retries: int | None = None) -> Iterator[object]:
    """Publish to `url` (eager off by default: jobs are queued, not run) until the block ends."""
    app = current_app
    saved = {key: app.conf[key] for key in _KEYS}
    _drop_connections(app)
    app.conf.broker_url = url
    app.conf.broker_transport_options = transport_options or {}
    app.conf.task_always_eager = eager
    if publish_retries is not None:
        app.conf.task_publish_retry_policy = {**saved["task_publish_retry_policy"], "max_retries": publish_retries}
    try:
        yield app
    finally:
        _drop_connections(app)
        for key, value in saved.items():
            app.conf[key] = value


# Nothing listens on port 1 of the loopback: a connection there is refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
