"""URLs of the forum REST API. Included by the project at ``api/v1/``."""

from django.urls import path

from community import api

app_name = "community-api"

urlpatterns = [
    path("auth/token/", api.TokenObtainView.as_view(), name="token"),
    path("spaces/", api.SpaceListView.as_view(), name="space-list"),
    path("spaces/<slug:slug>/", api.SpaceDetailView.as_view(), name="space-detail"),
    path("spaces/<slug:slug>/threads/", api.SpaceThreadsView.as_view(), name="space-threads"),
    path("threads/<int:pk>/", api.ThreadDetailView.as_view(), name="thread-detail"),
    path("threads/<int:pk>/posts/", api.ThreadPostsView.as_view(), name="thread-posts"),
    path("threads/<int:pk>/subscription/", api.ThreadSubscriptionView.as_view(), name="thread-subscription"),
    path("posts/<int:pk>/", api.PostDetailView.as_view(), name="post-detail"),
    path("posts/<int:pk>/reactions/", api.PostReactionsView.as_view(), name="post-reactions"),
    path("posts/<int:pk>/reactions/<str:kind>/", api.PostReactionDetailView.as_view(), name="post-reaction"),
    path("notifications/", api.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/unread-count/",
        api.NotificationUnreadCountView.as_view(),
        name="notification-unread-count",
    ),
    path("notifications/read/", api.NotificationMarkReadView.as_view(), name="notification-mark-read"),
    path("search/", api.SearchView.as_view(), name="search"),
]
