// Werkbon's page behaviour, in one static file: the Content-Security-Policy allows no
// inline script or on*= attribute. Each behaviour is switched on by a data- attribute.
(function () {
  "use strict";

  // <select data-autosubmit>: submit its form when the choice changes (language switch).
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) select.form.submit();
  });

  // <button data-confirm="question">: ask before submitting.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  // <input data-filter-options="#select-id">: narrow a long select to the options whose
  // text contains every search word, and pick the first match.
  function filterOptions(text, select) {
    const words = text.toLowerCase().split(/\s+/).filter(Boolean);
    let firstMatch = null;
    for (const option of select.options) {
      if (!option.value) continue;
      const match = words.every((w) => option.text.toLowerCase().includes(w));
      option.hidden = !match;
      if (match && !firstMatch) firstMatch = option;
    }
    if (firstMatch && words.length && (!select.value || select.selectedOptions[0].hidden)) {
      select.value = firstMatch.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }
  document.addEventListener("input", (event) => {
    const input = event.target.closest("input[data-filter-options]");
    if (!input) return;
    const select = document.querySelector(input.dataset.filterOptions);
    if (select) filterOptions(input.value, select);
  });

  // The planning board has its own script: werkbon/static/werkbon/planning.js.
})();
