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
})();
