import pytest

from community.models import PostState
from moderation import services
from moderation.models import FlagReason, ItemStatus, ReviewItem


@pytest.mark.django_db(transaction=False)
def test_flag_claim_hide_flow(make_post, guide, member, sent_events, django_capture_on_commit_callbacks):
    post = make_post()
    with django_capture_on_commit_callbacks(execute=True):
        services.flag_create(reporter=member, post=post, reason=FlagReason.ABUSIVE)
    item = ReviewItem.objects.get(post=post)
    assert item.status == ItemStatus.OPEN
    with django_capture_on_commit_callbacks(execute=True):
        assert services.review_item_claim(item=item, actor=guide) is True
        assert services.review_item_hide(item=item, actor=guide, reason_key="abusive", note="") is True
    post.refresh_from_db()
    assert post.state == PostState.HIDDEN
