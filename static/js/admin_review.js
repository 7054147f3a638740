/* Bulk review of a source's candidate quotes: j/k move between quotes, p marks the
   current one "publish", r "reject", u "undecided"; nothing is saved until the form is
   submitted. Keys typed in a text field are left alone. */
(function () {
  "use strict";

  function setup(form) {
    var items = Array.prototype.slice.call(form.querySelectorAll(".kb-review-item"));
    var current = -1;

    function focus(i) {
      if (!items.length) {
        return;
      }
      current = Math.max(0, Math.min(items.length - 1, i));
      items.forEach(function (item, n) {
        item.classList.toggle("kb-review-current", n === current);
      });
      items[current].focus();
      items[current].scrollIntoView({ block: "nearest" });
    }

    function decide(value) {
      if (current < 0) {
        focus(0);
      }
      var radio = items[current].querySelector("input[type=radio][value='" + value + "']");
      if (radio) {
        radio.checked = true;
      }
      focus(current + 1);
    }

    items.forEach(function (item, n) {
      item.addEventListener("focusin", function () {
        current = n;
        items.forEach(function (other, m) {
          other.classList.toggle("kb-review-current", m === n);
        });
      });
    });

    form.querySelectorAll("button[data-all]").forEach(function (button) {
      button.addEventListener("click", function () {
        var value = button.dataset.all;
        form.querySelectorAll("input[type=radio][value='" + value + "']").forEach(function (r) {
          r.checked = true;
        });
      });
    });

    document.addEventListener("keydown", function (event) {
      var tag = event.target.tagName;
      if (event.ctrlKey || event.metaKey || event.altKey || tag === "TEXTAREA" ||
          (tag === "INPUT" && event.target.type !== "radio") || tag === "SELECT") {
        return;
      }
      var keys = { j: 1, k: -1 };
      if (event.key in keys) {
        event.preventDefault();
        focus(current + keys[event.key]);
      } else if (event.key === "p") {
        event.preventDefault();
        decide("publish");
      } else if (event.key === "r") {
        event.preventDefault();
        decide("reject");
      } else if (event.key === "u") {
        event.preventDefault();
        decide("");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("kb-review-form");
    if (form) {
      setup(form);
    }
  });
})();
