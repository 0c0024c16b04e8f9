"""The member's own safety contact page (URL name ``safety_contact``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.models import SafetyContact
from accounts.safety import SafetyContactForm, safety_contact_set


@login_required
@never_cache
def safety_contact(request: HttpRequest) -> HttpResponse:
    contact = SafetyContact.objects.filter(user=request.user).first()
    status = 200
    if request.method == "POST":
        form = SafetyContactForm(request.POST)
        if form.is_valid():
            safety_contact_set(user=request.user, **form.cleaned_data)
            messages.success(request, "Saved. Only a clinician helping you in a crisis can open it.")
            return redirect("safety_contact")
        status = 400
    else:
        initial = (
            {"phone": contact.phone, "email": contact.email, "location": contact.location} if contact else {}
        )
        form = SafetyContactForm(initial=initial)
    return render(request, "accounts/safety_contact.html", {"form": form, "contact": contact}, status=status)
