import gzip
import hashlib
import json

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control, patch_vary_headers

from quxiang.reference.cache import reference_cached
from quxiang.reference.selectors import region_tree


def _regions_body() -> tuple[bytes, bytes, str]:
    body = json.dumps(region_tree(), ensure_ascii=False, separators=(",", ":")).encode()
    # mtime=0: the same bytes in every process, so the ETag holds across app servers.
    return body, gzip.compress(body, compresslevel=9, mtime=0), f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def regions_json(request: HttpRequest) -> HttpResponse:
    """Province → city → county tree for the region picker (public reference data). Serialised and
    compressed once per process (reference/cache.py drops it when a region changes): the tree is 160 KB of
    JSON, and encoding and compressing it for every organisation page cost more than the page itself."""
    body, compressed, etag = reference_cached("regions_json", _regions_body)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    elif "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(compressed, content_type="application/json")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    patch_vary_headers(response, ("Accept-Encoding",))
    patch_cache_control(response, public=True, max_age=3600)
    return response
