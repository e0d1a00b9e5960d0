"""Log scrubbing: national IDs and mobile numbers never reach a log line in full."""

from __future__ import annotations

import io
import logging
import logging.config

import pytest

from quxiang.core.logging import MaskPersonalDataFilter, mask_personal_data

ID = "310101199001011234"
ID_X = "11010519491231002X"
MOBILE = "13800138000"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (ID, "3101**********1234"),
        (ID_X, "1101**********002X"),
        (ID_X.lower(), "1101**********002x"),
        (MOBILE, "138****8000"),
        ("+8613912345678", "+86139****5678"),
        ("86 139 1234 5678", "86 139 **** 5678"),
        ("139-1234-5678", "139-****-5678"),
        (f"身份证号{ID}，手机{MOBILE}。", "身份证号3101**********1234，手机138****8000。"),
        (f"id={ID}&phone={MOBILE}", "id=3101**********1234&phone=138****8000"),
        (f"({ID}) [{MOBILE}]", "(3101**********1234) [138****8000]"),
        # A mistyped ID (wrong check digit) is still somebody's ID.
        ("310101199001011235", "3101**********1235"),
    ],
)
def test_masks_ids_and_mobiles(raw, masked):
    assert mask_personal_data(raw) == masked


@pytest.mark.parametrize(
    "kept",
    [
        "12800138000",  # not a mobile prefix
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits: part of a longer number
        "3101011990010112345",  # 19 digits
        "order 9876543210987654321 done",
        "sha 3b5d5c3712955042212316173ccd37be6f1a1a1ee2c7d3a2d1a0f6e1b2c3d4e5",
        "91310115MA1FL0001X",  # a USCC with letters
        "21000000 bytes in 1713787654321 ms",
        "",
        "没有数字",
    ],
)
def test_leaves_other_numbers_alone(kept):
    assert mask_personal_data(kept) == kept


def _record(msg, args=None, exc_info=None, **extra) -> logging.LogRecord:
    record = logging.LogRecord("quxiang.test", logging.INFO, __file__, 1, msg, args, exc_info)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def _formatted(record: logging.LogRecord) -> str:
    assert MaskPersonalDataFilter().filter(record) is True
    return logging.Formatter("%(message)s").format(record)


def test_filter_masks_message_and_positional_args():
    out = _formatted(_record("student %s phone %s id %s", (ID, MOBILE, ID_X)))
    assert out == "student 3101**********1234 phone 138****8000 id 1101**********002X"


def test_filter_masks_dict_args_and_non_string_args():
    class Student:
        def __str__(self):
            return f"张三 {ID}"

    out = _formatted(_record("%(who)s %(phone)d %(id)s", {"who": Student(), "phone": 13800138000, "id": ID}))
    assert ID not in out and MOBILE not in out
    assert "3101**********1234" in out and "138****8000" in out


def test_filter_masks_the_message_itself():
    assert _formatted(_record(f"login failed for {ID} from {MOBILE}")) == (
        "login failed for 3101**********1234 from 138****8000"
    )


def test_filter_masks_tracebacks_and_stack():
    try:
        raise ValueError(f'duplicate key value violates unique constraint: Key (national_id)=({ID}) already exists.')
    except ValueError:
        import sys

        record = _record("import failed", exc_info=sys.exc_info(), stack_info=f"stack with {MOBILE}")
    out = _formatted(record)
    assert "ValueError" in out and "Traceback" in out
    assert ID not in out and MOBILE not in out
    assert "3101**********1234" in out


def test_filter_survives_a_broken_format_string():
    record = _record("%s and %s", (ID,))  # one argument missing
    assert MaskPersonalDataFilter().filter(record) is True
    assert ID not in record.msg + repr(record.args)


def test_filter_is_idempotent_and_never_drops():
    record = _record("phone %s", (MOBILE,))
    f = MaskPersonalDataFilter()
    assert f.filter(record) and f.filter(record)
    assert record.getMessage() == "phone 138****8000"


def test_installed_on_a_handler_it_masks_records_of_every_logger():
    """As production configures it: the filter sits on the handler, so records propagated from any
    child logger (django.request, quxiang.*) are masked."""
    stream = io.StringIO()
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask_personal_data": {"()": "quxiang.core.logging.MaskPersonalDataFilter"}},
        "handlers": {"mem": {"class": "logging.StreamHandler", "stream": stream, "filters": ["mask_personal_data"]}},
        "loggers": {"qx_masking_test": {"handlers": ["mem"], "level": "INFO", "propagate": False}},
    }
    logging.config.dictConfig(config)
    try:
        logging.getLogger("qx_masking_test.deep.child").warning("student %s mobile %s", ID, MOBILE)
        logging.getLogger("qx_masking_test").error("literal " + ID)
    finally:
        logging.getLogger("qx_masking_test").handlers.clear()
    text = stream.getvalue()
    assert ID not in text and MOBILE not in text
    assert text.count("3101**********1234") == 2 and "138****8000" in text
