// hunterbot console: the fleet table's live updates over Server-Sent
// Events. The server renders (and escapes) the rows; this only swaps them
// in. Everything else is plain forms and htmx attributes.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.EventSource) { return; }
  var es = new EventSource(live.getAttribute("data-src"));
  es.addEventListener("open", function () { live.classList.add("on"); });
  es.addEventListener("error", function () { live.classList.remove("on"); });
  es.addEventListener("rows", function (ev) {
    var tbody = document.getElementById("fleet-rows");
    if (!tbody) { return; }
    var tpl = document.createElement("template");
    tpl.innerHTML = "<table>" + ev.data + "</table>";
    var fresh = tpl.content.querySelector("tbody");
    if (fresh) { tbody.replaceWith(fresh); }
    live.setAttribute("data-updated", String(Date.now()));
  });
  es.addEventListener("alerts", function (ev) {
    var box = document.getElementById("recent-alerts");
    if (!box) { return; }
    var tpl = document.createElement("template");
    tpl.innerHTML = ev.data;
    var fresh = tpl.content.getElementById("recent-alerts");
    if (fresh) { box.replaceWith(fresh); }
  });
  es.addEventListener("logout", function () { es.close(); window.location.assign("/ui/login"); });
})();
