from django.urls import path

from accounts import views, views_safety

urlpatterns = [
    path("", views.landing, name="landing"),
    path("home/", views.home, name="home"),
    path("member/", views.member_home, name="member_home"),
    path("commissioner/", views.commissioner_home, name="commissioner_home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("account/settings/", views.account_settings, name="account_settings"),
    path("account/close/", views.account_deactivate, name="account_deactivate"),
    path("account/closed/", views.account_deactivated, name="account_deactivated"),
    path("account/safety-contact/", views_safety.safety_contact, name="safety_contact"),
    path("guidelines/", views.guidelines, name="guidelines"),
    path("privacy/", views.privacy_notice, name="privacy_notice"),
]
