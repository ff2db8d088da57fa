"""Custom forms ("eigen formulieren"): the office defines templates, technicians fill them in."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from werkbon.accounts.models import User
from werkbon.accounts.permissions import office_required, tenant_member_required
from werkbon.workorders import actions
from werkbon.workorders.forms import FilledFormForm, FormQuestionForm, FormTemplateForm
from werkbon.workorders.models import (
    FilledForm,
    FormAnswer,
    FormQuestion,
    FormTemplate,
    QuestionKind,
)
from werkbon.workorders.photos import photo_response
from werkbon.workorders.views.common import apply_action, order_for_member, order_page_url


@office_required
def template_list(request: HttpRequest) -> HttpResponse:
    form = FormTemplateForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        template = form.save()
        messages.success(request, _("Form %(name)s created; add its questions.") % {
            "name": template.name})
        return redirect("workorders:template_detail", pk=template.pk)
    return render(request, "workorders/template_list.html", {
        "templates": FormTemplate.objects.all(), "form": form,
    })


@office_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The template's name and questions; POST adds a question (or renames with ``rename``)."""
    template = get_object_or_404(FormTemplate, pk=pk)
    next_position = (template.questions.count() + 1) * 10
    rename_form = FormTemplateForm(
        request.POST if "rename" in request.POST else None, instance=template, prefix="tpl")
    question_form = FormQuestionForm(
        request.POST if request.method == "POST" and "rename" not in request.POST else None,
        initial={"position": next_position}, prefix="q",
    )
    if request.method == "POST":
        form = rename_form if "rename" in request.POST else question_form
        if form.is_valid():
            if form is question_form:
                question = question_form.save(commit=False)
                question.template = template
                question.save()
                messages.success(request, _("Question added."))
            else:
                rename_form.save()
                messages.success(request, _("Form saved."))
            return redirect("workorders:template_detail", pk=template.pk)
    return render(request, "workorders/template_detail.html", {
        "template": template, "questions": template.questions.all(),
        "rename_form": rename_form, "question_form": question_form,
    })


@office_required
@require_POST
def question_delete(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    question = get_object_or_404(FormQuestion, pk=question_pk, template_id=pk)
    try:
        question.delete()
    except ProtectedError:
        messages.error(request, _("This question has answers on work orders and cannot be "
                                  "deleted. Make a new version of the form instead."))
    else:
        messages.success(request, _("Question deleted."))
    return redirect("workorders:template_detail", pk=pk)


@tenant_member_required
def fill_form(request: HttpRequest, pk: int, template_pk: int) -> HttpResponse:
    """Fill in (or change) a custom form on a work order; one filled form per template."""
    order = order_for_member(request, pk)
    user: User = request.user  # type: ignore[assignment]
    template = get_object_or_404(FormTemplate, pk=template_pk)
    back = order_page_url(user, order)
    if refused := actions.refusal(user, order, "form.save"):
        messages.error(request, str(refused))
        return redirect(back)
    filled = FilledForm.objects.filter(work_order=order, template=template).first()
    answers = {a.question_id: a for a in filled.answers.all()} if filled else {}
    form = FilledFormForm(request.POST or None, request.FILES or None, template=template,
                          answers=answers)
    if request.method == "POST" and form.is_valid():
        # The form's fields are for the page; the rules and limits are the service's
        # (services.save_form, shared with the API).
        given = [(q.pk, form.answer_value(q)) for q in form.questions
                 if q.kind != QuestionKind.PHOTO]
        photos = {q.pk: form.cleaned_data.get(form.field_name(q)) for q in form.questions
                  if q.kind == QuestionKind.PHOTO}
        outcome = apply_action(request, "form.save", order, template=template, answers=given,
                               photos={pk: p for pk, p in photos.items() if p is not None})
        if outcome and not outcome.already_applied:
            messages.success(request, _("Form %(name)s saved.") % {"name": template.name})
        return redirect(back)
    return render(request, "workorders/fill_form.html", {
        "order": order, "template": template, "form": form, "answers": answers, "back": back,
    })


@tenant_member_required
@require_GET
def answer_photo(request: HttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    """The photo of an answer, for users who may open the work order."""
    order = order_for_member(request, pk)
    answer = get_object_or_404(FormAnswer, pk=answer_pk, form__work_order=order)
    if not answer.photo:
        raise Http404(_("No photo."))
    try:
        return photo_response(answer.photo.open("rb"))
    except FileNotFoundError as error:
        raise Http404(_("No photo.")) from error
