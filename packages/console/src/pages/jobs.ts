/** Jobs: a tenant's list with filters and keyset paging; one job with its live DAG. */
import { type Dalston, type DalstonEvent, isTerminalJobStatus, JOB_STATUSES, type Job } from '@dalston/core';
import { dagSvg } from '../dag.js';
import { duration, html, query, time } from '../html.js';
import { actionButton } from '../layout.js';
import { baseOf, page, param, redirect, unwrap } from '../respond.js';
import type { Routes } from '../routes.js';
import { openSse, resumeCursor } from '../sse.js';

/** A job as listed; `type` once the engine stores job types. */
type Listed = Job & { type?: string };

const parseTime = (s: string | undefined): number | undefined => {
  if (!s) return undefined;
  const n = Date.parse(s.length === 16 ? `${s}:00Z` : s);
  return Number.isFinite(n) ? n : undefined;
};

const badge = (status: string, attrs = html``) =>
  html`<span class="status status-${status}"${attrs}>${status}</span>`;

export function jobRoutes(r: Routes, dalston: Dalston, options: { heartbeatMs: number }): void {
  r.get('/jobs', async (req, res) => {
    const base = baseOf(req);
    const tenants = await unwrap(dalston.tenants.list({ limit: 1000 }));
    const tenant = param(req, 'tenant') ?? tenants.tenants[0]?.id;
    const status = param(req, 'status');
    const type = param(req, 'type');
    const from = param(req, 'from');
    const to = param(req, 'to');
    const cursor = param(req, 'cursor');
    const filters = { tenant, status, type, from, to };
    const list = tenant
      ? await unwrap(
          dalston.jobs.list({
            tenantId: tenant,
            limit: 50,
            ...(status ? { status: status as Job['status'] } : {}),
            ...(type ? ({ type } as object) : {}),
            ...(parseTime(from) !== undefined ? { from: parseTime(from) } : {}),
            ...(parseTime(to) !== undefined ? { to: parseTime(to) } : {}),
            ...(cursor ? { cursor } : {}),
          }),
        )
      : { jobs: [], nextCursor: null };
    page(req, res, {
      title: 'Jobs',
      section: 'jobs',
      body: html`<h1>Jobs</h1>
<form class="filters" method="get" action="${base}/jobs" aria-label="job filters">
<label>Tenant<select name="tenant">${tenants.tenants.map(
        (t) => html`<option value="${t.id}"${t.id === tenant ? html` selected` : ''}>${t.id}</option>`,
      )}</select></label>
<label>Status<select name="status"><option value="">any</option>${JOB_STATUSES.map(
        (s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`,
      )}</select></label>
<label>Type<input name="type" value="${type ?? ''}"></label>
<label>Created from (UTC)<input type="datetime-local" name="from" value="${from ?? ''}"></label>
<label>Created before (UTC)<input type="datetime-local" name="to" value="${to ?? ''}"></label>
<button type="submit">Filter</button></form>
<table><thead><tr><th>Job</th><th>Type</th><th>Status</th><th>Created</th><th>Duration</th><th>Error</th></tr></thead><tbody>${list.jobs.map(
        (j) =>
          html`<tr><td><a href="${base}/jobs/${encodeURIComponent(j.tenantId)}/${encodeURIComponent(j.id)}">${j.id}</a></td><td>${(j as Listed).type ?? ''}</td><td>${badge(j.status)}</td><td>${time(j.createdAt)}</td><td>${duration(j.startedAt ?? j.createdAt, j.finishedAt)}</td><td>${j.error ? `${j.error.code}: ${j.error.message}` : ''}</td></tr>`,
      )}</tbody></table>
${list.nextCursor ? html`<p class="pager"><a href="${base}/jobs${query({ ...filters, cursor: list.nextCursor })}">Next page</a></p>` : ''}`,
    });
  });

  r.get('/jobs/:tenantId/:jobId', async (req, res) => {
    const { tenantId, jobId } = req.params as { tenantId: string; jobId: string };
    const job = await unwrap(dalston.jobs.get(tenantId, jobId));
    const base = baseOf(req);
    const path = `${base}/jobs/${encodeURIComponent(tenantId)}/${encodeURIComponent(jobId)}`;
    const tasks = job.tasks;
    page(req, res, {
      title: `Job ${job.id}`,
      section: 'jobs',
      liveEvents: `${path}/events`,
      body: html`<h1>Job ${job.id} ${badge(job.status, html` data-job-status`)} <span class="live" aria-live="polite"></span></h1>
<p>${isTerminalJobStatus(job.status) ? '' : actionButton(`${path}/cancel`, 'Cancel job', { danger: true })} ${
        job.status === 'failed' ? actionButton(`${path}/retry`, 'Retry job') : ''
      }</p>
<dl class="fields"><dt>Tenant</dt><dd><a href="${base}/tenants/${encodeURIComponent(job.tenantId)}">${job.tenantId}</a></dd>
${(job as Listed).type ? html`<dt>Type</dt><dd>${(job as Listed).type}</dd>` : ''}
<dt>Created</dt><dd>${time(job.createdAt)}</dd><dt>Started</dt><dd>${time(job.startedAt)}</dd><dt>Finished</dt><dd>${time(job.finishedAt)}</dd>
<dt>Correlation id</dt><dd><code>${job.correlationId}</code></dd>
<dt>Input</dt><dd>${job.input ? html`<a href="${path}/artifact${query({ uri: job.input })}">${job.input}</a>` : '-'}</dd>
<dt>Error</dt><dd>${job.error ? `${job.error.code}${job.error.stage ? ` (${job.error.stage})` : ''}: ${job.error.message}` : '-'}</dd>
<dt>Parameters</dt><dd><pre>${JSON.stringify(job.parameters, null, 2)}</pre></dd></dl>
<h2>Task graph</h2>${dagSvg(tasks)}
<h2>Tasks</h2>
<table><thead><tr><th>Stage</th><th>Queue</th><th>Status</th><th>Attempt</th><th>Started</th><th>Duration</th><th>Error</th><th>Output</th></tr></thead><tbody>${tasks.map(
        (t) =>
          html`<tr data-task-id="${t.id}"><td>${t.stage}${t.required ? '' : html` <span class="muted">(optional)</span>`}</td><td>${t.queue}</td><td>${badge(t.status)}</td><td data-attempt>${t.attempt}</td><td>${time(t.startedAt)}</td><td>${duration(t.startedAt, t.finishedAt)}</td><td>${t.error ? `${t.error.code}: ${t.error.message}` : ''}</td><td>${outputCell(path, t.output)}</td></tr>`,
      )}</tbody></table>
<h2>Events</h2><p><a href="${path}/events">Event stream (SSE)</a> · <a href="${path}/log">Event log</a></p>`,
    });
  });

  r.get('/jobs/:tenantId/:jobId/log', async (req, res) => {
    const { tenantId, jobId } = req.params as { tenantId: string; jobId: string };
    const after = Number(param(req, 'after') ?? 0);
    const events: DalstonEvent[] = await unwrap(
      dalston.jobs.readEvents(tenantId, jobId, {
        after: Number.isInteger(after) && after >= 0 ? after : 0,
        limit: 200,
      }),
    );
    const base = baseOf(req);
    const path = `${base}/jobs/${encodeURIComponent(tenantId)}/${encodeURIComponent(jobId)}`;
    page(req, res, {
      title: `Events of ${jobId}`,
      section: 'jobs',
      body: html`<h1>Events of <a href="${path}">${jobId}</a></h1>
<table><thead><tr><th>Id</th><th>At</th><th>Type</th><th>Payload</th></tr></thead><tbody>${events.map(
        (e) =>
          html`<tr><td>${e.id}</td><td>${time(e.at)}</td><td>${e.type}</td><td><code>${JSON.stringify(e.payload)}</code></td></tr>`,
      )}</tbody></table>
${events.length === 200 ? html`<p class="pager"><a href="${path}/log${query({ after: events.at(-1)?.id })}">Next page</a></p>` : ''}`,
    });
  });

  r.get('/jobs/:tenantId/:jobId/events', async (req, res) => {
    const { tenantId, jobId } = req.params as { tenantId: string; jobId: string };
    const after = resumeCursor(req);
    if (after === undefined) {
      res.status(400).type('text/plain').send('Last-Event-ID or after: expected a non-negative integer');
      return;
    }
    // Checked before the stream opens, so an unknown job is a plain 404, not an empty stream.
    await unwrap(dalston.jobs.get(tenantId, jobId));
    const stream = openSse(req, res, options.heartbeatMs);
    try {
      for await (const e of dalston.jobs.events(tenantId, jobId, { after, signal: stream.signal })) {
        stream.send(e.type, e, e.id);
      }
      stream.send('end', { type: 'end' });
    } catch {
      stream.send('end', { type: 'end', error: true });
    } finally {
      stream.end();
    }
  });

  r.get('/jobs/:tenantId/:jobId/artifact', async (req, res) => {
    const { tenantId } = req.params as { tenantId: string };
    const uri = param(req, 'uri') ?? '';
    // A presigned link where the store can (S3); otherwise the bytes through the console.
    const presigned = await dalston.artifacts.presignGet(tenantId, uri, 300);
    if (presigned.isOk()) {
      res.redirect(302, presigned.value);
      return;
    }
    const object = await unwrap(dalston.artifacts.get(tenantId, uri));
    res.type(object.info.contentType ?? 'application/octet-stream');
    object.body.pipe(res);
  });

  for (const [action, done] of [
    ['cancel', 'cancelled'],
    ['retry', 'retried'],
  ] as const) {
    r.post(`/jobs/:tenantId/:jobId/${action}`, async (req, res) => {
      const { tenantId, jobId } = req.params as { tenantId: string; jobId: string };
      await unwrap(
        action === 'cancel'
          ? dalston.jobs.cancel(tenantId, jobId, 'cancelled from the console')
          : dalston.jobs.retry(tenantId, jobId),
      );
      redirect(req, res, `/jobs/${encodeURIComponent(tenantId)}/${encodeURIComponent(jobId)}`, done);
    });
  }
}

const URI = /^[a-z][a-z0-9+.-]*:\/\/\S+$/;

/** An output that is an artifact URI (or has a `uri` field) links to it; other JSON is shown. */
function outputCell(jobPath: string, output: unknown) {
  if (output === undefined || output === null) return html`<span class="muted">-</span>`;
  const uri = typeof output === 'string' ? output : (output as { uri?: unknown }).uri;
  if (typeof uri === 'string' && URI.test(uri)) {
    return html`<a href="${jobPath}/artifact${query({ uri })}">${uri}</a>`;
  }
  const text = JSON.stringify(output);
  return html`<code>${text.length > 200 ? `${text.slice(0, 199)}…` : text}</code>`;
}
