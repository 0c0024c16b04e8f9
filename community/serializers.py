"""Shapes of the forum API: input validation for request bodies, output for responses.

Serializers never decide access and never write: views check permissions and load through
selectors, services make every change. What a serializer shows is limited on purpose:

* people appear as ``{id, pseudonym, role}`` only (never email or organisation);
* the author of a held or hidden post sees why (``notice``); nobody else receives such a post;
* staff-only fields (``hold_reason``, ``revisions`` ...) are dropped unless the view passes
  ``staff_view=True`` in the context, which it does only when ``permissions.is_forum_staff``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from community.models import (
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    PostState,
    ReactionKind,
    Space,
    Thread,
)
from community.search import MAX_QUERY_LENGTH
from community.selectors import MAX_PAGE_SIZE

CRISIS_HELP_PATH = "/help/"
HELD_NOTE = (
    "Your post is waiting for a quick review by our guides. This usually takes a few minutes. "
    f"If you need help now, see crisis lines and text services at {CRISIS_HELP_PATH}."
)
HIDDEN_NOTE = "A guide has hidden this post, so only you and the guides can see it."
REMOVED_NOTE = "You deleted this post. Only you and the guides can see it."

STAFF_POST_FIELDS = (
    "hold_reason",
    "author_notice",
    "state_changed_at",
    "state_changed_by",
    "screened_at",
    "screening_level",
    "revisions",
)


# Choice fields that appear in several shapes: one named schema component each, so the OpenAPI
# document names them once (ReactionKind, PostState, NotificationKind) and generates cleanly.


@extend_schema_field({"type": "string", "enum": ReactionKind.values}, component_name="ReactionKind")
class ReactionKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ReactionKind.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": PostState.values}, component_name="PostState")
class PostStateField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=PostState.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": NotificationKind.values}, component_name="NotificationKind")
class NotificationKindField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=NotificationKind.choices, **kwargs)


# People.


class PersonSerializer(serializers.Serializer):
    """How anyone appears to others: a pseudonym and a role, nothing that identifies them."""

    id = serializers.IntegerField(read_only=True)
    pseudonym = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)


# Spaces and threads.


class SpaceSerializer(serializers.ModelSerializer):
    restricted = serializers.SerializerMethodField(help_text="Only one organisation's members can see it.")

    class Meta:
        model = Space
        fields = ["slug", "name", "description", "house_rules", "restricted"]
        read_only_fields = fields

    def get_restricted(self, space: Space) -> bool:
        return space.organisation_id is not None


class ThreadSerializer(serializers.ModelSerializer):
    space = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = PersonSerializer(read_only=True)
    state = serializers.SerializerMethodField(
        help_text="State of the opening post; anything but 'published' is seen only by its author and staff."
    )
    answered = serializers.SerializerMethodField(help_text="Someone other than the author has replied.")

    class Meta:
        model = Thread
        fields = [
            "id",
            "space",
            "title",
            "author",
            "state",
            "created_at",
            "last_activity_at",
            "reply_count",
            "answered",
            "opening_post_id",
        ]
        read_only_fields = fields

    @extend_schema_field(PostStateField())
    def get_state(self, thread: Thread) -> str:
        return thread.opening_post.state if thread.opening_post_id else PostState.PUBLISHED

    def get_answered(self, thread: Thread) -> bool:
        return thread.first_response_at is not None


class ThreadDetailSerializer(ThreadSerializer):
    is_following = serializers.SerializerMethodField()
    can_reply = serializers.SerializerMethodField()

    class Meta(ThreadSerializer.Meta):
        fields = [*ThreadSerializer.Meta.fields, "is_following", "can_reply"]
        read_only_fields = fields

    def get_is_following(self, thread: Thread) -> bool:
        return bool(self.context.get("is_following", False))

    def get_can_reply(self, thread: Thread) -> bool:
        return bool(self.context.get("can_reply", False))


# Posts.


class ReactionCountSerializer(serializers.Serializer):
    kind = ReactionKindField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    mine = serializers.BooleanField(help_text="The requesting user gave this reaction.")


class PostNoticeSerializer(serializers.Serializer):
    """For the author only: why others can't see this post."""

    state = PostStateField()
    message = serializers.CharField()
    reason = serializers.CharField(required=False, help_text="Why a guide hid it.")
    details = serializers.CharField(required=False, help_text="Support shown while it is held.")


class RevisionSerializer(serializers.ModelSerializer):
    editor = PersonSerializer(read_only=True)

    class Meta:
        model = PostRevision
        fields = ["body", "body_html", "title", "editor", "created_at"]
        read_only_fields = fields


class PostSerializer(serializers.ModelSerializer):
    thread = serializers.PrimaryKeyRelatedField(read_only=True)
    author = PersonSerializer(read_only=True)
    state = PostStateField(read_only=True)
    is_mine = serializers.SerializerMethodField()
    is_muted = serializers.SerializerMethodField(help_text="The requesting user muted the author.")
    reactions = serializers.SerializerMethodField()
    notice = serializers.SerializerMethodField()
    hidden_reason = serializers.SerializerMethodField(help_text="Author and staff only.")
    state_changed_by = PersonSerializer(read_only=True, allow_null=True, help_text="Staff only.")
    revisions = serializers.SerializerMethodField(help_text="Staff only: earlier versions, oldest first.")

    class Meta:
        model = Post
        fields = [
            "id",
            "thread",
            "author",
            "is_opening",
            "state",
            "body",
            "body_html",
            "created_at",
            "edited_at",
            "is_mine",
            "is_muted",
            "reactions",
            "notice",
            "hidden_reason",
            # Staff only (removed below for everyone else).
            "hold_reason",
            "author_notice",
            "state_changed_at",
            "state_changed_by",
            "screened_at",
            "screening_level",
            "revisions",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "body": {"help_text": "Markdown source as written."},
            "body_html": {"help_text": "Rendered and sanitised HTML; safe to insert."},
            "hold_reason": {"help_text": "Staff only."},
            "author_notice": {"help_text": "Staff only (the author gets it in notice.details)."},
            "state_changed_at": {"help_text": "Staff only."},
            "screened_at": {"help_text": "Staff only."},
            "screening_level": {"help_text": "Staff only."},
        }

    def _viewer_id(self) -> int | None:
        return self.context.get("viewer_id")

    def get_is_mine(self, post: Post) -> bool:
        return post.author_id == self._viewer_id()

    def get_is_muted(self, post: Post) -> bool:
        return bool(getattr(post, "is_muted", False))

    @extend_schema_field(ReactionCountSerializer(many=True))
    def get_reactions(self, post: Post) -> list[dict[str, Any]]:
        summary = getattr(post, "reaction_summary", None)
        return summary.items() if summary is not None else []

    @extend_schema_field(PostNoticeSerializer(allow_null=True))
    def get_notice(self, post: Post) -> dict[str, str] | None:
        if post.author_id != self._viewer_id():
            return None
        if post.state == PostState.HELD:
            notice = {"state": post.state, "message": HELD_NOTE}
            if post.author_notice:
                notice["details"] = post.author_notice
            return notice
        if post.state == PostState.HIDDEN:
            return {"state": post.state, "message": HIDDEN_NOTE, "reason": post.hidden_reason}
        if post.state == PostState.REMOVED:
            return {"state": post.state, "message": REMOVED_NOTE}
        return None

    @extend_schema_field(OpenApiTypes.STR)
    def get_hidden_reason(self, post: Post) -> str:
        if post.state != PostState.HIDDEN:
            return ""
        if post.author_id == self._viewer_id() or self.context.get("staff_view"):
            return post.hidden_reason
        return ""

    @extend_schema_field(RevisionSerializer(many=True))
    def get_revisions(self, post: Post) -> list[dict[str, Any]]:
        return RevisionSerializer(getattr(post, "revision_list", []), many=True).data

    def to_representation(self, post: Post) -> dict[str, Any]:
        data = super().to_representation(post)
        if not self.context.get("staff_view"):
            for name in STAFF_POST_FIELDS:
                data.pop(name, None)
        return data


# Notifications.


class NotificationThreadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


_EMPTY_FOR_REMINDERS = "Empty (null) for check-in reminders."


class NotificationSerializer(serializers.ModelSerializer):
    kind = NotificationKindField(read_only=True)
    reaction_kind = serializers.SerializerMethodField(help_text="For reaction notifications.")
    actor = PersonSerializer(read_only=True, allow_null=True, help_text="Empty for check-in reminders.")
    thread = NotificationThreadSerializer(
        read_only=True, allow_null=True, help_text="Empty for check-in reminders."
    )
    post = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="Empty for check-in reminders."
    )
    link = serializers.SerializerMethodField(help_text="For check-in reminders: a path on this site.")
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "actor",
            "thread",
            "post",
            "link",
            "reaction_kind",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    @extend_schema_field(ReactionKindField(allow_null=True))
    def get_reaction_kind(self, notification: Notification) -> str | None:
        return notification.reaction_kind or None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_link(self, notification: Notification) -> str | None:
        return notification.link or None

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="Notifications to mark read; leave out to mark them all.",
    )


class MarkReadResultSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()
    unread_count = serializers.IntegerField()


# Request bodies. Lengths and emptiness are checked by the services, in one place, so the API
# and the pages give the same messages.


class ThreadCreateSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, trim_whitespace=False)
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="Markdown.")


class PostCreateSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="Markdown.")


class PostEditSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="Markdown.")
    title = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Opening posts only: the thread title.",
    )


class ReactionInputSerializer(serializers.Serializer):
    kind = ReactionKindField()


class ReactionsResultSerializer(serializers.Serializer):
    post = serializers.IntegerField()
    reactions = ReactionCountSerializer(many=True)


class FollowingSerializer(serializers.Serializer):
    following = serializers.BooleanField()


class TokenObtainSerializer(serializers.Serializer):
    login = serializers.CharField(max_length=254, help_text="Pseudonym or email.")
    password = serializers.CharField(max_length=512, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')


# Pages (keyset cursors: pass ``next_cursor`` back as ``cursor``).


class PageQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False, max_length=512, help_text="next_cursor of the previous page."
    )
    size = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_PAGE_SIZE, help_text="Page size."
    )


class _PageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="URL of the next page, or null on the last page.")
    next_cursor = serializers.CharField(allow_null=True)


class ThreadPageSerializer(_PageSerializer):
    results = ThreadSerializer(many=True)


class PostPageSerializer(_PageSerializer):
    results = PostSerializer(many=True)


class NotificationPageSerializer(_PageSerializer):
    results = NotificationSerializer(many=True)
    unread_count = serializers.IntegerField()


class ThreadCreatedSerializer(serializers.Serializer):
    thread = ThreadDetailSerializer()
    opening_post = PostSerializer()


# Search.


class SearchQuerySerializer(PageQuerySerializer):
    """Query parameters ``q``, ``space``, ``from``, ``to`` (plus ``cursor`` and ``size``)."""

    q = serializers.CharField(
        max_length=MAX_QUERY_LENGTH, help_text="Words; quotes, 'or' and -word work on PostgreSQL."
    )
    space = serializers.SlugField(required=False, help_text="Only this space (its slug).")

    def get_fields(self):
        # "from" and "to" are Python keywords, so they can't be class attributes.
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="From this day (inclusive), YYYY-MM-DD."
        )
        fields["to"] = serializers.DateField(
            required=False, help_text="Up to this day (inclusive), YYYY-MM-DD."
        )
        return fields

    def validate(self, attrs):
        attrs["q"] = attrs["q"].strip()
        if not attrs["q"]:
            raise serializers.ValidationError({"q": "Please enter something to search for."})
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": "The end date is before the start date."})
        return attrs


class SearchPostSerializer(serializers.ModelSerializer):
    state = PostStateField(read_only=True)
    thread = serializers.IntegerField(source="thread_id")
    thread_title = serializers.CharField(source="thread.title")
    space = serializers.CharField(source="thread.space.slug")
    author = PersonSerializer(read_only=True)

    class Meta:
        model = Post
        fields = ["id", "thread", "thread_title", "space", "author", "is_opening", "state", "created_at"]
        read_only_fields = fields


class SearchHitSerializer(serializers.Serializer):
    post = SearchPostSerializer()
    snippet_html = serializers.CharField(help_text="Escaped text; the only markup is <mark>.")
    rank = serializers.FloatField(allow_null=True, help_text="Relevance (PostgreSQL only).")


class SearchPageSerializer(_PageSerializer):
    engine = serializers.ChoiceField(
        choices=["full_text", "simple"], help_text="PostgreSQL or the simple path."
    )
    results = SearchHitSerializer(many=True)
