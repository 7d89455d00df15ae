/* Dashboard conveniences; every page works without them. */
(function () {
  "use strict";

  // Selects marked data-autosubmit apply at once (their form's button stays for no-JS).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Copy buttons for the embed codes.
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var label = button.textContent;
      var done = function () {
        button.textContent = button.getAttribute("data-copied");
        setTimeout(function () { button.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.value).then(done, function () {
          source.select(); document.execCommand("copy"); done();
        });
      } else {
        source.select(); document.execCommand("copy"); done();
      }
    });
  });

  // The overview's numbers refresh every 30 seconds (not while the tab is hidden).
  var note = document.getElementById("refresh-note");
  if (note && window.fetch) {
    var url = note.getAttribute("data-refresh-url");
    var refresh = function () {
      if (document.hidden) { return; }
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (numbers) {
          if (!numbers) { return; }
          Object.keys(numbers).forEach(function (slug) {
            var card = document.querySelector('[data-petition="' + CSS.escape(slug) + '"]');
            if (!card) { return; }
            Object.keys(numbers[slug]).forEach(function (field) {
              var target = card.querySelector('[data-field="' + field + '"]');
              if (!target || numbers[slug][field] === null) { return; }
              if (target.tagName === "PROGRESS") { target.value = numbers[slug][field]; }
              else { target.textContent = numbers[slug][field]; }
            });
          });
        })
        .catch(function () { /* the next round tries again */ });
    };
    setInterval(refresh, 30000);
  }
})();
