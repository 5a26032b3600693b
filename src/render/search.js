// dars search: the search box of every page (see src/render/search.rs for the index).
// The index is read from classic scripts added on demand (darsSearch.manifest/terms/docs
// calls), so search works from a web server, at any sub-path, and from file://.
// `terms` below must do what src/normalise.rs does: both are tested against
// tests/fixtures/search/normalise.json.
(function () {
  'use strict';

  // ---- words and terms (src/normalise.rs) ----------------------------------------------

  var WORD = /[\p{L}\p{N}\p{M}]+/gu;
  var MARK = /\p{M}/u;
  var ARTICLES = ['وبال', 'وكال', 'فبال', 'فكال', 'ولل', 'فلل', 'وال', 'فال', 'بال', 'كال', 'لل', 'ال'];
  var PARTICLES = 'وفبلك';
  var SUFFIXES = ['ها', 'ان', 'ات', 'ون', 'ين', 'يه', 'ه', 'ي'];

  function len(s) { return Array.from(s).length; }

  var ASCII = /^[\x00-\x7f]*$/;

  function fold(word) {
    // Most words of a French lesson: nothing to decompose or map (as in Rust).
    if (ASCII.test(word)) return word.toLowerCase();
    var out = '';
    for (var c of word.toLowerCase().normalize('NFKD')) {
      if (MARK.test(c) || c === '\u0640') continue;
      var code = c.codePointAt(0);
      if (c === '\u0671') out += '\u0627';
      else if (c === '\u0629') out += '\u0647';
      else if (c === '\u0649' || c === '\u06CC') out += '\u064A';
      else if (c === '\u06A9') out += '\u0643';
      else if (c === 'œ') out += 'oe';
      else if (c === 'æ') out += 'ae';
      else if (code >= 0x0660 && code <= 0x0669) out += String(code - 0x0660);
      else if (code >= 0x06F0 && code <= 0x06F9) out += String(code - 0x06F0);
      else out += c;
    }
    return out;
  }

  function frenchStem(s) {
    if (len(s) <= 3) return s;
    if (s.endsWith('eaux')) s = s.slice(0, -1);
    else if (s.endsWith('aux') && len(s) > 4) s = s.slice(0, -3) + 'al';
    else if ((s.endsWith('s') || s.endsWith('x')) && !s.endsWith('ss')) s = s.slice(0, -1);
    if (s.endsWith('e') && len(s) > 4) {
      s = s.slice(0, -1);
      if (s.endsWith('iv')) s = s.slice(0, -1) + 'f';
      else {
        var t = Array.from(s);
        var a = t[t.length - 1], b = t[t.length - 2];
        if (t.length >= 2 && a === b && 'aeiouy'.indexOf(a) < 0) s = t.slice(0, -1).join('');
      }
    }
    return s;
  }

  function arabicSuffixes(s) {
    for (var i = 0; i < SUFFIXES.length; i++) {
      var x = SUFFIXES[i];
      if (s.endsWith(x) && len(s) - len(x) >= 3) s = s.slice(0, -x.length);
    }
    return s;
  }

  function arabicTerms(w) {
    for (var i = 0; i < ARTICLES.length; i++) {
      var a = ARTICLES[i];
      if (w.startsWith(a) && len(w) - len(a) >= 2) return [arabicSuffixes(w.slice(a.length))];
    }
    var terms = [arabicSuffixes(w)];
    var first = Array.from(w)[0];
    if (first && PARTICLES.indexOf(first) >= 0 && len(w) - 1 >= 3) {
      var alt = arabicSuffixes(w.slice(first.length));
      if (terms.indexOf(alt) < 0) terms.push(alt);
    }
    return terms;
  }

  /** The terms of one word, by the rules the index names (`folding`, `stop`). */
  function terms(word, folding, stop) {
    var f = fold(word);
    if (!f || stop.indexOf(f) >= 0) return [];
    if (folding === 'fr') return [frenchStem(f)];
    if (folding === 'ar') return arabicTerms(f);
    return [f];
  }

  function words(text) { return text.match(WORD) || []; }

  function textTerms(text, folding, stop) {
    var out = [];
    words(text).forEach(function (w) { out.push.apply(out, terms(w, folding, stop)); });
    return out;
  }

  // ---- loading the index ---------------------------------------------------------------

  var store = {}; // lang → { manifest, terms: {n: object}, docs: {n: array}, waiting: {url: [resolve]} }
  function lang(l) { return store[l] || (store[l] = { manifest: null, terms: {}, docs: {}, loading: {} }); }

  // Each file calls one of these when it runs.
  var api = window.darsSearch = window.darsSearch || {};
  api.manifest = function (l, m) { lang(l).manifest = m; };
  api.terms = function (l, n, t) { lang(l).terms[n] = t; };
  api.docs = function (l, n, d) { lang(l).docs[n] = d; };
  api.normalise = { fold: fold, terms: terms, textTerms: textTerms };
  api.index = function (l) { return store[l]; };

  /** Adds a script once; resolves when it has run (or failed: the caller sees no data). */
  function load(url) {
    var seen = load.pending[url];
    if (seen) return seen;
    return (load.pending[url] = new Promise(function (resolve) {
      var s = document.createElement('script');
      s.src = url;
      s.async = true;
      s.onload = s.onerror = function () { resolve(); };
      document.head.appendChild(s);
    }));
  }
  load.pending = {};

  function manifest(base, l) {
    return load(base + 'index.js').then(function () { return lang(l).manifest; });
  }

  /** The last index of sorted `keys` whose value is `<= x` (0 when none is). */
  function lastAtMost(keys, x) {
    var lo = 0, hi = keys.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (keys[mid] <= x) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The term shards that may hold `term` (and, with `prefix`, the terms it begins): each
   * shard is a run of sorted terms, `m.shards` their first terms.
   */
  function shardsFor(m, term, prefix) {
    var n = lastAtMost(m.shards, term), out = [n];
    if (prefix) for (var k = n + 1; k < m.shards.length && m.shards[k].startsWith(term); k++) out.push(k);
    return out;
  }

  function docShard(m, lesson) { return lastAtMost(m.docs, lesson); }

  // ---- searching -----------------------------------------------------------------------

  var MAX_RESULTS = 10;

  /** One query word: its terms (exact), and whether terms it begins count too. */
  function queryWords(q, m) {
    var ws = words(q), out = [];
    ws.forEach(function (w, i) {
      var ts = terms(w, m.folding, m.stop);
      if (!ts.length) return;
      var last = i === ws.length - 1;
      out.push({ terms: ts, prefix: len(ts[0]) >= (last ? 2 : 3) });
    });
    return out;
  }

  /** Postings `[Δlesson, passage, weight…]` of term `t` in shard object `s`. */
  function eachPosting(p, f) {
    var lesson = 0;
    for (var i = 0; i < p.length; i += 3) { lesson += p[i]; f(lesson, p[i + 1], p[i + 2]); }
  }

  /**
   * Ranked lessons for query `q` in language `l` (index below `base`): each word scores a
   * lesson by its best term there (exact, else without a particle, else a longer term it
   * begins), tf-idf; lessons matching more of the words come first.
   */
  function search(base, l, q) {
    var t0 = performance.now(), times = {};
    return manifest(base, l).then(function (m) {
      times.manifest = performance.now() - t0;
      if (!m) return { m: null, hits: [], top: [] };
      var qws = queryWords(q, m);
      if (!qws.length) return { m: m, hits: [], top: [], words: qws };
      var need = {};
      qws.forEach(function (w) { w.terms.forEach(function (t, k) { shardsFor(m, t, w.prefix && k === 0).forEach(function (n) { need[n] = true; }); }); });
      return Promise.all(Object.keys(need).map(function (n) { return load(base + 't' + n + '.js'); })).then(function () {
        times.terms = performance.now() - t0;
        var st = lang(l), n = m.lessons, count = new Uint8Array(n), total = new Float64Array(n), perWord = [];
        qws.forEach(function (w) {
          // This word's best score in each lesson, and the passage it came from.
          var best = new Float64Array(n), where = new Int32Array(n), touched = [];
          function consider(term, factor) {
            for (var s in st.terms) {
              var shard = st.terms[s];
              if (!Object.prototype.hasOwnProperty.call(shard, term)) continue;
              var p = shard[term], idf = Math.log(1 + n / (p.length / 3)), lesson = 0;
              for (var i = 0; i < p.length; i += 3) {
                lesson += p[i];
                var weight = p[i + 2], score = factor * idf * (weight * 2.2) / (weight + 1.2);
                if (best[lesson] === 0) touched.push(lesson);
                if (score > best[lesson]) { best[lesson] = score; where[lesson] = p[i + 1]; }
              }
            }
          }
          w.terms.forEach(function (t, k) { consider(t, k === 0 ? 1 : 0.9); });
          if (w.prefix) {
            var t0 = w.terms[0];
            for (var s in st.terms) {
              for (var term in st.terms[s]) {
                if (term.length > t0.length && term.startsWith(t0)) consider(term, 0.6 * len(t0) / len(term));
              }
            }
          }
          touched.forEach(function (lesson) { count[lesson] += 1; total[lesson] += best[lesson]; });
          perWord.push({ best: best, where: where });
        });
        var most = 0, hits = [], i;
        for (i = 0; i < n; i++) if (count[i] > most) most = count[i];
        for (i = 0; most && i < n; i++) if (count[i] === most) hits.push(i);
        hits.sort(function (a, b) { return total[b] - total[a] || a - b; });
        // The passage to show: the one most of the words point to (the best scored on a tie).
        var top = hits.slice(0, MAX_RESULTS).map(function (lesson) {
          var votes = {}, passage = 0, bestVote = -1;
          perWord.forEach(function (pw) {
            if (pw.best[lesson] === 0) return;
            var p = pw.where[lesson], v = (votes[p] = (votes[p] || 0) + 1 + pw.best[lesson] / 1000);
            if (v > bestVote) { bestVote = v; passage = p; }
          });
          return { lesson: lesson, passage: passage };
        });
        times.rank = performance.now() - t0;
        return { m: m, hits: hits, top: top, words: qws, times: times };
      });
    });
  }

  /**
   * The lessons' texts of the first hits, loaded; of those, a lesson whose title holds the
   * query's words in a row (stop words too: "ما هو الذكاء الاصطناعي") comes first.
   */
  function withDocs(base, l, found, q) {
    var m = found.m, top = found.top;
    var need = {};
    top.forEach(function (h) { need[docShard(m, h.lesson)] = true; });
    return Promise.all(Object.keys(need).map(function (n) { return load(base + 'd' + n + '.js'); })).then(function () {
      var st = lang(l);
      var results = top.map(function (h) {
        var n = docShard(m, h.lesson), docs = st.docs[n];
        var doc = docs && docs[h.lesson - m.docs[n]];
        return doc ? { hit: h, doc: doc } : null;
      }).filter(Boolean);
      var phrase = words(q).map(fold);
      if (phrase.length < 2) return results;
      var inTitle = function (r) { return (' ' + words(r.doc.t).map(fold).join(' ') + ' ').indexOf(' ' + phrase.join(' ') + ' ') >= 0; };
      results.forEach(function (r, i) { r.order = (inTitle(r) ? 0 : results.length) + i; });
      return results.sort(function (a, b) { return a.order - b.order; });
    });
  }

  // ---- showing results -----------------------------------------------------------------

  /** Whether a word of the text is one the query looks for. */
  function matcher(qws, m) {
    return function (word) {
      var ts = terms(word, m.folding, m.stop);
      return qws.some(function (w) {
        return ts.some(function (t) {
          return w.terms.indexOf(t) >= 0 || (w.prefix && t.startsWith(w.terms[0]));
        });
      });
    };
  }

  /** `text` into `el`, each matching word in a <mark>; from `start` to `end` (offsets). */
  function fillMarked(el, text, isMatch, start, end) {
    var re = new RegExp(WORD.source, 'gu'), at = start, found;
    re.lastIndex = start;
    while ((found = re.exec(text)) && found.index < end) {
      if (!isMatch(found[0])) continue;
      el.appendChild(document.createTextNode(text.slice(at, found.index)));
      var mark = document.createElement('mark');
      mark.textContent = found[0];
      el.appendChild(mark);
      at = found.index + found[0].length;
    }
    el.appendChild(document.createTextNode(text.slice(at, Math.max(at, end))));
  }

  var EXCERPT = 180;

  /** The excerpt of a passage around its first match: [start, end]. */
  function excerptRange(text, isMatch) {
    var re = new RegExp(WORD.source, 'gu'), found, first = 0;
    while ((found = re.exec(text))) { if (isMatch(found[0])) { first = found.index; break; } }
    var start = Math.max(0, first - EXCERPT / 3);
    if (start > 0) { var sp = text.indexOf(' ', start); start = sp >= 0 && sp < first ? sp + 1 : start; }
    var end = Math.min(text.length, start + EXCERPT);
    if (end < text.length) { var sp2 = text.lastIndexOf(' ', end); end = sp2 > first ? sp2 : end; }
    return [start, end];
  }

  function resultItem(box, r, isMatch) {
    var doc = r.doc, passages = doc.p, p = passages[r.hit.passage] || passages[0] || ['', '', ''];
    var li = document.createElement('li');
    li.className = 'search-result';
    var a = document.createElement('a');
    a.href = box.root + doc.u + (p[0] ? '#' + encodeURIComponent(p[0]) : '');
    var title = document.createElement('span');
    title.className = 'search-result-title';
    fillMarked(title, doc.t, isMatch, 0, doc.t.length);
    a.appendChild(title);
    if (p[1]) {
      var heading = document.createElement('span');
      heading.className = 'search-result-heading';
      fillMarked(heading, p[1], isMatch, 0, p[1].length);
      a.appendChild(heading);
    }
    li.appendChild(a);
    var day = document.createElement('p');
    day.className = 'search-result-day';
    day.textContent = doc.d;
    li.appendChild(day);
    var text = p[2] || (passages[0] && passages[0][2]) || '';
    if (text) {
      var range = excerptRange(text, isMatch);
      var ex = document.createElement('p');
      ex.className = 'search-result-excerpt';
      if (range[0] > 0) ex.appendChild(document.createTextNode('… '));
      fillMarked(ex, text, isMatch, range[0], range[1]);
      if (range[1] < text.length) ex.appendChild(document.createTextNode(' …'));
      li.appendChild(ex);
    }
    return li;
  }

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return values[k] != null ? values[k] : ''; });
  }

  // ---- the box -------------------------------------------------------------------------

  function setUp(form) {
    var input = form.querySelector('input[type=search]');
    var list = form.querySelector('.search-results');
    var status = form.querySelector('.search-status');
    var summary = form.querySelector('.search-summary');
    var panel = form.querySelector('.search-panel');
    var others = Array.prototype.slice.call(form.querySelectorAll('a.search-other'));
    var box = { root: form.getAttribute('data-root') || '', lang: form.getAttribute('data-lang') };
    var base = box.root + 'search/' + box.lang + '/';
    var labels = form.dataset;
    var asked = 0;
    form.hidden = false;

    function close() { panel.hidden = true; }

    function run() {
      var q = input.value.trim(), ticket = ++asked;
      others.forEach(function (a) {
        var href = a.getAttribute('href').split('?')[0];
        a.setAttribute('href', q ? href + '?q=' + encodeURIComponent(q) : href);
      });
      if (!q) { list.textContent = ''; tell(''); close(); return Promise.resolve(); }
      var started = performance.now();
      return search(base, box.lang, q).then(function (found) {
        if (ticket !== asked) return;
        if (!found.m) { tell(labels.unavailable); list.textContent = ''; open(); return; }
        return withDocs(base, box.lang, found, q).then(function (results) {
          if (ticket !== asked) return;
          var docsAt = performance.now();
          var isMatch = matcher(found.words || [], found.m);
          var frag = document.createDocumentFragment();
          results.forEach(function (r) { frag.appendChild(resultItem(box, r, isMatch)); });
          list.textContent = '';
          list.appendChild(frag);
          tell(found.hits.length ? say(labels.results, { n: String(found.hits.length) }) : say(labels.none, { q: q }));
          // For tests and the browser bench: what was last shown, and how long it took.
          form.setAttribute('data-search-ms', (performance.now() - started).toFixed(1));
          var times = found.times || {};
          form.setAttribute('data-search-phases', ['manifest', 'terms', 'rank'].map(function (k) { return k + ' ' + (times[k] || 0).toFixed(1); }).join(', ') + ', docs ' + (docsAt - started).toFixed(1));
          form.setAttribute('data-search-q', q);
          open();
        });
      });
    }

    // Said by screen readers (a live region, always in the page) and shown in the panel.
    function tell(text) { status.textContent = text; if (summary) summary.textContent = text; }

    function open() { panel.hidden = false; }

    function links() { return Array.prototype.slice.call(panel.querySelectorAll('a')); }

    input.addEventListener('input', run);
    // Focusing the box loads the index's manifest and warms up the Unicode tables the
    // folding uses, so that the first letters typed are answered at once.
    input.addEventListener('focus', function () {
      manifest(base, box.lang).then(function () { fold('Éأ١'); matchWarm(); });
      if (input.value.trim() && list.childElementCount) open();
    });
    function matchWarm() { 'ا ب'.match(WORD); }
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      Promise.resolve(run()).then(function () {
        var first = list.querySelector('a');
        if (first) first.click();
      });
    });
    form.addEventListener('keydown', function (e) {
      var all = links(), i = all.indexOf(document.activeElement);
      if (e.key === 'Escape') {
        if (!panel.hidden) { close(); input.focus(); e.preventDefault(); }
      } else if (e.key === 'ArrowDown' && !panel.hidden && all.length) {
        all[Math.min(i + 1, all.length - 1)].focus();
        e.preventDefault();
      } else if (e.key === 'ArrowUp' && i >= 0) {
        (i === 0 ? input : all[i - 1]).focus();
        e.preventDefault();
      }
    });
    document.addEventListener('click', function (e) { if (!form.contains(e.target)) close(); });
    form.addEventListener('focusout', function (e) { if (e.relatedTarget && !form.contains(e.relatedTarget)) close(); });

    // `?q=…`: a search handed over from another page (the other language's link).
    var q = new URLSearchParams(location.search).get('q');
    if (q) { input.value = q; run(); }
  }

  function start() { Array.prototype.forEach.call(document.querySelectorAll('form.site-search'), setUp); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
