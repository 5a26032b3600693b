// dars live reload: injected by `dars serve` only, never in built pages.
(function () {
  "use strict";
  var KEY = "dars-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(KEY);
  if (saved !== null) {
    sessionStorage.removeItem(KEY);
    window.addEventListener("load", function () { window.scrollTo(0, parseInt(saved, 10) || 0); });
  }

  function overlay(state) {
    var box = document.getElementById("dars-error-overlay");
    if (!box) {
      box = document.createElement("div");
      box.id = "dars-error-overlay";
      box.setAttribute("role", "alert");
      box.setAttribute("dir", "ltr");
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.92);" +
        "color:#fff;font:14px/1.5 ui-monospace,monospace;padding:2rem;white-space:pre-wrap;text-align:left";
      document.body.appendChild(box);
    }
    var lines = (state.errors || []).map(function (e) { return e.text; });
    box.textContent = "dars: the last change does not build; the page shows the last good version.\n\n" + lines.join("\n");
  }

  // Warnings: a notice in a corner, in the page's flow of reading but above it. A warning
  // dismissed stays dismissed for this tab (sessionStorage), through reloads; a new one
  // brings the notice back.
  var DISMISSED = "dars-dismissed-warnings";
  function dismissed() {
    try { return JSON.parse(sessionStorage.getItem(DISMISSED) || "[]"); } catch (e) { return []; }
  }
  function notice(data) {
    // For tests and the curious: how many warnings the server last sent.
    document.documentElement.setAttribute("data-dars-warnings", String((data.warnings || []).length));
    var old = document.getElementById("dars-warnings");
    if (old) old.remove();
    var gone = dismissed();
    var shown = (data.warnings || []).map(function (w) { return w.text; }).filter(function (t) { return gone.indexOf(t) < 0; });
    if (shown.length === 0) return;
    var box = document.createElement("aside");
    box.id = "dars-warnings";
    box.setAttribute("role", "status");
    box.setAttribute("dir", "ltr");
    box.setAttribute("aria-label", "dars warnings");
    box.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:2147483646;max-width:min(40rem,calc(100vw - 2rem));" +
      "max-height:40vh;overflow:auto;background:#fffbeb;color:#451a03;border:2px solid #b45309;border-radius:6px;" +
      "box-shadow:0 4px 16px rgba(0,0,0,.25);font:13px/1.45 ui-monospace,monospace;padding:.75rem 2.5rem .75rem 1rem;text-align:left";
    var title = document.createElement("strong");
    title.textContent = "dars: " + shown.length + (shown.length === 1 ? " warning" : " warnings") + " (the site builds; dars check lists them too)";
    var list = document.createElement("ul");
    list.style.cssText = "margin:.5rem 0 0;padding-left:1.2rem;white-space:pre-wrap";
    shown.forEach(function (t) {
      var item = document.createElement("li");
      item.textContent = t;
      list.appendChild(item);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.id = "dars-warnings-dismiss";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", "Dismiss these warnings");
    close.style.cssText = "position:absolute;top:.25rem;right:.4rem;font:20px/1 sans-serif;background:none;border:0;color:inherit;cursor:pointer;padding:.25rem";
    close.addEventListener("click", function () {
      sessionStorage.setItem(DISMISSED, JSON.stringify(gone.concat(shown)));
      box.remove();
    });
    box.appendChild(close);
    box.appendChild(title);
    box.appendChild(list);
    document.body.appendChild(box);
  }

  function reload(data) {
    var here = location.pathname.replace(/\/$/, "/index.html");
    if (data.follow && data.follow !== here) { location.href = data.follow; return; }
    var changed = data.changed || [];
    var mine = data.recovered || changed.length === 0 || changed.some(function (p) {
      return p === here || /\.(css|js|ttf|woff2?)$/.test(p);
    });
    if (mine) {
      sessionStorage.setItem(KEY, String(window.scrollY));
      location.reload();
    }
  }

  var source = new EventSource("/__dars/events");
  source.addEventListener("error", function (e) { if (e.data) overlay(JSON.parse(e.data)); });
  source.addEventListener("reload", function (e) { reload(JSON.parse(e.data)); });
  source.addEventListener("warnings", function (e) { notice(JSON.parse(e.data)); });
})();
