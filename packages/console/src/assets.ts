/**
 * The console's stylesheet and its one script, served by the router itself (no CDN, no
 * build step). The script only adds live updates: every page works without it.
 */
export const CONSOLE_CSS = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#d5dbe3; --bg:#f7f8fa; --accent:#2952cc;
  --pending:#8a94a3; --ready:#b7791f; --running:#2952cc; --completed:#1e7f4f; --failed:#c53030;
  --skipped:#718096; --cancelled:#6b46c1; --cancelling:#6b46c1; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.2rem; background:#1d2330; color:#fff; }
header a { color:#dfe6f3; text-decoration:none; } header a[aria-current=page] { color:#fff; font-weight:600; }
header .brand { font-weight:700; color:#fff; margin-right:1rem; }
nav ul { display:flex; gap:1.1rem; list-style:none; margin:0; padding:0; }
main { padding:1rem 1.2rem 3rem; max-width:1200px; }
h1 { font-size:1.35rem; margin:.3rem 0 1rem; } h2 { font-size:1.1rem; margin:1.6rem 0 .6rem; }
table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:.35rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:#eef1f5; font-weight:600; font-size:.85rem; }
td code, dd code { font-size:.82rem; word-break:break-all; }
.muted { color:var(--muted); }
.status { display:inline-block; padding:0 .45rem; border-radius:.6rem; color:#fff; font-size:.8rem; background:var(--pending); }
${['pending', 'ready', 'running', 'completed', 'failed', 'skipped', 'cancelled', 'cancelling']
  .map((s) => `.status-${s} { background:var(--${s}); }`)
  .join('\n')}
form.inline { display:inline; } form.filters { display:flex; flex-wrap:wrap; gap:.6rem; align-items:end; margin-bottom:1rem; }
label { display:flex; flex-direction:column; font-size:.8rem; color:var(--muted); gap:.15rem; }
input, select, button { font:inherit; padding:.25rem .45rem; border:1px solid var(--line); border-radius:4px; background:#fff; }
button { cursor:pointer; background:var(--accent); color:#fff; border-color:var(--accent); }
button.danger { background:var(--failed); border-color:var(--failed); }
button.secondary { background:#fff; color:var(--accent); }
.flash { padding:.6rem .8rem; border-radius:4px; margin-bottom:1rem; background:#e6f4ea; border:1px solid #b7dfc2; }
.flash.error { background:#fdecec; border-color:#f3b7b7; }
.secret { font:600 1rem monospace; padding:.5rem; background:#fff8d6; border:1px dashed #b7791f; display:inline-block; }
dl.fields { display:grid; grid-template-columns:max-content 1fr; gap:.25rem 1rem; background:#fff; padding:.8rem; border:1px solid var(--line); }
dl.fields dt { color:var(--muted); } dl.fields dd { margin:0; }
.pager { margin-top:.8rem; display:flex; gap:1rem; }
svg.dag { background:#fff; border:1px solid var(--line); max-width:100%; height:auto; }
svg.dag .edge { stroke:#9aa5b4; stroke-width:1.5; fill:none; marker-end:url(#arrow); }
svg.dag .node rect { rx:6; stroke:#fff; stroke-width:2; }
svg.dag .node text { fill:#fff; font-size:12px; }
${['pending', 'ready', 'running', 'completed', 'failed', 'skipped', 'cancelled']
  .map((s) => `svg.dag .node.task-${s} rect { fill:var(--${s}); }`)
  .join('\n')}
svg.dag .node.task-running rect { animation: pulse 1.2s ease-in-out infinite; }
@keyframes pulse { 50% { opacity:.65; } }
.live { font-size:.8rem; color:var(--muted); } .live[data-state=open]::before { content:'● '; color:var(--completed); }
pre { background:#fff; border:1px solid var(--line); padding:.6rem; overflow:auto; max-height:20rem; font-size:.8rem; }
`;

/**
 * Live job page: follows the job's events (SSE, resumed by the browser with Last-Event-ID
 * after a reconnect) and repaints the DAG nodes, the task rows and the job status.
 */
export const CONSOLE_JS = `
(() => {
  const root = document.querySelector('[data-live-events]');
  if (!root || !window.EventSource) return;
  const TASK = { 'task.ready':'ready', 'task.started':'running', 'task.completed':'completed', 'task.failed':'failed',
    'task.retrying':'ready', 'task.skipped':'skipped', 'task.cancelled':'cancelled' };
  const JOB = { 'job.started':'running', 'job.completed':'completed', 'job.failed':'failed', 'job.cancelling':'cancelling',
    'job.cancelled':'cancelled', 'job.retrying':'running' };
  const live = document.querySelector('.live');
  const setTask = (taskId, status, attempt) => {
    for (const el of document.querySelectorAll('[data-task-id="' + CSS.escape(taskId) + '"]')) {
      if (el.classList.contains('node')) {
        el.setAttribute('class', 'node task-' + status);
        el.setAttribute('data-status', status);
        const label = el.getAttribute('data-stage') + ': ' + status;
        el.setAttribute('aria-label', label);
        const title = el.querySelector('title'); if (title) title.textContent = label;
      } else {
        const badge = el.querySelector('.status');
        if (badge) { badge.className = 'status status-' + status; badge.textContent = status; }
        const att = el.querySelector('[data-attempt]');
        if (att && attempt) att.textContent = attempt;
      }
    }
  };
  const source = new EventSource(root.getAttribute('data-live-events'));
  source.onopen = () => { if (live) { live.dataset.state = 'open'; live.textContent = 'live'; } };
  source.onerror = () => { if (live) { live.dataset.state = 'reconnecting'; live.textContent = 'reconnecting…'; } };
  const handle = (e) => {
    const ev = JSON.parse(e.data);
    if (ev.taskId && TASK[ev.type]) setTask(ev.taskId, TASK[ev.type], ev.payload && ev.payload.attempt);
    if (JOB[ev.type]) {
      const badge = document.querySelector('[data-job-status]');
      if (badge) { badge.className = 'status status-' + JOB[ev.type]; badge.textContent = JOB[ev.type]; }
    }
    if (ev.type === 'end') { source.close(); if (live) { live.dataset.state = 'ended'; live.textContent = 'finished'; } }
  };
  for (const t of Object.keys(TASK).concat(Object.keys(JOB), ['end'])) source.addEventListener(t, handle);
})();
`;
