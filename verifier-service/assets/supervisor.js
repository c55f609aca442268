// The supervisor's page updates itself every 10 seconds: it fetches itself
// and swaps the live part in. Without JavaScript the page still works (the
// "Refresh now" link); with it, the officer can pause the updates (WCAG
// 2.2.2), and a failed update says so instead of showing old figures quietly.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch || !window.DOMParser) return;
  var paused = false;
  var button = document.getElementById("pause");
  var auto = document.getElementById("auto");

  function showControls(root) {
    var b = root.querySelector("#pause");
    var a = root.querySelector("#auto");
    if (b) {
      b.hidden = false;
      b.textContent = paused ? live.dataset.resume : live.dataset.pause;
      b.setAttribute("aria-pressed", paused ? "true" : "false");
    }
    if (a) a.hidden = paused;
  }

  function failed() {
    var note = document.getElementById("update-failed");
    if (note) note.hidden = false;
  }

  function update() {
    if (paused) return;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live");
        if (!fresh) throw new Error("no live part");
        var focused = document.activeElement && document.activeElement.id;
        live.innerHTML = fresh.innerHTML;
        wire();
        if (focused) {
          var again = document.getElementById(focused);
          if (again) again.focus();
        }
      })
      .catch(failed);
  }

  function wire() {
    button = document.getElementById("pause");
    auto = document.getElementById("auto");
    showControls(live);
    if (button) {
      button.addEventListener("click", function () {
        paused = !paused;
        showControls(live);
      });
    }
  }

  wire();
  window.setInterval(update, 10000);
})();
