// Parcours page behaviour. No inline scripts anywhere (the Content-Security-Policy forbids them).
// After an HTMX swap, move the focus to the updated region so keyboard and screen-reader users follow.
document.addEventListener("htmx:afterSwap", function (event) {
  var target = event.detail && event.detail.target;
  if (target && target.id === "resultats") {
    target.setAttribute("tabindex", "-1");
  }
});

// Charts: each [data-chart] element names an inert JSON script holding a Vega-Lite spec. Expressions are
// evaluated by vega-interpreter (no eval), as the Content-Security-Policy requires; no export menu.
function parcoursRenderCharts(root) {
  if (typeof window.vegaEmbed !== "function") { return; }
  (root || document).querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || el.getAttribute("data-rendered") === "true") { return; }
    el.setAttribute("data-rendered", "true");
    window.vegaEmbed(el, JSON.parse(source.textContent), {
      actions: false, renderer: "svg", ast: true, expr: window.vegaExpressionInterpreter,
      // vega-embed and vega-tooltip inject <style> elements, which the CSP refuses (style-src 'self').
      defaultStyle: false, tooltip: false
    }).catch(function (err) { el.textContent = "Graphique indisponible : " + err; });
  });
}
document.addEventListener("DOMContentLoaded", function () { parcoursRenderCharts(document); });
document.addEventListener("htmx:afterSwap", function (event) { parcoursRenderCharts(event.detail.target); });
