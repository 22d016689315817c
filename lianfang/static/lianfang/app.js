// Small behaviours written here (no third-party code beyond htmx).
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-toggle]");
  if (!toggle) return;
  const target = document.getElementById(toggle.dataset.toggle);
  const open = target.classList.toggle("open");
  toggle.setAttribute("aria-expanded", String(open));
});
