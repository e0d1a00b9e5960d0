"""Reading every evidence file with the real reader (quxiang.evidence.reading.evidence_read: the PDF text
layer, OCR for images and pages without text, the key fields), in a pool of worker processes — what the
job engine's `evidence.read` jobs do, one file per call. Nothing is cached beyond what the reader itself
does (a file whose bytes were read before copies that reading)."""

from __future__ import annotations

import os
import time


def _init(env: dict[str, str], threads: int) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings

    settings.QUXIANG["EVIDENCE_READING"] = {**settings.QUXIANG.get("EVIDENCE_READING", {}), "MODE": "off",
                                            "OCR_THREADS": threads}


def _read(evidence_id: int) -> tuple[int, str, float, float]:
    from quxiang.evidence.reading import evidence_read

    started, cpu = time.perf_counter(), time.process_time()
    reading = evidence_read(evidence_id=evidence_id)
    return evidence_id, reading.status if reading else "gone", time.perf_counter() - started, time.process_time() - cpu


def read_all(evidence_ids: list[int], *, processes: int, env: dict[str, str], log) -> list[tuple[int, str, float, float]]:
    """Read the files in `processes` spawned workers (Django set up anew in each, one ONNX thread each)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    results = []
    started = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes, initializer=_init, initargs=(env, 1)) as pool:
        for n, result in enumerate(pool.imap_unordered(_read, evidence_ids, chunksize=1), 1):
            results.append(result)
            if n % 50 == 0:
                log(f"  read {n}/{len(evidence_ids)} files ({time.perf_counter() - started:.0f} s)")
    return results
