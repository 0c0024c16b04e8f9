"""escalation's public services for the apps above it: a guide refers a post's author to the
clinicians (``case_open_for_post``); concerns that are not posts (``member_concern_raise``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from escalation import services
from escalation.models import Alert, CaseEvent, CrisisCase, MemberConcern, RiskAssessment
from tests.escalation.conftest import HIGH_TEXT, IMMINENT_TEXT

pytestmark = pytest.mark.django_db


def reply(thread, author, body):
    from community import services as community_services

    return community_services.post_create(author=author, thread=thread, body=body)


def test_guide_referral_opens_a_case_alerts_on_duty_and_links_the_post(
    thread, other_member, guide, rota, primary
):
    post = reply(thread, other_member, HIGH_TEXT)
    case = services.case_open_for_post(post=post, actor=guide, reason="Talks about a method now")
    assert case.member == other_member
    assert case.level == "high"
    opened = CaseEvent.objects.get(case=case, kind="opened")
    assert opened.actor == guide
    assert opened.text == "Talks about a method now"
    assert opened.data["post_id"] == post.pk
    assert opened.data["referred_by"] == "guide"
    assessment = RiskAssessment.objects.get(post=post)
    assert assessment.case == case  # the clinician reads the post on the case page
    assert Alert.objects.filter(case=case, recipient=primary).exists()


def test_referral_joins_an_open_case_with_a_timeline_entry(thread, other_member, guide, rota):
    first = reply(thread, other_member, IMMINENT_TEXT)
    services.post_assess(post_id=first.pk)
    case = CrisisCase.objects.get(member=other_member)
    second = reply(thread, other_member, "Still here. Thanks for the replies.")
    joined = services.case_open_for_post(post=second, actor=guide, reason="Follow-up post")
    assert joined == case
    assert CrisisCase.objects.count() == 1
    linked = CaseEvent.objects.filter(case=case, kind="post_linked").get()
    assert linked.actor == guide
    assert linked.data["post_id"] == second.pk


@pytest.mark.parametrize("who", ["member", "commissioner"])
def test_members_and_commissioners_cannot_refer(request, thread, other_member, who):
    post = reply(thread, other_member, HIGH_TEXT)
    with pytest.raises(PermissionDenied):
        services.case_open_for_post(post=post, actor=request.getfixturevalue(who), reason="x")
    assert not CrisisCase.objects.exists()


def test_referral_needs_a_reason(thread, other_member, guide):
    post = reply(thread, other_member, HIGH_TEXT)
    with pytest.raises(ValidationError):
        services.case_open_for_post(post=post, actor=guide, reason="  ")
    assert not CrisisCase.objects.exists()
    assert not CaseEvent.objects.exists()


def test_concern_raise_records_and_opens_the_case_for_imminent(member, rota, primary):
    concern = services.member_concern_raise(
        member=member, level="imminent", source="self_assessment", summary="PHQ-9 item 9: nearly every day"
    )
    assert MemberConcern.objects.get(pk=concern.pk).case.member == member
    assert Alert.objects.filter(case=concern.case, recipient=primary).exists()


def test_case_page_shows_a_self_assessment_concern_in_what_the_member_wrote(client, member, rota, primary):
    from django.urls import reverse

    concern = services.member_concern_raise(
        member=member, level="imminent", source="self_assessment", summary="PHQ-9 item 9: nearly every day"
    )
    client.force_login(primary)
    page = client.get(reverse("escalation:case-detail", args=[concern.case_id])).content.decode()
    wrote = page[page.index('id="posts-title"') :]
    wrote = wrote[: wrote.index("</section>")]
    assert "Not a post: a self-assessment" in wrote
    assert "PHQ-9 item 9: nearly every day" in wrote


def test_a_referral_is_not_lost_when_triage_fails_on_an_unscreened_post(
    thread, other_member, guide, rota, settings
):

    post = reply(thread, other_member, "Not sure anyone will read this.")
    RiskAssessment.objects.filter(post=post).delete()
    settings.ESCALATION_TRIAGE_ENGINE = "escalation.does_not_exist.assess"
    case = services.case_open_for_post(post=post, actor=guide, reason="Worried by their earlier posts")
    assert case.level == "high"
    assert CaseEvent.objects.get(case=case, kind="opened").text == "Worried by their earlier posts"
