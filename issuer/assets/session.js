// Progressive enhancement of the session bar (the page works without it):
// five minutes before the session ends, the warning is shown and announced,
// and focus moves to the button that extends it (WCAG 2.2.1, timing
// adjustable). The time left comes from the server, so a wrong clock on the
// device does not matter.
(function () {
  "use strict";
  var bar = document.getElementById("session-bar");
  if (!bar) {
    return;
  }
  var left = Number(bar.getAttribute("data-seconds-left")) * 1000;
  var warnBefore = 5 * 60 * 1000;
  function warn() {
    document.getElementById("session-warning").hidden = false;
    document.getElementById("session-extend").focus();
  }
  window.setTimeout(warn, Math.max(0, left - warnBefore));
  window.setTimeout(function () {
    window.location.assign("/sign-in");
  }, left + 1000);
})();
