// Keeps the upload status page current: asks the API every second until the photo is settled,
// then reloads once so the page shows the final result (and the photo, when it was approved).
"use strict";

(function () {
  var POLL_MS = 1000;
  var panel = document.getElementById("status");
  var text = document.getElementById("status-text");
  if (!panel || !text) {
    return;
  }
  // The states the photo stays in, rendered by the page from the server's own list.
  var FINAL = (panel.getAttribute("data-final-states") || "").split(" ").filter(Boolean);
  // Until then a photo shown as in review may still turn out rejected (a moderator's rejection
  // can be undone for a while, and shows as in review meanwhile): keep asking.
  var finalAfter = Date.now() + Number(panel.getAttribute("data-final-after-ms") || 0);
  var url = panel.getAttribute("data-status-url");
  var failures = 0;

  // Which step each state is at, for assistive technology (the colours say it to the eye);
  // the page renders the map as "state:step" pairs, any other state being at "done".
  var STEPS = {};
  (panel.getAttribute("data-steps") || "").split(" ").filter(Boolean).forEach(function (pair) {
    var parts = pair.split(":");
    STEPS[parts[0]] = parts[1];
  });

  function markStep(status) {
    var current = STEPS[status] || "done";
    panel.querySelectorAll("[data-step]").forEach(function (step) {
      if (step.getAttribute("data-step") === current) {
        step.setAttribute("aria-current", "step");
      } else {
        step.removeAttribute("aria-current");
      }
    });
  }

  function show(data) {
    panel.setAttribute("data-status", data.status);
    markStep(data.status);
    if (text.textContent !== data.message) {
      text.textContent = data.message;
    }
    if (FINAL.indexOf(data.status) !== -1 && Date.now() >= finalAfter) {
      window.location.reload();
      return true;
    }
    return false;
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        failures = 0;
        if (!show(data)) {
          window.setTimeout(poll, POLL_MS);
        }
      })
      .catch(function () {
        failures += 1;
        if (failures === 3) {
          text.textContent = "We cannot reach the shop right now; still trying…";
        }
        window.setTimeout(poll, Math.min(POLL_MS * failures, 10000));
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
