// Tollgate dashboard: the little JavaScript the pages use. Everything works without it except the copy button.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  const note = button.parentElement.querySelector(".copied");
  try {
    await navigator.clipboard.writeText(field.value);
    if (note) note.textContent = "Copied.";
  } catch (err) {
    field.select();  // no clipboard permission (plain HTTP): leave it selected for Ctrl+C
    if (note) note.textContent = "Press Ctrl+C to copy.";
  }
});
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
