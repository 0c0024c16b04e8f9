"""The member's check-in pages: role access, forms that refuse bad input and change nothing, the
result page (band, reliable change, crisis resources for item 9), history chart and table, query
budgets, reminders, and the exit survey."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation import signposting
from escalation.models import MemberConcern
from outcomes.measures import services
from outcomes.models import ExitSurveyAnswer, MeasureReminderPreference, MeasureResponse, MoodCheckIn

pytestmark = pytest.mark.django_db

CALM = [0, 1, 0, 1, 0, 1, 0, 1, 0]
PROMPT = 'id="welcome-back-heading"'


def post_measure(client, key: str, answers: list) -> object:
    data = {f"item_{i}": value for i, value in enumerate(answers, start=1) if value is not None}
    return client.post(reverse("outcomes:measure-take", args=[key]), data)


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def pages(member):
    response = services.response_submit(member=member, measure_key="phq9", answers=CALM)
    return [
        reverse("outcomes:checkins"),
        reverse("outcomes:measure-take", args=["phq9"]),
        reverse("outcomes:measure-history", args=["phq9"]),
        reverse("outcomes:measure-result", args=[response.pk]),
        reverse("outcomes:reminders"),
        reverse("outcomes:exit-survey", args=["deactivation"]),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, member):
    for url in pages(member):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


@pytest.mark.parametrize("role", ["guide", "clinician", "commissioner", "admin_user"])
def test_other_roles_are_refused(client, member, role, request):
    urls = pages(member)
    client.force_login(request.getfixturevalue(role))
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("outcomes:mood-checkin"), {"mood": 3}).status_code == 403
    assert post_measure(client, "phq9", CALM).status_code == 403
    assert MoodCheckIn.objects.count() == 0
    assert MeasureResponse.objects.count() == 1


def test_member_sees_every_page(member_client, member):
    for url in pages(member):
        assert member_client.get(url).status_code == 200, url


def test_a_member_never_sees_another_members_result(member_client, other_member):
    theirs = services.response_submit(member=other_member, measure_key="phq9", answers=CALM)
    assert member_client.get(reverse("outcomes:measure-result", args=[theirs.pk])).status_code == 404


def test_unknown_measure_is_404(member_client):
    assert member_client.get(reverse("outcomes:measure-take", args=["nope"])).status_code == 404
    assert member_client.get(reverse("outcomes:measure-history", args=["nope"])).status_code == 404


def test_the_measure_form_has_a_fieldset_of_radios_per_item(member_client):
    html = member_client.get(reverse("outcomes:measure-take", args=["phq9"])).content.decode()
    assert html.count('<fieldset class="question"') == 9
    assert html.count('type="radio"') == 36
    assert "Thoughts that you would be better off dead" in html


def test_taking_a_measure_shows_the_band_in_plain_words(member_client, member):
    response = post_measure(member_client, "phq9", [2, 2, 2, 1, 1, 1, 1, 0, 0])
    saved = MeasureResponse.objects.get(member=member)
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:measure-result", args=[saved.pk])
    page = member_client.get(response["Location"]).content.decode()
    assert "Low mood that is affecting you" in page
    assert "Your score: <strong>10</strong> out of 27" in page
    assert "This is your first PHQ-9" in page
    assert "danger-box" not in page


@pytest.mark.parametrize(
    ("answers", "error"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, None], "Please choose an answer for question 9."),
        ([None] * 9, "Please choose an answer for question 1."),
        ([0, 0, 0, 7, 0, 0, 0, 0, 0], "Please choose one of the answers for question 4."),
        ([0, 0, "x", 0, 0, 0, 0, 0, 0], "Please choose one of the answers for question 3."),
    ],
)
def test_a_missing_or_out_of_range_answer_is_a_form_error_and_saves_nothing(member_client, answers, error):
    response = post_measure(member_client, "phq9", answers)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert "Nothing has been saved yet" in response.content.decode()
    assert MeasureResponse.objects.count() == 0
    assert MemberConcern.objects.count() == 0


def test_reliable_change_against_the_previous_result(member_client, member):
    services.response_submit(
        member=member,
        measure_key="phq9",
        answers=[2, 2, 2, 2, 2, 2, 2, 2, 0],
        now=timezone.now() - timedelta(days=14),
    )
    post_measure(member_client, "phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0])  # 16 -> 8
    latest = MeasureResponse.objects.filter(member=member).first()
    page = member_client.get(reverse("outcomes:measure-result", args=[latest.pk])).content.decode()
    assert "Your score went from 16 to 8 (-8)" in page
    assert "reliable improvement" in page


def test_item_9_shows_crisis_resources_for_the_members_region_at_once(
    member_client, member, django_capture_on_commit_callbacks
):
    member.region = "IE"
    member.save(update_fields=["region"])
    with django_capture_on_commit_callbacks(execute=True):
        response = post_measure(member_client, "phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    page = member_client.get(response["Location"]).content.decode()
    region = signposting.resources_for("IE").region
    assert "danger-box" in page
    assert f"call {region.emergency.number}" in page
    for resource in region.resources:
        if resource.is_crisis_line:
            assert resource.name in page
            assert resource.contacts[0].href in page
    assert page.index("danger-box") < page.index("Your mood result")  # before the score
    assert MemberConcern.objects.get().level == "moderate"


def test_history_page_has_an_svg_chart_and_a_table(member_client, member):
    start = timezone.now() - timedelta(days=60)
    for weeks, answers in enumerate([[3] * 8 + [0], [2] * 8 + [0], [1] * 8 + [0]]):
        services.response_submit(
            member=member, measure_key="phq9", answers=answers, now=start + timedelta(weeks=2 * weeks)
        )
    page = member_client.get(reverse("outcomes:measure-history", args=["phq9"])).content.decode()
    assert '<svg class="chart"' in page
    assert page.count("<circle") == 3
    assert "<polyline" in page
    assert page.count("<rect") == 5  # one shaded band per PHQ-9 band
    assert "<table" in page
    for total in ("24", "16", "8"):
        assert f"<td>{total}</td>" in page
    assert "-8: reliable improvement" in page


def test_history_page_query_count_does_not_grow(member_client, member, django_assert_max_num_queries):
    url = reverse("outcomes:measure-history", args=["phq9"])
    services.response_submit(member=member, measure_key="phq9", answers=CALM)
    with django_assert_max_num_queries(5) as few:  # session, user, responses, unread badge (+1 spare)
        member_client.get(url)
    start = timezone.now() - timedelta(days=400)
    for n in range(30):
        services.response_submit(
            member=member, measure_key="phq9", answers=CALM, now=start + timedelta(days=7 * n)
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert member_client.get(url).status_code == 200


def test_home_query_count_does_not_grow(member_client, member, django_assert_max_num_queries):
    url = reverse("outcomes:checkins")
    services.response_submit(member=member, measure_key="phq9", answers=CALM)
    with django_assert_max_num_queries(8) as few:  # 6 measured; the return prompt adds 2 after a break
        member_client.get(url)
    for n in range(10):
        services.response_submit(member=member, measure_key="gad7", answers=[1] * 7)
        services.mood_checkin_record(member=member, mood=1 + n % 5)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert member_client.get(url).status_code == 200


def test_mood_checkin_page(member_client, member):
    response = member_client.post(reverse("outcomes:mood-checkin"), {"mood": "4", "note": "Slept better"})
    assert response.status_code == 302
    assert MoodCheckIn.objects.get(member=member).note == "Slept better"
    page = member_client.get(reverse("outcomes:checkins")).content.decode()
    assert "4 of 5 · Slept better" in page


@pytest.mark.parametrize("data", [{}, {"mood": "9"}, {"mood": "0"}, {"mood": "3", "note": "x" * 281}])
def test_bad_mood_checkin_is_a_form_error(member_client, data):
    response = member_client.post(reverse("outcomes:mood-checkin"), data)
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert MoodCheckIn.objects.count() == 0


def test_mood_checkin_is_post_only(member_client):
    assert member_client.get(reverse("outcomes:mood-checkin")).status_code == 405


def test_reminder_settings(member_client, member):
    url = reverse("outcomes:reminders")
    assert member_client.post(url, {"interval": "28"}).status_code == 302
    assert MeasureReminderPreference.objects.get(member=member).interval_days == 28
    assert member_client.post(url, {"interval": "off"}).status_code == 302
    pref = MeasureReminderPreference.objects.get(member=member)
    assert (pref.enabled, pref.interval_days) == (False, 28)
    assert member_client.post(url, {"interval": "3"}).status_code == 400
    assert member_client.post(url, {}).status_code == 400
    assert MeasureReminderPreference.objects.get(member=member).enabled is False


def test_deactivation_survey(member_client, member):
    url = reverse("outcomes:exit-survey", args=["deactivation"])
    assert member_client.post(url, {}).status_code == 400
    assert member_client.post(url, {"choice": "bored"}).status_code == 400
    assert ExitSurveyAnswer.objects.count() == 0
    response = member_client.post(url, {"answer": "Someone to talk to at 3am", "choice": "no_replies"})
    assert response.status_code == 200
    assert "Thank you for telling us" in response.content.decode()
    saved = ExitSurveyAnswer.objects.get()
    assert (saved.trigger, saved.answer, saved.choice) == (
        "deactivation",
        "Someone to talk to at 3am",
        "no_replies",
    )


def test_unknown_survey_is_404(member_client):
    assert member_client.get(reverse("outcomes:exit-survey", args=["holiday"])).status_code == 404


def test_return_prompt_after_a_long_break_is_offered_once(member_client, member):
    member.date_joined = timezone.now() - timedelta(days=100)
    member.save(update_fields=["date_joined"])
    services.mood_checkin_record(member=member, mood=2, now=timezone.now() - timedelta(days=40))
    home = reverse("outcomes:checkins")
    assert PROMPT in member_client.get(home).content.decode()
    response = member_client.post(reverse("outcomes:exit-survey", args=["return"]), {"skip": "1"})
    assert response.status_code == 302
    assert ExitSurveyAnswer.objects.get().skipped is True
    assert PROMPT not in member_client.get(home).content.decode()
    # Nothing left to ask: the survey page sends the member home and records nothing more.
    assert member_client.get(reverse("outcomes:exit-survey", args=["return"])).status_code == 302
    assert ExitSurveyAnswer.objects.count() == 1


def test_no_return_prompt_for_an_active_member(member_client, member):
    member.date_joined = timezone.now() - timedelta(days=100)
    member.save(update_fields=["date_joined"])
    services.mood_checkin_record(member=member, mood=4, now=timezone.now() - timedelta(days=3))
    assert PROMPT not in member_client.get(reverse("outcomes:checkins")).content.decode()


def test_return_prompt_tag_for_the_member_home(rf, member, guide):
    from django.template import Context, Template

    template = Template("{% load outcomes_member %}{% return_prompt %}")
    member.date_joined = timezone.now() - timedelta(days=60)
    member.save(update_fields=["date_joined"])
    for user, shown in ((member, True), (guide, False)):
        request = rf.get("/member/")
        request.user = user
        html = template.render(Context({"request": request, "csrf_token": "token"}))
        assert (PROMPT in html) is shown
        if shown:
            assert reverse("outcomes:exit-survey", args=["return"]) in html


def test_an_invitation_shows_on_the_checkins_page(member_client, member):
    start = timezone.now() - timedelta(days=20)
    services.response_submit(member=member, measure_key="phq9", answers=CALM, now=start)
    home = reverse("outcomes:checkins")
    invitation = "a little while since your last check-in"
    assert invitation not in member_client.get(home).content.decode()
    assert services.retake_invitations_send_due() == 1
    assert invitation in member_client.get(home).content.decode()
    post_measure(member_client, "phq9", CALM)
    assert invitation not in member_client.get(home).content.decode()


def test_a_worrying_mood_note_shows_crisis_resources(member_client, member, other_member):
    response = member_client.post(
        reverse("outcomes:mood-checkin"),
        {"mood": "1", "note": "I keep thinking about killing myself lately."},
    )
    checkin = MoodCheckIn.objects.get(member=member)
    assert response["Location"] == reverse("outcomes:mood-support", args=[checkin.pk])
    page = member_client.get(response["Location"]).content.decode()
    region = signposting.resources_for(member.region).region
    assert "danger-box" in page
    assert f"call {region.emergency.number}" in page
    assert "A member of our safety team will read your note" in page
    theirs = services.mood_checkin_record(member=other_member, mood=3)
    assert member_client.get(reverse("outcomes:mood-support", args=[theirs.pk])).status_code == 404


def test_an_unfinished_phq9_with_item_9_answered_shows_crisis_lines_and_raises_a_concern(client, member):
    """The member may never come back to finish: the safety answer is acted on at once."""
    from django.urls import reverse

    from escalation.models import MemberConcern
    from outcomes.models import MeasureResponse

    client.force_login(member)
    response = client.post(reverse("outcomes:measure-take", args=["phq9"]), {"item_9": "3", "item_1": "2"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "You don&#x27;t have to go through this alone" in page or "have to go through this alone" in page
    assert "Please answer every question." in page
    concern = MemberConcern.objects.get(member=member)
    assert concern.level == "imminent"
    assert concern.detail["incomplete"] is True
    assert not MeasureResponse.objects.filter(member=member).exists()


def test_an_unfinished_phq9_without_a_safety_answer_raises_nothing(client, member):
    from django.urls import reverse

    from escalation.models import MemberConcern

    client.force_login(member)
    response = client.post(reverse("outcomes:measure-take", args=["phq9"]), {"item_9": "0", "item_1": "2"})
    assert response.status_code == 400
    assert "go through this alone" not in response.content.decode()
    assert not MemberConcern.objects.exists()
