from django.urls import path

from escalation import views

urlpatterns = [
    path("help/", views.crisis_help, name="crisis-help"),
]
