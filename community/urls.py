from django.urls import path

from community import views

app_name = "community"

urlpatterns = [
    path("spaces/", views.space_list, name="space-list"),
    path("spaces/<slug:slug>/", views.space_detail, name="space-detail"),
    path("threads/<int:pk>/", views.thread_detail, name="thread-detail"),
    path("threads/<int:pk>/follow/", views.thread_follow, name="thread-follow"),
    path("threads/<int:pk>/unfollow/", views.thread_unfollow, name="thread-unfollow"),
    path("posts/<int:pk>/", views.post_jump, name="post-jump"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post-edit"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post-delete"),
    path("posts/<int:pk>/react/", views.post_react, name="post-react"),
    path("posts/<int:pk>/unreact/", views.post_unreact, name="post-unreact"),
    path("unanswered/", views.unanswered, name="unanswered"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("me/posts/", views.my_posts, name="my-posts"),
    path("me/forum-settings/", views.forum_settings, name="forum-settings"),
    path("members/<int:pk>/<str:action>/", views.member_control, name="member-control"),
]
