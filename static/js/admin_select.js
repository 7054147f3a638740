/* Choose a quote's or a claim's words by selecting them (kb/admin/selection.py).

   In a ".kb-select" box of ".kb-select-passage" blocks: select words inside one passage;
   the selection is widened to whole words (never cut inside a word; Chinese and Japanese
   characters are words of their own), the exact words are shown, and the buttons either
   open the "add quote" / "add claim" form filled, or (the principle page's evidence
   picker) fill a claim row's passage, start and end.
   Offsets are Python string indices into source.text (code points, not UTF-16 units);
   the exact text comes from each passage's JSON copy (HTML turns \r\n into \n). */
(function () {
  "use strict";

  // The word rules and offset helpers, shared with the other selection box (admin_words.js).
  var snap = window.kbWords.snap;
  var codePoints = window.kbWords.codePoints;
  var originalOffset = window.kbWords.originalOffset;
  var offsetIn = window.kbWords.offsetIn;

  function originalOf(block) {
    var script = block.querySelector("script[type='application/json']");
    if (script) {
      return JSON.parse(script.textContent);
    }
    return block.dataset.text || block.querySelector(".kb-select-text").textContent;
  }

  // The chosen words of a selection inside one passage of ``box``, or null.
  function chosenIn(box) {
    var selection = window.getSelection();
    if (!selection.rangeCount || selection.isCollapsed) {
      return null;
    }
    var range = selection.getRangeAt(0);
    var block = null;
    box.querySelectorAll(".kb-select-passage").forEach(function (candidate) {
      var textBox = candidate.querySelector(".kb-select-text");
      if (textBox.contains(range.startContainer) && textBox.contains(range.endContainer)) {
        block = candidate;
      }
    });
    if (!block) {
      return null;
    }
    var textBox = block.querySelector(".kb-select-text");
    var original = originalOf(block);
    var a = originalOffset(original, offsetIn(textBox, range.startContainer, range.startOffset));
    var b = originalOffset(original, offsetIn(textBox, range.endContainer, range.endOffset));
    var raw = original.slice(a, b);
    a += raw.length - raw.replace(/^\s+/, "").length;
    b -= raw.length - raw.replace(/\s+$/, "").length;
    if (b <= a) {
      return null;
    }
    var snapped = snap(original, a, b);
    var passageStart = parseInt(block.dataset.start, 10);
    return {
      passage: block.dataset.passage,
      speaker: block.dataset.speaker || "",
      label: block.dataset.label || "",
      text: original.slice(snapped[0], snapped[1]),
      widened: snapped[0] !== a || snapped[1] !== b,
      start: passageStart + codePoints(original.slice(0, snapped[0])),
      end: passageStart + codePoints(original.slice(0, snapped[1])),
    };
  }

  function describe(chosen) {
    if (!chosen) {
      return "Select words in a passage above.";
    }
    return (chosen.widened ? "Widened to whole words: " : "Selected: ") + "“" + chosen.text +
      "” (characters " + chosen.start + "–" + chosen.end + ")";
  }

  // A selectable box: keeps ``state.chosen`` up to date and calls ``changed``.
  function watch(box, status, changed) {
    var state = { chosen: null };
    document.addEventListener("selectionchange", function () {
      var chosen = chosenIn(box);
      var selection = window.getSelection();
      // Clicking a button collapses nothing, but a click elsewhere must not forget the
      // words: keep the last choice until a new selection is made in this box.
      if (!chosen && selection.rangeCount && !selection.isCollapsed) {
        return;
      }
      if (chosen || (selection.isCollapsed && box.contains(selection.anchorNode))) {
        state.chosen = chosen;
        status.textContent = describe(chosen);
        changed(state.chosen);
      }
    });
    return state;
  }

  function setupSourceBox(box) {
    var panel = box.querySelector(".kb-select-panel");
    var status = panel.querySelector(".kb-select-status");
    var quote = panel.querySelector(".kb-select-quote");
    var claim = panel.querySelector(".kb-select-claim");
    var principle = panel.querySelector(".kb-select-principle");
    var state = watch(box, status, function (chosen) {
      if (quote) {
        quote.disabled = !chosen;
      }
      if (claim) {
        claim.disabled = !chosen || !principle.value;
      }
    });
    if (quote) {
      quote.addEventListener("click", function () {
        var c = state.chosen;
        if (c) {
          window.location.assign(quote.dataset.url + "&" + new URLSearchParams({
            passage: c.passage, speaker: c.speaker, text: c.text,
            start: String(c.start), end: String(c.end),
          }).toString());
        }
      });
    }
    if (claim) {
      claim.addEventListener("click", function () {
        var c = state.chosen;
        if (c && principle.value) {
          window.location.assign(claim.dataset.url + "?" + new URLSearchParams({
            principle: principle.value, passage: c.passage,
            start: String(c.start), end: String(c.end),
          }).toString());
        }
      });
    }
  }

  // The principle page ---------------------------------------------------------------

  function claimRows() {
    return Array.prototype.slice.call(
      document.querySelectorAll(".inline-related.tabular tr.form-row:not(.empty-form)")
    );
  }

  function rowLabel(row, n) {
    var text = row.querySelector("td.field-text textarea");
    var words = text && text.value.trim() ? text.value.trim().slice(0, 60) : "(new claim)";
    return "claim " + (n + 1) + ": " + words;
  }

  function fillRows(select) {
    var keep = select.value;
    select.innerHTML = "";
    claimRows().forEach(function (row, n) {
      var option = document.createElement("option");
      option.value = row.id;
      option.textContent = rowLabel(row, n);
      select.appendChild(option);
    });
    var add = document.createElement("option");
    add.value = "__new__";
    add.textContent = "a new claim";
    select.appendChild(add);
    if (keep) {
      select.value = keep;
    }
    if (!select.value) {
      select.selectedIndex = 0;
    }
  }

  function setPassage(row, chosen) {
    var select = row.querySelector("td.field-passage select");
    if (!select) {
      return;
    }
    var option = Array.prototype.find.call(select.options, function (o) {
      return o.value === chosen.passage;
    });
    if (!option) {
      option = new Option(chosen.label || "¶", chosen.passage, true, true);
      select.appendChild(option);
    }
    select.value = chosen.passage;
    if (window.django && window.django.jQuery) {
      window.django.jQuery(select).trigger("change");
    } else {
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  function fillRow(row, chosen) {
    setPassage(row, chosen);
    row.querySelector("td.field-start input").value = String(chosen.start);
    row.querySelector("td.field-end input").value = String(chosen.end);
    var cell = row.querySelector("td.field-evidence");
    if (cell) {
      var words = cell.querySelector(".kb-evidence-words");
      if (!words) {
        words = document.createElement("span");
        words.className = "kb-evidence-words";
        cell.appendChild(words);
      }
      words.textContent = "To be saved: “" + chosen.text + "”";
    }
  }

  function setupPicker(picker) {
    var sourceSelect = picker.querySelector(".kb-picker-source");
    var passages = picker.querySelector(".kb-picker-passages");
    var status = picker.querySelector(".kb-select-status");
    var rowSelect = picker.querySelector(".kb-picker-row");
    var use = picker.querySelector(".kb-picker-use");
    var state = watch(passages, status, function (chosen) {
      use.disabled = !chosen;
      fillRows(rowSelect);
    });
    fillRows(rowSelect);
    sourceSelect.addEventListener("change", function () {
      passages.textContent = "";
      if (!sourceSelect.value) {
        return;
      }
      var label = sourceSelect.options[sourceSelect.selectedIndex].textContent;
      fetch(picker.dataset.url + "?" + new URLSearchParams({ source: sourceSelect.value }), {
        credentials: "same-origin",
      }).then(function (response) {
        return response.json();
      }).then(function (data) {
        (data.passages || []).forEach(function (p) {
          var block = document.createElement("div");
          block.className = "kb-select-passage";
          block.dataset.passage = String(p.pk);
          block.dataset.start = String(p.start);
          block.dataset.text = p.text;
          block.dataset.label = label + " ¶" + p.number;
          var number = document.createElement("span");
          number.className = "kb-select-number";
          number.textContent = "¶" + p.number;
          var text = document.createElement("span");
          text.className = "kb-select-text";
          text.textContent = p.text;
          block.appendChild(number);
          block.appendChild(text);
          passages.appendChild(block);
        });
        status.textContent = data.passages && data.passages.length
          ? "Select words in a passage." : (data.error || "This source has no passage.");
      });
    });
    use.addEventListener("click", function () {
      var chosen = state.chosen;
      if (!chosen) {
        return;
      }
      var row = document.getElementById(rowSelect.value);
      if (rowSelect.value === "__new__" || !row) {
        var add = document.querySelector(".inline-related.tabular .add-row a");
        if (add) {
          add.click();
        }
        var rows = claimRows();
        row = rows[rows.length - 1];
      }
      if (row) {
        fillRow(row, chosen);
        status.textContent = "Filled " + rowLabel(row, claimRows().indexOf(row)) +
          " with “" + chosen.text + "”: save to keep it.";
        fillRows(rowSelect);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".kb-select[data-source]").forEach(setupSourceBox);
    document.querySelectorAll(".kb-evidence-picker").forEach(setupPicker);
  });
})();
