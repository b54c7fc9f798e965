// Tollgate dashboard: the little JavaScript the pages use. Everything works without it except the copy button
// (dragging a routing order enhances the arrow buttons, which stay for keyboard users).
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

// A routing policy reordered by drag and drop: on drop, the list's whole new order is posted through the hidden
// form the page names in `data-reorder` (it carries the CSRF token); the server PUTs it to the admin API.
for (const list of document.querySelectorAll("ol[data-reorder]")) {
  const form = document.getElementById(list.dataset.reorder);
  const items = () => list.querySelectorAll("li[data-lane-id]");
  let dragged = null;
  for (const item of items()) {
    item.draggable = true;
    item.classList.add("draggable");
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.laneId);
      item.classList.add("dragging");
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
    });
  }
  list.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();  // allows the drop anywhere on the list
    const over = event.target.closest("li[data-lane-id]");
    if (!over || over === dragged) return;
    const box = over.getBoundingClientRect();
    list.insertBefore(dragged, event.clientY > box.top + box.height / 2 ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => {
    if (!dragged || !form) return;
    event.preventDefault();
    for (const item of items()) {
      const field = document.createElement("input");
      field.type = "hidden";
      field.name = "lane_ids";
      field.value = item.dataset.laneId;
      form.appendChild(field);
    }
    form.submit();
  });
}
