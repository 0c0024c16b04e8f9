"""Django admin for the forums: browse and fix configuration; states change through services.

Posts are read-only here (their states change only through community.services, so counters,
notifications and audit stay right); spaces are edited here.
"""

from django.contrib import admin

from community.models import Post, PostRevision, Space, Thread


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "organisation", "premoderate_new_members", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "space", "author", "created_at", "reply_count", "last_activity_at"]
    list_filter = ["space"]
    raw_id_fields = ["author", "opening_post"]
    readonly_fields = [
        "reply_count",
        "last_activity_at",
        "first_response_at",
        "opening_post",
        "author",
        "space",
    ]
    search_fields = ["title"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PostRevisionInline(admin.TabularInline):
    model = PostRevision
    extra = 0
    readonly_fields = ["body", "title", "editor", "created_at"]
    exclude = ["body_html"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "thread", "author", "state", "created_at", "screening_level"]
    list_filter = ["state", "screening_level"]
    inlines = [PostRevisionInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Post._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
