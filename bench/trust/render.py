"""Evidence documents of the planted-cohort bench, rendered offline: no real student's paper.

A document is data first (`Doc`: a title, labelled rows, boilerplate terms, a signature and a seal), then
bytes in one of three forms:

- `pdf_bytes`: an e-signed agreement as students download it — a PDF whose text layer carries the
  document ("label：value" lines), drawn with reportlab's STSong-Light CID font (as the tests do);
- `scan_image` / `photo_image`: the printed sheet (a ruled table, the terms, a red seal over the
  signature line) drawn with Pillow and Noto CJK (fonts-noto-cjk), then scanned (tilt ±1.5°, blur, JPEG)
  or photographed on a desk (perspective, light, shadow, noise — after bench/ocr_bench.py's photo model);
- `reencode`: what a student does with a classmate's photo to pass it off — saved again at another JPEG
  quality, resized, cropped 1–3 %, PNG↔JPEG, or photographed again (rotation, keystone, blur).

Pure functions of their inputs and an explicit random generator, so a run is reproducible."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

FONTS = [Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
         Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")]

AGREEMENT_TERMS = [
    "一、甲方如实介绍本单位情况及工作岗位、工作条件、劳动报酬等，并按国家规定为乙方缴纳社会保险。",
    "二、乙方如实介绍自己的学业成绩及健康状况，按时报到，服从甲方的工作安排，遵守甲方的规章制度。",
    "三、本协议经甲乙双方签字盖章并经学校就业部门登记后生效，乙方报到后本协议自行终止。",
    "四、甲乙双方应在乙方报到之日起一个月内依法签订劳动合同，试用期包含在劳动合同期限内。",
    "五、任何一方违约，应向对方支付违约金人民币伍仟元整，另有约定的从其约定。",
    "六、本协议一式四份，甲乙双方、学校及主管部门各执一份，具有同等效力。",
]
CONTRACT_TERMS = [
    "第一条 本合同为固定期限劳动合同，期限三年，其中试用期六个月。",
    "第二条 甲方安排乙方在研发中心从事岗位工作，乙方应按时完成工作任务。",
    "第三条 甲方实行标准工时制度，每日工作八小时，每周工作五天。",
    "第四条 甲方依法为乙方缴纳养老、医疗、失业、工伤、生育保险和住房公积金。",
    "第五条 乙方应遵守甲方依法制定的规章制度，保守甲方的商业秘密。",
]
FLEXIBLE_TERMS = [
    "本人承诺以上信息真实有效，如有虚假，愿意承担相应责任。",
    "灵活就业是指以非全日制、临时性、季节性、弹性工作等灵活多样形式实现就业。",
    "本表一式两份，学院及学生本人各执一份。",
]
LETTER_TERMS = [
    "经我校研究生招生工作领导小组审核，该生已被我校录取为二〇二七级全日制硕士研究生。",
    "请贵校于收到本函之日起十五个工作日内将该生档案以机要方式寄至我校研究生院。",
    "档案袋封口处须加盖公章，档案材料应完整齐全。",
]


@dataclass
class Doc:
    """One document: what it says, independent of its form."""

    title: str
    rows: list[tuple[str, str, str]]  # (party column, label, value); party is "" on continuation rows
    terms: list[str] = field(default_factory=list)
    signer: str = ""  # the student's signature
    seal: str = ""  # the organisation on the red seal
    date: str = ""
    number: str = ""  # the form's 编号

    def lines(self) -> list[str]:
        """The document as text lines (the PDF's text layer)."""
        out = [self.title]
        if self.number:
            out.append(f"编号：{self.number}")
        party = ""
        for p, label, value in self.rows:
            if p and p != party:
                party = p
                if p in ("甲方", "乙方"):
                    who = "（用人单位）" if p == "甲方" else "（毕业生）"
                    if label in ("单位名称", "姓名"):
                        out.append(f"{p}{who}：{value}")
                        continue
            out.append(f"{label}：{value}")
        out.extend(self.terms)
        if self.seal:
            out.append(f"甲方（盖章）：{self.seal}")
        if self.signer:
            out.append(f"乙方（签名）：{self.signer}")
        if self.date:
            out.append(f"签订日期：{self.date}")
        return out


# --- PDF with a text layer ---------------------------------------------------------------------------------

_cid_registered = False


def pdf_bytes(doc: Doc) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    global _cid_registered
    if not _cid_registered:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        _cid_registered = True
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf)
    pdf.setTitle(doc.title)
    y = 790
    for i, line in enumerate(doc.lines()):
        size = 16 if i == 0 else 11
        pdf.setFont("STSong-Light", size)
        # A long term wraps at 46 characters, as the e-signing platform's page does.
        for start in range(0, len(line), 46):
            pdf.drawString(50, y, line[start:start + 46])
            y -= 20
        if i == 0:
            y -= 10
    pdf.drawString(50, 40, "本协议由网上签约平台生成，电子签章有效。")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


# --- the printed sheet --------------------------------------------------------------------------------------


def _font(path: Path, size: int):
    from PIL import ImageFont

    if not path.exists():
        raise SystemExit(f"CJK font {path} is not installed (apt-get install fonts-noto-cjk)")
    return ImageFont.truetype(str(path), size, index=2)  # index 2: the SC face


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=font) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line else lines


def sheet(doc: Doc, rng: random.Random, width: int = 1654):
    """The printed page, upright and flat (A4 proportions)."""
    from PIL import Image, ImageDraw

    height = int(width * 1.414)
    size = int(width * rng.uniform(0.022, 0.026))
    font, title_font = _font(rng.choice(FONTS), size), _font(FONTS[0], int(size * 1.5))
    paper = tuple(rng.randint(238, 252) - d for d in (0, 1, 4))
    img = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(img)
    ink = (25, 25, 30)
    margin, y = int(width * 0.09), int(height * 0.05)
    draw.text(((width - draw.textlength(doc.title, font=title_font)) / 2, y), doc.title, fill=ink, font=title_font)
    y += int(size * 2.8)
    if doc.number:
        label = f"编号：{doc.number}"
        draw.text((width - margin - draw.textlength(label, font=font), y), label, fill=ink, font=font)
        y += int(size * 2.0)
    # The label column is wide enough for 统一社会信用代码 (8 characters): a label running into its value's
    # cell glues them together for the OCR.
    row_h, col1, col2 = int(size * 2.1), margin + int(size * 3.2), margin + int(size * 12.2)
    right = width - margin
    top = y
    for party, label, value in doc.rows:
        draw.line((col1 if not party else margin, y, right, y), fill=ink, width=2)
        dy = (row_h - size) / 2 - size * 0.15
        if party:
            draw.text((margin + size * 0.6, y + dy), party, fill=ink, font=font)
        draw.text((col1 + size * 0.4, y + dy), label, fill=ink, font=font)
        draw.text((col2 + size * 0.4, y + dy), value, fill=ink, font=font)
        y += row_h
    draw.line((margin, y, right, y), fill=ink, width=2)
    for x in (margin, col1, col2, right):
        draw.line((x, top, x, y), fill=ink, width=2)
    y += int(size * 1.5)
    for term in doc.terms:
        for line in _wrap(draw, term, font, right - margin):
            draw.text((margin, y), line, fill=ink, font=font)
            y += int(size * 1.7)
        y += int(size * 0.4)
    y = max(y + size, int(height * 0.80))
    left_x, right_x = margin, int(width * 0.55)
    if doc.seal:
        draw.text((left_x, y), "甲方（盖章）：", fill=ink, font=font)
    if doc.signer:
        draw.text((right_x, y), "乙方（签名）：", fill=ink, font=font)
        draw.text((right_x + draw.textlength("乙方（签名）：", font=font), y - size * 0.2), doc.signer,
                  fill=(30, 40, 90), font=_font(FONTS[1], int(size * 1.2)))
    if doc.date:
        draw.text((left_x, y + int(size * 2.2)), f"日期：{doc.date}", fill=ink, font=font)
    if doc.seal:
        seal = Image.new("RGBA", img.size, (0, 0, 0, 0))
        sd = ImageDraw.Draw(seal)
        cx, cy, r = left_x + int(size * 6.5), y + size, int(size * 4.0)
        red = (200, 30, 30, rng.randint(110, 160))
        sd.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(3, size // 6))
        sd.regular_polygon((cx, cy, size * 1.1), 5, fill=red)
        img = Image.alpha_composite(img.convert("RGBA"), seal).convert("RGB")
    return img


def _save(img, fmt: str = "JPEG", quality: int = 85) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(buf, format="JPEG", quality=quality)
    else:
        img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()


def _open(data: bytes):
    from PIL import Image

    img = Image.open(io.BytesIO(data))
    img.load()
    return img.convert("RGB")


def scan_image(doc: Doc, rng: random.Random) -> bytes:
    """A flatbed scan or a phone's document mode: 1400–1654 px wide (2.8–3.9 MP), tilted, blurred, JPEG."""
    from PIL import ImageFilter

    img = sheet(doc, rng, rng.choice([1400, 1530, 1654]))
    img = img.rotate(rng.uniform(-1.5, 1.5), resample=3, expand=False, fillcolor=(246, 246, 246))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
    return _save(img, "JPEG", rng.choice([75, 85, 92]))


def _photograph(img, rng: random.Random, *, frame: tuple[int, int], tilt: float, keystone: float, blur: float):
    """The sheet (a PIL image) photographed on a desk: perspective, light gradient, shadow, noise."""
    import cv2
    import numpy as np
    from PIL import Image

    w, h = frame
    arr = np.asarray(img.convert("RGB")).astype(np.float32)
    sh, sw = arr.shape[:2]
    nprng = np.random.default_rng(rng.randrange(2**32))
    desk = np.array(rng.choice([(120, 95, 70), (90, 90, 95), (160, 150, 135), (60, 55, 50)]), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    canvas = desk * (0.8 + 0.3 * (xx / w))[..., None] + nprng.normal(0, 5, (h, w, 1)).astype(np.float32)
    fill = rng.uniform(0.84, 0.93)
    dh = h * fill
    dw = dh * sw / sh
    if dw > w * 0.96:
        dw, dh = w * 0.96, w * 0.96 * sh / sw
    cx, cy = w / 2 + rng.uniform(-0.02, 0.02) * w, h / 2 + rng.uniform(-0.02, 0.02) * h
    angle = np.radians(tilt)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]]) @ rot.T
    corners += [cx, cy]
    k = keystone * w
    if rng.random() < 0.5:
        corners[0] += [k, 0]
        corners[1] += [-k, 0]
    else:
        corners[2] += [-k, 0]
        corners[3] += [k, 0]
    corners += nprng.uniform(-0.008, 0.008, (4, 2)) * [w, h]
    src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    matrix = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    warped = cv2.warpPerspective(arr, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((sh, sw), np.float32), matrix, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    out = warped * mask + canvas * (1 - mask)
    gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
    ramp = (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)) / max(abs(gx) + abs(gy), 1e-6)
    light = 0.9 + rng.uniform(0.08, 0.18) * ramp
    sx, sy, sr = rng.uniform(0, w), rng.choice([-0.15, 1.15]) * h, rng.uniform(0.3, 0.5) * w
    shadow = np.clip(np.hypot(xx - sx, yy - sy) / sr, 0, 1)
    light *= 1 - rng.uniform(0.15, 0.3) * (1 - shadow) ** 2
    out = out * light[..., None]
    out = cv2.GaussianBlur(out, (0, 0), blur)
    out += nprng.normal(0, rng.uniform(2, 4), out.shape).astype(np.float32)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def photo_image(doc: Doc, rng: random.Random) -> bytes:
    """A phone photo of the printed sheet on a desk, 2.8–3.5 MP."""
    frame = rng.choice([(1440, 1920), (1536, 2048)])
    img = sheet(doc, rng, int(frame[0] * rng.uniform(0.95, 1.05)))
    img = _photograph(img, rng, frame=frame, tilt=rng.uniform(-3, 3), keystone=rng.uniform(0.01, 0.03),
                      blur=rng.uniform(0.6, 1.1))
    return _save(img, "JPEG", rng.choice([70, 80, 88]))


REENCODINGS = ("jpeg_quality", "resize", "crop", "format_swap", "rephoto")


def reencode(data: bytes, how: str, rng: random.Random) -> tuple[bytes, str]:
    """The same photo passed off again: (bytes, file extension). Never byte-identical to the original."""
    from PIL import Image, ImageFilter

    img = _open(data)
    is_png = data[:4] == b"\x89PNG"
    if how == "jpeg_quality":
        return _save(img, "JPEG", rng.choice([55, 62, 68, 95])), ".jpg"
    if how == "resize":
        scale = rng.uniform(0.72, 0.9)
        img = img.resize((int(img.width * scale), int(img.height * scale)), Image.LANCZOS)
        return _save(img, "JPEG", 85), ".jpg"
    if how == "crop":
        f = rng.uniform(0.01, 0.03)
        dx, dy = int(img.width * f), int(img.height * rng.uniform(0.01, 0.03))
        img = img.crop((dx, dy, img.width - int(img.width * rng.uniform(0.0, f)), img.height - dy))
        return _save(img, "JPEG", 88), ".jpg"
    if how == "format_swap":
        return (_save(img, "JPEG", 90), ".jpg") if is_png else (_save(img, "PNG"), ".png")
    if how == "rephoto":
        # The screen or the print photographed again: a slight turn, keystone, blur.
        frame = (img.width, img.height) if img.width < img.height else (img.height, img.width)
        img = _photograph(img, rng, frame=(min(frame[0], 1536), min(frame[1], 2048)), tilt=rng.uniform(-2.5, 2.5),
                          keystone=rng.uniform(0.01, 0.025), blur=rng.uniform(0.7, 1.1))
        img = img.filter(ImageFilter.SMOOTH)
        return _save(img, "JPEG", 80), ".jpg"
    raise ValueError(how)
