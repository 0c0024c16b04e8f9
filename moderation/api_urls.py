"""URLs of the moderation API. Include from config/urls.py:
path("api/v1/moderation/", include("moderation.api_urls")),"""

from django.urls import path

from moderation import api

app_name = "moderation-api"

urlpatterns = [
    path("queue/", api.QueueView.as_view(), name="queue"),
    path("items/<int:pk>/", api.ItemDetailView.as_view(), name="item"),
    *[path(f"items/<int:pk>/{name}/", view, name=f"item-{name}") for name, view in api.ACTION_VIEWS.items()],
    path("posts/<int:pk>/flags/", api.FlagCreateView.as_view(), name="post-flag"),
]
