/* trialpress site behaviour: eligibility checklist verdict and the trials table.
   Plain JavaScript, no network requests, no inline handlers; record text is only ever
   read and written through textContent, never parsed as HTML. */
(function () {
  "use strict";

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many);
  }

  /* ---- Eligibility checklist ------------------------------------------------------ */
  function answerOf(fieldset) {
    var checked = fieldset.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }

  function verdict(form) {
    var sets = Array.prototype.slice.call(form.querySelectorAll("fieldset.tp-check"));
    var reasons = [];
    var unknown = 0;
    var unanswered = 0;
    var inclusionTotal = 0;
    var inclusionMet = 0;
    var exclusionClear = 0;
    var exclusionTotal = 0;
    sets.forEach(function (fs) {
      // Only the fieldset's own radios: nested criteria have their own fieldsets.
      var kind = fs.getAttribute("data-kind");
      var ref = fs.getAttribute("data-ref");
      var answer = answerOf(fs);
      if (kind === "inclusion") {
        inclusionTotal += 1;
        if (answer === "met") { inclusionMet += 1; }
        if (answer === "not-met") { reasons.push("inclusion " + ref + " not met"); }
      } else if (kind === "exclusion") {
        exclusionTotal += 1;
        if (answer === "met") { reasons.push("exclusion " + ref + " met"); }
        if (answer === "not-met") { exclusionClear += 1; }
      }
      if (answer === "unknown") { unknown += 1; }
      if (answer === null) { unanswered += 1; }
    });
    if (reasons.length) {
      return "Not eligible: " + reasons.join(", ");
    }
    var parts = [];
    if (inclusionTotal > 0 && inclusionMet === inclusionTotal) {
      if (exclusionClear === exclusionTotal && unknown === 0 && unanswered === 0) {
        return "Eligible: all inclusion criteria met and no exclusion criterion met";
      }
      parts.push("All inclusion criteria met so far");
    }
    if (unknown > 0) { parts.push(plural(unknown, "criterion unknown", "criteria unknown")); }
    if (unanswered > 0) { parts.push(plural(unanswered, "criterion not answered yet", "criteria not answered yet")); }
    return parts.join("; ");
  }

  function setupChecklist(form) {
    var out = document.getElementById("tp-verdict");
    if (!out) { return; }
    var update = function () { out.textContent = verdict(form); };
    form.addEventListener("change", update);
    form.addEventListener("reset", function () { window.setTimeout(update, 0); });
    update();
  }

  /* ---- Trials table: sort by column, filter by text ------------------------------- */
  function cellValue(row, index, type) {
    var cell = row.cells[index];
    if (!cell) { return type === "number" ? -1 : ""; }
    var raw = cell.getAttribute("data-sort");
    if (type === "number") {
      var n = parseFloat(raw !== null ? raw : cell.textContent);
      return isNaN(n) ? -1 : n;
    }
    return (raw !== null ? raw : cell.textContent).trim().toLowerCase();
  }

  function setupTable(table) {
    var body = table.tBodies[0];
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tp-sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var type = th.getAttribute("data-type") || "text";
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index, type);
          var y = cellValue(b, index, type);
          var c = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    var box = document.querySelector(".tp-filter");
    var input = document.getElementById("tp-filter-input");
    if (box && input && input.getAttribute("aria-controls") === table.id) {
      box.hidden = false;
      var count = box.querySelector(".tp-filter-count");
      input.addEventListener("input", function () {
        var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0;
        Array.prototype.forEach.call(body.rows, function (row) {
          var text = row.textContent.toLowerCase();
          var match = words.every(function (w) { return text.indexOf(w) !== -1; });
          row.hidden = !match;
          if (match) { shown += 1; }
        });
        if (count) { count.textContent = plural(shown, "trial shown", "trials shown"); }
      });
    }
  }

  function init() {
    var form = document.getElementById("tp-checklist");
    if (form) { setupChecklist(form); }
    Array.prototype.forEach.call(document.querySelectorAll("table.tp-table[id]"), setupTable);
  }

  // With Material's instant loading, pages are swapped without a reload: run on each one.
  if (typeof window.document$ !== "undefined" && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
