/* Quote from a passage: select words in the passage's text on its admin page, then
   "Quote the selected words" opens the "add quote" form with text, start and end filled.
   Offsets are Python string indices into source.text (code points, not UTF-16 units);
   the exact text comes from the JSON copy of the passage (HTML turns \r\n into \n). */
(function () {
  "use strict";

  // Whole words only (as kb/admin/selection.py): a selection starting or ending inside a
  // word is widened to it; Chinese and Japanese characters are words of their own.
  var WORD = /[\p{L}\p{N}]/u;
  var UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

  function isWordChar(c) {
    return !!c && WORD.test(c) && !UNSPACED.test(c);
  }

  // Is the gap before text[i] inside a word ("I|'d", "I'|d", "wo|uld")?
  function insideWord(text, i) {
    if (i <= 0 || i >= text.length) {
      return false;
    }
    var before = text[i - 1];
    var after = text[i];
    if (isWordChar(before) && isWordChar(after)) {
      return true;
    }
    if (before === "'" || before === "\u2019") {
      return i >= 2 && isWordChar(text[i - 2]) && isWordChar(after);
    }
    if (after === "'" || after === "\u2019") {
      return i + 1 < text.length && isWordChar(before) && isWordChar(text[i + 1]);
    }
    return false;
  }

  function snap(text, a, b) {
    while (insideWord(text, a)) {
      a -= 1;
    }
    while (insideWord(text, b)) {
      b += 1;
    }
    return [a, b];
  }

  function codePoints(s) {
    return Array.from(s).length;
  }

  // Map an offset in the rendered text (line breaks normalised) to one in the original.
  function originalOffset(original, rendered, offset) {
    var i = 0;
    var j = 0;
    while (j < offset && i < original.length) {
      if (original[i] === "\r" && original[i + 1] === "\n") {
        i += 2;
      } else {
        i += 1;
      }
      j += 1;
    }
    return i;
  }

  function offsetIn(root, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(root);
    range.setEnd(node, offset);
    return range.toString().length;
  }

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
          var rendered = textBox.textContent;
          var a = originalOffset(original, rendered, offsetIn(textBox, range.startContainer, range.startOffset));
          var b = originalOffset(original, rendered, offsetIn(textBox, range.endContainer, range.endOffset));
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
