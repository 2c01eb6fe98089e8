// Paints each customer photo's average colour behind it while the photo loads.
// (Set through the CSSOM: the Content-Security-Policy forbids inline style attributes.)
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var colour = /^#[0-9a-f]{6}$/i;
  document.querySelectorAll("[data-placeholder]").forEach(function (el) {
    var value = el.getAttribute("data-placeholder");
    if (colour.test(value)) {
      el.style.backgroundColor = value;
    }
  });
});
