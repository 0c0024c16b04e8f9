"""Every state change in the safety path: screening, assessments, crisis cases, alerts.

Keyword-only arguments, one transaction each, permission checks inside. Side effects (tasks,
live events, alert deliveries) happen on commit. Timers are database state driven by the beat
sweepers (``cases_run_due``, ``posts_sweep_unscreened``), so nothing is lost on a restart.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from accounts.models import STAFF_ROLES, Role, SafetyContact
from community import services as community_services
from community.hooks import PostDecision
from community.models import Post, PostState
from escalation import alerts, engine, events, health, permissions, selectors, signposting, triage
from escalation.hooks import concern_raised, send_concern_raised, send_risk_assessed
from escalation.models import (
    HOLD_LEVELS,
    REVIEW_LEVELS,
    Alert,
    AlertStatus,
    CaseEvent,
    CaseEventKind,
    CaseMessage,
    CaseOutcome,
    CaseStatus,
    CrisisCase,
    Hazard,
    HazardKind,
    MemberConcern,
    RiskAssessment,
    RiskLevel,
    SafetyContactView,
    TriageRule,
    TriageRuleChange,
    TriageRuleChangeAction,
    TriageRulesVersion,
)
from escalation.policy import ASSIGNEE, FALLBACK_ALL, FALLBACK_LEADS, PolicyConfig, PolicyState, decide

logger = logging.getLogger(__name__)

UNSCREENED_GRACE = timedelta(seconds=30)
#: A concern not handed to the review queue this long after it was recorded is re-driven.
CONCERN_HAND_OFF_GRACE = timedelta(seconds=30)
DEFAULT_CHECK_IN_MESSAGE = (
    "Hello. Someone from our clinical team would like to check in with you. You're not in "
    "trouble, and you don't have to reply, but we're here if you'd like to talk."
)
DEGRADED_NOTICE = (
    "Our safety checks are running slowly right now, so a guide will look at your post before "
    "others can see it. Thank you for your patience."
)


# --- what the member sees when a post is held for risk ----------------------------------------


def crisis_notice_for(*, region: str) -> str:
    """Warm words and the region's crisis lines, as plain text (the post page renders line breaks)."""
    signpost = signposting.resources_for(region)
    region_info = signpost.region
    lines = [
        "Thank you for telling us how you're feeling. What you wrote sounds really hard, and you "
        "deserve support right now. Your post is safe with us: a member of our team will read it "
        "soon, and it will be shared with the community once they have.",
        "",
        f"If you are in danger or might act on these thoughts now, call {region_info.emergency.number} "
        f"({region_info.name} emergency services)."
        + (f" {region_info.emergency.also}" if region_info.emergency.also else ""),
        "",
        "You can also talk to someone now:",
    ]
    for resource in region_info.resources:
        if not resource.is_crisis_line:
            continue
        ways = "; ".join(contact.label for contact in resource.contacts)
        lines.append(f"- {resource.name}: {ways} ({resource.hours}, {resource.cost})")
    return "\n".join(lines)


# --- screening ----------------------------------------------------------------------------------


def _queue_assessment(post_id: int) -> None:
    def publish() -> None:
        from escalation import tasks

        try:
            tasks.assess_post.delay(post_id)
        except Exception:
            # Broker down: the post is saved and unscreened; the sweeper screens it later.
            logger.exception("Could not queue the risk assessment of post %s; the sweeper will", post_id)

    transaction.on_commit(publish, robust=True)


def post_screen_inline(*, post: Post, decision: PostDecision) -> engine.Screening | None:
    """Screen a post inside the request that submits or edits it, before anyone else sees it.

    High or imminent: hold it and give the author warm words and their region's crisis lines.
    Triage degraded: hold it for a human. Engine failure: hold it with the crisis lines (fail
    closed). Always: queue the full assessment for after commit.
    """
    region = getattr(post.author, "region", "")
    _queue_assessment(post.pk)
    try:
        screening = engine.screen(post.body)
    except engine.TriageUnavailable:
        logger.exception("Inline triage failed for post %s; holding it", post.pk)
        decision.hold(reason="triage-unavailable", author_notice=crisis_notice_for(region=region))
        return None
    if screening.level in HOLD_LEVELS:
        decision.hold(reason=f"risk:{screening.level}", author_notice=crisis_notice_for(region=region))
    elif health.triage_degraded():
        decision.hold(reason="triage-degraded", author_notice=DEGRADED_NOTICE)
    return screening


@transaction.atomic
def post_assess(*, post_id: int, now: datetime | None = None) -> RiskAssessment | None:
    """Record the risk assessment of a post's current text, once. Idempotent.

    Already assessed (same post, same text): only make sure the post is marked screened, and
    return the existing assessment, so a duplicated task opens no second case and sends no
    second set of alerts.
    """
    now = now or timezone.now()
    # The semantic stage is slow, so it reads the text before the row lock is taken; if the text
    # changed in between (an edit, which is assessed in its own turn), the rules read it alone.
    # It only ever raises the rules' level, so where the rules already read imminent it is not
    # consulted: the crisis case and the clinicians' alert do not wait ~20 ms for a model that
    # can change nothing.
    reading, read_body, read_screening = None, None, None
    if engine.semantic_enabled():
        read_body = Post.objects.filter(pk=post_id).values_list("body", flat=True).first()
        if (
            read_body is not None
            and not RiskAssessment.objects.filter(
                post_id=post_id, content_hash=engine.content_hash(read_body)
            ).exists()
        ):
            read_screening = engine.screen(read_body)
            if read_screening.level != RiskLevel.IMMINENT:
                reading = engine.semantic_reading(read_body)
    post = Post.objects.select_for_update().select_related("author").filter(pk=post_id).first()
    if post is None:
        return None
    digest = engine.content_hash(post.body)
    existing = RiskAssessment.objects.filter(post=post, content_hash=digest).first()
    if existing is not None:
        if post.screened_at is None or post.screening_level != existing.level:
            community_services.post_mark_screened(post=post, level=existing.level)
        health.record_success(now=now)
        return existing

    if read_screening is not None and read_body == post.body:
        screening = engine.raise_by_semantic(read_screening, reading)
    else:
        screening = engine.screen(post.body)
    try:
        with transaction.atomic():
            assessment = RiskAssessment.objects.create(
                post=post,
                content_hash=digest,
                level=screening.level,
                score=screening.score,
                categories=screening.categories,
                rules=screening.rules,
                engine_version=screening.engine_version,
                created_at=now,
            )
    except IntegrityError:
        # A concurrent run recorded it first (possible where row locks are not enforced).
        return RiskAssessment.objects.get(post=post, content_hash=digest)

    community_services.post_mark_screened(post=post, level=assessment.level)
    if assessment.level in HOLD_LEVELS and post.state == PostState.PUBLISHED:
        community_services.post_hold(
            post=post,
            actor=None,
            reason=f"risk:{assessment.level}",
            author_notice=crisis_notice_for(region=post.author.region),
        )
    if assessment.level == RiskLevel.IMMINENT:
        _case_open_or_attach(assessment=assessment, now=now)
    send_risk_assessed(assessment=assessment, needs_review=assessment.level in REVIEW_LEVELS)
    health.record_success(now=now)
    return assessment


def posts_sweep_unscreened(*, now: datetime | None = None, limit: int = 200) -> int:
    """Screen posts left unscreened for longer than 30 s (lost task, broker or worker down)."""
    now = now or timezone.now()
    cutoff = now - UNSCREENED_GRACE
    post_ids = list(
        health.unscreened_posts().filter(submitted_at__lt=cutoff).values_list("pk", flat=True)[:limit]
    )
    done = 0
    for post_id in post_ids:
        try:
            post_assess(post_id=post_id)
            done += 1
        except Exception as exc:
            logger.exception("Sweeper could not screen post %s", post_id)
            health.record_failure(error=f"{type(exc).__name__}: {exc}")
    # The same beat task re-drives lost concern hand-offs (the safety path's one sweeper).
    try:
        concerns_sweep_unhanded(now=now)
    except Exception:
        logger.exception("Sweeper could not re-drive member concerns")
    return done


# --- crisis cases -------------------------------------------------------------------------------


def _event(case: CrisisCase, kind: str, *, actor=None, text: str = "", data: dict | None = None) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        actor_name=getattr(actor, "pseudonym", "") if actor is not None else "",
        text=text,
        data=data or {},
    )


def _case_open_or_join(
    *, member, level: str, now: datetime, data: dict, actor=None, text: str = ""
) -> tuple[CrisisCase, bool]:
    """Open a case for ``member`` (alerting through the policy), or join their open one.

    One open case per member (a partial unique constraint): a concurrent opener joins. The case
    timeline records what opened or joined it (``data``), who (``actor``: None for triage) and
    the staff-facing ``text``. Returns ``(case, created)``.
    """
    case = (
        CrisisCase.objects.select_for_update()
        .filter(member=member)
        .exclude(status=CaseStatus.RESOLVED)
        .first()
    )
    created = False
    if case is None:
        try:
            with transaction.atomic():
                case = CrisisCase.objects.create(
                    member=member, level=level, opened_at=now, next_action_at=now
                )
                created = True
        except IntegrityError:
            case = (
                CrisisCase.objects.select_for_update()
                .filter(member=member)
                .exclude(status=CaseStatus.RESOLVED)
                .get()
            )
    if created:
        _event(case, CaseEventKind.OPENED, actor=actor, text=text, data=data)
        _apply_policy(case, now=now)
    else:
        _event(case, CaseEventKind.POST_LINKED, actor=actor, text=text, data=data)
    case.save()
    events.case_changed_on_commit(case_id=case.pk, status=case.status)
    return case, created


def _case_open_or_attach(*, assessment: RiskAssessment, now: datetime) -> CrisisCase:
    """Open a case for the post's author, or attach to their open one (one open case per member)."""
    data = {"post_id": assessment.post_id, "assessment_id": assessment.pk, "level": assessment.level}
    case, _ = _case_open_or_join(member=assessment.post.author, level=assessment.level, now=now, data=data)
    assessment.case = case
    assessment.save(update_fields=["case"])
    return case


def _check_refer_to_clinician(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.is_active or actor.role not in STAFF_ROLES:
        raise PermissionDenied("Only guides, clinicians and admins can refer a member to a clinician.")


@transaction.atomic
def case_open_for_post(*, post: Post, actor, reason: str, now: datetime | None = None) -> CrisisCase:
    """A guide refers a post's author to the clinicians on duty: open their crisis case (alerting
    through the policy) or join the open one, with the guide and their reason in the timeline.

    The post's latest assessment (made now if the post was never screened) is linked to the case
    when it has none, so the clinician reads the post on the case page.
    """
    now = now or timezone.now()
    _check_refer_to_clinician(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Please say why a clinician is needed."}, code="required")
    post = Post.objects.select_related("author").filter(pk=post.pk).first()
    if post is None:
        raise ValidationError("This post no longer exists; nothing was changed.", code="missing")
    assessment = (
        RiskAssessment.objects.select_for_update().filter(post=post).order_by("-created_at", "-id").first()
    )
    if assessment is None:
        try:
            with transaction.atomic():
                assessment = post_assess(post_id=post.pk, now=now)
        except engine.TriageUnavailable:
            # The referral must not be lost with the screening: the case opens at high, and the
            # sweeper screens the post when triage is back.
            logger.exception("Triage unavailable while a guide referred post %s; opening at high", post.pk)
            assessment = None
    level = assessment.level if assessment and assessment.level in HOLD_LEVELS else RiskLevel.HIGH
    data = {"post_id": post.pk, "referred_by": "guide", "level": level}
    if assessment is not None:
        data["assessment_id"] = assessment.pk
    case, _ = _case_open_or_join(
        member=post.author, level=level, now=now, data=data, actor=actor, text=reason
    )
    if assessment is not None and assessment.case_id is None:
        assessment.case = case
        assessment.save(update_fields=["case"])
    return case


@transaction.atomic
def case_open_for_concern(
    *, concern: MemberConcern, actor, reason: str, now: datetime | None = None
) -> CrisisCase:
    """A guide refers the member behind a concern (a self-assessment answer) to the clinicians:
    open or join their crisis case, with the guide, the reason and the concern in the timeline."""
    now = now or timezone.now()
    _check_refer_to_clinician(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Please say why a clinician is needed."}, code="required")
    concern = (
        MemberConcern.objects.select_for_update(of=("self",)).select_related("member").get(pk=concern.pk)
    )
    level = concern.level if concern.level in HOLD_LEVELS else RiskLevel.HIGH
    data = {"concern_id": concern.pk, "source": concern.source, "referred_by": "guide", "level": level}
    text = f"{reason}\n\nConcern: {concern.summary}"
    case, _ = _case_open_or_join(
        member=concern.member, level=level, now=now, data=data, actor=actor, text=text
    )
    if concern.case_id is None:
        concern.case = case
        concern.save(update_fields=["case"])
    return case


# --- concerns that are not posts (self-assessments) ---------------------------------------------


CONCERN_SOURCE_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")


@transaction.atomic
def member_concern_raise(
    *,
    member,
    level: str,
    source: str,
    summary: str,
    detail: dict | None = None,
    now: datetime | None = None,
) -> MemberConcern:
    """Record a risk signal about ``member`` that is not a post, in the caller's transaction.

    Imminent: the member's crisis case is opened (or joined) in the same transaction, so the
    on-duty clinicians are alerted through the policy exactly as for an imminent post. Moderate
    and above: handed to the review queue after commit (``concern_raised`` hook); if that hand-off
    fails, the concern stays un-handed and the safety sweeper re-drives it. Bad input raises
    ``ValidationError`` and records nothing.
    """
    now = now or timezone.now()
    summary = (summary or "").replace("\x00", "").strip()
    errors: dict[str, str] = {}
    if level not in RiskLevel.values:
        errors["level"] = f"Choose one of: {', '.join(RiskLevel.values)}."
    if not CONCERN_SOURCE_PATTERN.match(source or ""):
        errors["source"] = "A short lower-case name, e.g. self_assessment."
    if not summary:
        errors["summary"] = "Say briefly what staff need to know."
    elif len(summary) > 300:
        errors["summary"] = "At most 300 characters."
    if detail is not None and not isinstance(detail, dict):
        errors["detail"] = "Detail must be a JSON object."
    if errors:
        raise ValidationError(errors)
    needs_review = level in REVIEW_LEVELS
    concern = MemberConcern.objects.create(
        member=member,
        level=level,
        source=source,
        summary=summary,
        detail=detail or {},
        created_at=now,
        handed_off_at=None if needs_review else now,
    )
    if level == RiskLevel.IMMINENT:
        try:
            with transaction.atomic():
                _concern_open_case(concern, now=now)
        except Exception:
            # Fail closed: the concern is recorded and un-handed; the hand-off after commit (or the
            # sweeper) opens the case.
            logger.exception("Could not open a crisis case for concern %s now; the hand-off will", concern.pk)
    if needs_review:
        concern_id = concern.pk
        transaction.on_commit(lambda: _concern_hand_off_after_commit(concern_id), robust=True)
    return concern


def _concern_open_case(concern: MemberConcern, *, now: datetime) -> CrisisCase:
    data = {"concern_id": concern.pk, "source": concern.source, "level": concern.level}
    case, _ = _case_open_or_join(
        member=concern.member, level=concern.level, now=now, data=data, text=concern.summary
    )
    concern.case = case
    concern.save(update_fields=["case"])
    return case


def _concern_hand_off_after_commit(concern_id: int) -> None:
    try:
        member_concern_hand_off(concern_id=concern_id)
    except Exception:
        logger.exception("Hand-off of member concern %s failed; the sweeper will retry", concern_id)


@transaction.atomic
def member_concern_hand_off(*, concern_id: int, now: datetime | None = None) -> bool:
    """Hand a recorded concern to the review queue (and open its case if imminent and still
    missing). Idempotent: returns False if it was already handed off or does not exist; marks it
    handed off only when every ``concern_raised`` receiver succeeded (and one is connected)."""
    now = now or timezone.now()
    concern = (
        MemberConcern.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk=concern_id)
        .first()
    )
    if concern is None or concern.handed_off_at is not None:
        return False
    if concern.level == RiskLevel.IMMINENT and concern.case_id is None:
        _concern_open_case(concern, now=now)
    if concern.level in REVIEW_LEVELS:
        if not concern_raised.receivers:
            logger.error("No receiver for concern_raised: concern %s waits for the review queue", concern.pk)
            return False
        failed = send_concern_raised(concern=concern)
        if failed:
            logger.error("concern_raised receivers %s failed for concern %s; will retry", failed, concern.pk)
            return False
    concern.handed_off_at = now
    concern.save(update_fields=["handed_off_at"])
    return True


def concerns_sweep_unhanded(*, now: datetime | None = None, limit: int = 200) -> int:
    """Re-drive concerns whose hand-off did not happen within the grace period."""
    now = now or timezone.now()
    ids = list(
        MemberConcern.objects.filter(handed_off_at__isnull=True, created_at__lt=now - CONCERN_HAND_OFF_GRACE)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for concern_id in ids:
        try:
            if member_concern_hand_off(concern_id=concern_id, now=now):
                done += 1
        except Exception:
            logger.exception("Sweeper could not hand off member concern %s", concern_id)
    return done


def _recipients(case: CrisisCase, target: str, config: PolicyConfig, roster: dict[str, list]) -> list:
    User = get_user_model()
    if target == ASSIGNEE:
        if case.assignee_id and case.assignee.is_active:
            return [case.assignee]
        target = config.target(max(case.escalation_step, 0))
    if target == FALLBACK_LEADS:
        return list(permissions.duty_leads().order_by("pk"))
    if target == FALLBACK_ALL:
        lead_ids = permissions.duty_leads().values("pk")
        return list(
            User.objects.filter(is_active=True)
            .filter(models.Q(pk__in=lead_ids) | models.Q(role=Role.ADMIN))
            .order_by("pk")
        )
    return roster.get(target, [])


def _alert_round(
    case: CrisisCase, *, target: str, now: datetime, config: PolicyConfig, roster: dict[str, list]
) -> list[Alert]:
    """Alert ``target``'s people; ``roster`` is who is on duty now by tier (``selectors.on_duty``)."""
    recipients = _recipients(case, target, config, roster)
    if not recipients:
        detail = f"Nobody to alert for case {case.pk} at step '{target}'."
        Hazard.objects.create(kind=HazardKind.NO_RECIPIENTS, case=case, detail=detail)
        _event(case, CaseEventKind.HAZARD, data={"hazard": "no_recipients", "target": target})
        return []
    case.alert_round += 1
    created = []
    for user in recipients:
        alert, was_created = Alert.objects.get_or_create(
            case=case, recipient=user, round=case.alert_round, defaults={"target": target, "created_at": now}
        )
        if was_created:
            alerts.deliveries_create(alert=alert, now=now)
            created.append(alert)
    kind = CaseEventKind.ALERT_ROUND if case.alert_round == 1 else CaseEventKind.ESCALATED
    if target == ASSIGNEE:
        kind = CaseEventKind.REACK_REQUESTED
    _event(
        case,
        kind,
        data={
            "round": case.alert_round,
            "target": target,
            "recipients": [{"id": u.pk, "pseudonym": u.pseudonym} for u in recipients],
        },
    )
    return created


def _apply_policy(case: CrisisCase, *, now: datetime) -> None:
    """Ask the pure policy what to do now and do it (the caller holds the case's row lock)."""
    config = PolicyConfig.from_settings()
    roster = selectors.on_duty(now)  # once: it decides the staffed tiers and this round's recipients
    state = PolicyState(
        status=case.status,
        step=case.escalation_step,
        last_alert_at=case.last_alert_at,
        acknowledged_at=case.acknowledged_at,
        needs_reack=case.needs_reack,
        staffed=frozenset(tier for tier, people in roster.items() if people),
        has_duty_leads=permissions.duty_leads().exists(),
    )
    decision = decide(state, now, config)
    # The step first, so recipients of this round are looked up at the new step.
    case.escalation_step = decision.step
    for action in decision.actions:
        if action.kind == "hazard":
            Hazard.objects.create(kind=action.hazard, case=case, detail=action.detail)
            _event(case, CaseEventKind.HAZARD, data={"hazard": action.hazard, "detail": action.detail})
            logger.warning("Crisis hazard on case %s: %s", case.pk, action.detail)
        elif action.kind == "alert":
            _alert_round(case, target=action.target, now=now, config=config, roster=roster)
    case.last_alert_at = decision.last_alert_at
    case.needs_reack = decision.needs_reack
    case.next_action_at = decision.next_action_at


@transaction.atomic
def case_run_policy(*, case_id: int, now: datetime | None = None) -> CrisisCase | None:
    now = now or timezone.now()
    case = CrisisCase.objects.select_for_update().filter(pk=case_id).first()
    if case is None or not case.is_active:
        return case
    if case.next_action_at is not None and case.next_action_at > now:
        return case  # not due: another sweeper got here first
    before = (case.alert_round, case.status)
    _apply_policy(case, now=now)
    case.save()
    if (case.alert_round, case.status) != before:
        events.case_changed_on_commit(case_id=case.pk, status=case.status)
    return case


def cases_run_due(*, now: datetime | None = None) -> int:
    """The escalation sweeper: act on every active case whose next action is due."""
    now = now or timezone.now()
    due = list(
        CrisisCase.objects.exclude(status=CaseStatus.RESOLVED)
        .filter(next_action_at__lte=now)
        .order_by("next_action_at")
        .values_list("pk", flat=True)[:500]
    )
    for case_id in due:
        try:
            case_run_policy(case_id=case_id, now=now)
        except Exception:
            logger.exception("Escalation policy failed for case %s", case_id)
    return len(due)


def _lock_case(case: CrisisCase) -> CrisisCase:
    return CrisisCase.objects.select_for_update().select_related("member").get(pk=case.pk)


def _close_pending_alerts(case: CrisisCase, *, actor=None, via: str = "", now: datetime) -> None:
    pending = list(Alert.objects.filter(case=case, status=AlertStatus.PENDING))
    for alert in pending:
        if actor is not None and alert.recipient_id == actor.pk:
            alert.status = AlertStatus.ACKNOWLEDGED
            alert.acknowledged_at = now
            alert.acknowledged_via = via
        else:
            alert.status = AlertStatus.SUPERSEDED
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_via"])
        events.alert_closed_on_commit(alert)


def _acknowledge(case: CrisisCase, *, actor, via: str, now: datetime) -> bool:
    if not case.is_active:
        raise ValidationError("This case is already resolved.", code="resolved")
    if not case.awaiting_ack:
        return False
    case.status = CaseStatus.ACKNOWLEDGED if case.status == CaseStatus.OPEN else case.status
    case.acknowledged_at = now
    case.assignee = actor
    case.needs_reack = False
    case.next_action_at = now + PolicyConfig.from_settings().t_reack
    case.save()
    _close_pending_alerts(case, actor=actor, via=via, now=now)
    _event(case, CaseEventKind.ACKNOWLEDGED, actor=actor, data={"via": via})
    events.case_changed_on_commit(case_id=case.pk, status=case.status)
    return True


@transaction.atomic
def alert_acknowledge(*, alert: Alert, actor, via: str = "dashboard", now: datetime | None = None) -> bool:
    """Acknowledge the case an alert is about. Returns whether the case changed."""
    now = now or timezone.now()
    alert = Alert.objects.select_related("case").get(pk=alert.pk)
    permissions.check_acknowledge_alert(actor, alert)
    return _acknowledge(_lock_case(alert.case), actor=actor, via=via, now=now)


@transaction.atomic
def case_acknowledge(*, case: CrisisCase, actor, via: str = "dashboard", now: datetime | None = None) -> bool:
    permissions.check_work_case(actor, case)
    return _acknowledge(_lock_case(case), actor=actor, via=via, now=now or timezone.now())


@transaction.atomic
def case_start_contact(*, case: CrisisCase, actor, now: datetime | None = None) -> CrisisCase:
    """The clinician is trying to reach the member (acknowledges first if needed)."""
    now = now or timezone.now()
    permissions.check_work_case(actor, case)
    case = _lock_case(case)
    if not case.is_active:
        raise ValidationError("This case is already resolved.", code="resolved")
    if case.awaiting_ack:
        _acknowledge(case, actor=actor, via="contact", now=now)
    if case.status != CaseStatus.CONTACTING:
        case.status = CaseStatus.CONTACTING
        case.save(update_fields=["status"])
        _event(case, CaseEventKind.STATUS, actor=actor, data={"status": CaseStatus.CONTACTING})
        events.case_changed_on_commit(case_id=case.pk, status=case.status)
    return case


@transaction.atomic
def case_resolve(
    *, case: CrisisCase, actor, outcome: str, note: str = "", now: datetime | None = None
) -> bool:
    """Close a case with an outcome. Final: no further alerts until someone reopens it."""
    now = now or timezone.now()
    permissions.check_work_case(actor, case)
    if outcome not in CaseOutcome.values:
        raise ValidationError({"outcome": "Please choose how the case ended."}, code="invalid")
    case = _lock_case(case)
    if not case.is_active:
        return False
    case.status = CaseStatus.RESOLVED
    case.outcome = outcome
    case.resolved_at = now
    case.resolved_by = actor
    case.next_action_at = None
    case.needs_reack = False
    if case.assignee_id is None:
        case.assignee = actor
    case.save()
    _close_pending_alerts(case, now=now)
    _event(
        case, CaseEventKind.RESOLVED, actor=actor, text=(note or "").strip()[:5000], data={"outcome": outcome}
    )
    events.case_changed_on_commit(case_id=case.pk, status=case.status)
    return True


@transaction.atomic
def case_reopen(*, case: CrisisCase, actor, reason: str, now: datetime | None = None) -> bool:
    """Reopen a resolved case; the clinician reopening it holds it (acknowledged by them)."""
    now = now or timezone.now()
    permissions.check_work_case(actor, case)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Please say why the case is reopened."}, code="required")
    case = _lock_case(case)
    if case.is_active:
        return False
    other = CrisisCase.objects.filter(member=case.member).exclude(status=CaseStatus.RESOLVED).first()
    if other is not None:
        raise ValidationError(f"This member already has an open case ({other.pk}); please use that one.")
    case.status = CaseStatus.ACKNOWLEDGED
    case.outcome = ""
    case.resolved_at = None
    case.resolved_by = None
    case.assignee = actor
    case.acknowledged_at = now
    case.needs_reack = False
    case.next_action_at = now + PolicyConfig.from_settings().t_reack
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        raise ValidationError("This member already has an open case; please use that one.") from exc
    _event(case, CaseEventKind.REOPENED, actor=actor, text=reason[:5000])
    events.case_changed_on_commit(case_id=case.pk, status=case.status)
    return True


@transaction.atomic
def case_add_note(*, case: CrisisCase, actor, text: str) -> CaseEvent:
    permissions.check_work_case(actor, case)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Please write the note."}, code="required")
    if len(text) > 5000:
        raise ValidationError({"text": "Notes can be at most 5,000 characters."}, code="too_long")
    return _event(case, CaseEventKind.NOTE, actor=actor, text=text)


@transaction.atomic
def case_message_member(*, case: CrisisCase, actor, body: str = "") -> CaseMessage:
    """An in-app message from the clinical team, shown on the member's home page."""
    permissions.check_work_case(actor, case)
    case = _lock_case(case)
    if not case.is_active:
        raise ValidationError("This case is resolved; reopen it to message the member.", code="resolved")
    body = (body or "").strip() or DEFAULT_CHECK_IN_MESSAGE
    if len(body) > 2000:
        raise ValidationError({"body": "Messages can be at most 2,000 characters."}, code="too_long")
    message = CaseMessage.objects.create(case=case, sender=actor, recipient=case.member, body=body)
    _event(case, CaseEventKind.MESSAGE, actor=actor, text=body, data={"message_id": message.pk})
    events.message_on_commit(message_id=message.pk, member_id=case.member_id)
    return message


@transaction.atomic
def case_messages_mark_read(*, member, now: datetime | None = None) -> int:
    return CaseMessage.objects.filter(recipient=member, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


@transaction.atomic
def safety_contact_reveal(*, case: CrisisCase, actor, reason: str) -> SafetyContact | None:
    """Unseal the member's safety contact for a clinician on an open case, and audit it.

    Every call writes a SafetyContactView row and a case event, whether or not the member gave
    a contact.
    """
    case = _lock_case(case)
    permissions.check_view_safety_contact(actor, case)
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError(
            {"reason": "Please give the reason you need the safety contact (at least 10 characters)."},
            code="required",
        )
    contact = SafetyContact.objects.filter(user=case.member).first()
    shown = []
    if contact is not None:
        shown = [name for name in ("phone", "email", "location") if getattr(contact, name)]
    SafetyContactView.objects.create(
        case=case,
        viewer=actor,
        viewer_name=actor.pseudonym,
        member=case.member,
        reason=reason[:2000],
        fields_shown=shown,
    )
    _event(case, CaseEventKind.SAFETY_CONTACT_VIEWED, actor=actor, text=reason[:2000], data={"fields": shown})
    return contact


__all__ = [
    "PermissionDenied",
    "ValidationError",
    "alert_acknowledge",
    "case_acknowledge",
    "case_add_note",
    "case_message_member",
    "case_messages_mark_read",
    "case_open_for_concern",
    "case_open_for_post",
    "case_reopen",
    "case_resolve",
    "case_run_policy",
    "case_start_contact",
    "cases_run_due",
    "concerns_sweep_unhanded",
    "crisis_notice_for",
    "member_concern_hand_off",
    "member_concern_raise",
    "post_assess",
    "post_screen_inline",
    "posts_sweep_unscreened",
    "safety_contact_reveal",
]


# --- triage rules managed by clinical leads ------------------------------------------------------

RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def _rule_snapshot(rule: TriageRule) -> dict:
    return {**rule.as_rule_data(), "enabled": rule.enabled, "note": rule.note}


def _rules_version_bump(*, now: datetime) -> int:
    """Raise the rules version inside the caller's transaction; publish it on commit."""
    row = TriageRulesVersion.objects.select_for_update().order_by("pk").first()
    if row is None:
        row = TriageRulesVersion.objects.create(number=0)
        row = TriageRulesVersion.objects.select_for_update().get(pk=row.pk)
    row.number += 1
    row.changed_at = now
    row.save(update_fields=["number", "changed_at"])
    number = row.number
    transaction.on_commit(lambda: engine.publish_rules_version(number))
    return number


def triage_rule_clean_data(*, rule_id: str, kind: str, category: str, level: str, data: dict) -> dict:
    errors: dict[str, str] = {}
    if not re.match(RULE_ID_PATTERN, rule_id or ""):
        errors["rule_id"] = "Use letters, digits, '-', '_' or '.', starting with a letter or digit."
    if level not in RiskLevel.values:
        errors["level"] = f"Choose one of: {', '.join(RiskLevel.values)}."
    if errors:
        raise ValidationError(errors)
    if not isinstance(data, dict):
        raise ValidationError({"data": "The rule's data must be a JSON object."})
    rule_data = {
        **{k: v for k, v in data.items() if k not in ("id", "kind", "category", "level")},
        "id": rule_id,
        "kind": kind,
        "category": category,
        "level": level,
    }
    try:
        engine.validate_rule(rule_data)
    except triage.RuleError as exc:
        raise ValidationError(str(exc)) from exc
    return {k: v for k, v in rule_data.items() if k not in ("id", "kind", "category", "level")}


def _rule_change(
    rule: TriageRule, *, action: str, before: dict | None, actor, reason: str, now: datetime
) -> TriageRuleChange:
    number = _rules_version_bump(now=now)
    return TriageRuleChange.objects.create(
        rule=rule,
        action=action,
        before=before,
        after=_rule_snapshot(rule),
        actor=actor,
        actor_name=actor.pseudonym,
        reason=reason,
        rules_version=number,
        created_at=now,
    )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the reason is kept with the change."})
    return reason


@transaction.atomic
def triage_rule_create(
    *,
    actor,
    rule_id: str,
    kind: str,
    category: str,
    level: str,
    data: dict,
    reason: str,
    enabled: bool = True,
    note: str = "",
    now: datetime | None = None,
) -> TriageRule:
    """Add a rule (or override a packaged rule by its id). Versioned and audited."""
    permissions.check_manage_triage_rules(actor)
    reason = _require_reason(reason)
    now = now or timezone.now()
    data = triage_rule_clean_data(rule_id=rule_id, kind=kind, category=category, level=level, data=data)
    if TriageRule.objects.filter(rule_id=rule_id).exists():
        raise ValidationError({"rule_id": f"A rule {rule_id} already exists here: change that one."})
    rule = TriageRule.objects.create(
        rule_id=rule_id,
        kind=kind,
        category=category,
        level=level,
        data=data,
        enabled=enabled,
        note=note,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _rule_change(
        rule, action=TriageRuleChangeAction.CREATED, before=None, actor=actor, reason=reason, now=now
    )
    return rule


@transaction.atomic
def triage_rule_update(
    *,
    rule: TriageRule,
    actor,
    kind: str,
    category: str,
    level: str,
    data: dict,
    enabled: bool,
    reason: str,
    note: str = "",
    now: datetime | None = None,
) -> TriageRule:
    """Change a rule's patterns, level, category or switch. Nothing changed: no version, no audit."""
    permissions.check_manage_triage_rules(actor)
    reason = _require_reason(reason)
    now = now or timezone.now()
    rule = TriageRule.objects.select_for_update().get(pk=rule.pk)
    data = triage_rule_clean_data(rule_id=rule.rule_id, kind=kind, category=category, level=level, data=data)
    before = _rule_snapshot(rule)
    rule.kind, rule.category, rule.level, rule.data = kind, category, level, data
    rule.enabled, rule.note = enabled, note
    if _rule_snapshot(rule) == before:
        return rule
    rule.updated_at = now
    rule.save()
    only_switch = {**before, "enabled": enabled} == _rule_snapshot(rule)
    if only_switch:
        action = TriageRuleChangeAction.ENABLED if enabled else TriageRuleChangeAction.DISABLED
    else:
        action = TriageRuleChangeAction.UPDATED
    _rule_change(rule, action=action, before=before, actor=actor, reason=reason, now=now)
    return rule


@transaction.atomic
def triage_rule_set_enabled(
    *, rule: TriageRule, actor, enabled: bool, reason: str, now: datetime | None = None
) -> bool:
    """Switch a rule on or off. Returns whether anything changed."""
    permissions.check_manage_triage_rules(actor)
    reason = _require_reason(reason)
    now = now or timezone.now()
    rule = TriageRule.objects.select_for_update().get(pk=rule.pk)
    if rule.enabled == enabled:
        return False
    before = _rule_snapshot(rule)
    rule.enabled = enabled
    rule.updated_at = now
    rule.save(update_fields=["enabled", "updated_at"])
    action = TriageRuleChangeAction.ENABLED if enabled else TriageRuleChangeAction.DISABLED
    _rule_change(rule, action=action, before=before, actor=actor, reason=reason, now=now)
    return True


def triage_rule_try(*, actor, rule_data: dict, text: str) -> dict:
    """Run the engine with this rule switched on (and every other rule as it is now) on ``text``,
    beside the live engine. Changes nothing. Returns both readings for the "test" page."""
    permissions.check_manage_triage_rules(actor)
    rows = list(TriageRule.objects.order_by("rule_id"))
    version = f"{engine.rules_version()}-test"
    with_rule = engine.build_engine(rows, version=version, override=rule_data).assess(text)
    live = engine.current_engine().assess(text)
    return {"with_rule": with_rule, "live": live}
