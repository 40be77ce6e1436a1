/* kepu's small behaviours, loaded on every page (no inline scripts anywhere: CSP).
   Every page works without this file; it only makes some things nicer. */
(function () {
  "use strict";

  // A button that may be used again only after a wait (the SMS code's resend): it counts down.
  // <button data-countdown="42" data-countdown-label="Send again ({n} s)" disabled>…</button>
  function startCountdowns(root) {
    root.querySelectorAll("[data-countdown]").forEach(function (button) {
      if (button.dataset.counting) return;
      button.dataset.counting = "1";
      var left = parseInt(button.dataset.countdown, 10) || 0;
      var ready = button.textContent;
      var label = button.dataset.countdownLabel || "{n}";
      function tick() {
        if (left <= 0) {
          button.disabled = false;
          button.textContent = ready;
          return;
        }
        button.disabled = true;
        button.textContent = label.replace("{n}", String(left));
        left -= 1;
        window.setTimeout(tick, 1000);
      }
      tick();
    });
  }

  // Filters folded behind one button on a phone are simply open on a desk.
  function openWide(root) {
    if (!window.matchMedia("(min-width: 48rem)").matches) return;
    root.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }

  // The header menu closes when one taps elsewhere or presses Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      menu.open = false;
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  // Stars: say in words what the tapped star means ("4 stars: satisfied").
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".stars-row input")) return;
    var said = input.closest("fieldset").querySelector(".stars-said");
    if (said) said.textContent = input.dataset.said || "";
  });

  // <button data-print>: print the page; <select data-autosubmit>: a choice submits its form.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]") && select.form) {
      if (select.form.requestSubmit) select.form.requestSubmit(); else select.form.submit();
    }
    // <select data-set-action="form-id">: the chosen option's value becomes that form's address.
    if (select.matches && select.matches("select[data-set-action]")) {
      var target = document.getElementById(select.getAttribute("data-set-action"));
      if (target) target.action = select.value;
    }
  });

  // A table wider than the screen scrolls inside its frame: keyboard users must be able to reach it
  // (WCAG 2.1.1), so the frame becomes a focusable, named region when, and only when, it scrolls.
  function scrollableTables(root) {
    root.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.hasAttribute("tabindex") || wrap.scrollWidth <= wrap.clientWidth) return;
      var caption = wrap.querySelector("caption");
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      if (caption && !wrap.hasAttribute("aria-label")) wrap.setAttribute("aria-label", caption.textContent.trim());
    });
  }

  function init(root) {
    startCountdowns(root);
    openWide(root);
    scrollableTables(root);
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function () { init(document); });
})();
