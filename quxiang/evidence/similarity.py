"""Near-duplicate evidence by content (issue 12): is this the same filled-in document as that one, however
it was re-encoded, resized, cropped or photographed again?

Pixels cannot tell: agreements printed from one template look nearly identical as pictures, and a re-saved
copy of one student's agreement does not match it byte for byte. What differs between two students'
agreements is the filled-in content, so documents are compared on their read text with the template taken
out:

1. the text is cut into lines, the lines at their colons and spaces (label / value), each piece normalised
   (NFKC, no punctuation, upper case); a run of Chinese characters is cut into character bigrams (a
   one-character run is one gram), a run of ASCII letters and digits is one gram as a whole (a student
   number, an ID number, a USCC, a phone number, a date's year: the filled-in identifiers). Bigrams of
   digits would be nearly worthless: there are only a hundred of them, so every document has them all and
   the template filter removed the whole of an ID number. Hashed to 32 bits (`text_shingles`, cached per
   reading with a format mark, GRAMS_FORMAT);
2. a gram found in at least TEMPLATE_MIN_DOCS different documents of the corpus in scope is template and
   removed (`template_shingles`): the template's lines, the labels inside filled-in lines (学号, 专业), a big
   employer's own header, and boilerplate OCR read with a slip (all but the grams around the slip).
   Documents are counted by *whom they are about* — the persons read in them — so that ten copies of one
   student's agreement count once and their filled-in content is not mistaken for a template. This is the
   line document-frequency of the template, taken per gram: whole lines alone left the labels of the
   filled-in lines and every misread boilerplate line as "content" (tests/test_similarity.py);
3. what is left (the filled-in content) is summarised by a MinHash signature of NUM_PERM values
   (`content_signature`), cached per reading with a fingerprint of the content it was made from;
4. LSH (BANDS bands of ROWS values) proposes candidate pairs, kept when the estimated Jaccard similarity of
   their contents is at least the threshold (`similar_pairs`).

numpy only: datasketch would bring scipy (≈ 40 MB of wheels) for these few lines and hashes every gram with
SHA-1 in Python. Pure functions; no database."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

NUM_PERM = 120
BANDS, ROWS = 30, 4  # BANDS × ROWS == NUM_PERM; a pair at Jaccard 0.65 is a candidate with p ≈ 0.997, at 0.1 p ≈ 0.003
# Character bigrams: the unit of Chinese words, and a misread character costs two grams, not three (on the
# tests' agreements, OCR copy against innocent pairs: 0.78 / ≤ 0.50 with bigrams, 0.67 / ≤ 0.53 with 3-grams).
SHINGLE = 2
_PRIME = np.uint64(4294967311)  # the first prime above 2**32
_rng = np.random.default_rng(20270612)  # fixed: cached signatures must stay comparable across processes
_A = _rng.integers(1, 2**31, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 2**31, size=NUM_PERM, dtype=np.uint64)
_NOT_TEXT = re.compile(r"[^0-9A-Z\u3400-\u4dbf\u4e00-\u9fff]+")
# A line is cut at its colons and at runs of spaces: 学号：2390000101  专业：计算机 is four pieces, so that
# no gram spans a label and its value.
_PIECES = re.compile(r"[:：]|\s+")
_RUNS = re.compile(r"[0-9A-Z]+|[^0-9A-Z]+")
EMPTY = b""
_NO_GRAMS = np.empty(0, dtype=np.uint32)
# The cached grams start with this mark; grams cached without it (character bigrams of digits too, before
# 2026-12-07) are stale and made again from the text.
GRAMS_FORMAT = b"QXG2"


def line_normalise(line: str) -> str:
    """The comparable form of a piece of text: NFKC (full-width → ASCII), upper case, letters, digits and
    Chinese characters only (spaces, punctuation and brackets are how OCR and typing differ, not content)."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", line).upper())


def text_pieces(text: str) -> list[str]:
    """The normalised, non-empty pieces of the lines of a reading's text, in order."""
    return [n for line in (text or "").splitlines() for n in (line_normalise(p) for p in _PIECES.split(line)) if n]


def text_grams(text: str) -> set[str]:
    """The grams of a text: bigrams of its Chinese runs, its ASCII letter-and-digit runs whole."""
    grams: set[str] = set()
    for piece in text_pieces(text):
        for run in _RUNS.findall(piece):
            if run[0] < "\x80":
                grams.add(run)
            else:
                grams.update(run[i:i + SHINGLE] for i in range(max(1, len(run) - SHINGLE + 1)))
    return grams


# The hashes of a line's grams, kept per process: the form's own lines come back in nearly every document, so a
# scan's first pass over 13,000 new readings hashes each distinct line once (bench/trust: 4.5 → ~1 s).
_LINE_HASHES: dict[str, tuple[int, ...]] = {}
_LINE_HASHES_MAX = 200_000


def _line_hashes(line: str) -> tuple[int, ...]:
    hashes = _LINE_HASHES.get(line)
    if hashes is None:
        hashes = tuple(zlib.crc32(g.encode()) for g in text_grams(line))
        if len(_LINE_HASHES) >= _LINE_HASHES_MAX:
            _LINE_HASHES.clear()
        _LINE_HASHES[line] = hashes
    return hashes


def text_shingles(text: str) -> np.ndarray:
    """The sorted distinct 32-bit hashes (CRC-32: stable across processes) of the text's grams (a line's
    grams are its own: pieces never span lines, so the text's grams are the union of its lines')."""
    hashes = [h for line in (text or "").splitlines() for h in _line_hashes(line)]
    if not hashes:
        return _NO_GRAMS
    return np.unique(np.array(hashes, dtype=np.uint32))


def shingles_to_bytes(grams: np.ndarray) -> bytes:
    """The cache form of a reading's grams (with the format mark)."""
    return GRAMS_FORMAT + grams.tobytes()


def shingles_from_bytes(data) -> np.ndarray | None:
    """The grams cached by shingles_to_bytes; None when the cache is of an older format (make them again)."""
    data = bytes(data or b"")
    if not data.startswith(GRAMS_FORMAT):
        return None
    return np.frombuffer(data[len(GRAMS_FORMAT):], dtype=np.uint32)


def template_shingles(docs: Iterable[tuple[np.ndarray, str]], *, min_docs: int) -> np.ndarray:
    """The grams found in at least `min_docs` distinct documents (sorted). docs: (grams, identity) —
    documents with the same identity (the same persons named: copies of one student's agreement) count
    once."""
    by_identity: dict[str, list[np.ndarray]] = defaultdict(list)
    for grams, identity in docs:
        by_identity[identity].append(grams)
    per_identity = [parts[0] if len(parts) == 1 else np.unique(np.concatenate(parts)) for parts in by_identity.values()]
    if not per_identity:
        return _NO_GRAMS
    values, counts = np.unique(np.concatenate(per_identity), return_counts=True)
    return values[counts >= min_docs]


def content_shingles(grams: np.ndarray, template: np.ndarray) -> np.ndarray:
    """The document's grams that are not template: its filled-in content."""
    return grams[~np.isin(grams, template, assume_unique=True)]


def content_fingerprint(content: np.ndarray, *, min_grams: int = 0) -> str:
    """A short fingerprint of a content and of the MIN_GRAMS its signature was made with: the cached
    signature stays valid while this does not change (a lower MIN_GRAMS must sign what was left empty)."""
    return hashlib.blake2b(content.tobytes() + min_grams.to_bytes(4, "little"), digest_size=8).hexdigest()


def content_signature(content: np.ndarray, *, min_grams: int) -> bytes:
    """The MinHash signature (NUM_PERM uint32, as bytes) of the content's grams; EMPTY when there are fewer
    than `min_grams` (too little filled-in text to call two documents the same)."""
    if len(content) < max(1, min_grams):
        return EMPTY
    hashed = (_A[:, None] * content.astype(np.uint64)[None, :] + _B[:, None]) % _PRIME
    return hashed.min(axis=1).astype(np.uint32).tobytes()


def signature_similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of two contents (the share of equal MinHash values)."""
    if not a or not b:
        return 0.0
    return float(np.mean(np.frombuffer(a, dtype=np.uint32) == np.frombuffer(b, dtype=np.uint32)))


def similar_pairs(signatures: dict[int, bytes], *, threshold: float,
                  max_bucket: int = 200) -> list[tuple[int, int, float]]:
    """(id, id, similarity) for the pairs of signatures whose estimated Jaccard similarity is at least
    `threshold`, found through LSH buckets (no all-pairs comparison). A bucket holding more than
    `max_bucket` documents is content so common it is template the line filter missed, and is skipped."""
    ids = [i for i, sig in signatures.items() if sig]
    if len(ids) < 2:
        return []
    matrix = np.vstack([np.frombuffer(signatures[i], dtype=np.uint32) for i in ids])
    buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for band in range(BANDS):
        block = np.ascontiguousarray(matrix[:, band * ROWS:(band + 1) * ROWS])
        for row, key in enumerate(block.view(f"V{ROWS * 4}").ravel()):
            buckets[(band, key.tobytes())].append(row)
    candidates: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= max_bucket:
            candidates.update((members[x], members[y]) for x in range(len(members))
                              for y in range(x + 1, len(members)))
    pairs = []
    for x, y in candidates:
        similarity = float(np.mean(matrix[x] == matrix[y]))
        if similarity >= threshold:
            pairs.append((ids[x], ids[y], similarity))
    return sorted(pairs)


def groups(pairs: Iterable[tuple[int, int, float]]) -> list[list[int]]:
    """Connected groups of the pairs (union–find), each sorted, largest first."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _similarity in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = defaultdict(list)
    for x in parent:
        members[find(x)].append(x)
    return sorted((sorted(m) for m in members.values()), key=lambda m: (-len(m), m[0]))
