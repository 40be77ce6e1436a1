/* Check-in scanner: the browser's BarcodeDetector where it exists, jsQR otherwise; a photo works too.
   A read code is put in the payload field and submitted like a typed one, so every path ends in the same request. */
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) return;
  var input = document.getElementById("payload");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var start = document.getElementById("scan-start");
  var stop = document.getElementById("scan-stop");
  var file = document.getElementById("scan-file");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;
  var stream = null;
  var last = "";
  var lastAt = 0;
  if ("BarcodeDetector" in window) {
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
  }

  function submit(code) {
    var now = Date.now();
    if (code === last && now - lastAt < 3000) return;  // the same ticket held in front of the camera
    last = code; lastAt = now;
    input.value = code;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  function readWithJsQR(source, w, h) {
    if (typeof window.jsQR !== "function") return null;
    canvas.width = w; canvas.height = h;
    ctx.drawImage(source, 0, 0, w, h);
    var found = window.jsQR(ctx.getImageData(0, 0, w, h).data, w, h, { inversionAttempts: "attemptBoth" });
    return found ? found.data : null;
  }

  function read(source, w, h) {
    if (detector) {
      return detector.detect(source).then(function (codes) {
        return codes.length ? codes[0].rawValue : readWithJsQR(source, w, h);
      }).catch(function () { return readWithJsQR(source, w, h); });
    }
    return Promise.resolve(readWithJsQR(source, w, h));
  }

  function tick() {
    if (!stream) return;
    if (video.readyState >= 2) {
      read(video, video.videoWidth, video.videoHeight).then(function (code) {
        if (code) submit(code);
        window.setTimeout(tick, 250);
      });
    } else {
      window.setTimeout(tick, 250);
    }
  }

  // The browser's own error ("Permission denied", "Requested device not found") is English and says
  // nothing about what to do: each kind is told in the page's language, with the next step.
  function cameraError(err) {
    var name = err && err.name;
    var d = start.dataset;
    if (name === "NotAllowedError" || name === "PermissionDeniedError") return d.denied;
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") return d.notfound;
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") return d.busy;
    if (name === "SecurityError") return d.insecure;
    return d.failed;
  }

  start.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = window.isSecureContext === false ? start.dataset.insecure : start.dataset.nocamera;
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (s) {
      stream = s; video.srcObject = s; video.hidden = false; stop.hidden = false; start.hidden = true;
      video.play(); tick();
    }).catch(function (err) { status.textContent = cameraError(err); });
  });
  stop.addEventListener("click", function () {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null; video.hidden = true; stop.hidden = true; start.hidden = false;
  });
  file.addEventListener("change", function () {
    var f = file.files && file.files[0];
    if (!f) return;
    var img = new Image();
    img.onload = function () {
      read(img, img.naturalWidth, img.naturalHeight).then(function (code) {
        if (code) { status.textContent = ""; submit(code); }
        else { status.textContent = file.dataset.none || "?"; }
        URL.revokeObjectURL(img.src);
      });
    };
    img.src = URL.createObjectURL(f);
  });
})();
