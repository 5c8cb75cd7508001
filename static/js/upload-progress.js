/* Upload progress for forms marked data-upload-progress (no inline script: CSP script-src 'self').
   The form is sent with XMLHttpRequest so the upload's progress events can drive a Bootstrap
   progress bar; the server's answer (the report page, or the page it redirected to) then
   replaces the document, exactly as a normal form submission would. */
(function () {
  "use strict";

  function setup(form) {
    var box = form.querySelector("[data-progress]");
    var bar = form.querySelector("[data-progress-bar]");
    var text = form.querySelector("[data-progress-text]");
    var meter = box && box.querySelector(".progress");
    if (!box || !bar || !window.FormData || !window.XMLHttpRequest) {
      return;
    }

    function show(percent, label, busy) {
      box.classList.remove("d-none");
      bar.style.width = percent + "%";
      bar.classList.toggle("progress-bar-striped", busy);
      bar.classList.toggle("progress-bar-animated", busy);
      meter.setAttribute("aria-valuenow", String(percent));
      text.textContent = label;
    }

    form.addEventListener("submit", function (event) {
      var file = form.querySelector("input[type=file]");
      if (!file || !file.files || !file.files.length) {
        return; // let the server answer with the form error
      }
      event.preventDefault();
      var button = form.querySelector("[type=submit]");
      if (button) {
        button.disabled = true;
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.round((e.loaded / e.total) * 100);
          show(percent, form.dataset.labelUploading + " " + percent + "%", false);
        }
      });
      xhr.upload.addEventListener("load", function () {
        show(100, form.dataset.labelChecking, true);
      });
      xhr.addEventListener("load", function () {
        var target = xhr.responseURL || window.location.href;
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (window.history && target !== window.location.href) {
          window.history.replaceState(null, "", target);
        }
      });
      xhr.addEventListener("error", function () {
        show(0, form.dataset.labelFailed, false);
        if (button) {
          button.disabled = false;
        }
      });
      show(0, form.dataset.labelUploading + " 0%", false);
      xhr.send(new FormData(form));
    });
  }

  document.querySelectorAll("form[data-upload-progress]").forEach(setup);
})();
