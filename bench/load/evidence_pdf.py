"""A real PDF of a given size for the upload step: one A4 page with a line of text, padded to the target
size by an embedded file of random bytes (incompressible, so the size on the wire is the size asked for).
pypdf writes it and reads it back; the app's content checks (quxiang.evidence.checks) accept it."""

from __future__ import annotations

import io
import random

from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


def build_pdf(target_bytes: int = 300 * 1024, seed: int = 2026) -> bytes:
    rng = random.Random(seed)

    def write(padding: int) -> bytes:
        writer = PdfWriter()
        page = writer.add_blank_page(595, 842)
        content = DecodedStreamObject()
        content.set_data(b"BT /F1 18 Tf 72 760 Td (Employment agreement - load test) Tj ET")
        font = DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        })
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)}),
        })
        page[NameObject("/Contents")] = writer._add_object(content)
        writer.add_metadata({"/Title": "Employment agreement (load test)", "/Producer": "quxiang bench/load"})
        if padding > 0:
            writer.add_attachment("scan.bin", rng.randbytes(padding))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    overhead = len(write(0)) + 250  # the attachment's own dictionaries
    data = write(max(0, target_bytes - overhead))
    data = write(max(0, target_bytes - overhead - (len(data) - target_bytes)))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1 and data.rstrip().endswith(b"%%EOF")
    return data


if __name__ == "__main__":
    pdf = build_pdf()
    print(len(pdf))
