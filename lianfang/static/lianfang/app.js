// Small behaviours written here (no third-party code beyond htmx).
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle]");
  if (!toggle) return;
  const target = document.getElementById(toggle.dataset.toggle);
  const open = target.classList.toggle("open");
  toggle.setAttribute("aria-expanded", String(open));
});

// Irreversible actions ask first: a button with data-confirm="…" (the text is translated in the page).
document.addEventListener("submit", (event) => {
  const button = event.submitter && event.submitter.closest("[data-confirm]");
  const ask = button ? button.dataset.confirm : event.target.dataset.confirm;
  if (ask && !window.confirm(ask)) event.preventDefault();
});
