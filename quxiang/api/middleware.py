import json

from django.utils.translation import gettext as _


class ApiJsonErrorsMiddleware:
    """Under /api/, unknown paths (404) and wrong methods (405) answer in the API's error shape too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = (
                ("not_found", _("请求的内容不存在。")) if response.status_code == 404
                else ("method_not_allowed", _("不支持该请求方法。"))
            )
            response.content = json.dumps({"code": code, "message": message, "fields": {}}, ensure_ascii=False)
            response["Content-Type"] = "application/json; charset=utf-8"
        return response
