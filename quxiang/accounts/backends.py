from django.contrib.auth.backends import ModelBackend


class StudentNumberBackend(ModelBackend):
    """ModelBackend that accepts a lower-case x for the X that ends an initial password (身份证后六位)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password and password != password.upper() and password[-1:] == "x":
            user = super().authenticate(request, username=username, password=password[:-1] + "X", **kwargs)
            if user is not None and not user.must_change_password:
                return None  # only the initial password is case-folded
        return user
