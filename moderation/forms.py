"""Forms for moderation pages. Rules and messages live in services; these only shape input."""

from __future__ import annotations

from django import forms

from moderation.models import FlagReason, MatchKind, WatchedAction
from moderation.services import HIDE_REASON_CHOICES, MAX_SUSPENSION_DAYS


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label="What's wrong with this post?", choices=FlagReason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Anything a guide should know? (optional, except for “something else”)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )


class HideForm(forms.Form):
    reason_key = forms.ChoiceField(label="Why hide it?", choices=HIDE_REASON_CHOICES)
    note = forms.CharField(
        label="A personal note to the author (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RedactForm(forms.Form):
    body = forms.CharField(
        label="The post without the identifying details", widget=forms.Textarea(attrs={"rows": 6})
    )
    reason = forms.CharField(label="What was removed (the author sees this)", max_length=500)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SuspendForm(ReasonForm):
    days = forms.IntegerField(label="Days", min_value=1, max_value=MAX_SUSPENSION_DAYS, initial=7)


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Private note (staff only)", max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class WatchedWordForm(forms.Form):
    pattern = forms.CharField(label="Word, phrase or pattern", max_length=300)
    match = forms.ChoiceField(label="Match as", choices=MatchKind.choices)
    action = forms.ChoiceField(label="When a post matches", choices=WatchedAction.choices)
