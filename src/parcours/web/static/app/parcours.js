// Parcours page behaviour. No inline scripts anywhere (the Content-Security-Policy forbids them).
// After an HTMX swap, move the focus to the updated region so keyboard and screen-reader users follow.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail && event.detail.target;
  if (target && target.id === "resultats") {
    target.setAttribute("tabindex", "-1");
  }
});
