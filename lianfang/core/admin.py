"""Django admin: the district office's configuration (tree, accounts), nothing personal.
Households and residents are deliberately absent: the admin would bypass masking and audit."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, OrgUnit, ResponsiblePerson, User
from .roles import Role
from .scoping import scoped


class DistrictOfficeSite(admin.AdminSite):
    site_header = _("Lianfang configuration")
    site_title = _("Lianfang")

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and (user.is_superuser or user.role == Role.DISTRICT_OFFICE)


site = DistrictOfficeSite(name="admin")


class DistrictOfficeAdmin(admin.ModelAdmin):
    """The role decides, not Django's per-model permission table."""

    def has_module_permission(self, request):
        return site.has_permission(request)

    def has_view_permission(self, request, obj=None):
        return site.has_permission(request)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission

    def get_queryset(self, request):
        # A district office configures its own district, not the others on a shared database.
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else scoped(queryset, request.user)


@admin.register(OrgUnit, site=site)
class OrgUnitAdmin(DistrictOfficeAdmin):
    list_display = ("name", "level", "code", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")

    def get_readonly_fields(self, request, obj=None):
        # A node keeps its parent for life: moving it would orphan the paths below it.
        return (*self.readonly_fields, "parent") if obj else self.readonly_fields


@admin.register(User, site=site)
class LianfangUserAdmin(DistrictOfficeAdmin, UserAdmin):
    def get_queryset(self, request):
        queryset = UserAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(jurisdiction__in=scoped(OrgUnit.objects.all(), request.user))

    def get_readonly_fields(self, request, obj=None):
        # Nobody makes themselves (or anyone) a superuser from a district office account.
        return () if request.user.is_superuser else ("is_superuser", "last_login", "date_joined")

    list_display = ("username", "display_name", "role", "jurisdiction", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "display_name")
    raw_id_fields = ("jurisdiction",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Lianfang"), {"fields": ("display_name", "phone", "role", "jurisdiction")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "password1", "password2", "role", "jurisdiction")}),)


@admin.register(ResponsiblePerson, site=site)
class ResponsiblePersonAdmin(DistrictOfficeAdmin):
    list_display = ("name", "duty", "org_unit", "title")
    list_filter = ("duty",)
    search_fields = ("name", "org_unit__name")
    raw_id_fields = ("org_unit", "user")
    exclude = ("org_path",)

    def save_model(self, request, obj, form, change):
        obj.org_path = obj.org_unit.path
        super().save_model(request, obj, form, change)


@admin.register(AuditEntry, site=site)
class AuditEntryAdmin(DistrictOfficeAdmin):
    """Read-only: the trail cannot be edited, not even by the district office."""

    list_display = ("at", "actor_name", "action", "object_type", "object_label", "channel")
    list_filter = ("action", "channel", "object_type")
    search_fields = ("actor_name", "object_label", "object_ref")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
