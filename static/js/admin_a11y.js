/* Names for the admin's unnamed controls (axe: "label", "aria-input-field-name",
   "scrollable-region-focusable"), on every admin page (templates/admin/base_site.html):
   a tabular inline's inputs are named by their column's header, select2's comboboxes by
   their select's label, and a scrolling box of text can be reached with the keyboard. */
(function () {
  "use strict";

  function text(el) {
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function columnName(input) {
    var cell = input.closest("td");
    var table = input.closest("table");
    if (!cell || !table) {
      return "";
    }
    var index = Array.prototype.indexOf.call(cell.parentNode.children, cell);
    var header = table.querySelectorAll("thead th")[index];
    var row = cell.parentNode;
    var number = Array.prototype.indexOf.call(row.parentNode.children, row) + 1;
    var name = text(header);
    return name ? name + " (row " + number + ")" : "";
  }

  function labelOf(control) {
    if (control.id) {
      var label = document.querySelector("label[for='" + control.id + "']");
      if (text(label)) {
        return text(label);
      }
    }
    return columnName(control);
  }

  function set(el, attribute, value) {
    if (el.getAttribute(attribute) !== value) {
      el.setAttribute(attribute, value); // only when different: no mutation, no new pass
    }
  }

  function nameControls(root) {
    root.querySelectorAll("table input, table select, table textarea").forEach(function (c) {
      if (c.type === "hidden" || c.getAttribute("aria-label") || c.labels && c.labels.length) {
        return;
      }
      var name = columnName(c);
      if (name) {
        c.setAttribute("aria-label", name);
      }
    });
    root.querySelectorAll(".select2-selection[role='combobox']").forEach(function (box) {
      var container = box.closest(".select2");
      var select = container && container.previousElementSibling;
      var name = select && select.tagName === "SELECT" ? labelOf(select) : "";
      if (name) {
        if (box.hasAttribute("aria-labelledby")) {
          box.removeAttribute("aria-labelledby"); // names it by its (often empty) choice
        }
        set(box, "aria-label", name);
        var rendered = box.querySelector(".select2-selection__rendered[role='textbox']");
        if (rendered) {
          set(rendered, "aria-label", name);
        }
        var search = container.querySelector(".select2-search__field");
        if (search) {
          set(search, "aria-label", name);
        }
      }
      // A multiple choice lists its choices in a <ul> that also holds other elements.
      box.querySelectorAll("ul").forEach(function (list) {
        set(list, "role", "none");
        Array.prototype.forEach.call(list.children, function (item) {
          set(item, "role", "none");
        });
      });
    });
    root.querySelectorAll("pre, .kb-select-text").forEach(function (box) {
      if (box.scrollHeight > box.clientHeight && !box.hasAttribute("tabindex")) {
        set(box, "tabindex", "0");
      }
    });
  }

  // select2 (re)writes its boxes when it starts and on each choice; rows are added to
  // inlines: name them again after any change, once per frame.
  var pending = false;
  function later() {
    if (!pending) {
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        nameControls(document);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    nameControls(document);
    new MutationObserver(later).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["aria-labelledby", "role"],
    });
  });
  window.addEventListener("load", function () {
    nameControls(document);
  });
})();
