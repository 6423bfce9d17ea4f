/** Sessions: a tenant's live sessions, and one session's live state and archived record. */
import type { Dalston } from '@dalston/core';
import { html, query, time } from '../html.js';
import { baseOf, page, param, unwrap } from '../respond.js';
import type { Routes } from '../routes.js';

export function sessionRoutes(r: Routes, dalston: Dalston): void {
  r.get('/sessions', async (req, res) => {
    const base = baseOf(req);
    const tenants = await unwrap(dalston.tenants.list({ limit: 1000 }));
    const tenant = param(req, 'tenant') ?? tenants.tenants[0]?.id;
    const cursor = param(req, 'cursor') ?? null;
    const live = tenant
      ? await unwrap(dalston.sessions.list(tenant, { limit: 50, cursor }))
      : { sessions: [], nextCursor: null };
    const archivedCursor = param(req, 'archived') ?? null;
    const archived = tenant
      ? await unwrap(dalston.sessions.listArchived(tenant, { limit: 50, cursor: archivedCursor }))
      : { sessions: [], nextCursor: null };
    page(req, res, {
      title: 'Sessions',
      section: 'sessions',
      body: html`<h1>Sessions</h1>
<form class="filters" method="get" action="${base}/sessions" aria-label="session filters">
<label>Tenant<select name="tenant">${tenants.tenants.map(
        (t) => html`<option value="${t.id}"${t.id === tenant ? html` selected` : ''}>${t.id}</option>`,
      )}</select></label><button type="submit">Show</button></form>
<h2>Live</h2>
<table><thead><tr><th>Session</th><th>Status</th><th>Worker</th><th>Started</th><th>Updated</th><th>Expires</th><th>Fields</th></tr></thead><tbody>${live.sessions.map(
        (s) =>
          html`<tr><td><a href="${base}/sessions/${encodeURIComponent(s.tenantId)}/${encodeURIComponent(s.id)}">${s.id}</a></td><td>${s.status}</td><td>${s.workerId ?? '-'}</td><td>${time(s.createdAt)}</td><td>${time(s.updatedAt)}</td><td>${time(s.expiresAt)}</td><td><code>${JSON.stringify(s.fields)}</code></td></tr>`,
      )}</tbody></table>
${live.nextCursor ? html`<p class="pager"><a href="${base}/sessions${query({ tenant, cursor: live.nextCursor })}">Next page</a></p>` : ''}
<h2>Archive</h2>
<table><thead><tr><th>Session</th><th>Status</th><th>Worker</th><th>Started</th><th>Ended</th><th>Error</th></tr></thead><tbody>${archived.sessions.map(
        (r) =>
          html`<tr><td><a href="${base}/sessions/${encodeURIComponent(r.tenantId)}/${encodeURIComponent(r.id)}">${r.id}</a></td><td>${r.status}</td><td>${r.workerId ?? '-'}</td><td>${time(r.startedAt)}</td><td>${time(r.endedAt)}</td><td>${r.error ?? ''}</td></tr>`,
      )}</tbody></table>
${archived.nextCursor ? html`<p class="pager"><a href="${base}/sessions${query({ tenant, archived: archived.nextCursor })}">Older sessions</a></p>` : ''}
<h2>Find a session</h2>
<form class="filters" method="get" action="${base}/sessions/lookup" aria-label="find a session">
<input type="hidden" name="tenant" value="${tenant ?? ''}"><label>Session id<input name="id" required></label><button type="submit">Open</button></form>`,
    });
  });

  r.get('/sessions/lookup', async (req, res) => {
    const tenant = param(req, 'tenant') ?? '';
    const id = param(req, 'id') ?? '';
    res.redirect(303, `${baseOf(req)}/sessions/${encodeURIComponent(tenant)}/${encodeURIComponent(id)}`);
  });

  r.get('/sessions/:tenantId/:sessionId', async (req, res) => {
    const { tenantId, sessionId } = req.params as { tenantId: string; sessionId: string };
    const record = await unwrap(dalston.sessions.archived(tenantId, sessionId));
    const live = await dalston.sessions.get(tenantId, sessionId);
    page(req, res, {
      title: `Session ${sessionId}`,
      section: 'sessions',
      body: html`<h1>Session ${record.id}</h1>
<dl class="fields"><dt>Tenant</dt><dd>${record.tenantId}</dd><dt>Status</dt><dd>${record.status}</dd><dt>Worker</dt><dd>${record.workerId ?? '-'}</dd>
<dt>Started</dt><dd>${time(record.startedAt)}</dd><dt>Ended</dt><dd>${time(record.endedAt)}</dd><dt>Error</dt><dd>${record.error ?? '-'}</dd>
<dt>Stats</dt><dd><code>${JSON.stringify(record.stats)}</code></dd>
<dt>Artifacts</dt><dd>${Object.entries(record.artifacts).map(([name, uri]) => html`<div>${name}: <code>${uri}</code></div>`)}</dd>
<dt>Live state</dt><dd>${live.isOk() ? html`<code>${JSON.stringify(live.value.fields)}</code> (expires ${time(live.value.expiresAt)})` : 'not live'}</dd></dl>`,
    });
  });
}
