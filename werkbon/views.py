"""The landing page sends each role to where its work is."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch


def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "tenant_id", None) is None:
        return redirect("admin:index") if user.is_staff else render(request, "home.html")
    target = "workorders:list" if user.is_office else "workorders:my_work"  # type: ignore[union-attr]
    try:
        return redirect(target)
    except NoReverseMatch:
        return render(request, "home.html")
