"""The forum REST API (``/api/v1/``): thin views over the same permissions, selectors and services
as the pages.

* Reads: ``permissions.check_*`` and the ``*_visible_to`` querysets (through ``selectors``).
* Writes: ``community.services`` only; nothing here saves a forum model.
* Errors: ``community.api_errors.api_exception_handler`` turns ``ValidationError`` /
  ``PermissionDenied`` / ``DoesNotExist`` from services and checks into JSON 400/403/404
  (409 for duplicates, 429 for rate limits).
* Auth: a token (``Authorization: Token <key>``, from ``POST /api/v1/auth/token/``) for API
  clients, or the site session (with CSRF) for the site's own pages.
* Lists use keyset cursors (``cursor`` / ``next_cursor``), never OFFSET, and a fixed number of
  queries per page.
* Commissioners get 403 everywhere, as on the pages.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from community import permissions, search, selectors, services
from community import serializers as s
from community.api_errors import Conflict, FieldErrors
from community.models import Post, ReactionKind, Space, Thread
from community.selectors import Page

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Invalid input: {status, code, detail, errors: {field: [messages]}}"),
    401: OpenApiResponse(description="Not signed in: {status, code, detail}"),
    403: OpenApiResponse(description="Not allowed, with the reason: {status, code, detail}"),
    404: OpenApiResponse(description="Not found: {status, code, detail}"),
}


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: ERROR_RESPONSES[code] for code in codes}


CONFLICT = {409: OpenApiResponse(description="Already done: {status, code, detail, errors}")}
RATE_LIMITED = {429: OpenApiResponse(description="Too fast: {status, code, detail}")}


class ForumAPIView(APIView):
    """Signed in (token or session), and a forum participant: commissioners get 403."""

    # Token first, so an unauthenticated client gets 401 with ``WWW-Authenticate: Token``.
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]

    def check_permissions(self, request: Request) -> None:
        super().check_permissions(request)
        permissions.check_access_forums(request.user)

    # Helpers shared by the views below.

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "request": self.request,
            "viewer_id": self.request.user.pk,
            "staff_view": permissions.is_forum_staff(self.request.user),
            **extra,
        }

    def page_params(self) -> dict[str, Any]:
        params = s.PageQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return params.validated_data

    def page_response(self, page: Page, results: Any, **extra: Any) -> Response:
        return Response(
            {"next": self._next_url(page), "next_cursor": page.next_cursor, **extra, "results": results}
        )

    def _next_url(self, page: Page) -> str | None:
        if not page.next_cursor:
            return None
        query = self.request.query_params.copy()
        query["cursor"] = page.next_cursor
        return self.request.build_absolute_uri(f"{self.request.path}?{urlencode(query, doseq=True)}")

    def get_space(self, slug: str) -> Space:
        return selectors.space_get(actor=self.request.user, slug=slug)

    def get_thread(self, pk: int) -> Thread:
        return selectors.thread_get(actor=self.request.user, pk=pk)

    def get_post(self, pk: int) -> Post:
        post = Post.objects.select_related(
            "author", "state_changed_by", "thread__space", "thread__opening_post"
        ).get(pk=pk)
        permissions.check_view_post(self.request.user, post)
        return post

    def can_reply(self, thread: Thread) -> bool:
        try:
            permissions.check_reply_thread(self.request.user, thread)
        except PermissionDenied:
            return False
        return True

    def decorate_post(self, post: Post) -> Post:
        """What ``selectors.thread_posts_page`` adds to each post, for a single post."""
        user = self.request.user
        post.reaction_summary = selectors.reactions_for_posts(post_ids=[post.pk], user=user)[post.pk]
        post.is_muted = (
            post.author_id != user.pk and post.author_id in selectors.member_controls(user=user)["mute"]
        )
        post.revision_list = (
            selectors.post_revisions(actor=user, post=post) if permissions.is_forum_staff(user) else []
        )
        return post


# Tokens.


class _TokenThrottle(SimpleRateThrottle):
    setting_name = ""
    default_rate = "10/min"

    def get_rate(self) -> str:
        return getattr(settings, self.setting_name, self.default_rate)


class TokenIPThrottle(_TokenThrottle):
    """Attempts per client address."""

    scope = "api_token_ip"
    setting_name = "KINDRED_API_TOKEN_RATE_PER_IP"
    default_rate = "10/min"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class TokenLoginThrottle(_TokenThrottle):
    """Attempts per account name, whichever address they come from."""

    scope = "api_token_login"
    setting_name = "KINDRED_API_TOKEN_RATE_PER_LOGIN"
    default_rate = "5/min"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        login = request.data.get("login") if hasattr(request.data, "get") else None
        if not isinstance(login, str) or not login.strip():
            return None
        return self.cache_format % {"scope": self.scope, "ident": login.strip().lower()[:254]}


INVALID_LOGIN = "That pseudonym or email and password don't match an account."


def _authenticate_login(request: Request, *, login: str, password: str):
    """Pseudonym or email, as on the sign-in page (allauth's backend accepts either)."""
    login = login.strip()
    credentials = {"email": login} if "@" in login else {"username": login}
    return authenticate(request._request, password=password, **credentials)


class TokenObtainView(APIView):
    """Exchange a pseudonym (or email) and password for an API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [TokenIPThrottle, TokenLoginThrottle]

    @extend_schema(
        request=s.TokenObtainSerializer,
        responses={200: s.TokenSerializer, **_errors(400), **RATE_LIMITED},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = s.TokenObtainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = _authenticate_login(
            request, login=data.validated_data["login"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            raise FieldErrors(INVALID_LOGIN, errors={"non_field_errors": [INVALID_LOGIN]})
        # The token is an accounts credential, not forum content; get_or_create keeps one per user.
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


# Spaces and threads.


class SpaceListView(ForumAPIView):
    @extend_schema(responses={200: s.SpaceSerializer(many=True), **_errors(401, 403)}, tags=["spaces"])
    def get(self, request: Request) -> Response:
        return Response(s.SpaceSerializer(selectors.space_list(actor=request.user), many=True).data)


class SpaceDetailView(ForumAPIView):
    @extend_schema(responses={200: s.SpaceSerializer, **_errors(401, 403, 404)}, tags=["spaces"])
    def get(self, request: Request, slug: str) -> Response:
        return Response(s.SpaceSerializer(self.get_space(slug)).data)


class SpaceThreadsView(ForumAPIView):
    @extend_schema(
        parameters=[s.PageQuerySerializer],
        responses={200: s.ThreadPageSerializer, **_errors(400, 401, 403, 404)},
        tags=["threads"],
        summary="Threads in a space, most recently active first",
    )
    def get(self, request: Request, slug: str) -> Response:
        space = self.get_space(slug)
        page = selectors.space_threads_page(actor=request.user, space=space, **self.page_params())
        return self.page_response(
            page, s.ThreadSerializer(page.items, many=True, context=self.context()).data
        )

    @extend_schema(
        request=s.ThreadCreateSerializer,
        responses={201: s.ThreadCreatedSerializer, **_errors(400, 401, 403, 404), **RATE_LIMITED},
        tags=["threads"],
        summary="Start a thread",
    )
    def post(self, request: Request, slug: str) -> Response:
        space = self.get_space(slug)
        data = s.ThreadCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        thread = services.thread_create(author=request.user, space=space, **data.validated_data)
        thread = self.get_thread(thread.pk)
        context = self.context(is_following=True, can_reply=self.can_reply(thread))
        opening = self.decorate_post(self.get_post(thread.opening_post_id))
        return Response(
            {
                "thread": s.ThreadDetailSerializer(thread, context=context).data,
                "opening_post": s.PostSerializer(opening, context=context).data,
            },
            status=status.HTTP_201_CREATED,
        )


class ThreadDetailView(ForumAPIView):
    @extend_schema(responses={200: s.ThreadDetailSerializer, **_errors(401, 403, 404)}, tags=["threads"])
    def get(self, request: Request, pk: int) -> Response:
        thread = self.get_thread(pk)
        context = self.context(
            is_following=selectors.is_following(user=request.user, thread=thread),
            can_reply=self.can_reply(thread),
        )
        return Response(s.ThreadDetailSerializer(thread, context=context).data)


class ThreadPostsView(ForumAPIView):
    @extend_schema(
        parameters=[s.PageQuerySerializer],
        responses={200: s.PostPageSerializer, **_errors(400, 401, 403, 404)},
        tags=["posts"],
        summary="Posts in a thread, oldest first",
    )
    def get(self, request: Request, pk: int) -> Response:
        thread = self.get_thread(pk)
        page = selectors.thread_posts_page(actor=request.user, thread=thread, **self.page_params())
        return self.page_response(page, s.PostSerializer(page.items, many=True, context=self.context()).data)

    @extend_schema(
        request=s.PostCreateSerializer,
        responses={201: s.PostSerializer, **_errors(400, 401, 403, 404), **RATE_LIMITED},
        tags=["posts"],
        summary="Reply in a thread",
    )
    def post(self, request: Request, pk: int) -> Response:
        thread = self.get_thread(pk)
        data = s.PostCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = services.post_create(author=request.user, thread=thread, body=data.validated_data["body"])
        post = self.decorate_post(self.get_post(post.pk))
        return Response(s.PostSerializer(post, context=self.context()).data, status=status.HTTP_201_CREATED)


class PostDetailView(ForumAPIView):
    @extend_schema(responses={200: s.PostSerializer, **_errors(401, 403, 404)}, tags=["posts"])
    def get(self, request: Request, pk: int) -> Response:
        post = self.decorate_post(self.get_post(pk))
        return Response(s.PostSerializer(post, context=self.context()).data)

    @extend_schema(
        request=s.PostEditSerializer,
        responses={200: s.PostSerializer, **_errors(400, 401, 403, 404)},
        tags=["posts"],
        summary="Edit your own post (the earlier text is kept for staff)",
    )
    def patch(self, request: Request, pk: int) -> Response:
        post = self.get_post(pk)
        permissions.check_edit_post(request.user, post)
        data = s.PostEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.post_edit(
            actor=request.user,
            post=post,
            body=data.validated_data["body"],
            title=data.validated_data.get("title"),
        )
        post = self.decorate_post(self.get_post(pk))
        return Response(s.PostSerializer(post, context=self.context()).data)

    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Removed: hidden from others, kept for audit."),
            **_errors(401, 403, 404),
        },
        tags=["posts"],
        summary="Delete your own post",
    )
    def delete(self, request: Request, pk: int) -> Response:
        post = self.get_post(pk)
        permissions.check_remove_post(request.user, post)
        services.post_remove(post=post, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Reactions.


class PostReactionsView(ForumAPIView):
    def _result(self, post: Post) -> dict[str, Any]:
        summary = selectors.reactions_for_posts(post_ids=[post.pk], user=self.request.user)[post.pk]
        return {"post": post.pk, "reactions": summary.items()}

    @extend_schema(
        request=s.ReactionInputSerializer,
        responses={201: s.ReactionsResultSerializer, **_errors(400, 401, 403, 404), **CONFLICT},
        tags=["reactions"],
        summary="React to a post (once per kind)",
    )
    def post(self, request: Request, pk: int) -> Response:
        post = self.get_post(pk)
        data = s.ReactionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = data.validated_data["kind"]
        try:
            services.reaction_add(user=request.user, post=post, kind=kind)
        except services.ValidationError as exc:
            already = selectors.reactions_for_posts(post_ids=[post.pk], user=request.user)[post.pk].mine
            if kind in already:
                raise Conflict(" ".join(exc.messages), errors={"kind": list(exc.messages)}) from exc
            raise
        return Response(self._result(post), status=status.HTTP_201_CREATED)


class PostReactionDetailView(ForumAPIView):
    @extend_schema(
        parameters=[OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=ReactionKind.values)],
        request=None,
        responses={204: OpenApiResponse(description="Taken back."), **_errors(401, 403, 404)},
        tags=["reactions"],
        summary="Take back your reaction",
    )
    def delete(self, request: Request, pk: int, kind: str) -> Response:
        post = self.get_post(pk)
        if kind not in ReactionKind.values:
            raise services.ValidationError({"kind": "Unknown reaction."})
        if not services.reaction_remove(user=request.user, post=post, kind=kind):
            raise exceptions.NotFound("You haven't given this reaction.")
        return Response(status=status.HTTP_204_NO_CONTENT)


# Following threads.


class ThreadSubscriptionView(ForumAPIView):
    @extend_schema(responses={200: s.FollowingSerializer, **_errors(401, 403, 404)}, tags=["subscriptions"])
    def get(self, request: Request, pk: int) -> Response:
        thread = self.get_thread(pk)
        return Response({"following": selectors.is_following(user=request.user, thread=thread)})

    @extend_schema(
        request=None,
        responses={200: s.FollowingSerializer, **_errors(401, 403, 404)},
        tags=["subscriptions"],
        summary="Follow a thread (replies notify you)",
    )
    def put(self, request: Request, pk: int) -> Response:
        thread = self.get_thread(pk)
        services.subscription_follow(user=request.user, thread=thread)
        return Response({"following": True})

    @extend_schema(
        request=None,
        responses={200: s.FollowingSerializer, **_errors(401, 403, 404)},
        tags=["subscriptions"],
        summary="Stop following a thread",
    )
    def delete(self, request: Request, pk: int) -> Response:
        thread = self.get_thread(pk)
        services.subscription_unfollow(user=request.user, thread=thread)
        return Response({"following": False})


# Notifications.


class NotificationListView(ForumAPIView):
    @extend_schema(
        parameters=[s.PageQuerySerializer],
        responses={200: s.NotificationPageSerializer, **_errors(400, 401, 403)},
        tags=["notifications"],
        summary="Your notifications, newest first",
    )
    def get(self, request: Request) -> Response:
        page = selectors.notifications_page(user=request.user, **self.page_params())
        return self.page_response(
            page,
            s.NotificationSerializer(page.items, many=True).data,
            unread_count=selectors.notifications_unread_count(user=request.user),
        )


class NotificationUnreadCountView(ForumAPIView):
    @extend_schema(responses={200: s.UnreadCountSerializer, **_errors(401, 403)}, tags=["notifications"])
    def get(self, request: Request) -> Response:
        return Response({"unread_count": selectors.notifications_unread_count(user=request.user)})


class NotificationMarkReadView(ForumAPIView):
    @extend_schema(
        request=s.MarkReadSerializer,
        responses={200: s.MarkReadResultSerializer, **_errors(400, 401, 403)},
        tags=["notifications"],
        summary="Mark some (ids) or all notifications read",
    )
    def post(self, request: Request) -> Response:
        data = s.MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changed = services.notifications_mark_read(
            user=request.user, notification_ids=data.validated_data.get("ids")
        )
        return Response(
            {"marked_read": changed, "unread_count": selectors.notifications_unread_count(user=request.user)}
        )


# Search.


class SearchView(ForumAPIView):
    @extend_schema(
        parameters=[s.SearchQuerySerializer],
        responses={200: s.SearchPageSerializer, **_errors(400, 401, 403, 404)},
        tags=["search"],
        summary="Search the posts you can see",
    )
    def get(self, request: Request) -> Response:
        params = s.SearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        space = self.get_space(data["space"]) if data.get("space") else None
        filters = search.SearchFilters(
            query=data["q"], space=space, date_from=data.get("from"), date_to=data.get("to")
        )
        page = search.search_posts(
            actor=request.user, filters=filters, cursor=data.get("cursor"), size=data.get("size")
        )
        return self.page_response(
            page,
            s.SearchHitSerializer(page.items, many=True).data,
            engine="full_text" if search.uses_full_text() else "simple",
        )
