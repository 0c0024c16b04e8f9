from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import AccessCode, ConsentRecord, Organisation, User
from accounts.validators import validate_staff_pseudonym


class KindredUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("pseudonym", "email", "role", "region")

    def clean_pseudonym(self) -> str:
        pseudonym = self.cleaned_data["pseudonym"].strip()
        validate_staff_pseudonym(pseudonym)
        if User.objects.filter(pseudonym__iexact=pseudonym).exists():
            raise forms.ValidationError("That pseudonym is already taken.")
        return pseudonym


class KindredUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = KindredUserCreationForm
    form = KindredUserChangeForm
    ordering = ("pseudonym",)
    list_display = ("pseudonym", "role", "region", "organisation", "is_active", "date_joined")
    list_filter = ("role", "region", "is_active", "organisation")
    search_fields = ("pseudonym", "email")
    filter_horizontal = ("commissioned_organisations", "groups", "user_permissions")
    readonly_fields = ("date_joined", "last_login")
    fieldsets = (
        (None, {"fields": ("pseudonym", "email", "password")}),
        ("Role", {"fields": ("role", "region", "organisation", "commissioned_organisations")}),
        (
            "Access",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("date_joined", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "pseudonym",
                    "email",
                    "role",
                    "region",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


class AccessCodeInline(admin.TabularInline):
    model = AccessCode
    extra = 0
    fields = ("code", "is_active", "expires_at", "max_uses", "uses", "created_at")
    readonly_fields = ("uses", "created_at")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [AccessCodeInline]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ("user", "document", "version", "accepted_at")
    list_filter = ("document", "version")
    search_fields = ("user__pseudonym",)
    readonly_fields = ("user", "document", "version", "accepted_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
