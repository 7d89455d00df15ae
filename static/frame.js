/* Runs inside every widget page (iframe or standalone page). No dependencies.
   Talks to the partner page only through postMessage, and only with the origin the
   server checked against the partner's registered origins (data-parent-origin). */
(function () {
  "use strict";
  var root = document.documentElement;
  var lang = root.lang || "en";
  var parentOrigin = root.getAttribute("data-parent-origin");
  var framed = window.parent !== window;
  var lastHeight = -1;

  function post(message) {
    if (framed && parentOrigin) window.parent.postMessage(message, parentOrigin);
  }

  // The body's box plus its margins. documentElement.scrollHeight never drops below the
  // frame's current height, so a frame sized by it could grow but never shrink.
  function reportHeight() {
    var body = document.body;
    if (!body) return;
    var style = window.getComputedStyle(body);
    var height = Math.ceil(
      body.getBoundingClientRect().height +
        parseFloat(style.marginTop) + parseFloat(style.marginBottom)
    );
    if (height !== lastHeight) {
      lastHeight = height;
      post({ type: "petition-widget:height", height: height });
    }
  }

  function pluralCategory(n) {
    try {
      return new Intl.PluralRules(lang).select(n);
    } catch (e) {
      return n === 1 ? "one" : "other";
    }
  }

  function formatNumber(n) {
    try {
      return new Intl.NumberFormat(lang).format(n);
    } catch (e) {
      return String(n);
    }
  }

  // Rewrite the count sentence with the server's translation for the right plural form.
  function renderCount(box, n) {
    var template =
      box.getAttribute("data-plural-" + pluralCategory(n)) ||
      box.getAttribute("data-plural-other") ||
      box.getAttribute("data-plural-many") ||
      "{n}";
    var parts = template.split("{n}");
    var line = box.querySelector(".count-line");
    var strong = document.createElement("strong");
    strong.className = "count-number";
    strong.textContent = formatNumber(n);
    line.textContent = "";
    line.appendChild(document.createTextNode(parts[0]));
    line.appendChild(strong);
    line.appendChild(document.createTextNode(parts.slice(1).join("{n}")));
    box.setAttribute("data-count", String(n));
    var progress = box.querySelector("progress");
    if (progress) progress.value = Math.min(n, progress.max);
  }

  // Counts only go up within one page view: a cached copy that is a few seconds older
  // than the signer's own total must not make the number jump back.
  function showCount(slug, n) {
    var boxes = document.querySelectorAll(".count-box");
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      if (box.getAttribute("data-petition") === slug && n > Number(box.getAttribute("data-count"))) {
        renderCount(box, n);
      }
    }
  }

  function listenToParent() {
    window.addEventListener("message", function (event) {
      if (!parentOrigin || event.source !== window.parent || event.origin !== parentOrigin) return;
      var data = event.data;
      if (data && data.type === "petition-widget:count" && typeof data.count === "number") {
        showCount(data.petition, data.count);
      }
    });
  }

  // Counter placements refresh every 15-30 s (jittered so partner pages do not poll in
  // step), revalidate with If-None-Match (cache: "no-cache"), back off on errors and
  // pause while the tab is hidden.
  function pollCount(box) {
    var url = box.getAttribute("data-poll");
    var slug = box.querySelector(".count-box").getAttribute("data-petition");
    var failures = 0;
    var timer = null;
    function schedule() {
      clearTimeout(timer);
      var backoff = Math.pow(2, Math.min(failures, 5));
      timer = setTimeout(tick, (15000 + Math.random() * 15000) * backoff);
    }
    function tick() {
      if (document.hidden) return;
      fetch(url, { cache: "no-cache", credentials: "omit" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          showCount(slug, data.count);
        })
        .catch(function () {
          failures += 1;
        })
        .then(schedule);
    }
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) schedule();
    });
    schedule();
  }

  function start() {
    var summary = document.getElementById("error-summary");
    var thanks = document.getElementById("thanks-title");
    if (summary) summary.focus();
    else if (thanks) thanks.focus();

    var announce = document.querySelector("[data-announce-count]");
    if (announce) {
      post({
        type: "petition-widget:count",
        petition: announce.getAttribute("data-petition"),
        count: Number(announce.getAttribute("data-count"))
      });
    }
    var poll = document.querySelector("[data-poll]");
    if (poll && window.fetch) pollCount(poll);
    listenToParent();

    reportHeight();
    if (window.ResizeObserver) new ResizeObserver(reportHeight).observe(document.body);
    window.addEventListener("load", reportHeight);
    window.addEventListener("resize", reportHeight);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(reportHeight);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
