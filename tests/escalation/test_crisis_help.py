"""The "Need help now?" page."""

import copy

import pytest
from django.urls import reverse

from escalation import signposting
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HELP = "/help/"


def test_url_name():
    assert reverse("crisis-help") == HELP


def test_anonymous_visitor_sees_the_default_region_and_the_disclaimer(client):
    response = client.get(HELP)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kindred is not an emergency service. If you are in immediate danger, call 999 now." in html
    assert 'href="tel:999"' in html
    assert 'href="tel:116123"' in html
    assert 'href="sms:85258?body=SHOUT"' in html
    assert "Talk to someone now in United Kingdom" in html


def test_logged_in_member_sees_their_own_region(client):
    client.force_login(UserFactory(region="IE"))
    html = client.get(HELP).content.decode()
    assert "call 112 now" in html
    assert "116 123" in html
    assert 'href="tel:116123"' in html
    assert "Talk to someone now in Ireland" in html


def test_member_can_look_at_another_region_without_changing_their_own(client):
    member = UserFactory(region="IE")
    client.force_login(member)
    html = client.get(HELP, {"region": "AU"}).content.decode()
    assert "call 000 now" in html
    assert 'href="tel:131114"' in html
    member.refresh_from_db()
    assert member.region == "IE"
    assert "call 112 now" in client.get(HELP).content.decode()


def test_anonymous_choice_is_shown_and_remembered_in_the_session(client):
    html = client.get(HELP, {"region": "us"}).content.decode()
    assert "call 911 now" in html
    assert 'href="sms:741741?body=HOME"' in html
    assert client.session[signposting.SESSION_KEY] == "US"
    # Later visits without a choice, and the footer on other pages, use the remembered region.
    assert "call 911 now" in client.get(HELP).content.decode()


def test_unknown_region_falls_back_with_a_clear_message(client):
    response = client.get(HELP, {"region": "<b>ZZ</b>"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "have crisis numbers for “&lt;B&gt;ZZ&lt;/B” yet" in html  # trimmed and escaped
    assert "<B>ZZ" not in html
    assert 'role="alert"' in html
    assert "call 999 now" in html
    assert "findahelpline.com" in html
    assert signposting.SESSION_KEY not in client.session


def test_every_other_region_is_listed_with_tappable_numbers(client):
    html = client.get(HELP, {"region": "GB"}).content.decode()
    for code, number in [("IE", "112"), ("US", "911"), ("CA", "911"), ("AU", "000"), ("NZ", "111")]:
        region = signposting.resources_for(code).region
        assert f"{region.name}: emergency {number}" in html
        assert f'href="tel:{number}"' in html
    assert 'href="tel:0800543354"' in html


def test_region_chooser_is_a_labelled_get_form(client):
    html = client.get(HELP, {"region": "NZ"}).content.decode()
    assert '<form method="get" action="/help/"' in html
    assert '<label for="region-select">' in html
    assert '<option value="NZ" selected>' in html


def test_help_is_not_cached_and_only_answers_get(client):
    response = client.get(HELP)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert client.post(HELP).status_code == 405


CRISIS_PROCESSOR = "escalation.context_processors.crisis"


def test_crisis_context_processor_is_enabled(settings):
    # Without it the footer says "your local emergency number" instead of the number itself.
    assert CRISIS_PROCESSOR in settings.TEMPLATES[0]["OPTIONS"]["context_processors"]


@pytest.fixture
def crisis_processor(settings):
    templates = copy.deepcopy(settings.TEMPLATES)
    processors = templates[0]["OPTIONS"]["context_processors"]
    if CRISIS_PROCESSOR not in processors:
        processors.append(CRISIS_PROCESSOR)
    settings.TEMPLATES = templates


def _footer(html):
    return html.split('<footer class="site-footer">', 1)[1]


@pytest.mark.usefixtures("crisis_processor")
def test_every_page_footer_gives_the_members_emergency_number(client):
    client.force_login(UserFactory(region="IE"))
    footer = _footer(client.get("/").content.decode())
    assert 'call <a href="tel:112">112</a> now' in footer


@pytest.mark.usefixtures("crisis_processor")
def test_footer_follows_an_anonymous_visitors_chosen_region(client):
    assert 'href="tel:999"' in _footer(client.get("/").content.decode())
    client.get(HELP, {"region": "NZ"})
    assert 'call <a href="tel:111">111</a> now' in _footer(client.get("/").content.decode())
    client.get(HELP, {"region": "nowhere"})  # an unknown choice does not overwrite a good one
    assert 'href="tel:111"' in _footer(client.get("/").content.decode())
