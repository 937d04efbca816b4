"use strict";
// Replay: arrow keys step through; live: follow a policy's calls as the server pushes them.
(function () {
  const nav = document.querySelector(".stepnav[data-prev]");
  if (nav) {
    document.addEventListener("keydown", (ev) => {
      if (ev.target.closest("input, textarea, select")) return;
      if (ev.key === "ArrowLeft") window.location.href = nav.dataset.prev;
      if (ev.key === "ArrowRight") window.location.href = nav.dataset.next;
    });
  }
  const live = document.getElementById("live");
  if (!live || !live.dataset.policy || live.dataset.done === "yes") return;
  const list = document.getElementById("steps");
  const count = document.getElementById("step-count");
  const clock = document.getElementById("clock");
  const source = new EventSource("/live/events?after=" + live.dataset.steps);
  source.addEventListener("step", (ev) => {
    const s = JSON.parse(ev.data);
    const li = document.createElement("li");
    li.id = "step-" + s.step;
    li.className = "step k-" + s.kind + (s.ok ? "" : " invalid");
    const head = document.createElement("div");
    head.innerHTML = "<span class='stepno'>#" + s.step + "</span> <span class='tool'></span>" +
      "(<code class='args'></code>) <span class='clock'></span>";
    head.querySelector(".tool").textContent = s.tool;
    head.querySelector(".args").textContent = JSON.stringify(s.arguments);
    head.querySelector(".clock").textContent = "+" + Math.round(s.t) + " s · " + s.clock;
    const pre = document.createElement("pre");
    pre.className = "out";
    pre.textContent = s.text;
    li.append(head, pre);
    list.append(li);
    count.textContent = String(s.step);
    clock.textContent = s.clock;
    window.warroomPushed = (window.warroomPushed || 0) + 1;
  });
  source.addEventListener("done", () => { source.close(); window.location.reload(); });
})();
