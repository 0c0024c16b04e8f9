"""Shapes for the moderation API. Serializers never decide access (see moderation.permissions)."""

from __future__ import annotations

from rest_framework import serializers

from moderation.models import FlagReason
from moderation.services import HIDE_REASON_CHOICES, MAX_SUSPENSION_DAYS


class ReviewItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    post_id = serializers.IntegerField(source="item.post_id", allow_null=True)
    thread_id = serializers.IntegerField(source="item.post.thread_id", allow_null=True, default=None)
    thread_title = serializers.CharField(source="item.post.thread.title", allow_null=True, default=None)
    author = serializers.CharField(source="item.member.pseudonym")
    post_state = serializers.CharField(source="item.post.state", allow_null=True, default=None)
    concern_id = serializers.IntegerField(source="item.concern_id", allow_null=True)
    concern_summary = serializers.CharField(source="item.concern.summary", allow_null=True, default=None)
    status = serializers.CharField(source="item.status")
    priority = serializers.IntegerField(source="item.priority")
    priority_key = serializers.CharField(source="item.priority_key")
    sources = serializers.ListField(child=serializers.CharField(), source="item.sources")
    reasons = serializers.JSONField(source="item.reasons")
    created_at = serializers.DateTimeField(source="item.created_at")
    due_at = serializers.DateTimeField(source="item.due_at")
    past_due = serializers.BooleanField()
    claimed_by = serializers.SerializerMethodField()
    claim_expires_at = serializers.DateTimeField(source="item.claim_expires_at", allow_null=True)
    flag_counts = serializers.DictField(child=serializers.IntegerField())
    risk_level = serializers.CharField(allow_null=True)

    def get_claimed_by(self, entry) -> str | None:
        claimant = entry.item.claimed_by
        return claimant.pseudonym if claimant is not None else None


class QueueSerializer(serializers.Serializer):
    items = ReviewItemSerializer(many=True)
    total_open = serializers.IntegerField()
    past_due = serializers.IntegerField()


class QueueQuerySerializer(serializers.Serializer):
    size = serializers.IntegerField(required=False, min_value=1, max_value=200)
    priority = serializers.IntegerField(required=False, min_value=0, max_value=4)


class ChangedSerializer(serializers.Serializer):
    changed = serializers.BooleanField()
    item_id = serializers.IntegerField()
    status = serializers.CharField()
    claimed_by = serializers.CharField(allow_null=True)
    claim_expires_at = serializers.DateTimeField(allow_null=True)


class NoteInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class HideInput(serializers.Serializer):
    reason_key = serializers.ChoiceField(choices=HIDE_REASON_CHOICES)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class RedactInput(serializers.Serializer):
    body = serializers.CharField()
    reason = serializers.CharField(max_length=500)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class SuspendInput(ReasonInput):
    days = serializers.IntegerField(min_value=1, max_value=MAX_SUSPENSION_DAYS)


class FlagInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=FlagReason.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class FlagCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    post_id = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
