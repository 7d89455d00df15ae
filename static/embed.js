/* Petition widget embed script. Turns each <div class="petition-widget" data-petition=…>
   into an iframe served by this script's own origin. Dependency-free; load with async. */
(function (w, d) {
  "use strict";
  var script = d.currentScript;
  if (!script) return;
  var origin = new URL(script.src).origin;
  // Several snippets may load this script; they share one registry and one listener.
  var reg = w.__petitionWidget;
  if (!reg) {
    reg = w.__petitionWidget = { frames: [] };
    w.addEventListener("message", onMessage);
  }

  function onMessage(ev) {
    var data = ev.data || {};
    for (var i = 0; i < reg.frames.length; i++) {
      var r = reg.frames[i];
      if (ev.source !== r.frame.contentWindow || ev.origin !== r.origin) continue;
      if (data.type === "petition-widget:height" && typeof data.height === "number") {
        r.frame.style.height = Math.min(Math.max(data.height, 0), 20000) + "px";
        if (!r.ready) {
          r.ready = true;
          r.el.setAttribute("data-widget-state", "ready");
          if (r.link) r.link.style.display = "none";
        }
      } else if (data.type === "petition-widget:count" && typeof data.count === "number") {
        relayCount(r, data.count);
      }
    }
  }

  // A new signature: tell the page's other frames of the same petition, so counters
  // show the signer's own signature at once.
  function relayCount(from, count) {
    for (var i = 0; i < reg.frames.length; i++) {
      var r = reg.frames[i];
      if (r !== from && r.ready && r.slug === from.slug && r.origin === from.origin) {
        r.frame.contentWindow.postMessage(
          { type: "petition-widget:count", petition: r.slug, count: count }, r.origin);
      }
    }
  }

  function build(el) {
    el.setAttribute("data-widget-state", "loading");
    var slug = el.getAttribute("data-petition");
    var counter = el.getAttribute("data-variant") === "counter";
    var link = el.querySelector("a");
    var q = [];
    ["partner", "lang", "color"].forEach(function (k) {
      var v = el.getAttribute("data-" + k);
      if (v) q.push(k + "=" + encodeURIComponent(v));
    });
    q.push("ref=" + encodeURIComponent(location.href.slice(0, 1000)));
    var f = d.createElement("iframe");
    f.src = origin + "/embed/" + encodeURIComponent(slug) + (counter ? "/counter" : "") +
      "?" + q.join("&");
    f.title = (link && link.textContent) || slug;
    // Hidden until the frame reports its height: if the server is down, the link stays.
    f.style.cssText = "border:0;width:100%;height:0;display:block;margin:0;padding:0";
    var r = { el: el, frame: f, slug: slug, link: link, origin: origin, ready: false };
    reg.frames.push(r);
    f.addEventListener("load", function () {
      setTimeout(function () {
        if (r.ready) return;
        // Loaded but silent: the frame's JavaScript is off, or it shows an error (server
        // down, page not allowed to frame it). If the server says this page may embed
        // the widget, show the frame at a fixed height (the form works without script);
        // otherwise leave the link.
        var partner = el.getAttribute("data-partner") || "";
        fetch(origin + "/api/v1/petitions/" + encodeURIComponent(slug) +
          "/embeddable?partner=" + encodeURIComponent(partner), { credentials: "omit" })
          .then(function (res) {
            return res.json();
          })
          .then(function (data) {
            if (!data.embeddable) throw 0;
            r.ready = true;
            el.setAttribute("data-widget-state", "static");
            f.style.height = (counter ? 12 : 70) + "rem";
            if (link) link.style.display = "none";
          })
          .catch(fail);
      }, 3000);
    });
    el.appendChild(f);
    function fail() {
      if (r.ready) return;
      el.setAttribute("data-widget-state", "failed");
      f.parentNode && f.parentNode.removeChild(f);
    }
    setTimeout(fail, 15000);
  }

  function scan() {
    var els = d.querySelectorAll(".petition-widget[data-petition]:not([data-widget-state])");
    for (var i = 0; i < els.length; i++) build(els[i]);
  }

  scan();
  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", scan);
})(window, document);
