"""Near-duplicate content (evidence/similarity.py) on read texts: copies of one filled-in agreement match
through OCR slips, a cropped-off line and other line breaks; agreements from one template with other
content do not."""

from __future__ import annotations

import zlib

import numpy as np

from quxiang.evidence import similarity

# Since GRAMS_FORMAT QXG2 (ASCII letter-and-digit runs are whole grams; cached grams carry the format mark).
SIGNATURE_START = [32182630, 471309125, 389131801]

TEMPLATE_LINES = [
    "全国普通高等学校毕业生就业协议书",
    "经甲乙双方协商一致，乙方自愿到甲方工作，签订本协议。",
    "甲方应依法为乙方缴纳社会保险和住房公积金。",
    "本协议一式四份，甲乙双方及学校各执一份。",
    "乙方应按时报到，服从甲方的工作安排。",
    "试用期工资不低于当地最低工资标准。",
]


def agreement(*, name: str, number: str, org: str, address: str, job: str, pay: int, day: int) -> str:
    lines = [
        TEMPLATE_LINES[0],
        f"甲方（用人单位）：{org}",
        f"单位地址：{address}",
        f"乙方（毕业生）：{name}",
        f"学号：{number}  专业：计算机科学与技术",
        f"身份证号：31010420040{day:02d}1234{day % 10}",
        f"工作岗位：{job}  月薪：{pay} 元",
        *TEMPLATE_LINES[1:],
        f"签订日期：2027年3月{day}日",
    ]
    return "\n".join(lines)


def signature(text: str, template) -> bytes:
    return similarity.content_signature(similarity.content_shingles(similarity.text_shingles(text), template),
                                        min_grams=20)


def content_has(text: str, template, phrase: str) -> bool:
    """Every gram of `phrase` is content (not template) in `text`."""
    content = set(similarity.content_shingles(similarity.text_shingles(text), template).tolist())
    return set(similarity.text_shingles(phrase).tolist()) <= content


def content_lacks(text: str, template, phrase: str) -> bool:
    content = set(similarity.content_shingles(similarity.text_shingles(text), template).tolist())
    return not set(similarity.text_shingles(phrase).tolist()) & content


ORIGINAL = agreement(name="李明华", number="2390000101", org="上海示范科技有限公司", address="上海市浦东新区张江路 88 号",
                     job="软件工程师", pay=12000, day=3)


def ocr_copy(text: str) -> str:
    """What OCR reads from a cropped, resized re-photograph: two characters misread, full-width punctuation as
    ASCII, a line broken in two, the last line cut off by the crop."""
    text = text.replace("张江路", "张汪路").replace("科学", "科字").replace("：", ":")
    text = text.replace("  专业", "\n专业")
    return "\n".join(text.split("\n")[:-1])


def corpus() -> dict[str, str]:
    """Twelve agreements from one template: different students, companies, jobs and dates."""
    people = ["王小红", "张伟", "欧阳娜娜", "陈思远", "刘洋", "赵敏", "孙悦", "周杰", "吴昊", "郑爽", "冯磊", "何静"]
    orgs = ["北京远方物流有限责任公司", "杭州云栖数据股份有限公司", "深圳前海金融服务有限公司", "苏州工业园区某某电子有限公司"]
    return {
        name: agreement(name=name, number=f"2390000{200 + i}", org=orgs[i % 4], address=f"某市某区某路 {10 + i} 号",
                        job=["销售代表", "数据分析师", "运营专员", "测试工程师"][i % 4], pay=8000 + 500 * i, day=5 + i)
        for i, name in enumerate(people)
    }


def template_of(texts: dict[str, str]):
    docs = [(similarity.text_shingles(t), who) for who, t in texts.items()]
    return similarity.template_shingles(docs, min_docs=5)


def test_text_is_normalised_and_cut_at_labels_before_hashing():
    assert similarity.line_normalise("（上海） 示范科技 ") == similarity.line_normalise("(上海)示范科技")
    assert similarity.text_pieces("学号：2390000101  专业: 计算机\n\n乙方（毕业生）：张伟") == [
        "学号", "2390000101", "专业", "计算机", "乙方毕业生", "张伟"]
    assert similarity.text_shingles("统一社会信用代码：91310115ma1fl00011\n\n").tolist() == similarity.text_shingles(
        "统一社会信用代码:91310115MA1FL00011").tolist()
    # A one-character piece is a gram of its own, not lost.
    assert len(similarity.text_shingles("张伟 号")) == 2


def test_template_lines_are_the_lines_of_many_documents():
    texts = {**corpus(), "李明华": ORIGINAL}
    template = template_of(texts)
    assert content_has(ORIGINAL, template, "上海示范科技") and content_has(ORIGINAL, template, "李明华")
    assert content_lacks(ORIGINAL, template, "全国普通高等学校毕业生就业协议书")
    assert content_lacks(ORIGINAL, template, "本协议一式四份") and content_lacks(ORIGINAL, template, "学号")


def test_copies_of_one_document_count_once_so_their_content_is_not_template():
    # Seven copies of 李明华's agreement (the same person named) among the corpus: its lines are in 8 files,
    # yet they are one document's lines, not a template's.
    texts = {**corpus(), "李明华": ORIGINAL}
    docs = [(similarity.text_shingles(t), who) for who, t in texts.items()]
    docs += [(similarity.text_shingles(ORIGINAL), "李明华")] * 7
    template = similarity.template_shingles(docs, min_docs=5)
    assert content_has(ORIGINAL, template, "上海示范科技") and content_has(ORIGINAL, template, "李明华")
    # Counted per file instead, the copies would have made the filled-in content template.
    per_file = similarity.template_shingles([(g, str(i)) for i, (g, _who) in enumerate(docs)], min_docs=5)
    assert content_lacks(ORIGINAL, per_file, "上海示范科技") and content_lacks(ORIGINAL, per_file, "李明华")


def test_an_ocr_copy_of_one_agreement_is_near_identical_and_other_agreements_are_not():
    texts = {**corpus(), "李明华": ORIGINAL}
    template = template_of(texts)
    signatures = {i: signature(t, template) for i, t in enumerate(texts.values())}
    copy_id = len(signatures)
    signatures[copy_id] = signature(ocr_copy(ORIGINAL), template)

    pairs = similarity.similar_pairs(signatures, threshold=0.65)

    original_id = list(texts).index("李明华")
    assert [(a, b) for a, b, _s in pairs] == [(original_id, copy_id)]
    assert pairs[0][2] >= 0.65
    assert similarity.groups(pairs) == [[original_id, copy_id]]


def test_two_students_hired_the_same_day_for_the_same_job_are_not_near_identical():
    # Same small company, address, job, pay and date: only the personal lines differ — a third of the content.
    one = agreement(name="李明华", number="2390000101", org="上海小微软件有限公司", address="上海市徐汇区漕溪北路 1 号",
                    job="前端工程师", pay=9000, day=8)
    other = agreement(name="王小红", number="2390000177", org="上海小微软件有限公司", address="上海市徐汇区漕溪北路 1 号",
                      job="前端工程师", pay=9000, day=9)
    texts = {**corpus(), "李明华": one, "王小红": other}
    template = template_of(texts)
    similar = similarity.signature_similarity(signature(one, template), signature(other, template))
    assert similar < 0.65


def test_little_content_gives_no_signature():
    template = template_of({**corpus(), "李明华": ORIGINAL})
    assert similarity.content_signature(similarity.text_shingles("李明华 2027"), min_grams=20) == similarity.EMPTY
    assert signature("\n".join(TEMPLATE_LINES), template) == b""
    assert similarity.signature_similarity(b"", signature(ORIGINAL, template)) == 0.0


def test_signature_is_stable_across_processes():
    # Cached in the database: the hash functions are fixed, not Python's per-process hash().
    grams = similarity.text_shingles("上海示范科技有限公司 李明华 2390000101 软件工程师")
    sig = similarity.content_signature(grams, min_grams=10)
    assert len(sig) == similarity.NUM_PERM * 4
    assert similarity.text_shingles("甲方").tolist() == [zlib.crc32("甲方".encode())]
    assert similarity.text_shingles("甲").tolist() == [zlib.crc32("甲".encode())]
    assert similarity.text_shingles("2390000101").tolist() == [zlib.crc32(b"2390000101")]
    # Values computed once and written down: a change of the hash functions would silently break the cache.
    assert np.frombuffer(sig, dtype=np.uint32)[:3].tolist() == SIGNATURE_START


def test_content_fingerprint_changes_only_with_the_documents_content():
    grams = similarity.text_shingles(ORIGINAL)
    template = np.sort(grams[:5])
    other_template = np.union1d(template, np.array([7], dtype=np.uint32))  # a gram this document lacks
    fingerprint = similarity.content_fingerprint(similarity.content_shingles(grams, template))
    assert fingerprint == similarity.content_fingerprint(similarity.content_shingles(grams, other_template))
    assert fingerprint != similarity.content_fingerprint(similarity.content_shingles(grams, np.sort(grams[:6])))
