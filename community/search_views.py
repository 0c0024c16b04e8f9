"""The server-rendered search page: ``/search/?q=...&space=...&from=...&to=...``.

Works without JavaScript (a GET form). Signed-in forum participants only; commissioners get 403
as on every forum page. Results come from ``community.search.search_posts``, which searches only
what the searcher may see; snippets are escaped there and carry only ``<mark>``.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from community import permissions, search, selectors
from community.models import Space


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search for",
        max_length=search.MAX_QUERY_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    space = forms.ChoiceField(label="In space", required=False)

    def __init__(self, *args, spaces: list[Space], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["space"].choices = [("", "All spaces"), *((space.slug, space.name) for space in spaces)]
        # "from" and "to" are the public parameter names (and Python keywords).
        for name, label in (("from", "From"), ("to", "To")):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            self.add_error("to", "The end date is before the start date.")
        return cleaned


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    permissions.check_access_forums(request.user)
    spaces = selectors.space_list(actor=request.user)
    form = SearchForm(request.GET, spaces=spaces)
    context = {"form": form, "page": None, "query": "", "next_url": None}
    status = 200
    if not form.is_valid():
        status = 400
        # A space the searcher may not see is not offered as a choice, so it lands here too;
        # say why, like the space page would.
        slug = request.GET.get("space", "")
        if slug and "space" in form.errors:
            try:
                selectors.space_get(actor=request.user, slug=slug)
            except Space.DoesNotExist as exc:
                raise Http404("No such space.") from exc
    else:
        data = form.cleaned_data
        query = data["q"].strip()
        context["query"] = query
        if query:
            space = next((sp for sp in spaces if sp.slug == data["space"]), None)
            filters = search.SearchFilters(
                query=query, space=space, date_from=data["from"], date_to=data["to"]
            )
            page = search.search_posts(actor=request.user, filters=filters, cursor=request.GET.get("after"))
            context["page"] = page
            if page.next_cursor:
                params = request.GET.copy()
                params["after"] = page.next_cursor
                context["next_url"] = f"?{params.urlencode()}"
    context["full_text"] = search.uses_full_text()
    return render(request, "community/search.html", context, status=status)
