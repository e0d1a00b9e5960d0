"""Check-digit and format rules of SPEC §6. Pure functions, shared by forms, the API and imports."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
POSTCODE_RE = re.compile(r"^[0-9]{6}$")


def _ascii(value: str) -> str:
    """Full-width digits and letters typed with a Chinese IME become their ASCII forms."""
    return unicodedata.normalize("NFKC", value or "").strip()


def normalize_uscc(value: str) -> str:
    return _ascii(value).replace(" ", "").replace("-", "").upper()


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015: check = (31 - Σ w·v mod 31) mod 31, mapped back into the alphabet."""
    return stdnum_uscc.calc_check_digit(first17)


def validate_uscc(value: str) -> str:
    """Return the normalised USCC or raise ValidationError with a Chinese message."""
    code = normalize_uscc(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，您输入了 %(n)d 位。") % {"n": len(code)}, code="uscc_length"
        )
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码中不能出现字符：%(chars)s（不使用 I、O、Z、S、V）。") % {"chars": "、".join(bad)},
            code="uscc_chars",
        )
    if not re.fullmatch(r"[0-9]{6}", code[2:8]):
        raise ValidationError(_("统一社会信用代码第 3–8 位应为行政区划代码（数字）。"), code="uscc_format")
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确，请核对后重新输入。"), code="uscc_checksum")
    return code


def normalize_national_id(value: str) -> str:
    return _ascii(value).replace(" ", "").upper()


def validate_national_id(value: str) -> str:
    """GB 11643-1999, 18 characters only. The birthplace is deliberately not looked up in a table:
    counties created after a library's data snapshot must still validate."""
    number = normalize_national_id(value)
    if len(number) != 18:
        raise ValidationError(_("身份证号应为 18 位（不接受 15 位旧号码）。"), code="id_length")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValidationError(_("身份证号格式不正确：前 17 位应为数字，最后一位为数字或 X。"), code="id_format")
    if stdnum_ric.calc_check_digit(number) != number[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对后重新输入。"), code="id_checksum")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期不存在。"), code="id_birthdate") from None
    if birth.year < 1900 or birth > dt.date.today():
        raise ValidationError(_("身份证号中的出生日期不合理。"), code="id_birthdate")
    return number


def mask_national_id(value: str) -> str:
    """3101**********1234: first four and last four characters visible."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def validate_mobile(value: str) -> str:
    v = _ascii(value).replace(" ", "").replace("-", "")
    if not MOBILE_RE.match(v):
        raise ValidationError(_("手机号应为 11 位数字，以 13–19 开头。"), code="mobile")
    return v


def validate_phone(value: str) -> str:
    """Contact phones may be mobiles or landlines with area code (021-12345678, 0571-1234567-123)."""
    v = _ascii(value).replace(" ", "")
    digits = v.replace("-", "")
    if MOBILE_RE.match(digits):
        return digits
    if re.match(r"^0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?$", v) or re.match(r"^(400|800)-?[0-9]{3}-?[0-9]{4}$", v):
        return v
    raise ValidationError(
        _("联系电话格式不正确：手机号为 11 位，座机请写区号，如 021-12345678。"), code="phone"
    )


def validate_postcode(value: str) -> str:
    v = _ascii(value)
    if not POSTCODE_RE.match(v):
        raise ValidationError(_("邮编应为 6 位数字。"), code="postcode")
    return v


def validate_shanghai_reg_no(value: str) -> str:
    from django.conf import settings

    v = _ascii(value)
    if not re.match(settings.QUXIANG["SHANGHAI_REG_NO_REGEX"], v, re.ASCII):
        raise ValidationError(_("单位信息登记号格式不正确（应为 7 位数字）。"), code="shanghai_reg_no")
    return v
