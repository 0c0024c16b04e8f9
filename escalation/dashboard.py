"""Clinician pages: the crisis dashboard, case pages, acknowledgement links; the member's messages.

Views stay thin: permission checks from ``escalation.permissions``, reads from
``escalation.selectors``, every change through ``escalation.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from escalation import alerts, events, health, permissions, selectors, services
from escalation.forms import MessageForm, NoteForm, ReasonForm, ResolveForm
from escalation.models import Alert, AlertStatus, CrisisCase, Hazard


def _case_staff(request: HttpRequest) -> None:
    permissions.check_view_cases(request.user)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _first_error(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else "That could not be done."


@login_required
@never_cache
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _case_staff(request)
    now = timezone.now()
    user = request.user
    context = {
        "pending_alerts": list(selectors.alerts_pending_for(user)),
        "cases": list(selectors.cases_active_for(user)),
        "resolved": list(selectors.cases_recent_resolved_for(user, limit=10)),
        "on_duty": selectors.on_duty(now),
        "rota": selectors.rota_by_day(now),
        "triage": health.triage_status(now=now),
        "now": now,
        "show_hazards": permissions.is_duty_lead(user) or user.role == Role.ADMIN,
    }
    if context["show_hazards"]:
        context["gaps"] = selectors.rota_hazards(now)
        context["hazards"] = list(Hazard.objects.select_related("case")[:20])
    return render(request, "escalation/clinician/dashboard.html", context)


@login_required
@never_cache
@require_GET
def alerts_pending(request: HttpRequest) -> JsonResponse:
    """What a client that lost its WebSocket fetches: every alert waiting for this clinician."""
    _case_staff(request)
    return JsonResponse(
        {"alerts": [events.alert_payload(a, replay=True) for a in selectors.alerts_pending_for(request.user)]}
    )


@login_required
@require_POST
def alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    _case_staff(request)
    alert = get_object_or_404(Alert, pk=pk)
    try:
        changed = services.alert_acknowledge(alert=alert, actor=request.user, via="dashboard")
    except ValidationError as exc:
        if _wants_json(request):
            return JsonResponse({"error": _first_error(exc)}, status=409)
        messages.error(request, _first_error(exc))
        return redirect("escalation:dashboard")
    if _wants_json(request):
        return JsonResponse({"case_id": alert.case_id, "acknowledged": True, "changed": changed})
    if changed:
        messages.success(request, f"You acknowledged case {alert.case_id}. It is yours now.")
    else:
        messages.info(request, f"Case {alert.case_id} was already acknowledged.")
    return redirect("escalation:case-detail", pk=alert.case_id)


@never_cache
@require_http_methods(["GET", "POST"])
def alert_ack_link(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an alert email or SMS. GET shows one button; POST acknowledges.

    GET never acknowledges: mail scanners and link previews open links, and an acknowledgement
    stops escalation, so it must be a person pressing the button.
    """
    try:
        alert_id, recipient_id = alerts.read_ack_token(token)
    except signing.SignatureExpired:
        return render(request, "escalation/clinician/ack_link.html", {"problem": "expired"}, status=410)
    except signing.BadSignature:
        return render(request, "escalation/clinician/ack_link.html", {"problem": "invalid"}, status=400)
    alert = (
        Alert.objects.select_related("case", "recipient")
        .filter(pk=alert_id, recipient_id=recipient_id)
        .first()
    )
    if alert is None:
        return render(request, "escalation/clinician/ack_link.html", {"problem": "invalid"}, status=400)
    context = {"alert": alert, "case": alert.case, "token": token}
    if request.method == "POST":
        try:
            changed = services.alert_acknowledge(alert=alert, actor=alert.recipient, via="link")
        except PermissionDenied as exc:
            return render(request, "escalation/clinician/ack_link.html", {"problem": str(exc)}, status=403)
        except ValidationError:
            context["already_resolved"] = True
            return render(request, "escalation/clinician/ack_link.html", context, status=409)
        context["done"] = True
        context["changed"] = changed
    return render(request, "escalation/clinician/ack_link.html", context)


def _case_context(request: HttpRequest, case: CrisisCase, **extra) -> dict:
    assessments = list(case.assessments.select_related("post__thread").order_by("created_at"))
    return {
        "case": case,
        "assessments": assessments,
        "concerns": list(case.concerns.order_by("created_at")),
        "events": list(case.events.select_related("actor")),
        "alerts": list(
            case.alerts.select_related("recipient").prefetch_related("deliveries").order_by("round", "id")
        ),
        "messages_sent": list(case.messages.select_related("sender")),
        "note_form": NoteForm(),
        "message_form": MessageForm(),
        "resolve_form": ResolveForm(),
        "reason_form": ReasonForm(),
        "can_view_contact": request.user.role == Role.CLINICIAN and case.is_active,
        "my_pending_alert": case.alerts.filter(recipient=request.user, status=AlertStatus.PENDING).first(),
        **extra,
    }


def _get_case(request: HttpRequest, pk: int) -> CrisisCase:
    _case_staff(request)
    try:
        return selectors.case_detail(pk, request.user)
    except CrisisCase.DoesNotExist as exc:
        raise Http404("No such case.") from exc


@login_required
@never_cache
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _get_case(request, pk)
    return render(request, "escalation/clinician/case_detail.html", _case_context(request, case))


CASE_ACTIONS = {"acknowledge", "contact", "resolve", "reopen", "note", "message", "safety-contact"}


@login_required
@never_cache
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in CASE_ACTIONS:
        raise Http404("No such action.")
    case = _get_case(request, pk)
    user = request.user
    extra: dict = {}
    try:
        if action == "acknowledge":
            services.case_acknowledge(case=case, actor=user)
            messages.success(request, "Acknowledged. The case is yours.")
        elif action == "contact":
            services.case_start_contact(case=case, actor=user)
            messages.success(request, "Marked as contacting the member.")
        elif action == "resolve":
            form = ResolveForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Please choose how the case ended.")
            services.case_resolve(
                case=case, actor=user, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
            )
            messages.success(request, "Case resolved.")
        elif action == "reopen":
            services.case_reopen(case=case, actor=user, reason=request.POST.get("reason", ""))
            messages.success(request, "Case reopened; it is yours.")
        elif action == "note":
            services.case_add_note(case=case, actor=user, text=request.POST.get("text", ""))
            messages.success(request, "Note added.")
        elif action == "message":
            services.case_message_member(case=case, actor=user, body=request.POST.get("body", ""))
            messages.success(request, "Message sent to the member.")
        elif action == "safety-contact":
            contact = services.safety_contact_reveal(
                case=case, actor=user, reason=request.POST.get("reason", "")
            )
            extra = {"revealed": True, "safety_contact": contact}
            case = selectors.case_detail(pk, user)
            return render(
                request, "escalation/clinician/case_detail.html", _case_context(request, case, **extra)
            )
    except ValidationError as exc:
        case = selectors.case_detail(pk, user)
        context = _case_context(request, case, action_error=_first_error(exc))
        return render(request, "escalation/clinician/case_detail.html", context, status=400)
    return redirect("escalation:case-detail", pk=case.pk)


@login_required
@never_cache
@require_GET
def member_messages(request: HttpRequest) -> HttpResponse:
    """Messages from the clinical team to this member (any signed-in person sees only their own)."""
    items = list(selectors.case_messages_for_member(request.user)[:50])
    response = render(request, "escalation/clinician/member_messages.html", {"case_messages": items})
    services.case_messages_mark_read(member=request.user)
    return response
