/* trialpress search worker: Material's search box, answered for every page of the site.
 *
 * Material for MkDocs runs its search in a web worker whose URL the page names; trialpress
 * names this one instead (same folder, so Material's relative paths still work). It loads
 * Material's worker, which keeps answering from the small lunr index of the hand-written
 * pages, and adds Pagefind's answers for trial and index pages: Pagefind fetches only the
 * index chunks of the query's words and the fragments of the results shown, so a query
 * costs a few hundred kilobytes whatever the number of trials.
 *
 * Material's protocol (integrations/search/worker/message): SETUP 0, READY 1, QUERY 2,
 * RESULT 3, with RESULT data { items: SearchItem[][], suggest? }. Record text from
 * Pagefind is escaped here: Material inserts titles and texts as HTML.
 */
(function () {
  "use strict";

  var QUERY = 2;
  var RESULT = 3;
  /* Trials and index pages shown per query (each costs one small fragment fetch). */
  var SHOWN = 20;
  /* A query still being typed is not sent to Pagefind until the typing pauses. */
  var PAUSE_MS = 150;
  /* Words of page text shown under each result. */
  var EXCERPT_WORDS = 24;

  var params = new URL(self.location.href).searchParams;
  var material = params.get("material") || "";
  var allTrials = params.get("trials") || "trials/";
  if (!/^search\.[0-9a-f]+\.min\.js$/.test(material)) {
    throw new Error("trialpress search: unexpected Material worker name");
  }
  if (!/^[A-Za-z0-9_./-]*$/.test(allTrials) || allTrials.indexOf("..") !== -1) {
    allTrials = "trials/";
  }

  var post = self.postMessage.bind(self);
  var queries = [];
  var latest = 0;
  var pagefind = null;

  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  /* The excerpt is made here from the page's plain text and the word positions of the
   * matches: Pagefind's own excerpt escapes < and > but not &, so record text such as
   * "&lt;" could not be shown as written. Every word is escaped; matches are marked. */
  function excerptHtml(page) {
    var words = String(page.content || "").split(/[\r\n\s]+/g);
    var marked = {};
    var first = words.length;
    (page.locations || []).forEach(function (i) {
      marked[i] = true;
      first = Math.min(first, i);
    });
    var start = first < words.length ? Math.max(0, first - 4) : 0;
    start = Math.max(0, Math.min(start, words.length - EXCERPT_WORDS));
    var out = [];
    for (var i = start; i < Math.min(words.length, start + EXCERPT_WORDS); i++) {
      out.push(marked[i] ? "<mark>" + escapeHtml(words[i]) + "</mark>" : escapeHtml(words[i]));
    }
    return out.join(" ");
  }

  /* A large site's index comes in parts (trialpress-parts.json lists the further ones):
   * they are merged into the first before any search. */
  function loadPagefind() {
    if (pagefind === null) {
      var root = new URL("../../../pagefind/", self.location.href).href;
      pagefind = import(root + "pagefind.js").then(function (pf) {
        return fetch(root + "trialpress-parts.json")
          .then(function (response) {
            return response.ok ? response.json() : [];
          })
          .catch(function () {
            return [];
          })
          .then(function (parts) {
            var valid = (Array.isArray(parts) ? parts : []).filter(function (part) {
              return /^part-[0-9]+\/$/.test(part);
            });
            return Promise.all(
              valid.map(function (part) {
                return pf.mergeIndex(root + part);
              })
            );
          })
          .then(function () {
            return pf;
          });
      });
    }
    return pagefind;
  }

  function wait(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  function terms(query) {
    var out = {};
    query
      .toLowerCase()
      .split(/\s+/)
      .forEach(function (word) {
        word = word.replace(/^[+-]+|[*~^]+$/g, "");
        if (word) out[word] = true;
      });
    return out;
  }

  /* Material's items for the pages Pagefind finds, ranked below the hand-written pages. */
  function pagefindItems(query, base) {
    return loadPagefind()
      .then(function (pf) {
        return pf.search(query);
      })
      .then(function (search) {
        var results = (search && search.results) || [];
        return Promise.all(
          results.slice(0, SHOWN).map(function (r) {
            return r.data();
          })
        ).then(function (pages) {
          var matched = terms(query);
          var items = pages.map(function (page, i) {
            var raw = String(page.raw_url || page.url || "").replace(/^\/+/, "");
            return [
              {
                location: raw,
                title: escapeHtml((page.meta && page.meta.title) || raw),
                text: excerptHtml(page),
                score: (base * (SHOWN - i)) / (2 * (SHOWN + 1)),
                terms: matched
              }
            ];
          });
          var more = results.length - pages.length;
          if (more > 0) {
            items.push([
              {
                location: allTrials,
                title: escapeHtml(more + " more trials and index pages match"),
                text: escapeHtml(
                  "Showing the best " + pages.length + " of " + results.length +
                    " for \u201c" + query + "\u201d. Refine the search, or filter the table of all trials."
                ),
                score: 0,
                terms: {}
              }
            ]);
          }
          return items;
        });
      });
  }

  function answer(message, query) {
    var id = ++latest;
    var items = (message.data && message.data.items) || [];
    if (!query || !query.trim()) {
      post(message);
      return;
    }
    var base = items.reduce(function (low, group) {
      return group.length ? Math.min(low, group[0].score) : low;
    }, items.length ? Infinity : 1);
    if (!isFinite(base) || base <= 0) base = 1;
    wait(PAUSE_MS)
      .then(function () {
        return id === latest ? pagefindItems(query, base) : null;
      })
      .then(
        function (found) {
          if (found === null || id !== latest) return;
          var data = {};
          for (var key in message.data) data[key] = message.data[key];
          data.items = items.concat(found);
          post({ type: RESULT, data: data });
        },
        function (err) {
          console.warn("trialpress search: Pagefind failed, showing page results only", err);
          if (id === latest) post(message);
        }
      );
  }

  /* Runs before Material's own listener: remember each query in order. */
  self.addEventListener("message", function (ev) {
    if (ev.data && ev.data.type === QUERY) queries.push(String(ev.data.data));
  });

  /* Material's worker answers through the global postMessage: add our results first. */
  self.postMessage = function (message) {
    if (message && message.type === RESULT) {
      answer(message, queries.shift());
    } else {
      post(message);
    }
  };

  importScripts(material);
})();
