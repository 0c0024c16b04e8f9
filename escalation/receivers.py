"""Receivers for community's hooks. Each only calls a service."""

from __future__ import annotations

from community.hooks import PostDecision
from community.models import Post
from escalation import services


def on_post_submitted(*, post: Post, decision: PostDecision) -> None:
    services.post_screen_inline(post=post, decision=decision)


def on_post_edited(*, post: Post, decision: PostDecision) -> None:
    services.post_screen_inline(post=post, decision=decision)
