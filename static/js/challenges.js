// 揭榜挂帅: autosave of the application draft and the repeatable milestone rows.
// Loaded only from templates/challenges/apply.html (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";
  var form = document.getElementById("application-form");
  if (!form) { return; }
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("autosave-status");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var token = meta ? meta.getAttribute("content") : "";
  var lastSent = null;

  function payload() {
    var data = new FormData(form);
    data.delete("action");
    return data;
  }

  function signature(data) {
    var parts = [];
    data.forEach(function (value, key) { parts.push(key + "=" + value); });
    return parts.join("&");
  }

  function save() {
    var data = payload();
    var sig = signature(data);
    if (sig === lastSent) { return; }
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" }
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (json) {
        lastSent = sig;
        if (status) {
          var when = new Date(json.saved_at);
          status.textContent = status.getAttribute("data-saved-text") + " " + when.toLocaleTimeString();
        }
      })
      .catch(function () {
        if (status) { status.textContent = status.getAttribute("data-failed-text"); }
      });
  }

  lastSent = signature(payload());
  // Leaving a field saves a moment later, unless the form is being submitted: clicking 提交 blurs
  // the field first, and a save racing the submission could answer last and overwrite the
  // session cookie that carries the submission's confirmation.
  var pending = null;
  var submitting = false;
  setInterval(function () { if (!submitting) { save(); } }, 30000);
  form.addEventListener("blur", function (event) {
    if (!event.target || !event.target.name || submitting) { return; }
    clearTimeout(pending);
    pending = setTimeout(save, 400);
  }, true);
  form.addEventListener("submit", function () {
    submitting = true;
    clearTimeout(pending);
  });

  // Repeatable milestones: clone the last row with the next index.
  var add = document.getElementById("add-milestone");
  var list = document.getElementById("milestones");
  if (add && list) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var rows = list.querySelectorAll(".milestone-row");
      var last = rows[rows.length - 1];
      if (!last) { return; }
      var index = rows.length;
      var copy = last.cloneNode(true);
      copy.querySelectorAll("input, label").forEach(function (el) {
        ["id", "name", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/plan-\d+-/, "plan-" + index + "-")); }
        });
        if (el.tagName === "INPUT") { el.value = ""; el.classList.remove("is-invalid"); }
      });
      copy.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
      list.appendChild(copy);
      var first = copy.querySelector("input");
      if (first) { first.focus(); }
    });
  }
})();
