/* Whole words and offsets for the admin's "select words" boxes (admin_select.js,
   admin_quote_select.js), one copy; the server side is kb/admin/selection.py.
   A selection starting or ending inside a word is widened to it; Chinese and Japanese
   characters are words of their own. Offsets are Python string indices (code points). */
(function () {
  "use strict";

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

  // An offset in the rendered text (line breaks normalised) as one in the original.
  function originalOffset(original, offset) {
    var i = 0;
    var j = 0;
    while (j < offset && i < original.length) {
      i += original[i] === "\r" && original[i + 1] === "\n" ? 2 : 1;
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

  window.kbWords = {
    snap: snap,
    codePoints: codePoints,
    originalOffset: originalOffset,
    offsetIn: offsetIn,
  };
})();
