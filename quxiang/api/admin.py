"""The mini-program bindings in the admin: the office sees who is bound and unbinds a WeChat bound to the
wrong person (after which the student binds their own). Every unbind goes through `wechat_unbind`, which
revokes the tokens and writes the audit log; a binding is never added or edited here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from quxiang.api.models import WeChatBinding
from quxiang.api.services import wechat_unbind
from quxiang.core.http import client_ip


@admin.register(WeChatBinding)
class WeChatBindingAdmin(admin.ModelAdmin):
    list_display = ["user", "openid_masked", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__full_name"]
    search_help_text = _("按学号或姓名搜索")
    fields = ["user", "openid_masked", "created_at"]
    readonly_fields = fields
    actions = ["unbind"]

    @admin.display(description=_("微信 openid（部分）"))
    def openid_masked(self, obj: WeChatBinding) -> str:
        return obj.openid[:6] + "…"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # unbinding is the one way to remove a binding
        return actions

    def delete_model(self, request, obj: WeChatBinding) -> None:
        wechat_unbind(user=obj.user, actor=request.user, ip=client_ip(request), channel="web")

    def delete_queryset(self, request, queryset) -> None:
        for binding in queryset.select_related("user"):
            self.delete_model(request, binding)

    @admin.action(description=_("解除所选微信绑定"), permissions=["delete"])
    def unbind(self, request, queryset):
        names = [b.user.username for b in queryset.select_related("user").order_by("user__username")]
        self.delete_queryset(request, queryset)
        self.message_user(request, gettext("已解除 %(n)d 个微信绑定，相关小程序登录已失效：%(who)s")
                          % {"n": len(names), "who": "、".join(names)}, messages.SUCCESS)
