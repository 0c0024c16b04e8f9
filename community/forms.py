"""Forms for the server-rendered pages. Length rules live in services (one source of messages)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from community import services
from community.models import ReactionKind

BODY_HELP = (
    "You can use Markdown: **bold**, *italic*, [links](https://example.org), lists and quotes. "
    "Images and HTML are not shown."
)


def _run(cleaner, value: str, field: str) -> str:
    try:
        return cleaner(value)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict[field]) from exc


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        required=False,
        strip=False,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": services.BODY_MAX}),
    )

    def clean_body(self) -> str:
        return _run(services.clean_body, self.cleaned_data.get("body", ""), "body")


class ThreadForm(ReplyForm):
    title = forms.CharField(
        label="Title",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": services.TITLE_MAX}),
    )
    field_order = ["title", "body"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "What's on your mind?"

    def clean_title(self) -> str:
        return _run(services.clean_title, self.cleaned_data.get("title", ""), "title")


class PostEditForm(ReplyForm):
    def __init__(self, *args, with_title: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Your post"
        if with_title:
            self.fields["title"] = forms.CharField(
                label="Title",
                required=False,
                strip=False,
                widget=forms.TextInput(attrs={"maxlength": services.TITLE_MAX}),
            )
            self.order_fields(["title", "body"])

    def clean_title(self) -> str:
        return _run(services.clean_title, self.cleaned_data.get("title", ""), "title")


class ReactionForm(forms.Form):
    kind = forms.ChoiceField(choices=ReactionKind.choices)


class ForumSettingsForm(forms.Form):
    email_digest = forms.BooleanField(
        label="Email me a short summary of unread notifications (counts only, never post text)",
        required=False,
    )
