"""OCR of pages as students upload them (issue 12): a phone photo of the printed agreement (perspective,
a desk around the sheet, uneven light, blur, noise, JPEG) and a page turned by 90° / 180° / 270° without
EXIF are read offline, with the organisation and the USCC found. No database: ocr_page and the field
extraction only."""

from __future__ import annotations

import io
import socket

import numpy as np
import pytest
from PIL import Image

from quxiang.evidence.fields import evidence_fields_extract
from quxiang.evidence.ocr import ocr_page, page_array, sheet_quad
from quxiang.evidence.tests.helpers import render_agreement
from quxiang.testing.factories import make_uscc

ORG = "上海测试科技有限公司"
NAME = "李明华"


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to reach the network (a model download) fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the OCR tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def jpeg(img: Image.Image, quality: int = 75) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def photograph(page: Image.Image, *, seed: int = 1, size: tuple[int, int] = (1536, 2048)) -> Image.Image:
    """The page photographed on a dark desk (3.1 MP): the sheet fills about 85 % of the frame, rotated by
    3°, its far (top) edge 3 % narrower than the near one (the phone tilted), lit from one side with a soft
    shadow at the bottom, a warm cast, blurred, noisy, JPEG 75."""
    import cv2

    rng = np.random.default_rng(seed)
    w, h = size
    sheet = np.asarray(page.convert("RGB")).astype(np.float32)
    sh, sw = sheet.shape[:2]
    dh = h * 0.85
    dw = dh * sw / sh
    angle = np.radians(3)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = np.array([[-dw / 2, -dh / 2], [dw / 2, -dh / 2], [dw / 2, dh / 2], [-dw / 2, dh / 2]]) @ rot.T
    corners += [w / 2, h / 2]
    corners[0] += [0.03 * w, 0]
    corners[1] -= [0.03 * w, 0]
    matrix = cv2.getPerspectiveTransform(np.float32([[0, 0], [sw, 0], [sw, sh], [0, sh]]), corners.astype(np.float32))
    warped = cv2.warpPerspective(sheet, matrix, (w, h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((sh, sw), np.float32), matrix, (w, h))[..., None]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    desk = np.float32([95, 85, 75]) + rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    out = warped * mask + desk * (1 - mask)
    light = (0.8 + 0.2 * xx / w) * (1 - 0.3 * np.clip(1 - np.hypot(xx - 0.3 * w, yy - 1.1 * h) / (0.5 * w), 0, 1))
    out = out * light[..., None] * np.float32([1.0, 0.97, 0.9])
    out = cv2.GaussianBlur(out, (0, 0), 1.0) + rng.normal(0, 4, out.shape).astype(np.float32)
    return jpeg(Image.fromarray(np.clip(out, 0, 255).astype(np.uint8)))


def read(img: Image.Image):
    result = ocr_page(img, max_side=1600, threads=1)
    return result, evidence_fields_extract(text=result.text)


@pytest.fixture(scope="module")
def agreement():
    return render_agreement(org=ORG, uscc=make_uscc(), name=NAME)


def test_the_sheet_of_a_photo_is_found_and_a_scan_is_left_alone(agreement):
    photo = photograph(agreement)
    quad = sheet_quad(np.asarray(photo.convert("RGB")))
    assert quad is not None
    # The corners are where the sheet was put (within 2 % of the frame).
    assert abs(quad[0][1] - 2048 * 0.075) < 0.02 * 2048 and abs(quad[2][1] - 2048 * 0.925) < 0.02 * 2048
    arr, flattened = page_array(photo, max_side=1600)
    assert flattened and max(arr.shape[:2]) <= 1600
    assert arr.shape[0] > arr.shape[1] * 1.3  # an upright A4 sheet, not the 3:4 frame
    # A scan (the page fills the frame) and a blank picture: no sheet, only scaled to the long side.
    assert sheet_quad(np.asarray(jpeg(agreement).convert("RGB"))) is None
    assert sheet_quad(np.full((1600, 1200, 3), 255, np.uint8)) is None
    arr, flattened = page_array(agreement, max_side=1600)
    assert not flattened and max(arr.shape[:2]) == 1600


def test_a_12_megapixel_photo_is_flattened_to_the_long_side(agreement):
    photo = photograph(agreement, size=(3024, 4032))
    arr, flattened = page_array(photo, max_side=1600)
    assert flattened and max(arr.shape[:2]) == 1600 and arr.shape[0] > arr.shape[1] * 1.3


@pytest.mark.ocr
def test_a_phone_photo_with_perspective_is_read_offline(agreement, no_network):
    result, fields = read(photograph(agreement))
    assert ORG in fields.orgs and make_uscc() in fields.usccs
    assert NAME in fields.persons
    assert result.confidence > 0.9
    assert result.text.index("甲方") < result.text.index("乙方")


@pytest.mark.ocr
def test_a_photo_stored_sideways_without_exif_is_read(agreement, no_network):
    result, fields = read(photograph(agreement, seed=2).rotate(90, expand=True))
    assert ORG in fields.orgs and make_uscc() in fields.usccs
    assert result.text.index("甲方") < result.text.index("乙方")


@pytest.mark.ocr
@pytest.mark.parametrize("angle", [90, 180, 270])
def test_a_turned_page_is_read_with_one_detection(agreement, angle, no_network, monkeypatch):
    from quxiang.evidence import ocr

    calls = []
    real = ocr._detect
    monkeypatch.setattr(ocr, "_detect", lambda engine, arr: calls.append(1) or real(engine, arr))
    result, fields = read(jpeg(agreement.rotate(angle, expand=True), quality=85))
    assert len(calls) == 1  # the page is turned upright with its boxes, not detected again
    assert ORG in fields.orgs and make_uscc() in fields.usccs
    assert NAME in fields.persons
    # The lines come out in reading order, not reversed.
    assert result.text.index("甲方") < result.text.index("乙方") < result.text.index("签订日期")
