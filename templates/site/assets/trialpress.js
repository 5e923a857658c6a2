/* trialpress site behaviour: eligibility checklist verdict, trial tables, the trial finder.
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
  }

  /* ---- Trial finder ------------------------------------------------------------------
     Filters the trials of window.trialpressFinder (data/finder.js, generated at build
     time and loaded with <script src>, so it works from file:// and no query leaves the
     browser). The view lives in the query string: q, status, phase, type, condition,
     intervention_type, country, age, sex, healthy, near, radius_km, sort. */
  var PAGE = 50;
  var KM_PER_MILE = 1.609344;
  var EARTH_KM = 6371.0088;
  var ENUM_PARAMS = ["status", "phase", "type", "intervention_type"];
  var PARAMS = ["q", "status", "phase", "type", "condition", "intervention_type", "country",
    "age", "sex", "healthy", "ecog", "cns", "near", "radius_km", "sort"];
  /* cns=treated keeps trials allowing treated, stable metastases (or any); untreated: any. */
  var CNS_ALLOWED = { treated: [1, 2], untreated: [2] };
  var SORTS = ["distance", "nct", "title"];
  var NUMBER_RE = /^\s*\d+(\.\d+)?\s*$/;

  function loadFinderData(src, done) {
    if (window.trialpressFinder) { done(window.trialpressFinder); return; }
    var script = document.createElement("script");
    script.src = src;
    script.addEventListener("load", function () {
      if (window.trialpressFinder) { done(window.trialpressFinder); }
    });
    document.head.appendChild(script);
  }

  function lower(s) { return String(s).toLowerCase(); }

  function toRad(d) { return d * Math.PI / 180; }

  /* Great-circle distance in km (haversine, mean Earth radius). */
  function distanceKm(lat1, lon1, lat2, lon2) {
    var dLat = toRad(lat2 - lat1);
    var dLon = toRad(lon2 - lon1);
    var a = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(toRad(lat1)) * Math.cos(toRad(lat2)) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  function unitPreference() {
    try { return window.localStorage.getItem("trialpress-unit") === "mi" ? "mi" : "km"; }
    catch (e) { return "km"; }
  }

  function saveUnit(unit) {
    try { window.localStorage.setItem("trialpress-unit", unit); } catch (e) { /* private mode */ }
  }

  function formatDistance(km, unit) {
    var v = unit === "mi" ? km / KM_PER_MILE : km;
    return (v < 10 ? v.toFixed(1) : String(Math.round(v))) + (unit === "mi" ? " mi" : " km");
  }

  /* The data, indexed once: lower-cased strings, search text, vocabularies, places. */
  function prepare(data) {
    var S = data.strings;
    var byLower = {};
    S.forEach(function (s, i) { (byLower[lower(s)] = byLower[lower(s)] || []).push(i); });
    var enums = {};
    Object.keys(data.enums).forEach(function (k) {
      enums[k] = data.enums[k].map(function (e) { return e[0]; });
    });
    var conditionIds = {};
    var countryIds = {};
    var trials = data.trials.map(function (r, order) {
      var t = {
        order: order, id: r[0], title: r[1], acronym: r[2], status: r[3], phases: r[4],
        type: r[5], cond: r[6], mesh: r[7], interv: r[8], itypes: r[9], sponsors: r[10],
        idents: r[11], countries: r[12], ageMin: r[13], ageMax: r[14], sex: r[15],
        healthy: r[16], points: r[17], ecogMax: r[18], cns: r[19]
      };
      var words = [t.id, t.title, t.acronym];
      [t.cond, t.interv, t.sponsors].forEach(function (ids) {
        ids.forEach(function (i) { words.push(S[i]); });
      });
      t.text = lower(words.concat(t.idents).join("\n"));
      t.cond.concat(t.mesh).forEach(function (i) { conditionIds[i] = (conditionIds[i] || 0) + 1; });
      t.countries.forEach(function (i) { countryIds[i] = (countryIds[i] || 0) + 1; });
      return t;
    });
    function vocabulary(counts) {
      var names = {};
      Object.keys(counts).forEach(function (i) {
        var key = lower(S[i]);
        if (!names[key]) { names[key] = { label: S[i], count: 0 }; }
        names[key].count += counts[i];
      });
      return names;
    }
    var places = {};
    data.places.forEach(function (p) { places[lower(p[0])] = { label: p[0], lat: p[1], lon: p[2] }; });
    return {
      strings: S, byLower: byLower, enums: enums, labels: data.enums, trials: trials,
      conditions: vocabulary(conditionIds), countries: vocabulary(countryIds),
      places: places, points: data.points, distCache: {}
    };
  }

  function emptyState() {
    return { q: "", status: [], phase: [], type: [], condition: [], intervention_type: [],
      country: [], age: null, sex: [], healthy: null, ecog: null, cns: "", near: null,
      radius_km: null, sort: "" };
  }

  /* Query string -> state; every value that is unknown or malformed is left out and
     explained in `notes` (never an error). */
  function parseQuery(search, db) {
    var params = new URLSearchParams(search);
    var st = emptyState();
    var notes = [];
    var radius = null;
    params.forEach(function (raw, name) {
      var value = raw.trim();
      if (PARAMS.indexOf(name) === -1) {
        notes.push("“" + name + "” is not a filter of this page");
        return;
      }
      if (value === "") { return; }
      if (ENUM_PARAMS.indexOf(name) !== -1) {
        value.split(",").forEach(function (part) {
          var v = part.trim().toUpperCase();
          if (!v) { return; }
          if (db.enums[name].indexOf(v) === -1) {
            notes.push(name + "=" + part.trim() + " is not a known value");
          } else if (st[name].indexOf(v) === -1) {
            st[name].push(v);
          }
        });
      } else if (name === "q") {
        st.q = value;
      } else if (name === "condition" || name === "country") {
        var vocab = name === "condition" ? db.conditions : db.countries;
        var known = vocab[lower(value)];
        if (!known) {
          notes.push(name + "=" + value + " is not a " + name + " of any trial on this site");
        } else if (st[name].indexOf(known.label) === -1) {
          st[name].push(known.label);
        }
      } else if (name === "age") {
        if (NUMBER_RE.test(value)) { st.age = parseFloat(value); }
        else { notes.push("age=" + value + " is not an age in years"); }
      } else if (name === "sex") {
        value.split(",").forEach(function (part) {
          var v = part.trim().toUpperCase();
          if (v === "FEMALE" || v === "MALE") {
            if (st.sex.indexOf(v) === -1) { st.sex.push(v); }
          } else if (v) {
            notes.push("sex=" + part.trim() + " is not female or male");
          }
        });
      } else if (name === "healthy") {
        var h = lower(value);
        if (h === "yes" || h === "true") { st.healthy = true; }
        else if (h === "no" || h === "false") { st.healthy = false; }
        else { notes.push("healthy=" + value + " is not yes or no"); }
      } else if (name === "ecog") {
        if (/^\s*[0-5]\s*$/.test(value)) { st.ecog = parseInt(value, 10); }
        else { notes.push("ecog=" + value + " is not an ECOG score from 0 to 5"); }
      } else if (name === "cns") {
        if (CNS_ALLOWED[lower(value)]) { st.cns = lower(value); }
        else { notes.push("cns=" + value + " is not treated or untreated"); }
      } else if (name === "near") {
        var place = db.places[lower(value.replace(/\s+/g, " "))];
        if (place) { st.near = place.label; }
        else { notes.push("near=" + value + " is not a city of any trial site on this site"); }
      } else if (name === "radius_km") {
        if (NUMBER_RE.test(value)) { radius = parseFloat(value); }
        else { notes.push("radius_km=" + value + " is not a distance in km"); }
      } else if (name === "sort") {
        if (SORTS.indexOf(lower(value)) !== -1) { st.sort = lower(value); }
        else { notes.push("sort=" + value + " is not a known order"); }
      }
    });
    if (radius !== null) {
      if (st.near) { st.radius_km = radius; }
      else { notes.push("radius_km needs a place (near)"); }
    }
    if (st.sort === "distance" && !st.near) {
      notes.push("sort=distance needs a place (near)");
      st.sort = "";
    }
    return { state: st, notes: notes };
  }

  function toQuery(st) {
    var p = new URLSearchParams();
    PARAMS.forEach(function (name) {
      var v = st[name];
      if (name === "condition" || name === "country") {
        v.forEach(function (c) { p.append(name, c); });  // values may hold commas
      } else if (Array.isArray(v)) {
        if (v.length) { p.append(name, v.join(",")); }
      } else if (name === "healthy") {
        if (v !== null) { p.append(name, v ? "yes" : "no"); }
      } else if (name === "radius_km") {
        if (st.near && v !== null) { p.append(name, String(v)); }
      } else if (v !== null && v !== "") {
        p.append(name, String(v));
      }
    });
    return p.toString();
  }

  /* Distance in km from the place to each site point (computed once per place). */
  function pointDistances(db, placeLabel) {
    if (db.distCache[placeLabel]) { return db.distCache[placeLabel]; }
    var place = db.places[lower(placeLabel)];
    var pts = db.points;
    var out = new Float64Array(pts.length / 2);
    for (var i = 0; i < out.length; i += 1) {
      out[i] = distanceKm(place.lat, place.lon, pts[2 * i], pts[2 * i + 1]);
    }
    db.distCache = {};
    db.distCache[placeLabel] = out;
    return out;
  }

  function idSet(db, values) {
    var set = {};
    values.forEach(function (v) {
      (db.byLower[lower(v)] || []).forEach(function (i) { set[i] = true; });
    });
    return set;
  }

  function anyIn(ids, set) {
    for (var i = 0; i < ids.length; i += 1) { if (set[ids[i]]) { return true; } }
    return false;
  }

  function maskOf(values, table) {
    var m = 0;
    values.forEach(function (v) { m |= 1 << table.indexOf(v); });
    return m;
  }

  /* The matching trials in display order, each with its nearest site distance (or null). */
  function search(db, st) {
    var words = lower(st.q).split(/\s+/).filter(Boolean);
    var statuses = st.status.map(function (v) { return db.enums.status.indexOf(v); });
    var types = st.type.map(function (v) { return db.enums.type.indexOf(v); });
    var phaseMask = maskOf(st.phase, db.enums.phase);
    var itypeMask = maskOf(st.intervention_type, db.enums.intervention_type);
    var sexes = st.sex.map(function (v) { return db.enums.sex.indexOf(v); });
    var sexAll = db.enums.sex.indexOf("ALL");
    var conds = st.condition.length ? idSet(db, st.condition) : null;
    var countries = st.country.length ? idSet(db, st.country) : null;
    var dists = st.near ? pointDistances(db, st.near) : null;
    var out = [];
    db.trials.forEach(function (t) {
      var i;
      for (i = 0; i < words.length; i += 1) { if (t.text.indexOf(words[i]) === -1) { return; } }
      if (statuses.length && statuses.indexOf(t.status) === -1) { return; }
      if (phaseMask && !(t.phases & phaseMask)) { return; }
      if (types.length && types.indexOf(t.type) === -1) { return; }
      if (itypeMask && !(t.itypes & itypeMask)) { return; }
      if (conds && !anyIn(t.cond, conds) && !anyIn(t.mesh, conds)) { return; }
      if (countries && !anyIn(t.countries, countries)) { return; }
      if (st.age !== null) {
        if (t.ageMin !== null && st.age < t.ageMin) { return; }
        if (t.ageMax !== null && st.age > t.ageMax) { return; }
      }
      if (sexes.length && t.sex !== -1 && t.sex !== sexAll && sexes.indexOf(t.sex) === -1) { return; }
      if (st.healthy !== null && t.healthy !== (st.healthy ? 1 : 0)) { return; }
      if (st.ecog !== null && t.ecogMax !== null && st.ecog > t.ecogMax) { return; }
      if (st.cns && CNS_ALLOWED[st.cns].indexOf(t.cns) === -1) { return; }
      var nearest = null;
      if (dists) {
        for (i = 0; i < t.points.length; i += 1) {
          var d = dists[t.points[i]];
          if (nearest === null || d < nearest) { nearest = d; }
        }
        if (st.radius_km !== null && (nearest === null || nearest > st.radius_km)) { return; }
      }
      out.push({ trial: t, km: nearest });
    });
    if (st.sort === "distance") {
      out.sort(function (a, b) {
        if (a.km === null || b.km === null) {
          return a.km === b.km ? a.trial.order - b.trial.order : a.km === null ? 1 : -1;
        }
        return a.km - b.km || a.trial.order - b.trial.order;
      });
    } else if (st.sort === "nct" || st.sort === "title") {
      var key = st.sort === "nct" ? "id" : "title";
      out.sort(function (a, b) {
        var x = lower(a.trial[key]);
        var y = lower(b.trial[key]);
        return x < y ? -1 : x > y ? 1 : a.trial.order - b.trial.order;
      });
    }
    return out;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function labelOf(db, kind, index) {
    var entry = db.labels[kind][index];
    return entry ? entry[1] : "";
  }

  function resultItem(db, hit, st, trialUrl, unit) {
    var t = hit.trial;
    var li = el("li", "tp-result");
    li.setAttribute("data-nct-id", t.id);
    var title = el("p", "tp-result-title");
    var a = el("a", "", t.title + (t.acronym ? " (" + t.acronym + ")" : ""));
    a.dir = "auto";
    var href = trialUrl.replace("NCT00000000", t.id);
    if (st.near) { href += "?" + new URLSearchParams({ near: st.near }).toString(); }
    a.href = href;
    title.appendChild(a);
    li.appendChild(title);
    var facts = [t.id];
    if (t.status !== -1) { facts.push(labelOf(db, "status", t.status)); }
    var phases = db.enums.phase.filter(function (p, i) { return t.phases & (1 << i); });
    if (phases.length) {
      facts.push(phases.map(function (p) { return labelOf(db, "phase", db.enums.phase.indexOf(p)); }).join(", "));
    }
    if (t.ageMin !== null || t.ageMax !== null) {
      facts.push("ages " + (t.ageMin !== null ? +t.ageMin.toFixed(2) : "any") + " to " +
        (t.ageMax !== null ? +t.ageMax.toFixed(2) + " years" : "no maximum"));
    }
    li.appendChild(el("p", "tp-result-facts tp-muted", facts.join(" · ")));
    if (t.cond.length) {
      li.appendChild(el("p", "tp-result-conditions", t.cond.map(function (i) { return db.strings[i]; }).join("; ")));
    }
    if (st.near) {
      li.appendChild(el("p", "tp-result-distance", hit.km === null ?
        "No site position given" : "Nearest site " + formatDistance(hit.km, unit) + " from " + st.near));
    }
    return li;
  }

  function setupFinder(box) {
    loadFinderData(box.getAttribute("data-finder-src"), function (data) {
      startFinder(box, prepare(data));
    });
  }

  function startFinder(box, db) {
    var form = box.querySelector("form");
    var q = document.getElementById("tp-q");
    var age = document.getElementById("tp-age");
    var healthy = document.getElementById("tp-healthy");
    var ecog = document.getElementById("tp-ecog");
    var cns = document.getElementById("tp-cns");
    var near = document.getElementById("tp-near");
    var radius = document.getElementById("tp-radius");
    var unitSelect = document.getElementById("tp-unit");
    var sort = document.getElementById("tp-sort");
    var results = document.getElementById("tp-results");
    var more = document.getElementById("tp-more");
    var count = box.querySelector("[data-finder-count]");
    var countWords = box.querySelector(".tp-finder-count-words");
    var note = document.getElementById("tp-finder-note");
    var trialUrl = box.getAttribute("data-trial-url");
    var state = emptyState();
    var hits = [];
    var shown = 0;
    var typing = false;
    unitSelect.value = unitPreference();

    var lists = {
      condition: { input: document.getElementById("tp-condition"), chips: document.getElementById("tp-condition-chips"),
        datalist: document.getElementById("tp-condition-list"), vocab: db.conditions },
      country: { input: document.getElementById("tp-country"), chips: document.getElementById("tp-country-chips"),
        datalist: document.getElementById("tp-country-list"), vocab: db.countries }
    };
    var placeList = document.getElementById("tp-near-list");

    function suggest(datalist, entries, text) {
      var t = lower(text.trim());
      var found = entries.filter(function (e) { return !t || lower(e.label).indexOf(t) !== -1; });
      found.sort(function (a, b) {
        var pa = lower(a.label).indexOf(t) === 0 ? 0 : 1;
        var pb = lower(b.label).indexOf(t) === 0 ? 0 : 1;
        return pa - pb || (b.count || 0) - (a.count || 0) || (a.label < b.label ? -1 : 1);
      });
      datalist.textContent = "";
      found.slice(0, 30).forEach(function (e) {
        var o = document.createElement("option");
        o.value = e.label;
        datalist.appendChild(o);
      });
    }
    function values(obj) { return Object.keys(obj).map(function (k) { return obj[k]; }); }

    function renderChips(name) {
      var l = lists[name];
      l.chips.textContent = "";
      state[name].forEach(function (value) {
        var li = el("li", "tp-chip");
        li.appendChild(el("span", "", value));
        var b = el("button", "tp-chip-remove", "×");
        b.type = "button";
        b.setAttribute("aria-label", "Remove " + name + " " + value);
        b.addEventListener("click", function () {
          state[name] = state[name].filter(function (v) { return v !== value; });
          renderChips(name);
          commit(true);
          l.input.focus();
        });
        li.appendChild(b);
        l.chips.appendChild(li);
      });
    }

    function addFromInput(name) {
      var l = lists[name];
      var text = l.input.value.trim();
      if (!text) { return; }
      var known = l.vocab[lower(text.replace(/\s+/g, " "))];
      if (!known) {
        showNotes(["“" + text + "” is not a " + name + " of any trial on this site"]);
        return;
      }
      if (state[name].indexOf(known.label) === -1) { state[name].push(known.label); }
      l.input.value = "";
      renderChips(name);
      commit(true);
    }

    function showNotes(notes) {
      var ul = note.querySelector("ul");
      ul.textContent = "";
      notes.forEach(function (n) { ul.appendChild(el("li", "", n)); });
      note.hidden = notes.length === 0;
    }

    function writeControls() {
      q.value = state.q;
      ["status", "phase", "type", "intervention_type"].forEach(function (name) {
        Array.prototype.forEach.call(form.querySelectorAll("input[name=" + name + "]"), function (c) {
          c.checked = state[name].indexOf(c.value) !== -1;
        });
      });
      Array.prototype.forEach.call(form.querySelectorAll("input[name=sex]"), function (r) {
        r.checked = state.sex.length === 1 ? r.value === state.sex[0] : r.value === "";
      });
      age.value = state.age === null ? "" : String(state.age);
      healthy.value = state.healthy === null ? "" : state.healthy ? "yes" : "no";
      ecog.value = state.ecog === null ? "" : String(state.ecog);
      cns.value = state.cns;
      near.value = state.near || "";
      var factor = unitSelect.value === "mi" ? KM_PER_MILE : 1;
      radius.value = state.radius_km === null ? "" : String(+(state.radius_km / factor).toFixed(3));
      sort.value = state.sort;
      renderChips("condition");
      renderChips("country");
    }

    /* Controls -> state; an unknown place or a bad number is shown, not applied. */
    function readControls(target) {
      var notes = [];
      state.q = q.value.trim();
      ["status", "phase", "type", "intervention_type"].forEach(function (name) {
        var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=" + name + "]"));
        var offered = boxes.map(function (c) { return c.value; });
        // A value from a link that no trial here has (so no box offers it) is kept.
        state[name] = state[name].filter(function (v) { return offered.indexOf(v) === -1; })
          .concat(boxes.filter(function (c) { return c.checked; }).map(function (c) { return c.value; }));
      });
      var sex = form.querySelector("input[name=sex]:checked");
      state.sex = sex && sex.value ? [sex.value] : [];
      var a = age.value.trim();
      state.age = a && NUMBER_RE.test(a) ? parseFloat(a) : null;
      if (a && state.age === null) { notes.push("“" + a + "” is not an age in years"); }
      state.healthy = healthy.value === "" ? null : healthy.value === "yes";
      state.ecog = ecog.value === "" ? null : parseInt(ecog.value, 10);
      state.cns = cns.value;
      var placeText = near.value.trim().replace(/\s+/g, " ");
      var place = placeText ? db.places[lower(placeText)] : null;
      if (placeText && !place) { notes.push("“" + placeText + "” is not a city of any trial site on this site"); }
      state.near = place ? place.label : null;
      if (target === radius || target === near || state.radius_km === null) {
        var r = radius.value.trim();
        var factor = unitSelect.value === "mi" ? KM_PER_MILE : 1;
        state.radius_km = r && NUMBER_RE.test(r) ? parseFloat(r) * factor : null;
        if (r && !NUMBER_RE.test(r)) { notes.push("“" + r + "” is not a distance"); }
      }
      if (!radius.value.trim()) { state.radius_km = null; }
      state.sort = sort.value;
      if (state.sort === "distance" && !state.near) { state.sort = ""; }
      showNotes(notes);
    }

    function renderMore() {
      var unit = unitSelect.value;
      var end = Math.min(hits.length, shown + PAGE);
      var frag = document.createDocumentFragment();
      for (var i = shown; i < end; i += 1) { frag.appendChild(resultItem(db, hits[i], state, trialUrl, unit)); }
      results.appendChild(frag);
      shown = end;
      more.hidden = shown >= hits.length;
      more.textContent = "Show " + Math.min(PAGE, hits.length - shown) + " more of " + (hits.length - shown);
    }

    function render() {
      hits = search(db, state);
      results.textContent = "";
      shown = 0;
      count.textContent = String(hits.length);
      countWords.textContent = (hits.length === 1 ? "trial matches" : "trials match") +
        (state.near && state.radius_km !== null ? " within " + formatDistance(state.radius_km, unitSelect.value) + " of " + state.near : "");
      renderMore();
    }

    function commit(push) {
      var query = toQuery(state);
      var url = window.location.pathname + (query ? "?" + query : "");
      if ("?" + query !== window.location.search && !(query === "" && window.location.search === "")) {
        if (push) { window.history.pushState(null, "", url); }
        else { window.history.replaceState(null, "", url); }
      }
      render();
    }

    function fromLocation() {
      var parsed = parseQuery(window.location.search, db);
      state = parsed.state;
      writeControls();
      showNotes(parsed.notes);
      typing = false;
      render();
    }

    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var active = document.activeElement;
      if (active === lists.condition.input) { addFromInput("condition"); return; }
      if (active === lists.country.input) { addFromInput("country"); return; }
      readControls(active);
      typing = false;
      commit(true);
    });
    form.addEventListener("change", function (ev) {
      if (ev.target === lists.condition.input || ev.target === lists.country.input) { return; }
      if (ev.target === unitSelect) {
        saveUnit(unitSelect.value);
        writeControls();
        render();
        return;
      }
      readControls(ev.target);
      typing = false;
      commit(true);
    });
    q.addEventListener("input", function () {
      readControls(q);
      commit(!typing);  // the first keystroke makes a history entry, the rest update it
      typing = true;
    });
    form.addEventListener("reset", function (ev) {
      ev.preventDefault();
      state = emptyState();
      writeControls();
      showNotes([]);
      commit(true);
    });
    document.getElementById("tp-recruiting").addEventListener("click", function () {
      readControls(null);
      state.status = ["RECRUITING", "NOT_YET_RECRUITING"];
      writeControls();
      commit(true);
    });
    document.getElementById("tp-condition-add").addEventListener("click", function () { addFromInput("condition"); });
    document.getElementById("tp-country-add").addEventListener("click", function () { addFromInput("country"); });
    ["condition", "country"].forEach(function (name) {
      var l = lists[name];
      l.input.addEventListener("input", function () { suggest(l.datalist, values(l.vocab), l.input.value); });
      l.input.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") { ev.preventDefault(); addFromInput(name); }
      });
      suggest(l.datalist, values(l.vocab), "");
    });
    var placeEntries = values(db.places);
    near.addEventListener("input", function () { suggest(placeList, placeEntries, near.value); });
    suggest(placeList, placeEntries, "");
    more.addEventListener("click", renderMore);
    window.addEventListener("popstate", fromLocation);
    box.hidden = false;
    fromLocation();
    window.trialpressFinderReady = true;
    if (window.performance && performance.mark) { performance.mark("trialpress-finder-ready"); }
  }

  /* ---- A trial page opened from the finder with ?near=: its sites by distance -------- */
  function setupNearSites(section) {
    var placeText = new URLSearchParams(window.location.search).get("near").trim();
    loadFinderData(section.getAttribute("data-finder-src"), function (data) {
      var place = null;
      data.places.forEach(function (p) {
        if (lower(p[0]) === lower(placeText.replace(/\s+/g, " "))) { place = p; }
      });
      var box = el("div", "tp-near-sites");
      box.id = "tp-near-sites";
      if (!place) {
        box.appendChild(el("p", "tp-muted", "“" + placeText + "” is not a city of any trial site on this site, so the sites are not sorted by distance."));
        section.insertBefore(box, section.firstChild);
        return;
      }
      var unit = unitPreference();
      var items = Array.prototype.map.call(section.querySelectorAll("li[data-lat]"), function (li) {
        return { li: li, km: distanceKm(place[1], place[2], parseFloat(li.getAttribute("data-lat")), parseFloat(li.getAttribute("data-lon"))) };
      });
      items.sort(function (a, b) { return a.km - b.km; });
      box.appendChild(el("h3", "tp-h", "Sites by distance from " + place[0]));
      if (!items.length) { box.appendChild(el("p", "", "No site of this trial gives its position.")); }
      var ol = el("ol", "tp-near-list");
      items.forEach(function (item) {
        var li = el("li", "tp-near-site");
        li.setAttribute("data-distance-km", item.km.toFixed(3));
        li.appendChild(el("span", "tp-distance", formatDistance(item.km, unit)));
        li.appendChild(document.createTextNode(" "));
        var copy = item.li.cloneNode(true);  // the site's own line, without its contacts
        Array.prototype.forEach.call(copy.querySelectorAll("ul"), function (u) { u.parentNode.removeChild(u); });
        var label = el("span", "", copy.textContent.replace(/\s+/g, " ").trim());
        label.dir = "auto";
        li.appendChild(label);
        ol.appendChild(li);
      });
      box.appendChild(ol);
      section.insertBefore(box, section.firstChild);
    });
  }
  function init() {
    var form = document.getElementById("tp-checklist");
    if (form) { setupChecklist(form); }
    Array.prototype.forEach.call(document.querySelectorAll("table.tp-table[id]"), setupTable);
    var finder = document.getElementById("tp-finder");
    if (finder) { setupFinder(finder); }
    var sites = document.querySelector(".tp-locations[data-finder-src]");
    if (sites && new URLSearchParams(window.location.search).get("near")) { setupNearSites(sites); }
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
