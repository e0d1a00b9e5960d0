from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import cache_control

from quxiang.reference.selectors import region_tree


@cache_control(max_age=3600, public=True)
def regions_json(request: HttpRequest) -> JsonResponse:
    """Province → city → county tree for the region picker (public reference data)."""
    return JsonResponse(region_tree(), safe=False, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
