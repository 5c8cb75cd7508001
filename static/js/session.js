// matchmaker: warn before the idle session timeout ends and offer to stay signed in (issue 19,
// 适老化: a time limit is announced before it runs out and can be extended).
// The server ends a session after data-session-idle seconds without a request (web/hooks.py);
// data-session-warn seconds before that, #session-warning appears; 继续使用 calls the
// keep-alive endpoint, which restarts the server's idle timer, and the countdown starts again.
(function () {
  "use strict";
  var body = document.body;
  var idle = parseInt(body.getAttribute("data-session-idle"), 10);
  var warnBefore = parseInt(body.getAttribute("data-session-warn"), 10);
  var url = body.getAttribute("data-keep-alive-url");
  var box = document.getElementById("session-warning");
  var extend = document.getElementById("session-extend");
  if (!idle || !url || !box || !extend) { return; }
  var tokenMeta = document.querySelector("meta[name=csrf-token]");
  var warnTimer = null;
  var endTimer = null;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    warnTimer = setTimeout(function () {
      box.hidden = false;
      extend.focus();
    }, Math.max(idle - warnBefore, 0) * 1000);
    // Once the session has ended, show the login page instead of a page that no longer works.
    endTimer = setTimeout(function () { window.location.reload(); }, (idle + 5) * 1000);
  }

  extend.addEventListener("click", function () {
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": tokenMeta ? tokenMeta.content : "" }
    }).then(function (response) {
      if (response.status !== 204) { window.location.reload(); return; }
      box.hidden = true;
      schedule();
    }).catch(function () { window.location.reload(); });
  });
  schedule();
})();
