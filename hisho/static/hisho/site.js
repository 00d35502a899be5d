// Hisho: the navigation collapses behind a "Menu" button on narrow screens. Without
// JavaScript the navigation simply stays open (the button is hidden).
(function () {
  "use strict";
  var button = document.querySelector("header.top button.menu");
  var nav = document.getElementById("site-nav");
  if (!button || !nav) { return; }
  document.documentElement.classList.add("js");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  });
})();
