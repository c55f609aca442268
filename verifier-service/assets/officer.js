// The officer's page with a camera: frames go to the service (POST
// /officer, frame=1) until one holds a code; the decision then replaces the
// page's result, with a sound per decision, and scanning waits for "Next
// traveller". Without JavaScript, or without a camera, the photo form works
// alone.
(function () {
  "use strict";
  var camera = document.getElementById("camera");
  var form = document.getElementById("check-form");
  if (!camera || !form || !window.fetch || !window.FormData || !window.DOMParser ||
      !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var start = document.getElementById("camera-start");
  var stop = document.getElementById("camera-stop");
  var video = document.getElementById("camera-view");
  var status = document.getElementById("camera-status");
  var canvas = document.createElement("canvas");
  var stream = null;
  var scanning = false;
  var audio = null;
  camera.hidden = false;

  function say(key) { status.textContent = status.dataset[key] || ""; }

  // One tone for admit, two for secondary inspection, three low for refuse.
  function cue(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tones = { admit: [880], valid: [880], secondary: [660, 660], refuse: [330, 330, 330], invalid: [330, 330, 330] }[kind] || [440];
      tones.forEach(function (hz, i) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = hz; g.gain.value = 0.2;
        o.connect(g); g.connect(audio.destination);
        var at = audio.currentTime + i * 0.25;
        o.start(at); o.stop(at + 0.18);
      });
    } catch (e) { /* no sound: the word and colour still show */ }
  }

  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var fresh = page.getElementById("result") || page.getElementById("error-summary");
    if (!fresh) return false;
    var main = document.getElementById("main");
    var old = document.getElementById("result") || document.getElementById("error-summary");
    var heading = main.querySelector("h1");
    if (old) old.remove();
    if (heading && !old) heading.remove();
    main.insertBefore(document.importNode(fresh, true), main.firstChild);
    var next = document.getElementById("next");
    if (next) next.addEventListener("click", function (event) {
      if (!stream) return;
      event.preventDefault();
      var result = document.getElementById("result");
      if (result) result.remove();
      scanning = true;
      say("looking");
      look();
    });
    var target = document.getElementById("decision-word") || document.getElementById("error-summary");
    if (target) target.focus();
    if (fresh.dataset.decision) cue(fresh.dataset.decision);
    return true;
  }

  function send(blob) {
    var data = new FormData(form);
    data.delete("photo");
    data.set("photo", blob, "frame.jpg");
    data.set("frame", "1");
    fetch(form.action, { method: "POST", body: data })
      .then(function (response) {
        if (response.status === 204) { window.setTimeout(look, 100); return; }
        return response.text().then(function (html) {
          scanning = false;
          if (!show(html)) { say("failed"); }
          else { status.textContent = ""; }
        });
      })
      .catch(function () { say("failed"); window.setTimeout(look, 1000); });
  }

  function look() {
    if (!scanning || !stream) return;
    if (video.readyState < 2 || !video.videoWidth) { window.setTimeout(look, 100); return; }
    var scale = Math.min(1, 1280 / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    canvas.toBlob(function (blob) { if (blob) send(blob); else window.setTimeout(look, 200); }, "image/jpeg", 0.9);
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        video.play();
        start.hidden = true;
        stop.hidden = false;
        scanning = true;
        say("looking");
        look();
      })
      .catch(function () { say("denied"); });
  });

  stop.addEventListener("click", function () {
    scanning = false;
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
    status.textContent = "";
    start.focus();
  });
})();
