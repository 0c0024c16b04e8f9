"""The member's check-ins and self-assessments; see outcomes/urls.py."""

from django.urls import path

from outcomes import member_views as views

urlpatterns = [
    path("checkins/", views.checkins_home, name="checkins"),
    path("checkins/mood/", views.mood_checkin, name="mood-checkin"),
    path("checkins/mood/<int:pk>/", views.mood_support, name="mood-support"),
    path("checkins/reminders/", views.reminder_settings, name="reminders"),
    path("checkins/measures/<slug:key>/", views.measure_take, name="measure-take"),
    path("checkins/measures/<slug:key>/history/", views.measure_history, name="measure-history"),
    path("checkins/results/<int:pk>/", views.measure_result, name="measure-result"),
    path("checkins/survey/<slug:trigger>/", views.exit_survey, name="exit-survey"),
]
