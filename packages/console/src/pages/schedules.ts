/** Schedules: the list with Pause/Resume/Remove, and one schedule with its last ticks. */
import type { Dalston, Schedule } from '@dalston/core';
import { html, query, time } from '../html.js';
import { actionButton } from '../layout.js';
import { baseOf, page, param, redirect, unwrap } from '../respond.js';
import type { Routes } from '../routes.js';

const jobLink = (base: string, tenantId: string, jobId: string | null) =>
  jobId
    ? html`<a href="${base}/jobs/${encodeURIComponent(tenantId)}/${encodeURIComponent(jobId)}">${jobId}</a>`
    : html`<span class="muted">-</span>`;

function buttons(base: string, s: Schedule) {
  const path = `${base}/schedules/${encodeURIComponent(s.id)}`;
  return html`${
    s.paused
      ? actionButton(`${path}/resume`, `Resume ${s.id}`)
      : actionButton(`${path}/pause`, `Pause ${s.id}`)
  } ${actionButton(`${path}/remove`, `Remove ${s.id}`, { danger: true })}`;
}

export function scheduleRoutes(r: Routes, dalston: Dalston): void {
  r.get('/schedules', async (req, res) => {
    const base = baseOf(req);
    const list = await unwrap(dalston.schedules.list({ limit: 50, cursor: param(req, 'cursor') ?? null }));
    page(req, res, {
      title: 'Schedules',
      section: 'schedules',
      body: html`<h1>Schedules</h1>
<table><thead><tr><th>Schedule</th><th>Tenant</th><th>Type</th><th>Cron</th><th>State</th><th>Next tick</th><th>Last tick</th><th>Last job</th><th></th></tr></thead><tbody>${list.items.map(
        (s) =>
          html`<tr data-schedule-id="${s.id}"><td><a href="${base}/schedules/${encodeURIComponent(s.id)}">${s.id}</a></td><td>${s.tenantId}</td><td>${s.type ?? html`<span class="muted">default</span>`}</td><td><code>${s.cron}</code> ${s.timezone}</td><td data-state>${s.paused ? 'paused' : 'active'}</td><td>${time(s.nextTick)}</td><td>${time(s.lastTick)}</td><td>${jobLink(base, s.tenantId, s.lastJobId)}</td><td>${buttons(base, s)}</td></tr>`,
      )}</tbody></table>
${list.items.length === 0 ? html`<p class="muted">No schedules.</p>` : ''}
${list.nextCursor ? html`<p class="pager"><a href="${base}/schedules${query({ cursor: list.nextCursor })}">Next page</a></p>` : ''}`,
    });
  });

  r.get('/schedules/:id', async (req, res) => {
    const base = baseOf(req);
    const id = req.params.id as string;
    const [s, ticks] = await Promise.all([
      unwrap(dalston.schedules.get(id)),
      unwrap(dalston.schedules.ticks(id, { limit: 50 })),
    ]);
    page(req, res, {
      title: `Schedule ${s.id}`,
      section: 'schedules',
      body: html`<h1>Schedule ${s.id}</h1>
<p>${buttons(base, s)}</p>
<dl class="fields"><dt>Tenant</dt><dd><a href="${base}/tenants/${encodeURIComponent(s.tenantId)}">${s.tenantId}</a></dd>
<dt>Type</dt><dd>${s.type ?? 'default'}</dd><dt>Cron</dt><dd><code>${s.cron}</code> (${s.timezone})</dd>
<dt>State</dt><dd data-state>${s.paused ? 'paused' : 'active'}</dd><dt>Overlap</dt><dd>${s.overlap}</dd><dt>Catch-up</dt><dd>${s.catchUp}</dd>
<dt>Next tick</dt><dd>${time(s.nextTick)}</dd><dt>Last tick</dt><dd>${time(s.lastTick)}</dd>
<dt>Parameters</dt><dd><code>${JSON.stringify(s.parameters)}</code></dd></dl>
<h2>Last ticks</h2>
<table><thead><tr><th>Tick</th><th>Outcome</th><th>Job</th><th>Reason</th><th>Claimed</th></tr></thead><tbody>${ticks.map(
        (t) =>
          html`<tr><td>${time(t.tick)}</td><td>${t.outcome}</td><td>${jobLink(base, s.tenantId, t.jobId)}</td><td>${t.reason ?? '-'}</td><td>${time(t.claimedAt)}</td></tr>`,
      )}</tbody></table>
${ticks.length === 0 ? html`<p class="muted">No ticks yet.</p>` : ''}`,
    });
  });

  for (const [action, done] of [
    ['pause', 'schedule-paused'],
    ['resume', 'schedule-resumed'],
    ['remove', 'schedule-removed'],
  ] as const) {
    r.post(`/schedules/:id/${action}`, async (req, res) => {
      const id = req.params.id as string;
      await unwrap(
        action === 'remove'
          ? dalston.schedules.remove(id).map(() => null)
          : action === 'pause'
            ? dalston.schedules.pause(id)
            : dalston.schedules.resume(id),
      );
      redirect(req, res, action === 'remove' ? '/schedules' : `/schedules/${encodeURIComponent(id)}`, done);
    });
  }
}
