from django.contrib.auth.backends import ModelBackend, UserModel

from quxiang.core.queries import PreparedLookup

# The signed-in user is loaded on every request (AuthenticationMiddleware); a student's own row, with the
# college and major their pages name, comes in the same query instead of a second one (access.student_of).
# Staff users get empty LEFT JOINs. Strings, not imports: accounts sits below roster in the layers.
USER_RELATED = ("student__college", "student__major")


_USER_BY_PK = PreparedLookup(
    lambda pk: UserModel._default_manager.select_related(*USER_RELATED).filter(pk=pk), pk=-918_273_645)


class StudentNumberBackend(ModelBackend):
    """ModelBackend that accepts a lower-case x for the X that ends an initial password (身份证后六位)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None and password and password != password.upper() and password[-1:] == "x":
            user = super().authenticate(request, username=username, password=password[:-1] + "X", **kwargs)
            if user is not None and not user.must_change_password:
                return None  # only the initial password is case-folded
        return user

    def get_user(self, user_id):
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        user = _USER_BY_PK.get(pk=pk)
        return user if user is not None and self.user_can_authenticate(user) else None
