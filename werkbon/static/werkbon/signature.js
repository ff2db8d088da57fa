// The customer's signature on the work order (issue 11): draw on <canvas data-signature-pad>
// with a finger, pen or mouse (pointer events), clear it with [data-signature-clear], and on
// submit put the drawing as a PNG data URL in [data-signature-data]. An empty box is not sent
// (the server checks the pixels again). No inline script: the page's CSP allows none.
(function () {
  "use strict";

  function setUp(form) {
    const canvas = form.querySelector("[data-signature-pad]");
    const field = form.querySelector("[data-signature-data]");
    const error = form.querySelector("[data-signature-error]");
    if (!canvas || !field || canvas.dataset.ready) return;
    canvas.dataset.ready = "1";
    const ratio = Math.max(1, Math.min(window.devicePixelRatio || 1, 3));
    const rect = canvas.getBoundingClientRect();
    canvas.width = Math.round((rect.width || 300) * ratio);
    canvas.height = Math.round((rect.height || 180) * ratio);
    const context = canvas.getContext("2d");
    context.lineWidth = 2.5 * ratio;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#111";
    context.fillStyle = "#111";
    let drawing = null;
    let drawn = false;

    function point(event) {
      const box = canvas.getBoundingClientRect();
      return {
        x: (event.clientX - box.left) * (canvas.width / box.width),
        y: (event.clientY - box.top) * (canvas.height / box.height),
      };
    }

    canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      try {
        canvas.setPointerCapture(event.pointerId);  // keep the stroke when the finger leaves the box
      } catch (error) {
        // not an active pointer (a synthetic event): draw without capture
      }
      drawing = { id: event.pointerId, last: point(event) };
      context.beginPath();
      context.arc(drawing.last.x, drawing.last.y, context.lineWidth / 2, 0, 2 * Math.PI);
      context.fill();
      drawn = true;
      if (error) error.hidden = true;
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!drawing || drawing.id !== event.pointerId) return;
      event.preventDefault();
      const next = point(event);
      context.beginPath();
      context.moveTo(drawing.last.x, drawing.last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      drawing.last = next;
    });
    for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
      canvas.addEventListener(type, () => { drawing = null; });
    }

    const clear = form.querySelector("[data-signature-clear]");
    if (clear) {
      clear.addEventListener("click", () => {
        context.clearRect(0, 0, canvas.width, canvas.height);
        drawn = false;
        field.value = "";
      });
    }

    form.addEventListener("submit", (event) => {
      if (!drawn) {
        event.preventDefault();
        if (error) {
          error.textContent = form.dataset.emptyMessage || "";
          error.hidden = false;
        }
        return;
      }
      field.value = canvas.toDataURL("image/png");
    });
  }

  function setUpAll() {
    document.querySelectorAll("form[data-signature-form]").forEach(setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUpAll);
  else setUpAll();
  // A form inside a closed <details> has no size yet: set it up when it opens.
  document.addEventListener("toggle", (event) => {
    if (event.target.open) event.target.querySelectorAll("form[data-signature-form]").forEach(setUp);
  }, true);
})();
