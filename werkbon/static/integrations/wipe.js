// Step 1 of the activation wizard (issue 15): while the ticked tables hold no rows there is
// nothing to wipe, so the page says so and offers "Verder" instead of the erase and its
// confirmation. Without JavaScript the server decides the same on "Verder"/"Wissen".
(function () {
  "use strict";
  var nothing = document.getElementById("wipe-nothing");
  if (!nothing) { return; }
  var form = nothing.closest("form");

  function update() {
    var rows = 0;
    var ticks = form.querySelectorAll('input[name="tables"]');
    for (var i = 0; i < ticks.length; i++) {
      if (ticks[i].checked) { rows += parseInt(ticks[i].getAttribute("data-count") || "0", 10); }
    }
    var empty = rows === 0;
    nothing.hidden = !empty;
    document.getElementById("wipe-confirm-row").hidden = empty;
    // the browser asks for the confirmation itself (no round trip), only when there is a wipe
    form.querySelector('input[name="confirm"]').required = !empty;
    document.getElementById("wipe-submit").hidden = empty;
    document.getElementById("wipe-continue").hidden = !empty;
  }

  form.addEventListener("change", update);
  update();
}());
