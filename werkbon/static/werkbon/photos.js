// Work-order photos (issue 11): for each file chosen in [data-photos-input] (camera or
// gallery, several at once) show a preview and a caption field named "captions", in the
// order of the files, which is the order the server pairs them in. No inline script (CSP).
(function () {
  "use strict";

  function setUp(form) {
    const input = form.querySelector("[data-photos-input]");
    const list = form.querySelector("[data-photos-captions]");
    if (!input || !list || input.dataset.ready) return;
    input.dataset.ready = "1";
    const max = parseInt(input.dataset.max || "10", 10);
    input.addEventListener("change", () => {
      list.replaceChildren();
      const files = Array.from(input.files || []);
      if (files.length > max) {
        input.setCustomValidity(input.dataset.tooMany || "");
        input.reportValidity();
        return;
      }
      input.setCustomValidity("");
      files.forEach((file, index) => {
        const row = document.createElement("div");
        row.className = "field photo-row";
        const preview = document.createElement("img");
        preview.className = "thumb";
        preview.alt = "";
        const reader = new FileReader();  // a data: URL: the CSP allows data: images
        reader.addEventListener("load", () => { preview.src = reader.result; });
        reader.readAsDataURL(file);
        const label = document.createElement("label");
        const id = "id_caption_" + index;
        label.htmlFor = id;
        label.textContent = (list.dataset.captionLabel || "") + " " + (index + 1);
        const caption = document.createElement("input");
        caption.type = "text";
        caption.name = "captions";
        caption.id = id;
        caption.maxLength = parseInt(list.dataset.maxCaption || "200", 10);
        caption.autocomplete = "off";
        caption.setAttribute("data-testid", "photo-caption-input");
        row.append(preview, label, caption);
        list.append(row);
      });
    });
  }

  function setUpAll() {
    document.querySelectorAll("form[data-photos-form]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
})();
