"""Benchmark of evidence OCR (quxiang/evidence/ocr.py): seconds per page on ONE core (ONNX Runtime with one
intra-op thread) over N rendered agreement images of 2–4 MP: varied page sizes, font sizes, content, a
slight tilt, JPEG noise, some turned by 90° or 180°. Also checks that the organisation and the USCC were
read back.

    .venv/bin/python bench/ocr_bench.py --pages 20
    taskset -c 0 .venv/bin/python bench/ocr_bench.py --pages 50   # pin to one core as well

Needs the CJK font of fonts-noto-cjk. No database."""

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
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
ORGS = ["上海示范科技有限公司", "北京远方物流有限责任公司", "杭州云栖数据股份有限公司", "深圳前海金融服务有限公司",
        "复旦大学", "上海市浦东新区人民医院", "苏州工业园区某某电子有限公司"]
NAMES = ["李明华", "王小红", "张伟", "欧阳娜娜", "陈思远", "刘洋"]
FILLER = ["经甲乙双方协商一致，乙方自愿到甲方工作，签订本协议。", "甲方应依法为乙方缴纳社会保险和住房公积金。",
          "本协议一式四份，甲乙双方及学校各执一份。", "乙方应按时报到，服从甲方的工作安排。", "试用期工资不低于当地最低工资标准。"]


def page(rng: random.Random, index: int):
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    from quxiang.testing.factories import make_uscc

    width = rng.choice([1400, 1654, 1800])
    height = int(width * rng.uniform(1.35, 1.45))  # 1.9–4.7 MP, mostly 2–4
    font = ImageFont.truetype(str(FONT), rng.choice([34, 40, 46]), index=2)
    org, uscc = rng.choice(ORGS), make_uscc(serial=f"MA1FL{index:04d}")
    lines = ["全国普通高等学校毕业生就业协议书", f"甲方（用人单位）：{org}", f"统一社会信用代码：{uscc}",
             f"乙方（毕业生）：{rng.choice(NAMES)}", *rng.sample(FILLER, 4), f"签订日期：2027年{rng.randint(1, 6)}月{rng.randint(1, 28)}日"]
    img = Image.new("RGB", (width, height), (rng.randint(235, 255),) * 3)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((int(width * 0.07), int(height * 0.05) + i * int(font.size * 2.4)), line, fill=(20, 20, 20), font=font)
    img = img.rotate(rng.uniform(-2, 2), expand=False, fillcolor=(245, 245, 245)).filter(ImageFilter.GaussianBlur(0.6))
    turn = rng.choice([0, 0, 0, 90, 180])
    if turn:
        img = img.rotate(turn, expand=True)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=rng.choice([70, 80, 90]))
    return Image.open(io.BytesIO(buf.getvalue())), org, uscc, turn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--max-side", type=int, default=1600)  # reading.py DEFAULTS
    args = parser.parse_args()
    if not FONT.exists():
        sys.exit(f"needs {FONT} (apt-get install fonts-noto-cjk)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from quxiang.evidence.fields import evidence_fields_extract
    from quxiang.evidence.ocr import ocr_engine, ocr_engine_name, ocr_page

    rng = random.Random(args.seed)
    started = time.perf_counter()
    ocr_engine(threads=1)
    load = time.perf_counter() - started
    seconds, cpu_seconds, pixels, found_org, found_uscc, turned = [], [], [], 0, 0, 0
    for i in range(args.pages):
        img, org, uscc, turn = page(rng, i)
        pixels.append(img.size[0] * img.size[1] / 1e6)
        t, cpu = time.perf_counter(), time.process_time()
        result = ocr_page(img, max_side=args.max_side, threads=1)
        seconds.append(time.perf_counter() - t)
        cpu_seconds.append(time.process_time() - cpu)  # not inflated by other jobs on a shared machine
        fields = evidence_fields_extract(text=result.text)
        found_org += org in fields.orgs
        found_uscc += uscc in fields.usccs
        turned += bool(turn)
    seconds.sort()
    cpu_seconds.sort()

    def p95(values: list[float]) -> float:
        return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]

    print(f"engine: {ocr_engine_name()} (1 intra-op thread), loaded in {load:.2f} s")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (at the end)")
    print(f"pages: {args.pages} ({turned} turned 90°/180°), {min(pixels):.1f}–{max(pixels):.1f} MP, max side {args.max_side}")
    print(f"wall seconds per page: median {statistics.median(seconds):.2f}, p95 {p95(seconds):.2f}, max {seconds[-1]:.2f}")
    print(f"CPU seconds per page:  median {statistics.median(cpu_seconds):.2f}, p95 {p95(cpu_seconds):.2f}, "
          f"max {cpu_seconds[-1]:.2f}")
    print(f"read back: organisation {found_org}/{args.pages}, USCC {found_uscc}/{args.pages}")


if __name__ == "__main__":
    main()
