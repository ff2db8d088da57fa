// The Visma.net settings page (issue 15). Without JavaScript every field shows and the
// server ignores the ones that do not apply; with it:
// * a field with data-applies-when="<question>=<a> <b>;<question>=<c>" shows only while one
//   question's answer is one of its answers (default item while "Ja", the order filter
//   while orders are fetched, the warehouse questions while the target is a sales order);
// * the first failing field has the focus (autofocus, set by the server) and each link in the
//   banner of problems moves the focus to its field.
(function () {
  "use strict";
  var form = document.getElementById("settings-form");
  if (!form) { return; }

  function answer(question) {
    var controls = form.querySelectorAll('[name="' + question + '"]');
    for (var i = 0; i < controls.length; i++) {
      var control = controls[i];
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) { return control.value; }
      } else {
        return control.value;
      }
    }
    return "";
  }

  function showWhatApplies() {
    var fields = form.querySelectorAll("[data-applies-when]");
    for (var i = 0; i < fields.length; i++) {
      // "question=answer answer;question=answer": shown while one of the conditions holds
      var conditions = fields[i].getAttribute("data-applies-when").split(";");
      var applies = false;
      for (var j = 0; j < conditions.length; j++) {
        var parts = conditions[j].split("=");
        if (parts[1].split(" ").indexOf(answer(parts[0])) !== -1) { applies = true; }
      }
      fields[i].hidden = !applies;
    }
  }

  function focusField(name) {
    var field = document.getElementById("field-" + name);
    if (!field) { return false; }
    var control = field.querySelector("input:not([type=hidden]), select, textarea, button");
    if (!control) { return false; }
    control.focus();
    return true;
  }

  showWhatApplies();
  form.addEventListener("change", showWhatApplies);

  var problems = document.getElementById("settings-problems");
  if (problems) {
    problems.addEventListener("click", function (event) {
      var link = event.target.closest('a[href^="#field-"]');
      if (link && focusField(link.getAttribute("href").slice("#field-".length))) {
        event.preventDefault();
        document.getElementById(link.getAttribute("href").slice(1)).scrollIntoView({block: "center"});
      }
    });
    var first = form.querySelector("[autofocus]");
    if (first && document.activeElement !== first) { first.focus(); }
  }
}());
