"""Receivers for community's and escalation's hooks. Each only calls a service."""

from __future__ import annotations

from community.hooks import PostDecision
from community.models import Post
from escalation.models import MemberConcern, RiskAssessment
from moderation import selectors, services


def on_post_submitted(*, post: Post, decision: PostDecision) -> None:
    services.post_screen(post=post, decision=decision, submitted=True)


def on_post_edited(*, post: Post, decision: PostDecision) -> None:
    services.post_screen(post=post, decision=decision, submitted=False)


def posting_refusal(*, user) -> str | None:
    """community's ``posting_check``: a suspended or banned member reads but does not post."""
    return selectors.posting_refusal(user)


def on_risk_assessed(*, assessment: RiskAssessment, needs_review: bool) -> None:
    services.risk_assessed(assessment=assessment, needs_review=needs_review)


def on_concern_raised(*, concern: MemberConcern) -> None:
    services.concern_raised(concern=concern)
