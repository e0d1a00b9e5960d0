"""SPEC §6 validation facts, checked the way a user meets them: what is accepted, what is refused, and
that the refusal is a Chinese sentence with a stable code."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from quxiang.core import validators as v

CJK = re.compile(r"[\u4e00-\u9fff]")
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def spec_check_char(first17: str) -> str:
    """The SPEC §6 formula written out independently of the app (and of python-stdnum)."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def error_of(func, value) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        func(value)
    return info.value


def assert_chinese(err: ValidationError) -> None:
    assert err.messages, err
    for message in err.messages:
        assert CJK.search(message), f"message is not Chinese: {message!r}"


# --- USCC (GB 32100-2015) ---------------------------------------------------------------------

uscc_char = st.sampled_from(ALPHABET)
# Positions 3–8 are the registering authority's administrative division code: digits.
uscc_body = st.tuples(
    st.text(alphabet=ALPHABET, min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
).map("".join)


@given(body=uscc_body)
@example(body="91310115MA1FL0001")
@example(body="Y1310000MA1FL0001")  # first character is not restricted (SPEC §6)
@example(body="51110000500000000")
def test_uscc_with_computed_check_char_is_valid(body):
    code = body + spec_check_char(body)
    assert v.uscc_check_char(body) == spec_check_char(body)
    assert v.validate_uscc(code) == code


@given(body=uscc_body, data=st.data())
def test_uscc_with_any_other_check_char_fails(body, data):
    good = spec_check_char(body)
    wrong = data.draw(uscc_char.filter(lambda c: c != good))
    err = error_of(v.validate_uscc, body + wrong)
    assert err.code == "uscc_checksum"
    assert_chinese(err)


@given(code=st.text(alphabet=ALPHABET, max_size=30).filter(lambda s: len(s) != 18))
def test_uscc_of_wrong_length_fails(code):
    err = error_of(v.validate_uscc, code)
    assert err.code == "uscc_length"
    assert_chinese(err)
    assert str(len(code)) in err.messages[0]  # tells the user how many they typed


@given(body=uscc_body, pos=st.integers(0, 17), bad=st.sampled_from("IOZSV"))
def test_uscc_with_forbidden_letter_fails(body, pos, bad):
    code = body + spec_check_char(body)
    code = code[:pos] + bad + code[pos + 1 :]
    err = error_of(v.validate_uscc, code)
    assert err.code == "uscc_chars"
    assert bad in err.messages[0]
    assert_chinese(err)


@given(body=uscc_body, data=st.data())
def test_uscc_lower_case_and_spaces_are_normalised(body, data):
    code = body + spec_check_char(body)
    typed = code.lower()
    cut = sorted(data.draw(st.lists(st.integers(0, 18), max_size=4)))
    for i in reversed(cut):
        typed = typed[:i] + " " + typed[i:]
    assert v.validate_uscc("  " + typed + " ") == code


def test_uscc_first_character_not_restricted():
    for first in "Y9A1":
        body = f"{first}1310115MA1FL0001"
        assert v.validate_uscc(body + spec_check_char(body)) == body + spec_check_char(body)


def test_uscc_letters_in_region_part_have_own_message():
    body = "91ABCDEFMA1FL0001"
    err = error_of(v.validate_uscc, body + spec_check_char(body))
    assert err.code == "uscc_format"
    assert_chinese(err)


@pytest.mark.parametrize("value", ["", None, "   "])
def test_uscc_empty_is_length_error(value):
    assert error_of(v.validate_uscc, value).code == "uscc_length"


# --- National ID (GB 11643-1999) -----------------------------------------------------------------

REGIONS = st.one_of(
    st.sampled_from(["330114", "653228", "339999", "310104", "110101", "440305", "469027"]),
    st.from_regex(r"\A[1-8][0-9]{5}\Z", fullmatch=True),  # any six digits: birthplace is never looked up
)
BIRTHS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today())


def id_check_char(body17: str) -> str:
    """GB 11643-1999 MOD 11-2, written out independently of the app."""
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(body17))
    return "10X98765432"[total % 11]


def national_id(region: str, birth: dt.date, seq: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


@given(region=REGIONS, birth=BIRTHS, seq=st.integers(0, 999))
@example(region="339999", birth=dt.date(2003, 5, 12), seq=123)  # a county created after any code table
@example(region="653228", birth=dt.date(2000, 2, 29), seq=1)
@example(region="330114", birth=dt.date(1999, 12, 31), seq=999)
def test_valid_national_ids_validate(region, birth, seq):
    number = national_id(region, birth, seq)
    assert v.validate_national_id(number) == number


@given(region=REGIONS, birth=BIRTHS, seq=st.integers(0, 999), data=st.data())
def test_national_id_with_wrong_check_digit_fails(region, birth, seq, data):
    number = national_id(region, birth, seq)
    wrong = data.draw(st.sampled_from("0123456789X").filter(lambda c: c != number[-1]))
    err = error_of(v.validate_national_id, number[:17] + wrong)
    assert err.code == "id_checksum"
    assert_chinese(err)


def test_national_id_lower_case_x_is_accepted():
    # Find a body whose check character is X.
    for seq in range(1000):
        number = national_id("310104", dt.date(2003, 5, 12), seq)
        if number.endswith("X"):
            break
    assert v.validate_national_id(number.lower()) == number
    assert v.validate_national_id(" " + number[:-1] + "x ") == number


def test_fifteen_digit_legacy_id_rejected():
    err = error_of(v.validate_national_id, "310104850512123")
    assert err.code == "id_length"
    assert "15" in err.messages[0]
    assert_chinese(err)


def test_national_id_february_30_rejected():
    body = "31010420030230123"
    err = error_of(v.validate_national_id, body + id_check_char(body))
    assert err.code == "id_birthdate"
    assert_chinese(err)


def test_national_id_born_in_future_rejected():
    future = dt.date.today() + dt.timedelta(days=400)
    err = error_of(v.validate_national_id, national_id("310104", future, 1))
    assert err.code == "id_birthdate"


@pytest.mark.parametrize("value", ["31010420030512123A", "3101042003O512123X", "31010420030512X234"])
def test_national_id_bad_characters_rejected(value):
    err = error_of(v.validate_national_id, value)
    assert err.code == "id_format"
    assert_chinese(err)


def test_known_real_format_id_validates():
    # The GB 11643-1999 worked example.
    assert v.validate_national_id("11010519491231002X") == "11010519491231002X"
    assert v.validate_national_id("11010519491231002x") == "11010519491231002X"
    assert id_check_char("11010519491231002") == "X"


def test_factory_national_ids_are_valid():
    from quxiang.testing.factories import make_national_id

    for seq in range(30):
        number = make_national_id(seq=seq, sex="F" if seq % 2 else "M")
        assert v.validate_national_id(number) == number


def test_mask_national_id_shape():
    assert v.mask_national_id("310104200305121234") == "3101**********1234"
    assert v.mask_national_id("31010420030512123X") == "3101**********123X"
    assert v.mask_national_id("") == ""
    assert "2003" not in v.mask_national_id("310104200305121234")


@given(region=REGIONS, birth=BIRTHS, seq=st.integers(0, 999))
@settings(max_examples=50)
def test_mask_never_shows_birth_date(region, birth, seq):
    masked = v.mask_national_id(national_id(region, birth, seq))
    assert re.fullmatch(r"\d{4}\*{10}[\dX]{4}", masked)


# --- Mobile, phone, postcode, Shanghai 登记号 -------------------------------------------------------

@given(prefix=st.sampled_from("3456789"), rest=st.from_regex(r"\A[0-9]{9}\Z", fullmatch=True))
def test_mobile_1_3_to_9_accepted(prefix, rest):
    number = f"1{prefix}{rest}"
    assert v.validate_mobile(number) == number


@pytest.mark.parametrize("value", ["1380013800", "138001380001", "12800138000", "10800138000", "23800138000",
                                   "1380013800a", "", "+8613800138000"])
def test_bad_mobiles_rejected(value):
    err = error_of(v.validate_mobile, value)
    assert err.code == "mobile"
    assert_chinese(err)


@given(digits=st.from_regex(r"\A[0-9]{1,20}\Z", fullmatch=True))
def test_mobile_length_must_be_11(digits):
    assume(len(digits) != 11)
    with pytest.raises(ValidationError):
        v.validate_mobile(digits)


def test_mobile_spaces_and_dashes_normalised():
    assert v.validate_mobile("138 0013 8000") == "13800138000"
    assert v.validate_mobile("138-0013-8000") == "13800138000"


@pytest.mark.parametrize("value", ["13800138000", "021-58881234", "0571-1234567", "02158881234",
                                   "021-58881234-123", "400-820-8820"])
def test_contact_phones_accepted(value):
    v.validate_phone(value)


@pytest.mark.parametrize("value", ["1380013800", "58881234", "12345", "021-581", "abc", ""])
def test_contact_phones_rejected(value):
    err = error_of(v.validate_phone, value)
    assert err.code == "phone"
    assert_chinese(err)


@pytest.mark.parametrize("value", ["20120", "2012030", "20120a", ""])
def test_bad_postcodes_rejected(value):
    err = error_of(v.validate_postcode, value)
    assert err.code == "postcode"
    assert_chinese(err)


def test_postcode_six_digits_accepted():
    assert v.validate_postcode(" 201203 ") == "201203"


def test_shanghai_reg_no_follows_setting(settings):
    assert v.validate_shanghai_reg_no("1234567") == "1234567"
    err = error_of(v.validate_shanghai_reg_no, "123456")
    assert err.code == "shanghai_reg_no"
    assert_chinese(err)
    settings.QUXIANG = {**settings.QUXIANG, "SHANGHAI_REG_NO_REGEX": r"^\d{8}$"}
    assert v.validate_shanghai_reg_no("12345678") == "12345678"


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("func,value", [
    (v.validate_postcode, "201203".translate(FULLWIDTH)),
    (v.validate_mobile, "13" + "800138000".translate(FULLWIDTH)),
    (v.validate_phone, "021-" + "58881234".translate(FULLWIDTH)),
])
def test_full_width_digits_normalised_or_refused(func, value):
    """A digit typed in full-width mode must not reach the database (and the national export) as-is:
    either it is normalised to ASCII or the user is asked to retype it."""
    try:
        result = func(value)
    except ValidationError:
        return
    assert result.isascii(), f"{func.__name__}({value!r}) returned non-ASCII {result!r}"
