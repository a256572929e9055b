// Small helpers for htmx pages: toasts from HX-Trigger {"toast": "..."} and closing the global search.
document.addEventListener("toast", (event) => {
  const text = event.detail && (event.detail.value || event.detail.message || event.detail);
  const box = document.getElementById("toasts");
  if (!box || typeof text !== "string") return;
  const el = document.createElement("div");
  el.className = "toast align-items-center text-bg-success border-0 show";
  el.setAttribute("role", "status");
  el.innerHTML = '<div class="d-flex"><div class="toast-body"></div></div>';
  el.querySelector(".toast-body").textContent = text;
  box.appendChild(el);
  setTimeout(() => el.remove(), 4000);
});
document.addEventListener("click", (event) => {
  const results = document.getElementById("global-search-results");
  if (results && !results.contains(event.target) && event.target.id !== "global-search") results.innerHTML = "";
});
