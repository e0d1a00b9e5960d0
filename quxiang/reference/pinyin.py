"""A pinyin collation key, so that Chinese names sort the way a Chinese reader looks them up (阿富汗,
埃及, 爱尔兰 … 中非) rather than by code point.

pypinyin picks the reading of a character from its phrase dictionary; the few country names where it
picks the wrong reading of a polyphone are given here.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

# Names whose reading pypinyin gets wrong (佛 is fo in 佛得角, not fu).
READINGS = {
    "佛得角": "fo2 de2 jiao3",
}
_NOT_HAN = re.compile(r"[^\u3400-\u9fff]+")


def pinyin_sort_key(text: str) -> str:
    """'阿尔及利亚' → 'a1 er3 ji2 li4 ya4'. Syllables are separated by a space and end in their tone digit,
    so 阿 (a1) sorts before 安 (an1) and tones break ties; brackets and Latin text are left out."""
    han = _NOT_HAN.sub("", text or "")
    syllables = []
    for name, reading in READINGS.items():
        if han.startswith(name):
            syllables.append(reading)
            han = han[len(name):]
    syllables += lazy_pinyin(han, style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(syllables)[:200]
