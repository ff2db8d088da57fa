"""The user's own API tokens: list, make (the key is shown once), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from werkbon.accounts.models import ApiToken, User
from werkbon.accounts.permissions import tenant_member_required

TOKEN_LIFETIMES = [(7, gettext_lazy("7 days")), (30, gettext_lazy("30 days")),
                   (90, gettext_lazy("90 days")), (365, gettext_lazy("1 year"))]


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What is it for?"), max_length=100)
    days = forms.TypedChoiceField(label=gettext_lazy("Valid for"), coerce=int,
                                  choices=TOKEN_LIFETIMES, initial=90)


def _own_tokens(user: User):  # type: ignore[no-untyped-def]
    return ApiToken.objects.filter(user=user).order_by("-created_at")


@tenant_member_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """GET: the user's tokens; POST: make one and show its key once (after the redirect)."""
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token, key = ApiToken.issue(user, form.cleaned_data["name"],
                                    days=form.cleaned_data["days"])
        request.session["new_api_token_key"] = key
        messages.success(request, _("API token %(name)s made. Copy its key now: it is not "
                                    "shown again.") % {"name": token.name})
        return redirect("accounts:api_tokens")
    new_key = request.session.pop("new_api_token_key", None)
    return render(request, "accounts/api_tokens.html", {
        "tokens": _own_tokens(user), "form": form, "new_key": new_key,
    })


@tenant_member_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = _own_tokens(request.user).filter(pk=pk).first()  # type: ignore[arg-type]
    if token is None:
        raise Http404(_("No such API token."))
    token.revoke()
    messages.success(request, _("API token %(name)s revoked: it no longer works.")
                     % {"name": token.name})
    return redirect("accounts:api_tokens")
