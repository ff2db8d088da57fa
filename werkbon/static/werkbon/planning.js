// Planning board (werkbon/workorders/templates/workorders/planning.html).
//
// 1. Lays out each day's cards on its time axis: top and height from the card's
//    data-offset / data-length (minutes from the axis start) against the board's
//    data-axis-minutes, overlapping cards side by side (data-lane of data-lanes); without
//    this script the cards are a plain list in time order.
// 2. Drag and drop: dropping a card (.job[draggable]) on a day (.timeline) posts the
//    technician, date and time (snapped to data-snap minutes) and the card's version through
//    #move-form to the card's plan URL, exactly as the Move form on each card does, with
//    the card's technician (data-source) whose assignment moves.
(function () {
  "use strict";

  function pad(n) { return String(n).padStart(2, "0"); }

  function setUp() {
    const board = document.querySelector("table.board[data-axis-minutes]");
    const form = document.getElementById("move-form");
    if (!board || !form) return;
    const axis = parseInt(board.dataset.axisMinutes, 10) || 600;
    const dayStart = (parseInt(board.dataset.dayStart, 10) || 0) * 60;
    const snap = parseInt(board.dataset.snap, 10) || 15;

    board.classList.add("js-axis");
    board.querySelectorAll(".timeline .job").forEach((job) => {
      const offset = parseInt(job.dataset.offset, 10) || 0;
      const length = parseInt(job.dataset.length, 10) || snap;
      const lanes = Math.max(1, parseInt(job.dataset.lanes, 10) || 1);
      const lane = Math.min(lanes - 1, parseInt(job.dataset.lane, 10) || 0);
      job.style.top = (100 * offset / axis) + "%";
      job.style.height = (100 * length / axis) + "%";
      job.style.left = (100 * lane / lanes) + "%"; // overlapping cards side by side
      job.style.width = (100 / lanes) + "%";
    });
    // a card too small for its lines shows time and number only (the title has the rest)
    board.querySelectorAll(".timeline .job").forEach((job) => {
      if (job.scrollHeight > job.clientHeight + 1) job.classList.add("compact");
    });

    let dragged = null;
    let grab = 0; // where the card was grabbed, in pixels from its top
    document.querySelectorAll(".job[draggable=true]").forEach((job) => {
      job.addEventListener("dragstart", (e) => {
        dragged = job;
        grab = e.clientY - job.getBoundingClientRect().top;
        if (!job.closest(".timeline")) grab = 0; // from the "not planned" list: drop point = start
        e.dataTransfer.effectAllowed = "move";
        e.dataTransfer.setData("text/plain", job.dataset.testid || "job");
      });
      job.addEventListener("dragend", () => { dragged = null; });
    });

    function minutesAt(timeline, clientY) {
      const box = timeline.getBoundingClientRect();
      const y = clientY - grab - box.top;
      let minutes = Math.round((y / box.height) * axis / snap) * snap;
      minutes = Math.max(0, Math.min(axis - snap, minutes));
      return dayStart + minutes;
    }

    function label(timeline) {
      let hint = timeline.querySelector(".drop-time");
      if (!hint) {
        hint = document.createElement("span");
        hint.className = "drop-time";
        timeline.appendChild(hint);
      }
      return hint;
    }

    document.querySelectorAll(".timeline").forEach((timeline) => {
      timeline.addEventListener("dragover", (e) => {
        if (!dragged) return;
        e.preventDefault();
        timeline.classList.add("over");
        const m = minutesAt(timeline, e.clientY);
        const hint = label(timeline);
        hint.textContent = pad(Math.floor(m / 60)) + ":" + pad(m % 60);
        hint.style.top = (100 * (m - dayStart) / axis) + "%";
      });
      timeline.addEventListener("dragleave", () => timeline.classList.remove("over"));
      timeline.addEventListener("drop", (e) => {
        e.preventDefault();
        timeline.classList.remove("over");
        if (!dragged) return;
        const m = minutesAt(timeline, e.clientY);
        form.action = dragged.dataset.planUrl;
        form.elements["plan-technician"].value = timeline.dataset.technician;
        form.elements["plan-date"].value = timeline.dataset.date;
        form.elements["plan-time"].value = pad(Math.floor(m / 60)) + ":" + pad(m % 60);
        form.elements["plan-version"].value = dragged.dataset.version || "";
        // a card of the board moves its technician's assignment only (the others stay)
        form.elements["plan-source"].value = dragged.closest(".timeline") ? (dragged.dataset.source || "") : "";
        form.submit();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
