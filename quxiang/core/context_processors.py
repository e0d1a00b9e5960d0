from django.conf import settings


def site(request):
    return {"SCHOOL_NAME": settings.QUXIANG["SCHOOL_NAME"]}
