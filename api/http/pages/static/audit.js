// The Ledger page's whole-log audit: polls its progress until it ends (bounded).
"use strict";
(function () {
  const box = document.getElementById("audit");
  const bar = document.getElementById("audit-bar");
  const status = document.getElementById("audit-status");
  const problems = document.getElementById("audit-problems");
  const messages = JSON.parse(document.getElementById("audit-messages").textContent);
  if (!box || !bar || !status) return;
  const url = box.dataset.progressUrl;
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, key) { return String(values[key]); });
  }
  let polls = 0;
  function poll() {
    polls += 1;
    if (polls > 7200) return; // an hour at half a second: give up quietly
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        bar.value = job.percent;
        bar.textContent = job.percent + "%";
        if (!job.finished) {
          status.textContent = fill(messages.running, { done: job.done, total: job.total });
          setTimeout(poll, 500);
          return;
        }
        const result = job.result || { ok: false, problems: [] };
        status.textContent = result.ok
          ? fill(messages.ok, { entries: result.entries })
          : fill(messages.failed, { count: result.problems.length });
        problems.replaceChildren();
        result.problems.slice(0, 50).forEach(function (p) {
          const li = document.createElement("li");
          li.textContent = p;
          problems.appendChild(li);
        });
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
