"""Two members, two browsers: a reply appears live on the other member's open thread page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from community import services
from community.models import Post, Space
from tests.browser.helpers import shot
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def signed_in_page(browser, live_url: str, user):
    """A fresh browser context carrying the user's session cookie (the login form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context = browser.new_context(base_url=live_url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_url}])
    return context, context.new_page()


def test_reply_appears_live_on_the_other_members_open_thread(chromium_browser, live_url):
    space = Space.objects.create(slug="low-mood", name="Low mood", description="Days that feel heavy.")
    author = UserFactory(pseudonym="GentleOtter")
    helper = UserFactory(pseudonym="BraveHeron")
    thread = services.thread_create(
        author=author, space=space, title="Struggling to get up", body="Mornings are the hardest part."
    )
    thread_url = reverse("community:thread-detail", args=[thread.pk])

    author_context, author_page = signed_in_page(chromium_browser, live_url, author)
    helper_context, helper_page = signed_in_page(chromium_browser, live_url, helper)
    try:
        author_page.goto(thread_url)
        author_page.wait_for_selector("body[data-live-state=watching]")
        author_page.evaluate("window.__notReloaded = true")
        assert author_page.locator("article.post").count() == 1
        shot(author_page, "a-before")

        helper_page.goto(thread_url)
        helper_page.get_by_label("Your reply").fill("Same here. A small walk **before** breakfast helps me.")
        helper_page.get_by_role("button", name="Post reply").click()
        helper_page.wait_for_load_state()
        reply = Post.objects.get(thread=thread, author=helper)
        assert helper_page.locator(f"#post-{reply.pk}").is_visible()
        shot(helper_page, "b-replied")

        new_post = author_page.locator(f"#post-{reply.pk}")
        new_post.wait_for(state="visible")
        assert "A small walk before breakfast helps me." in new_post.inner_text()
        assert new_post.locator("strong", has_text="before").count() == 1  # rendered Markdown, same partial
        assert author_page.evaluate("window.__notReloaded") is True
        assert author_page.locator("article.post").count() == 2
        announcer = author_page.locator("#live-announcer")
        author_page.wait_for_function(
            "document.getElementById('live-announcer').textContent.length > 0", timeout=5_000
        )
        assert announcer.text_content() == "New reply from BraveHeron"
        assert announcer.get_attribute("aria-live") == "polite"
        badge = author_page.locator("#notif-count")
        if badge.count():
            author_page.wait_for_selector("#notif-count[data-unread-count='1']")
            assert re.match(r"^1\b", badge.text_content())
        shot(author_page, "a-sees-reply")
    finally:
        author_context.close()
        helper_context.close()


def test_thread_page_works_without_javascript(chromium_browser, live_url):
    space = Space.objects.create(slug="carers", name="Carers")
    author = UserFactory(pseudonym="QuietLark")
    thread = services.thread_create(author=author, space=space, title="Caring for mum", body="Long week.")
    context = chromium_browser.new_context(base_url=live_url, java_script_enabled=False)
    client = Client()
    client.force_login(author)
    name = django_settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_url}])
    page = context.new_page()
    try:
        page.goto(reverse("community:thread-detail", args=[thread.pk]))
        assert page.locator("body[data-live-url]").count() == 1  # the hook is there, unused
        page.get_by_label("Your reply").fill("Adding an update without JavaScript.")
        page.get_by_role("button", name="Post reply").click()
        page.wait_for_load_state()
        assert page.get_by_text("Adding an update without JavaScript.").is_visible()
        assert page.locator("#live-announcer").count() == 0
        shot(page, "no-js")
    finally:
        context.close()
