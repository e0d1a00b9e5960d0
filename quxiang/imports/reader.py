"""Reading an uploaded roster workbook: the file check, the header, and cell values as people type them.

The workbook is opened with openpyxl in read-only mode, so rows stream from the zip and a 20,000-row file
never sits in memory as cell objects. Cells are tolerated the way an office fills them: IDs and 学号
stored as numbers, stray spaces, a lower-case x, dates as Excel dates or as text (2023-09, 2023/9, 2023年9月)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from quxiang.imports.columns import BY_HEADER, COLUMNS, REQUIRED_KEYS

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and encrypted (password-protected) .xlsx
MAX_UNCOMPRESSED_BYTES = 400 * 1024 * 1024  # a zip bomb is refused before anything is parsed
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 10


class RosterFileError(Exception):
    """The file as a whole cannot be read; the message is for the user (Chinese)."""


def xlsx_check(*, fileobj: IO[bytes]) -> None:
    """Refuse anything that is not an .xlsx workbook, whatever its name says. Raises ValidationError."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(OLE2_MAGIC):
        raise ValidationError(
            _("这是旧版 .xls 文件或加密的 Excel 文件，请在 Excel 中“另存为”不加密的 .xlsx 工作簿后再上传。"),
            code="xls",
        )
    if not head.startswith(XLSX_MAGIC):
        raise ValidationError(_("文件不是 Excel 工作簿（.xlsx），请下载模板填写后上传。"), code="not_xlsx")
    try:
        with zipfile.ZipFile(fileobj) as zf:
            names = set(zf.namelist())
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ValidationError(_("文件已损坏或不是 Excel 工作簿（.xlsx），请重新保存后上传。"), code="bad_zip") from None
    finally:
        fileobj.seek(0)
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise ValidationError(_("文件不是 Excel 工作簿（.xlsx），请下载模板填写后上传。"), code="not_xlsx")
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ValidationError(_("工作簿解压后过大，请只保留毕业生名单一张工作表后再上传。"), code="too_big")


# --- cell values ------------------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, whitespace collapsed and trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())  # str.split() also splits on the ideographic space U+3000


def cell_token(value: Any) -> str:
    """A 学号 or 工号: every kind of space removed, full-width letters and digits made ASCII, case kept."""
    text = value if isinstance(value, str) else cell_text(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return "".join(text.split())


def cell_code(value: Any) -> str:
    """An ID or code: as cell_token, and upper-case (a trailing x of an ID becomes X)."""
    return cell_token(value).upper()


def cell_is_lossy_number(value: Any) -> bool:
    """True when Excel stored a long number as a float: only 15 significant digits survive."""
    return isinstance(value, float) and abs(value) >= 1e15


_YM = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def cell_date(value: Any) -> dt.date | None:
    """Excel date, text 2023-09 / 2023/9 / 2023.9 / 2023年9月 / 2023-09-01 / 202309 / 20230901, or an Excel
    serial number in a General cell. Year-month gives the 1st. Raises ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value)
        if 20_000 <= number <= 80_000:  # an Excel serial (1954–2119)
            return EXCEL_EPOCH + dt.timedelta(days=number)
        value = str(number)
    text = cell_code(value)
    if not text:
        return None
    if m := _YMD.match(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := _YM.match(text):
        return dt.date(int(m[1]), int(m[2]), 1)
    if re.fullmatch(r"\d{8}", text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if re.fullmatch(r"\d{6}", text):
        return dt.date(int(text[:4]), int(text[4:]), 1)
    raise ValueError(text)


# --- the sheet --------------------------------------------------------------------------------------


def _header_map(values: tuple) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        header = cell_code(value).replace("*", "").replace("＊", "")
        column = BY_HEADER.get(header)
        if column is not None and column.key not in found:
            found[column.key] = index
    return found


def rows_read(
    *, fileobj: IO[bytes], on_progress: Callable[[int, int], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (Excel row number, {column key: raw cell value}) for every non-empty data row of the first
    worksheet that has the roster header. Raises RosterFileError for a file-level problem."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(fileobj, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise RosterFileError(_("无法读取该 Excel 文件，请在 Excel 中重新保存为 .xlsx 后上传。")) from None
    try:
        try:
            sheet, header_row, mapping = _find_header(book)
        except RosterFileError:
            raise
        except Exception:
            raise RosterFileError(_("无法读取该 Excel 文件，请在 Excel 中重新保存为 .xlsx 后上传。")) from None
        total = sheet.max_row or 0
        if total > MAX_ROWS + header_row:
            raise RosterFileError(_("文件超过 %(n)d 行，请分批导入。") % {"n": MAX_ROWS})
        step = max(total // 50, 500)
        row_no = header_row
        rows = sheet.iter_rows(min_row=header_row + 1, values_only=True)
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except Exception:  # broken XML inside the sheet
                raise RosterFileError(
                    _("第 %(row)d 行附近的内容无法读取，文件可能已损坏，请在 Excel 中重新保存后上传。") % {"row": row_no + 1}
                ) from None
            row_no += 1
            if row_no - header_row > MAX_ROWS:
                raise RosterFileError(_("文件超过 %(n)d 行，请分批导入。") % {"n": MAX_ROWS})
            if on_progress is not None and row_no % step == 0:
                on_progress(row_no, max(total, row_no))
            if not values or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            yield row_no, {key: (values[i] if i < len(values) else None) for key, i in mapping.items()}
    finally:
        book.close()


def _find_header(book):
    """The first sheet (of the first few) whose first rows hold 学号 and 身份证号 headers."""
    for sheet in book.worksheets[:5]:
        for row_no, values in enumerate(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True), start=1):
            mapping = _header_map(values or ())
            if "student_number" in mapping and "national_id" in mapping:
                missing = [c.header for c in COLUMNS if c.key in REQUIRED_KEYS and c.key not in mapping]
                if missing:
                    raise RosterFileError(
                        _("表头缺少必填列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)}
                    )
                return sheet, row_no, mapping
    raise RosterFileError(
        _("没有找到表头行（应包含“学号”“身份证号”等列名）。请使用下载的模板，并把名单放在第一张工作表。")
    )
