"""Forms for the member's check-ins and self-assessments (built from the measure definitions)."""

from __future__ import annotations

from django import forms

from outcomes.measures.definitions import Measure
from outcomes.measures.services import ANSWER_MAX, NOTE_MAX, REMINDER_INTERVAL_CHOICES
from outcomes.models import ExitSurveyChoice

MOOD_CHOICES = [
    (1, "Very low"),
    (2, "Low"),
    (3, "Okay"),
    (4, "Good"),
    (5, "Very good"),
]
REMINDER_OFF = "off"
INTERVAL_LABELS = {7: "Every week", 14: "Every two weeks", 28: "Every four weeks", 56: "Every eight weeks"}


class MeasureForm(forms.Form):
    """One radio group per item; every item must be answered with one of its options."""

    def __init__(self, *args, measure: Measure, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.measure = measure
        for item in measure.items:
            self.fields[self.field_name(item.number)] = forms.TypedChoiceField(
                label=item.text,
                choices=[(option.value, option.label) for option in item.options],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Please choose an answer for question {item.number}.",
                    "invalid_choice": f"Please choose one of the answers for question {item.number}.",
                },
            )

    @staticmethod
    def field_name(number: int) -> str:
        return f"item_{number}"

    def answers(self) -> list[int]:
        return [self.cleaned_data[self.field_name(item.number)] for item in self.measure.items]

    def partial_answers(self) -> dict[int, int]:
        """The answers that were valid, by item number, on a form that may be incomplete."""
        data = getattr(self, "cleaned_data", {})
        return {
            item.number: data[self.field_name(item.number)]
            for item in self.measure.items
            if self.field_name(item.number) in data
        }

    def items_with_fields(self):
        for item in self.measure.items:
            yield item, self[self.field_name(item.number)]


class MoodCheckInForm(forms.Form):
    mood = forms.TypedChoiceField(
        label="How are you feeling right now?",
        choices=MOOD_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you are feeling, from very low to very good."},
    )
    note = forms.CharField(
        label="A few words, if you like",
        required=False,
        help_text="Private: other members never see it. If it sounds like you may be in danger, "
        "our safety team will see it so they can help.",
        max_length=NOTE_MAX,
        widget=forms.TextInput(attrs={"maxlength": NOTE_MAX, "autocomplete": "off"}),
    )


class ReminderForm(forms.Form):
    interval = forms.ChoiceField(
        label="Invite me to retake my check-ins",
        choices=[(str(days), INTERVAL_LABELS[days]) for days in REMINDER_INTERVAL_CHOICES]
        + [(REMINDER_OFF, "Never: I'll come back when I want to")],
        widget=forms.RadioSelect,
    )

    def enabled_and_days(self, default_days: int) -> tuple[bool, int]:
        value = self.cleaned_data["interval"]
        if value == REMINDER_OFF:
            return False, default_days
        return True, int(value)


class ExitSurveyForm(forms.Form):
    answer = forms.CharField(
        label="What would have helped?",
        required=False,
        max_length=ANSWER_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": ANSWER_MAX}),
        help_text="Anything at all. Only the Kindred team reads it; other members never see it.",
    )
    choice = forms.ChoiceField(
        label="Or choose what fits best (optional)",
        required=False,
        choices=ExitSurveyChoice.choices,
        widget=forms.RadioSelect,
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("answer") or "").strip() and not data.get("choice"):
            raise forms.ValidationError("Write a few words or choose an option, or use “Skip” instead.")
        return data
