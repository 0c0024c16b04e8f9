"""Moderation pages. Include from config/urls.py:  path("", include("moderation.urls")),"""

from django.urls import path

from moderation import views

app_name = "moderation"

urlpatterns = [
    path("guide/dashboard/", views.dashboard, name="dashboard"),
    path("guide/queue/", views.queue, name="queue"),
    path("guide/queue/list/", views.queue_fragment, name="queue-fragment"),
    path("guide/queue/claim-next/", views.claim_next, name="claim-next"),
    path("guide/queue/release-expired/", views.release_expired, name="release-expired"),
    path("guide/items/<int:pk>/", views.item_detail, name="item"),
    path("guide/items/<int:pk>/<slug:action>/", views.item_action, name="item-action"),
    path("guide/members/<int:pk>/", views.member_standing, name="member"),
    path("guide/sanctions/<int:pk>/lift/", views.sanction_lift, name="sanction-lift"),
    path("guide/posts/<int:pk>/restore/", views.post_restore, name="post-restore"),
    path("guide/watched-words/", views.watched_words, name="watched-words"),
    path("guide/watched-words/<int:pk>/toggle/", views.watched_word_toggle, name="watched-word-toggle"),
    path("guide/audit/", views.audit_log, name="audit-log"),
    path("posts/<int:pk>/report/", views.flag_post, name="flag-post"),
    path("me/moderation-messages/", views.member_messages, name="messages"),
    path("me/reports/", views.my_reports, name="my-reports"),
]
