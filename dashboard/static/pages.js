/* Keyboard for the failure queue (Enter saves, Esc skips, ? marks unreadable) and the report picker. */
(function () {
  "use strict";

  const input = document.getElementById("label-input");
  if (input) {
    input.focus();
    input.select();
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        window.location.assign(document.getElementById("skip-link").href);
      } else if (event.key === "?") {
        event.preventDefault();
        document.getElementById("unreadable-form").requestSubmit();
      }
    });
  }

  const dateSelect = document.getElementById("date-select");
  if (dateSelect) {
    // Another day may not have the security shown: let the page pick that day's most traded one.
    dateSelect.addEventListener("change", () => {
      document.getElementById("code-input").value = "";
      dateSelect.form.requestSubmit();
    });
  }
})();
