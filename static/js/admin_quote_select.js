/* Quote from a passage: select words in the passage's text on its admin page, then
   "Quote the selected words" opens the "add quote" form with text, start and end filled.
   Offsets are Python string indices into source.text (code points, not UTF-16 units);
   the exact text comes from the JSON copy of the passage (HTML turns \r\n into \n). */
(function () {
  "use strict";

  // The word rules and offset helpers, shared with the other selection box (admin_words.js).
  var snap = window.kbWords.snap;
  var codePoints = window.kbWords.codePoints;
  var originalOffset = window.kbWords.originalOffset;
  var offsetIn = window.kbWords.offsetIn;

  function setup(box) {
    var textBox = box.querySelector(".quote-select-text");
    var button = box.querySelector(".quote-select-button");
    var status = box.querySelector(".quote-select-status");
    var script = box.querySelector("script[type='application/json']");
    var original = script ? JSON.parse(script.textContent) : textBox.textContent;
    var passageStart = parseInt(box.dataset.start, 10);
    var chosen = null;

    function update() {
      var selection = window.getSelection();
      chosen = null;
      if (selection.rangeCount && !selection.isCollapsed) {
        var range = selection.getRangeAt(0);
        if (textBox.contains(range.startContainer) && textBox.contains(range.endContainer)) {
          var a = originalOffset(original, offsetIn(textBox, range.startContainer, range.startOffset));
          var b = originalOffset(original, offsetIn(textBox, range.endContainer, range.endOffset));
          var words = original.slice(a, b);
          var trimmedStart = a + (words.length - words.replace(/^\s+/, "").length);
          var trimmedEnd = b - (words.length - words.replace(/\s+$/, "").length);
          if (trimmedEnd > trimmedStart) {
            var snapped = snap(original, trimmedStart, trimmedEnd);
            trimmedStart = snapped[0];
            trimmedEnd = snapped[1];
            words = original.slice(trimmedStart, trimmedEnd);
            chosen = {
              text: words,
              start: passageStart + codePoints(original.slice(0, trimmedStart)),
              end: passageStart + codePoints(original.slice(0, trimmedEnd)),
            };
          }
        }
      }
      button.disabled = !chosen;
      status.textContent = chosen ? chosen.start + "–" + chosen.end + ": “" + chosen.text + "”" : "";
    }

    document.addEventListener("selectionchange", update);
    button.addEventListener("click", function () {
      if (!chosen) {
        return;
      }
      var url = box.dataset.addUrl + "&" + new URLSearchParams({
        text: chosen.text,
        start: String(chosen.start),
        end: String(chosen.end),
      }).toString();
      window.location.assign(url);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".quote-select").forEach(setup);
  });
})();
