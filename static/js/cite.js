// Copy buttons for the citations of a quote or a passage (templates/includes/citation.html).
// Progressive enhancement: the buttons stay hidden unless the Clipboard API is there, and
// without JavaScript the citations are plain text that can be selected and copied.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) return;
  var status = document.querySelector(".cite .copy-status");

  function say(message) {
    if (status) status.textContent = message;
  }

  document.querySelectorAll(".cite button.copy[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    var label = button.firstChild.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(
        function () {
          button.firstChild.textContent = "Copied";
          button.classList.add("copied");
          say("Citation copied to the clipboard.");
          window.setTimeout(function () {
            button.firstChild.textContent = label;
            button.classList.remove("copied");
          }, 2000);
        },
        function () {
          say("Could not copy: select the citation and copy it by hand.");
        }
      );
    });
  });
})();
