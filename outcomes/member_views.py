"""The member's pages: check-ins and self-assessments, results, history, reminders, exit survey.

Members only (others get 403; anonymous visitors are sent to log in). Every page shows only the
member's own data. Pages are plain server-rendered HTML: no JavaScript is needed.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from escalation import signposting
from outcomes.forms import REMINDER_OFF, ExitSurveyForm, MeasureForm, MoodCheckInForm, ReminderForm
from outcomes.measures import charts, definitions, selectors, services
from outcomes.models import ExitSurveyTrigger, MeasureReminderPreference

member_only = role_required(Role.MEMBER)


def _measure_or_404(key: str) -> definitions.Measure:
    measure = definitions.get(key)
    if measure is None:
        raise Http404("There is no such questionnaire.")
    return measure


def _home_context(request: HttpRequest, *, mood_form: MoodCheckInForm | None = None) -> dict:
    member = request.user
    latest = selectors.latest_by_measure(member=member)
    cards = []
    for measure in selectors.measures_offered():
        pair = latest.get(measure.key)
        result = selectors.result_view(response=pair[0], measure=measure, previous=pair[1]) if pair else None
        cards.append({"measure": measure, "result": result})
    last_at = max((pair[0].created_at for pair in latest.values()), default=None)
    pref = selectors.reminder_preference_for(member=member)
    return {
        "cards": cards,
        "mood_form": mood_form or MoodCheckInForm(),
        "moods": selectors.mood_checkins_recent(member=member, limit=7),
        "pref": pref,
        "invited": selectors.retake_invited(pref=pref, last_response_at=last_at),
        "return_absence": selectors.return_prompt_absence(member=member),
    }


@member_only
def checkins_home(request: HttpRequest) -> HttpResponse:
    return render(request, "outcomes/member/home.html", _home_context(request))


@member_only
@require_POST
def mood_checkin(request: HttpRequest) -> HttpResponse:
    form = MoodCheckInForm(request.POST)
    if form.is_valid():
        try:
            checkin = services.mood_checkin_record(
                member=request.user, mood=form.cleaned_data["mood"], note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            if checkin.safety_level:
                return redirect("outcomes:mood-support", pk=checkin.pk)
            messages.success(request, "Thank you for checking in.")
            return redirect("outcomes:checkins")
    return render(request, "outcomes/member/home.html", _home_context(request, mood_form=form), status=400)


@member_only
def mood_support(request: HttpRequest, pk: int) -> HttpResponse:
    """After a check-in whose note sounded like the member may be in danger: crisis resources."""
    checkin = selectors.mood_checkin_for_member(member=request.user, checkin_id=pk)
    if checkin is None:
        raise Http404("No such check-in.")
    return render(
        request, "outcomes/member/mood_support.html", {"checkin": checkin, **_crisis_context(request.user)}
    )


@member_only
@require_http_methods(["GET", "POST"])
def measure_take(request: HttpRequest, key: str) -> HttpResponse:
    measure = _measure_or_404(key)
    if request.method == "POST":
        form = MeasureForm(request.POST, measure=measure)
        if form.is_valid():
            try:
                response = services.response_submit(
                    member=request.user, measure_key=measure.key, answers=form.answers()
                )
            except ValidationError as error:
                form.add_error(None, "; ".join(error.messages))
            else:
                return redirect("outcomes:measure-result", pk=response.pk)
        context = {"measure": measure, "form": form}
        if services.partial_safety_answers_raise(
            member=request.user, measure_key=measure.key, partial=form.partial_answers()
        ):
            context.update(_crisis_context(request.user))
        return render(request, "outcomes/member/measure_form.html", context, status=400)
    return render(
        request,
        "outcomes/member/measure_form.html",
        {"measure": measure, "form": MeasureForm(measure=measure)},
    )


def _crisis_context(member) -> dict:
    """The member's region and its crisis lines, for the pages that show crisis resources."""
    signpost = signposting.resources_for(member.region)
    return {
        "region": signpost.region,
        "crisis_resources": [r for r in signpost.region.resources if r.is_crisis_line],
    }


@member_only
def measure_result(request: HttpRequest, pk: int) -> HttpResponse:
    response = selectors.response_for_member(member=request.user, response_id=pk)
    if response is None:
        raise Http404("No such result.")
    measure = _measure_or_404(response.measure_key)
    result = selectors.result_view(
        response=response, measure=measure, previous=selectors.response_previous(response=response)
    )
    context = {"result": result, "measure": measure}
    if response.safety_level:
        context.update(_crisis_context(request.user))
    return render(request, "outcomes/member/result.html", context)


@member_only
def measure_history(request: HttpRequest, key: str) -> HttpResponse:
    measure = _measure_or_404(key)
    responses = selectors.history(member=request.user, measure_key=measure.key)
    rows = []
    previous = None
    for response in responses:
        rows.append(selectors.result_view(response=response, measure=measure, previous=previous))
        previous = response
    rows.reverse()
    chart = charts.history_chart(measure, responses) if responses else None
    return render(request, "outcomes/member/history.html", {"measure": measure, "rows": rows, "chart": chart})


@member_only
@require_http_methods(["GET", "POST"])
def reminder_settings(request: HttpRequest) -> HttpResponse:
    pref = selectors.reminder_preference_for(member=request.user)
    current = str(pref.interval_days) if pref.enabled else REMINDER_OFF
    if request.method == "POST":
        form = ReminderForm(request.POST)
        if form.is_valid():
            enabled, days = form.enabled_and_days(
                pref.interval_days or MeasureReminderPreference.DEFAULT_INTERVAL_DAYS
            )
            services.reminder_preference_update(member=request.user, enabled=enabled, interval_days=days)
            messages.success(
                request,
                "Saved. We'll invite you gently when it's time."
                if enabled
                else "Saved. We won't send reminders.",
            )
            return redirect("outcomes:checkins")
        status = 400
    else:
        form = ReminderForm(initial={"interval": current})
        status = 200
    return render(request, "outcomes/member/reminders.html", {"form": form, "pref": pref}, status=status)


@member_only
@require_http_methods(["GET", "POST"])
def exit_survey(request: HttpRequest, trigger: str) -> HttpResponse:
    """ "What would have helped?": offered once when a member returns after a long break, and
    when a member leaves (linked from the deactivation flow)."""
    if trigger not in ExitSurveyTrigger.values:
        raise Http404("No such survey.")
    absent_since = None
    if trigger == ExitSurveyTrigger.RETURN:
        absent_since = selectors.return_prompt_absence(member=request.user)
        if absent_since is None:
            return redirect("outcomes:checkins")
    if request.method == "POST":
        skipped = "skip" in request.POST
        form = ExitSurveyForm(request.POST)
        if skipped or form.is_valid():
            data = form.cleaned_data if not skipped else {}
            services.exit_survey_answer(
                member=request.user,
                trigger=trigger,
                answer=data.get("answer", ""),
                choice=data.get("choice", ""),
                skipped=skipped,
                absent_since=absent_since,
            )
            if trigger == ExitSurveyTrigger.RETURN:
                messages.success(
                    request,
                    "Welcome back. We're glad you're here." if skipped else "Thank you. Welcome back.",
                )
                return redirect("outcomes:checkins")
            return render(request, "outcomes/member/exit_survey_done.html", {"skipped": skipped})
        status = 400
    else:
        form = ExitSurveyForm()
        status = 200
    return render(
        request,
        "outcomes/member/exit_survey.html",
        {"form": form, "trigger": trigger, "is_return": trigger == ExitSurveyTrigger.RETURN},
        status=status,
    )
