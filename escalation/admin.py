"""Django admin for escalation: triage rules (clinical leads), the rota (duty leads), and
read-only views of cases, alerts and deliveries.

Every triage rule change goes through ``escalation.services`` (validated by the engine itself,
versioned, audited with a reason); rules are never deleted, only disabled. Cases, alerts and
deliveries change only through the clinician dashboard, so they are read-only here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from escalation import permissions, services, triage
from escalation.models import (
    Alert,
    CrisisCase,
    DeliveryAttempt,
    RiskLevel,
    Shift,
    TriageRule,
    TriageRuleChange,
    TriageRuleKind,
)

# --- triage rules ---------------------------------------------------------------------------------

CATEGORY_CHOICES = [(c, c.replace("_", " ")) for c in triage.CATEGORIES] + [("idiom", "idiom")]
OPTION_FIELDS = ("person", "tense", "act", "weak", "hyperbole_ok", "subcategory")


class RuleFieldsForm(forms.Form):
    """A rule's fields, as a clinical lead writes them: one pattern a line."""

    rule_id = forms.CharField(label="Rule id", max_length=64)
    kind = forms.ChoiceField(choices=TriageRuleKind.choices)
    category = forms.ChoiceField(choices=CATEGORY_CHOICES)
    level = forms.ChoiceField(choices=RiskLevel.choices)
    patterns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One phrase a line, as members write it (spelling, spacing and digits are "
        "normalised). '*' stands for up to three words: 'going to * tonight'.",
    )
    person = forms.ChoiceField(
        choices=[(p, p) for p in triage.rules.PERSONS],
        initial="any",
        help_text="Whose risk: 'any' reads the subject from the sentence.",
    )
    tense = forms.ChoiceField(choices=[(t, t) for t in triage.rules.TENSES], initial="present")
    act = forms.BooleanField(required=False, help_text="An act: negation does not lower it.")
    weak = forms.BooleanField(
        required=False, help_text="Counts only beside other risk, a time or 'thinking about it'."
    )
    hyperbole_ok = forms.BooleanField(
        required=False, help_text="May be hyperbole: laughter or a trivial context silences it."
    )
    subcategory = forms.CharField(required=False, max_length=64)

    def rule_data(self) -> dict:
        """The rule in the engine's shape, validated by the engine (call after ``is_valid``)."""
        data = self.cleaned_data
        patterns = [line.strip() for line in data["patterns"].splitlines() if line.strip()]
        options = {name: data[name] for name in OPTION_FIELDS if data.get(name) not in ("", None)}
        return services.triage_rule_clean_data(
            rule_id=data["rule_id"],
            kind=data["kind"],
            category=data["category"],
            level=data["level"],
            data={"patterns": patterns, **options},
        )

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.cleaned_data["data"] = self.rule_data()
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.error_dict.items():
                        self.add_error(field if field in self.fields else None, errors)
                else:
                    self.add_error(None, exc)
        return cleaned


class TriageRuleAdminForm(RuleFieldsForm, forms.ModelForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this change: kept in the rule's audit trail with your name and the time.",
    )

    class Meta:
        model = TriageRule
        fields = ["rule_id", "kind", "category", "level", "enabled", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            data = self.instance.data or {}
            self.initial.setdefault("patterns", "\n".join(data.get("patterns", [])))
            for name in OPTION_FIELDS:
                if name in data:
                    self.initial.setdefault(name, data[name])
            self.initial["rule_id"] = self.instance.rule_id
            self.fields["rule_id"].disabled = True

    def validate_unique(self):
        pass  # the service reports a duplicate id as a form error


class TriageRuleChangeInline(admin.TabularInline):
    model = TriageRuleChange
    extra = 0
    can_delete = False
    fields = ["created_at", "action", "actor_name", "reason", "rules_version", "before", "after"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.is_clinical_lead(request.user)


class SampleTextForm(forms.Form):
    text = forms.CharField(
        label="Sample text",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Write it the way a member would. Nothing is saved.",
    )


class SwitchForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class ClinicalLeadOnly:
    """Only clinical leads see or change triage rules; nobody deletes them."""

    def has_module_permission(self, request) -> bool:
        return permissions.is_clinical_lead(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.is_clinical_lead(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return permissions.is_clinical_lead(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.is_clinical_lead(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TriageRule)
class TriageRuleAdmin(ClinicalLeadOnly, admin.ModelAdmin):
    form = TriageRuleAdminForm
    list_display = ["rule_id", "kind", "category", "level", "enabled", "created_by", "updated_at"]
    list_filter = ["enabled", "level", "kind", "category"]
    search_fields = ["rule_id", "note"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [TriageRuleChangeInline]
    actions = None
    change_form_template = "escalation/admin/triagerule_change_form.html"
    change_list_template = "escalation/admin/triagerule_change_list.html"
    fieldsets = [
        (None, {"fields": ["rule_id", "kind", "category", "level", "patterns", "enabled"]}),
        ("How the engine reads it", {"fields": list(OPTION_FIELDS)}),
        (None, {"fields": ["note", "reason"]}),
        ("Record", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def get_changeform_initial_data(self, request):
        """``?copy=<packaged rule id>`` starts from a packaged rule, to override or disable it."""
        initial = super().get_changeform_initial_data(request)
        packaged = {rule.id: rule for rule in triage.RuleSet.default().rules}
        rule = packaged.get(request.GET.get("copy", ""))
        if rule is not None:
            initial.update(
                rule_id=rule.id,
                kind=rule.kind,
                category=rule.category,
                level=rule.level,
                patterns="\n".join(rule.patterns),
                person=rule.person,
                tense=rule.tense,
                act=rule.act,
                weak=rule.weak,
                hyperbole_ok=rule.hyperbole_ok,
                subcategory=rule.subcategory,
            )
        return initial

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        fields = {
            "kind": data["kind"],
            "category": data["category"],
            "level": data["level"],
            "data": data["data"],
            "enabled": data["enabled"],
            "note": data["note"],
            "reason": data["reason"],
        }
        if change:
            rule = services.triage_rule_update(rule=obj, actor=request.user, **fields)
        else:
            rule = services.triage_rule_create(actor=request.user, rule_id=data["rule_id"], **fields)
        obj.pk = rule.pk

    def get_urls(self):
        urls = [
            path("test/", self.admin_site.admin_view(self.test_view), name="escalation_triagerule_test"),
            path(
                "<int:pk>/test/",
                self.admin_site.admin_view(self.test_view),
                name="escalation_triagerule_test_rule",
            ),
            path(
                "<int:pk>/switch/",
                self.admin_site.admin_view(self.switch_view),
                name="escalation_triagerule_switch",
            ),
            path(
                "packaged/",
                self.admin_site.admin_view(self.packaged_view),
                name="escalation_triagerule_packaged",
            ),
        ]
        return urls + super().get_urls()

    def _check(self, request) -> None:
        permissions.check_manage_triage_rules(request.user)

    def test_view(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        """Run the engine with this rule (saved or a draft) on sample text; show level and spans."""
        self._check(request)
        rule = get_object_or_404(TriageRule, pk=pk) if pk is not None else None
        initial = {}
        if rule is not None:
            initial = {
                "rule_id": rule.rule_id,
                "kind": rule.kind,
                "category": rule.category,
                "level": rule.level,
                "patterns": "\n".join(rule.data.get("patterns", [])),
                **{name: rule.data[name] for name in OPTION_FIELDS if name in rule.data},
            }
        bound = request.method == "POST"
        rule_form = RuleFieldsForm(request.POST if bound else None, initial=initial, prefix="rule")
        sample_form = SampleTextForm(request.POST if bound else None, prefix="sample")
        result = None
        if bound and rule_form.is_valid() and sample_form.is_valid():
            rule_data = {
                **rule_form.cleaned_data["data"],
                "id": rule_form.cleaned_data["rule_id"],
                "kind": rule_form.cleaned_data["kind"],
                "category": rule_form.cleaned_data["category"],
                "level": rule_form.cleaned_data["level"],
            }
            text = sample_form.cleaned_data["text"]
            readings = services.triage_rule_try(actor=request.user, rule_data=rule_data, text=text)
            result = {
                "text": text,
                "rule_id": rule_data["id"],
                "with_rule": readings["with_rule"].to_dict(),
                "live": readings["live"].to_dict(),
                "rule_matched": any(r.rule_id == rule_data["id"] for r in readings["with_rule"].rules),
            }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Test rule {rule.rule_id}" if rule else "Test a draft rule",
            "rule": rule,
            "rule_form": rule_form,
            "sample_form": sample_form,
            "result": result,
        }
        return TemplateResponse(request, "escalation/admin/triagerule_test.html", context)

    def switch_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Disable or enable a rule, with a reason."""
        self._check(request)
        rule = get_object_or_404(TriageRule, pk=pk)
        form = SwitchForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            services.triage_rule_set_enabled(
                rule=rule, actor=request.user, enabled=not rule.enabled, reason=form.cleaned_data["reason"]
            )
            rule.refresh_from_db()
            messages.success(
                request, f"Rule {rule.rule_id} is now {'enabled' if rule.enabled else 'disabled'}."
            )
            return HttpResponseRedirect(reverse("admin:escalation_triagerule_change", args=[rule.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{'Disable' if rule.enabled else 'Enable'} rule {rule.rule_id}",
            "rule": rule,
            "form": form,
        }
        return TemplateResponse(request, "escalation/admin/triagerule_switch.html", context)

    def packaged_view(self, request: HttpRequest) -> HttpResponse:
        """The rules shipped with the engine, with a link to override or disable each one here."""
        self._check(request)
        local = {row.rule_id: row for row in TriageRule.objects.all()}
        ruleset = triage.RuleSet.default()
        rows = [
            {
                "rule": rule,
                "local": local.get(rule.id),
                "examples": ", ".join(rule.patterns[:4]) + ("…" if len(rule.patterns) > 4 else ""),
            }
            for rule in ruleset.rules
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Packaged triage rules (version {ruleset.version})",
            "rows": rows,
        }
        return TemplateResponse(request, "escalation/admin/triagerule_packaged.html", context)


@admin.register(TriageRuleChange)
class TriageRuleChangeAdmin(ClinicalLeadOnly, admin.ModelAdmin):
    list_display = ["created_at", "rule", "action", "actor_name", "rules_version", "reason"]
    list_filter = ["action"]
    search_fields = ["rule__rule_id", "actor_name", "reason"]
    list_select_related = ["rule"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in TriageRuleChange._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# --- the rota ----------------------------------------------------------------------------------


def _manages_rota(request) -> bool:
    try:
        permissions.check_manage_rota(request.user)
    except PermissionDenied:
        return False
    return True


class ShiftForm(forms.ModelForm):
    class Meta:
        model = Shift
        fields = ["clinician", "tier", "start", "end"]

    def clean_clinician(self):
        clinician = self.cleaned_data["clinician"]
        if clinician.role != "clinician":
            raise ValidationError("Only clinicians can be put on the rota.")
        return clinician

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", "A shift must end after it starts.")
        return cleaned


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    form = ShiftForm
    list_display = ["clinician", "tier", "start", "end"]
    list_filter = ["tier"]
    list_select_related = ["clinician"]
    date_hierarchy = "start"
    raw_id_fields = ["clinician"]
    search_fields = ["clinician__pseudonym"]

    def has_module_permission(self, request) -> bool:
        return _manages_rota(request) or permissions.can_work_cases(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return _manages_rota(request) or permissions.can_work_cases(request.user)

    def has_add_permission(self, request) -> bool:
        return _manages_rota(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _manages_rota(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _manages_rota(request)


# --- read-only views of the crisis workflow -------------------------------------------------------


class CaseWorkReadOnly(admin.ModelAdmin):
    """Clinicians and admins may look; changes happen on the clinician dashboard."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_module_permission(self, request) -> bool:
        return permissions.can_work_cases(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.can_work_cases(request.user)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CrisisCase)
class CrisisCaseAdmin(CaseWorkReadOnly):
    list_display = ["id", "member", "status", "level", "opened_at", "assignee", "outcome", "resolved_at"]
    list_filter = ["status", "outcome"]
    list_select_related = ["member", "assignee"]
    search_fields = ["member__pseudonym"]


@admin.register(Alert)
class AlertAdmin(CaseWorkReadOnly):
    list_display = ["id", "case", "recipient", "round", "target", "status", "created_at", "acknowledged_at"]
    list_filter = ["status", "target"]
    list_select_related = ["case", "recipient"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(CaseWorkReadOnly):
    list_display = ["id", "alert", "channel", "status", "attempts", "last_error", "delivered_at"]
    list_filter = ["channel", "status"]
    list_select_related = ["alert"]
