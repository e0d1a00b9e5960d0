"""Benchmark of evidence OCR (quxiang/evidence/ocr.py): seconds per page on ONE core (ONNX Runtime with one
intra-op thread) over N real-looking agreement images of 2–4 MP, and whether the organisation and the USCC
are read back (through evidence/fields.py, as the reader does; "in the text": the organisation's name is in
the OCR text, spaces aside, whether or not fields.py picks it out).

The pages are drawn (no real student's paper), deterministically from --seed, in three kinds, interleaved:
- scan: a page as a scanner or a PDF export gives it: white, slightly tilted (±2°), slightly blurred, JPEG;
- turned: the same, lying on its side (90° / 270°) or upside down (180°), no EXIF to say so;
- photo: a phone photo of the printed sheet on a desk: background around the sheet, perspective of a few
  degrees (the phone not parallel to the paper), the sheet not filling the frame, uneven lighting (a
  gradient across the page and a soft shadow), a warm colour cast, slight blur, sensor noise, JPEG; one
  photo in four is taken in landscape and stored sideways (no EXIF).
Every page is a 就业协议书-like sheet: title and number, a ruled table of the parties' fields (label and
value in separate cells), paragraphs of terms, signature lines with a red seal stamped over the employer's
name; serif or sans, varied sizes.

    .venv/bin/python bench/ocr_bench.py --pages 60
    taskset -c 0 .venv/bin/python bench/ocr_bench.py --pages 60   # pin to one core as well
    .venv/bin/python bench/ocr_bench.py --pages 6 --save /tmp/ocr-pages   # look at the pages

Needs the CJK fonts of fonts-noto-cjk. No database."""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FONTS = [Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
         Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")]
ORGS = ["上海示范科技有限公司", "北京远方物流有限责任公司", "杭州云栖数据股份有限公司", "深圳前海金融服务有限公司",
        "复旦大学", "上海市浦东新区人民医院", "苏州工业园区某某电子有限公司", "成都天府软件园发展有限公司",
        "中国建设银行股份有限公司上海分行", "宁波港湾船舶工程有限公司"]
NAMES = ["李明华", "王小红", "张伟", "欧阳娜娜", "陈思远", "刘洋", "赵子涵", "孙悦"]
MAJORS = ["计算机科学与技术", "国际经济与贸易", "临床医学", "汉语言文学", "机械设计制造及其自动化", "会计学"]
ADDRESSES = ["上海市浦东新区张江路88号", "北京市朝阳区建国路1号", "杭州市西湖区文三路259号", "深圳市南山区科技园南区"]
TERMS = [
    "一、甲方如实介绍本单位情况及工作岗位、工作条件、劳动报酬等，并按国家规定为乙方缴纳社会保险。",
    "二、乙方如实介绍自己的学业成绩及健康状况，按时报到，服从甲方的工作安排，遵守甲方的规章制度。",
    "三、本协议经甲乙双方签字盖章并经学校就业部门登记后生效，乙方报到后本协议自行终止。",
    "四、甲乙双方应在乙方报到之日起一个月内依法签订劳动合同，试用期包含在劳动合同期限内。",
    "五、任何一方违约，应向对方支付违约金人民币伍仟元整，另有约定的从其约定。",
    "六、本协议一式四份，甲乙双方、学校及主管部门各执一份，具有同等效力。",
    "七、未尽事宜，由甲乙双方协商解决；协商不成的，可依法申请劳动争议仲裁。",
]
KINDS = ("scan", "photo", "turned", "photo", "scan", "photo", "turned", "photo")  # 3 scans : 4 photos : 2 turned… per 8


def _font(path: Path, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(path), size, index=2)  # index 2: the SC (simplified Chinese) face


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for ch in text:
        if draw.textlength(line + ch, font=font) > width and line:
            lines.append(line)
            line = ch
        else:
            line += ch
    return [*lines, line] if line else lines


def sheet(rng: random.Random, index: int, width: int):
    """The agreement page, upright and flat, about A4 proportions: (image, organisation, USCC)."""
    from PIL import Image, ImageDraw

    from quxiang.testing.factories import make_uscc

    height = int(width * 1.414)
    face = rng.choice(FONTS)
    size = int(width * rng.uniform(0.021, 0.027))  # 11–14 pt at the page's scale
    font, title_font = _font(face, size), _font(FONTS[1], int(size * 1.6))
    org = rng.choice(ORGS)
    uscc = make_uscc(region=rng.choice(["310115", "110105", "330106", "440305"]), serial=f"MA1FL{index:04d}")
    name = rng.choice(NAMES)
    paper = tuple(rng.randint(238, 252) - d for d in (0, 1, 4))  # slightly warm white
    img = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(img)
    ink = (25, 25, 30)
    margin, y = int(width * 0.09), int(height * 0.06)
    title = "全国普通高等学校毕业生就业协议书"
    draw.text(((width - draw.textlength(title, font=title_font)) / 2, y), title, fill=ink, font=title_font)
    y += int(size * 3.0)
    draw.text((width - margin - draw.textlength("编号：2027000000", font=font), y),
              f"编号：2027{rng.randint(100000, 999999)}", fill=ink, font=font)
    y += int(size * 2.0)
    # The parties' table: the party's name in a merged cell, vertically centred on its rows (so it shares
    # a text line with the middle row, as on a real form); labels and values in cells of their own.
    parties = [("甲方", [("单位名称", org), ("统一社会信用代码", uscc), ("单位地址", rng.choice(ADDRESSES))]),
               ("乙方", [("姓名", name), ("学号", f"2023{rng.randint(10000, 99999)}"), ("专业", rng.choice(MAJORS))])]
    row_h = int(size * 2.1)
    col1 = margin + int(size * 3.2)
    col2 = col1 + int(draw.textlength("统一社会信用代码", font=font) + size * 1.2)
    right = width - margin
    top = y
    for party, rows in parties:
        draw.line((margin, y, right, y), fill=ink, width=2)
        middle = y + row_h * len(rows) / 2
        draw.text((margin + size * 0.6, middle - size * 0.65), party, fill=ink, font=font)
        for i, (label, value) in enumerate(rows):
            if i:
                draw.line((col1, y, right, y), fill=ink, width=2)
            draw.text((col1 + size * 0.4, y + (row_h - size) / 2 - size * 0.15), label, fill=ink, font=font)
            draw.text((col2 + size * 0.5, y + (row_h - size) / 2 - size * 0.15), value, fill=ink, font=font)
            y += row_h
    draw.line((margin, y, right, y), fill=ink, width=2)
    for x in (margin, col1, col2, right):
        draw.line((x, top, x, y), fill=ink, width=2)
    draw.text((margin, y + size * 0.6), f"联系人及电话：{rng.choice(NAMES)}  021-{rng.randint(50000000, 69999999)}",
              fill=ink, font=font)
    y += int(size * 2.0)
    y += int(size * 1.6)
    for term in rng.sample(TERMS, rng.randint(4, 6)):
        for line in _wrap(draw, term, font, right - margin):
            draw.text((margin, y), line, fill=ink, font=font)
            y += int(size * 1.75)
        y += int(size * 0.4)
    y = max(y + size, int(height * 0.80))
    left_x, right_x = margin, int(width * 0.55)
    draw.text((left_x, y), "甲方（盖章）：", fill=ink, font=font)
    draw.text((right_x, y), "乙方（签名）：", fill=ink, font=font)
    draw.text((right_x + draw.textlength("乙方（签名）：", font=font), y - size * 0.2), name, fill=(30, 40, 90),
              font=_font(FONTS[0], int(size * 1.2)))
    date = f"2027年{rng.randint(1, 6)}月{rng.randint(1, 28)}日"
    draw.text((left_x, y + int(size * 2.2)), date, fill=ink, font=font)
    draw.text((right_x, y + int(size * 2.2)), date, fill=ink, font=font)
    # The employer's red seal over its signature line (semi-transparent, as ink on paper).
    seal = Image.new("RGBA", img.size, (0, 0, 0, 0))
    sd = ImageDraw.Draw(seal)
    cx, cy, r = left_x + int(size * 6.5), y + size, int(size * 4.2)
    red = (200, 30, 30, rng.randint(120, 170))
    sd.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(3, size // 6))
    sd.regular_polygon((cx, cy, size * 1.1), 5, fill=red)
    sd.text((cx - r * 0.72, cy + r * 0.35), org[:10], fill=red, font=_font(FONTS[1], max(10, int(r * 0.2))))
    img = Image.alpha_composite(img.convert("RGBA"), seal).convert("RGB")
    return img, org, uscc


def _jpeg(img, quality: int):
    from PIL import Image

    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def scan(rng: random.Random, index: int, *, turn: int = 0):
    """A scanned or exported page: 1400–1800 px wide (2.8–4.6 MP), tilted ±2°, blurred a little, JPEG."""
    from PIL import ImageFilter

    img, org, uscc = sheet(rng, index, rng.choice([1400, 1530, 1654]))
    img = img.rotate(rng.uniform(-2, 2), resample=3, expand=False, fillcolor=(246, 246, 246))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8)))
    if turn:
        img = img.rotate(turn, expand=True)
    return _jpeg(img, rng.choice([70, 80, 90])), org, uscc


def photo(rng: random.Random, index: int, *, turn: int = 0):
    """A phone photo of the printed sheet on a desk, 2.8–4.0 MP (see the module's docstring)."""
    import cv2
    import numpy as np
    from PIL import Image

    w, h = rng.choice([(1440, 1920), (1536, 2048), (1728, 2304)])
    img, org, uscc = sheet(rng, index, int(w * rng.uniform(0.95, 1.1)))
    sheet_arr = np.asarray(img).astype(np.float32)
    sh, sw = sheet_arr.shape[:2]
    nprng = np.random.default_rng(rng.randrange(2**32))
    # The desk: a flat colour, a smooth gradient and grain.
    desk = np.array(rng.choice([(120, 95, 70), (90, 90, 95), (160, 150, 135), (60, 55, 50)]), np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    canvas = desk * (0.8 + 0.3 * (xx / w))[..., None] + nprng.normal(0, 6, (h, w, 1)).astype(np.float32)
    # Where the sheet's corners land: the sheet fills 78–92 % of the frame's height, rotated by up to ±4°,
    # each corner moved by up to 3 % of the frame (a keystone of a few degrees: the phone tilted).
    fill = rng.uniform(0.78, 0.92)
    dh = h * fill
    dw = dh * sw / sh
    if dw > w * 0.96:
        dw, dh = w * 0.96, w * 0.96 * sh / sw
    cx, cy = w / 2 + rng.uniform(-0.03, 0.03) * w, h / 2 + rng.uniform(-0.03, 0.03) * h
    angle = np.radians(rng.uniform(-4, 4))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]]) @ rot.T
    corners += [cx, cy]
    keystone = rng.uniform(0.01, 0.035) * w  # the far edge looks narrower
    side = rng.choice([0, 1])  # top or bottom edge is the far one
    corners[side * 2] += [keystone, 0] if side == 0 else [-keystone, 0]
    corners[side * 2 + 1] += [-keystone, 0] if side == 0 else [keystone, 0]
    corners += nprng.uniform(-0.012, 0.012, (4, 2)) * [w, h]
    src = np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]])
    matrix = cv2.getPerspectiveTransform(src, corners.astype(np.float32))
    warped = cv2.warpPerspective(sheet_arr, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((sh, sw), np.float32), matrix, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    out = warped * mask + canvas * (1 - mask)
    # Light: a gradient across the frame (a window on one side), a soft shadow (the phone, a hand), a cast.
    gx, gy = rng.uniform(-1, 1), rng.uniform(-1, 1)
    ramp = (gx * (xx / w - 0.5) + gy * (yy / h - 0.5)) / max(abs(gx) + abs(gy), 1e-6)
    light = 0.88 + rng.uniform(0.12, 0.25) * ramp
    sx, sy, sr = rng.uniform(0, w), rng.choice([rng.uniform(-0.2, 0.1), rng.uniform(0.9, 1.2)]) * h, rng.uniform(0.3, 0.5) * w
    shadow = np.clip(np.hypot(xx - sx, yy - sy) / sr, 0, 1)
    light *= 1 - rng.uniform(0.2, 0.35) * (1 - shadow) ** 2
    cast = np.array([1.0, rng.uniform(0.95, 0.99), rng.uniform(0.85, 0.95)], np.float32)
    out = out * light[..., None] * cast
    out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.7, 1.3))
    out += nprng.normal(0, rng.uniform(2.5, 5), out.shape).astype(np.float32)
    img = Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    if turn:
        img = img.rotate(turn, expand=True)
    return _jpeg(img, rng.choice([65, 75, 85])), org, uscc


def page(rng: random.Random, index: int):
    """Page `index` of the bench: (image, organisation, USCC, kind, turn)."""
    kind = KINDS[index % len(KINDS)]
    if kind == "turned":
        turn = rng.choice([90, 180, 270])
        img, org, uscc = scan(rng, index, turn=turn)
        return img, org, uscc, kind, turn
    if kind == "photo":
        turn = rng.choice([0, 0, 0, rng.choice([90, 270])])
        img, org, uscc = photo(rng, index, turn=turn)
        return img, org, uscc, kind, turn
    img, org, uscc = scan(rng, index)
    return img, org, uscc, kind, 0


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--max-side", type=int, default=1600)  # reading.py DEFAULTS
    parser.add_argument("--save", help="write the pages (JPEG) and what was read (TXT) to this folder")
    parser.add_argument("--verbose", action="store_true", help="one line per page")
    args = parser.parse_args()
    if not all(font.exists() for font in FONTS):
        sys.exit(f"needs {FONTS} (apt-get install fonts-noto-cjk)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from quxiang.evidence.fields import evidence_fields_extract
    from quxiang.evidence.ocr import ocr_engine, ocr_engine_name, ocr_page

    load_before = os.getloadavg()
    started = time.perf_counter()
    ocr_engine(threads=1)
    load = time.perf_counter() - started
    rng = random.Random(args.seed)
    pages = [page(rng, i) for i in range(args.pages)]  # drawn first: not timed
    if args.save:
        Path(args.save).mkdir(parents=True, exist_ok=True)
    rows = []
    for i, (img, org, uscc, kind, turn) in enumerate(pages):
        t, cpu = time.perf_counter(), time.process_time()
        result = ocr_page(img, max_side=args.max_side, threads=1)
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu  # CPU: not inflated by other jobs
        fields = evidence_fields_extract(text=result.text)
        row = {"kind": kind, "turn": turn, "mp": img.size[0] * img.size[1] / 1e6, "wall": wall, "cpu": cpu,
               "org": org in fields.orgs, "uscc": uscc in fields.usccs,
               "org_text": org in result.text.replace(" ", "")}
        rows.append(row)
        if args.verbose:
            print(f"{i:3d} {kind:6s} {turn:3d}° {row['mp']:.1f} MP  wall {wall:.2f}  cpu {cpu:.2f}  "
                  f"org {'✓' if row['org'] else '✗ ' + org + (' (in the text)' if row['org_text'] else '')}  uscc {'✓' if row['uscc'] else '✗ ' + uscc}", flush=True)
        if args.save:
            img.save(Path(args.save) / f"{i:03d}-{kind}-{turn}.jpg", quality=90)
            (Path(args.save) / f"{i:03d}-{kind}-{turn}.txt").write_text(result.text, encoding="utf-8")

    def summary(selected: list[dict]) -> str:
        walls, cpus = [r["wall"] for r in selected], [r["cpu"] for r in selected]
        return (f"wall median {statistics.median(walls):.2f} p95 {p95(walls):.2f} max {max(walls):.2f} | "
                f"CPU median {statistics.median(cpus):.2f} p95 {p95(cpus):.2f} max {max(cpus):.2f} | "
                f"org {sum(r['org'] for r in selected)}/{len(selected)} (in the text {sum(r['org_text'] for r in selected)})"
                f" USCC {sum(r['uscc'] for r in selected)}/{len(selected)}")

    mps = [r["mp"] for r in rows]
    print(f"engine: {ocr_engine_name()} (1 intra-op thread), loaded in {load:.2f} s")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{' / '.join(f'{x:.2f}' for x in load_before)} before, "
          f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} after")
    print(f"pages: {len(rows)}, {min(mps):.1f}–{max(mps):.1f} MP, max side {args.max_side}; seconds per page:")
    for kind in ("scan", "turned", "photo"):
        selected = [r for r in rows if r["kind"] == kind]
        if selected:
            turned = sum(1 for r in selected if r["turn"])
            print(f"  {kind:6s} ({len(selected)}, {turned} turned): {summary(selected)}")
    print(f"  all    ({len(rows)}): {summary(rows)}")


if __name__ == "__main__":
    main()
