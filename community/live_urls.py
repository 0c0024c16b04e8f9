"""HTTP endpoints behind live updates (included under ``live/`` in config/urls.py)."""

from django.urls import path

from community import live_views

app_name = "live"

urlpatterns = [
    path("threads/<int:thread_id>/posts/", live_views.thread_posts, name="thread-posts"),
    path("unread-count/", live_views.unread_count, name="unread-count"),
]
