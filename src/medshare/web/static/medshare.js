// Small behaviours the pages share; every page also works without them.

document.addEventListener("submit", (event) => {
  // A form with data-confirm asks before an action that is hard to undo (close, remove, deactivate).
  const form = event.target;
  const question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);

document.addEventListener("htmx:responseError", (event) => {
  // htmx does not swap error answers (403, 404, 500): say what the server said above the page.
  const xhr = event.detail.xhr;
  const page = new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  const title = page.querySelector(".error-page h1");
  const detail = page.querySelector(".error-page .error");
  const banner = document.createElement("div");
  banner.className = "alert error floating";
  banner.setAttribute("role", "alert");
  banner.textContent = [title && title.textContent, detail && detail.textContent]
    .filter(Boolean).join(" — ") || String(xhr.status);
  document.querySelectorAll(".alert.floating").forEach((old) => old.remove());
  document.querySelector("main").prepend(banner);
});
