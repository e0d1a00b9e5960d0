class ChineseFirstMiddleware:
    """The interface is Simplified Chinese unless the user picked another language (language cookie).
    The browser's Accept-Language is ignored: an English-language phone must still get Chinese."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
