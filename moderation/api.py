"""The moderation REST API (``/api/v1/moderation/``): the queue, claims and actions.

Same permissions and services as the pages: guides and admins with TOTP only (members and
commissioners get 403), and members may report posts. Errors use community's JSON shape; a claim
conflict, an expired claim, a closed item or an action already done is a 409 and changes nothing.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from community.api_errors import Conflict
from community.models import Post
from moderation import permissions, selectors, services
from moderation import serializers as s
from moderation.mfa import HasStaffMFA
from moderation.models import ReviewItem

ERRORS = {
    400: OpenApiResponse(description="Invalid input: {status, code, detail, errors}"),
    403: OpenApiResponse(description="Not allowed, with the reason: {status, code, detail}"),
    404: OpenApiResponse(description="No such item: {status, code, detail}"),
    409: OpenApiResponse(
        description="Claimed by someone else, claim expired, or already done: nothing changed"
    ),
}


class ModerationAPIView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated, HasStaffMFA]

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        permissions.check_moderate(request.user)

    def item(self, pk: int) -> ReviewItem:
        return get_object_or_404(
            permissions.review_items_visible_to(self.request.user).select_related(
                "post__author", "concern__member"
            ),
            pk=pk,
        )

    def input(self, serializer_class):
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data


def _conflict(exc: services.ModerationConflict) -> Conflict:
    return Conflict(" ".join(exc.messages), errors={"non_field_errors": list(exc.messages)})


def _changed(item: ReviewItem, changed: bool) -> Response:
    item = ReviewItem.objects.select_related("claimed_by").get(pk=item.pk)
    return Response(
        {
            "changed": changed,
            "item_id": item.pk,
            "status": item.status,
            "claimed_by": item.claimed_by.pseudonym if item.claimed_by_id else None,
            "claim_expires_at": item.claim_expires_at,
        }
    )


class QueueView(ModerationAPIView):
    @extend_schema(
        operation_id="moderation_queue",
        parameters=[s.QueueQuerySerializer],
        responses={200: s.QueueSerializer, **ERRORS},
        summary="Open review items, most urgent first, then oldest",
    )
    def get(self, request: Request) -> Response:
        params = s.QueueQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        entries = selectors.queue_page(
            actor=request.user,
            size=params.validated_data.get("size"),
            priority=params.validated_data.get("priority"),
        )
        counts = selectors.queue_counts(actor=request.user)
        return Response(
            {
                "items": s.ReviewItemSerializer(entries, many=True).data,
                "total_open": counts["total"],
                "past_due": counts["past_due"],
            }
        )


class ItemDetailView(ModerationAPIView):
    @extend_schema(operation_id="moderation_item", responses={200: s.ReviewItemSerializer, **ERRORS})
    def get(self, request: Request, pk: int) -> Response:
        item = self.item(pk)
        entry = selectors.QueueEntry(item=item, past_due=item.is_past_due())
        return Response(s.ReviewItemSerializer(entry).data)


def _action_view(name: str, input_serializer, call, summary: str):
    class ActionView(ModerationAPIView):
        @extend_schema(
            operation_id=f"moderation_item_{name}",
            request=input_serializer,
            responses={200: s.ChangedSerializer, **ERRORS},
            summary=summary,
        )
        def post(self, request: Request, pk: int) -> Response:
            item = self.item(pk)
            data = self.input(input_serializer) if input_serializer is not None else {}
            try:
                changed = call(item=item, actor=request.user, **data)
            except services.ModerationConflict as exc:
                raise _conflict(exc) from exc
            return _changed(item, bool(changed))

    ActionView.__name__ = f"Item{name.title()}View"
    return ActionView.as_view()


def _member_action(service):
    def call(*, item, actor, **data):
        service(member=item.member, actor=actor, item=item, **data)
        return True

    return call


ACTION_VIEWS = {
    "claim": _action_view(
        "claim", None, services.review_item_claim, "Claim the item (409 if someone else holds it)"
    ),
    "release": _action_view("release", None, services.review_item_release, "Release your claim"),
    "approve": _action_view(
        "approve", s.NoteInput, services.review_item_approve, "Approve; publish a held post"
    ),
    "redact": _action_view(
        "redact",
        s.RedactInput,
        services.review_item_approve_with_redaction,
        "Redact, keep the original, approve",
    ),
    "hide": _action_view(
        "hide", s.HideInput, services.review_item_hide, "Hide and send the author a message"
    ),
    "escalate": _action_view(
        "escalate", s.ReasonInput, services.review_item_escalate, "Open a crisis case for the author"
    ),
    "dismiss": _action_view("dismiss", s.NoteInput, services.review_item_dismiss, "Dismiss the flags"),
    "warn": _action_view("warn", s.ReasonInput, _member_action(services.member_warn), "Warn the author"),
    "suspend": _action_view(
        "suspend", s.SuspendInput, _member_action(services.member_suspend), "Suspend the author (read-only)"
    ),
    "ban": _action_view("ban", s.ReasonInput, _member_action(services.member_ban), "Ban the author"),
}


class FlagCreateView(APIView):
    """A member reports a post (any signed-in member; the reporter is never shown to the author)."""

    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="moderation_post_flag",
        request=s.FlagInput,
        responses={
            201: s.FlagCreatedSerializer,
            **ERRORS,
            429: OpenApiResponse(description="Too many reports"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        post = get_object_or_404(Post.objects.select_related("thread__space", "thread__opening_post"), pk=pk)
        data = s.FlagInput(data=request.data)
        data.is_valid(raise_exception=True)
        flag = services.flag_create(reporter=request.user, post=post, **data.validated_data)
        return Response(
            {"id": flag.pk, "post_id": post.pk, "reason": flag.reason, "created_at": flag.created_at},
            status=status.HTTP_201_CREATED,
        )
