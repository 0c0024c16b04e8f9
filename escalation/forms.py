from django import forms

from escalation.models import CaseOutcome


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message to the member",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Leave empty to send the standard check-in message.",
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=CaseOutcome.choices)
    note = forms.CharField(
        label="Closing note", max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason", min_length=10, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
