// The Verify page: a file dropped on the form, or chosen, is read into the text box, so
// the officer sees what is verified. Without this script the form still works (upload).
"use strict";
(function () {
  const zone = document.getElementById("drop-zone");
  const text = document.getElementById("document");
  const file = document.getElementById("file");
  if (!zone || !text || !file) return;
  function read(f) {
    if (!f || f.size > 4 * 1024 * 1024) return;
    f.text().then(function (value) {
      text.value = value;
      file.value = "";
      text.focus();
    });
  }
  zone.addEventListener("dragover", function (event) {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", function () {
    zone.classList.remove("dragging");
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files.length) read(event.dataTransfer.files[0]);
  });
  file.addEventListener("change", function () {
    if (file.files && file.files.length) read(file.files[0]);
  });
})();
