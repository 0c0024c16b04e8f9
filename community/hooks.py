"""Named hooks: how a higher app (escalation, moderation) takes part in a post's life.

The community app may not import escalation, so it announces what happens and lets higher apps
decide. This is a tiny explicit registry rather than ``django.dispatch.Signal`` because the
contract is stricter than a signal's:

* receivers run INSIDE the ``post_create`` / ``thread_create`` / ``post_edit`` transaction,
  BEFORE the post is visible to anyone else (nothing has been committed yet);
* each receiver runs in its own savepoint, so a receiver that fails cannot poison the
  transaction;
* **fail closed**: if a receiver raises, the exception is logged and the post is held for
  review (never lost, never published unscreened);
* a receiver says "hold" through the mutable :class:`PostDecision` it is given (it may also call
  ``community.services.post_hold`` itself; both work);
* a receiver may instead say "refuse" (``decision.refuse(reason=..., message=...)``): nothing is
  published or kept, the whole submission is rolled back and the member sees ``message`` above
  their text, which stays in the form. **A refusal never overrides a hold**: if any receiver
  asked to hold the post, or a receiver failed, the post is held for a human instead (fail
  closed: a refused post that also needed a human would otherwise be lost).

Available hooks::

    post_submitted  -- a new post (opening post or reply) was written
    post_edited     -- a post's text was changed

For an opening post (``post.is_opening``) the thread title is new text too: screen
``post.thread.title`` with the body. ``post_edited`` fires for title-only edits as well.

Receiver signature (keyword-only)::

    def on_post_submitted(*, post: Post, decision: PostDecision) -> None:
        level = triage_service(text=post.body, ...)
        if level in {"high", "imminent"}:
            decision.hold(reason="risk:high", author_notice="If you need help right now ...")

Connect in your ``AppConfig.ready()``::

    from community import hooks
    hooks.post_submitted.connect(on_post_submitted, dispatch_uid="escalation.triage")

A second kind of hook asks whether a member may post at all (before anything is written)::

    posting_check   -- receiver(*, user) -> str | None: a reason the user may not post now

``community.services.posting_refusal(user)`` returns the first reason given (moderation: a
suspension or a ban); thread, reply and edit services refuse with it. A check that fails is
logged and ignored: the post is still screened by the submission hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

if TYPE_CHECKING:
    from community.models import Post

logger = logging.getLogger(__name__)


@dataclass
class PostDecision:
    """What the receivers decided about a post. Mutable: receivers call ``hold()``."""

    should_hold: bool = False
    reasons: list[str] = field(default_factory=list)
    author_notices: list[str] = field(default_factory=list)
    receiver_failed: bool = False
    refusal_reasons: list[str] = field(default_factory=list)
    refusal_messages: list[str] = field(default_factory=list)

    def hold(self, *, reason: str, author_notice: str = "") -> None:
        self.should_hold = True
        self.reasons.append(reason)
        if author_notice:
            self.author_notices.append(author_notice)

    def refuse(self, *, reason: str, message: str) -> None:
        """Ask community not to publish or keep the post; ``message`` is shown to its author."""
        self.refusal_reasons.append(reason)
        if message and message not in self.refusal_messages:
            self.refusal_messages.append(message)

    @property
    def should_refuse(self) -> bool:
        """Refused, and nothing asked for a human (a hold or a failed receiver wins)."""
        return bool(self.refusal_reasons) and not self.should_hold and not self.receiver_failed

    @property
    def refusal_message(self) -> str:
        return " ".join(self.refusal_messages) or "This post can't be published."

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)[:200]

    @property
    def author_notice(self) -> str:
        return "\n\n".join(self.author_notices)


Receiver = Callable[..., object]


class Hook:
    """A named hook with an ordered list of receivers."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: dict[str, Receiver] = {}

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {list(self._receivers)}>"

    def connect(self, receiver: Receiver, *, dispatch_uid: str) -> None:
        """Register ``receiver``; connecting the same ``dispatch_uid`` twice replaces it."""
        self._receivers[dispatch_uid] = receiver

    def disconnect(self, *, dispatch_uid: str) -> None:
        self._receivers.pop(dispatch_uid, None)

    @property
    def receivers(self) -> dict[str, Receiver]:
        return dict(self._receivers)

    def run(self, *, post: Post) -> PostDecision:
        """Call every receiver in its own savepoint. Never raises; failures hold the post."""
        decision = PostDecision()
        for uid, receiver in list(self._receivers.items()):
            try:
                with transaction.atomic():
                    receiver(post=post, decision=decision)
            except Exception:
                logger.exception("Hook %s receiver %s failed; holding post %s", self.name, uid, post.pk)
                decision.receiver_failed = True
                decision.hold(reason=f"hook-failed:{uid}")
        return decision


class CheckHook(Hook):
    """A hook whose receivers answer a question: the first non-empty answer wins."""

    def first_answer(self, **kwargs) -> str | None:
        for uid, receiver in list(self._receivers.items()):
            # Inside a transaction a savepoint keeps a failing receiver's database error from
            # aborting the caller's work; in autocommit (a page view) there is nothing to protect,
            # and skipping it saves a BEGIN/COMMIT round trip per page.
            guard = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
            try:
                with guard:
                    answer = receiver(**kwargs)
            except Exception:
                logger.exception("Hook %s receiver %s failed; ignoring its answer", self.name, uid)
                continue
            if answer:
                return str(answer)
        return None


post_submitted = Hook("post_submitted")
post_edited = Hook("post_edited")
posting_check = CheckHook("posting_check")
