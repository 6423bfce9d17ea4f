/** Tenants: the list (with a create form), one tenant with its limits and API keys. */
import { API_KEY_SCOPES, type ApiKeyInfo, type Dalston, type Tenant } from '@dalston/core';
import { html, query, time } from '../html.js';
import { actionButton } from '../layout.js';
import { baseOf, field, page, param, redirect, unwrap } from '../respond.js';
import type { Routes } from '../routes.js';

const keyState = (k: ApiKeyInfo, now: number) =>
  k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active';

export function tenantRoutes(router: Routes, dalston: Dalston): void {
  router.get('/tenants', async (req, res) => {
    const cursor = param(req, 'cursor') ?? null;
    const list = await unwrap(dalston.tenants.list({ limit: 50, cursor }));
    const base = baseOf(req);
    page(req, res, {
      title: 'Tenants',
      section: 'tenants',
      body: html`<h1>Tenants</h1>
<table><thead><tr><th>Id</th><th>Name</th><th>State</th><th>Created</th><th>Limits</th><th></th></tr></thead><tbody>${list.tenants.map(
        (t: Tenant) =>
          html`<tr><td><a href="${base}/tenants/${encodeURIComponent(t.id)}">${t.id}</a></td><td>${t.name}</td><td>${t.disabled ? 'disabled' : 'active'}</td><td>${time(t.createdAt)}</td><td><code>${JSON.stringify(t.limits)}</code></td><td><a href="${base}/jobs${query({ tenant: t.id })}">jobs</a></td></tr>`,
      )}</tbody></table>
${list.nextCursor ? html`<p class="pager"><a href="${base}/tenants${query({ cursor: list.nextCursor })}">Next page</a></p>` : ''}
<h2>New tenant</h2>
<form method="post" action="${base}/tenants" class="filters">
<label>Id (optional)<input name="id" pattern="[A-Za-z0-9_-]{1,64}"></label>
<label>Name<input name="name" required></label>
<label>Concurrent jobs (optional)<input name="concurrentJobs" type="number" min="1"></label>
<button type="submit">Create tenant</button></form>`,
    });
  });

  router.post('/tenants', async (req, res) => {
    const id = field(req, 'id');
    const jobs = field(req, 'concurrentJobs');
    const tenant = await unwrap(
      dalston.tenants.create({
        name: field(req, 'name') ?? '',
        ...(id ? { id } : {}),
        ...(jobs ? { limits: { concurrentJobs: Number(jobs) } } : {}),
      }),
    );
    redirect(req, res, `/tenants/${encodeURIComponent(tenant.id)}`, 'tenant-created');
  });

  router.get('/tenants/:tenantId', async (req, res) => {
    const tenantId = req.params.tenantId as string;
    const [tenant, keys] = await Promise.all([
      unwrap(dalston.tenants.get(tenantId)),
      unwrap(dalston.apiKeys.list(tenantId)),
    ]);
    page(req, res, {
      title: `Tenant ${tenant.id}`,
      section: 'tenants',
      body: tenantBody(baseOf(req), tenant, keys),
    });
  });

  router.post('/tenants/:tenantId/disable', async (req, res) => {
    const tenantId = req.params.tenantId as string;
    const disabled = field(req, 'disabled') !== 'false';
    await unwrap(dalston.tenants.disable(tenantId, disabled));
    redirect(
      req,
      res,
      `/tenants/${encodeURIComponent(tenantId)}`,
      disabled ? 'tenant-disabled' : 'tenant-enabled',
    );
  });

  router.post('/tenants/:tenantId/keys', async (req, res) => {
    const tenantId = req.params.tenantId as string;
    const raw = (req.body as Record<string, unknown>).scopes;
    const scopes = (Array.isArray(raw) ? raw : [raw]).filter((s): s is (typeof API_KEY_SCOPES)[number] =>
      (API_KEY_SCOPES as readonly unknown[]).includes(s),
    );
    const created = await unwrap(
      dalston.apiKeys.create({ tenantId, name: field(req, 'name') ?? '', scopes }),
    );
    const [tenant, keys] = await Promise.all([
      unwrap(dalston.tenants.get(tenantId)),
      unwrap(dalston.apiKeys.list(tenantId)),
    ]);
    // The secret is on this response only: it is not stored, and a reload does not repeat the POST's answer.
    res.setHeader('Cache-Control', 'no-store');
    page(req, res, {
      title: `Tenant ${tenant.id}`,
      section: 'tenants',
      status: 201,
      body: html`<section aria-labelledby="new-key"><h2 id="new-key">New API key ${created.record.name}</h2>
<p>Copy it now: the secret is shown once and is not stored.</p><p><output class="secret" data-testid="new-secret">${created.key}</output></p></section>
${tenantBody(baseOf(req), tenant, keys)}`,
    });
  });

  router.post('/tenants/:tenantId/keys/:keyId/revoke', async (req, res) => {
    const tenantId = req.params.tenantId as string;
    await unwrap(dalston.apiKeys.revoke(tenantId, req.params.keyId as string));
    redirect(req, res, `/tenants/${encodeURIComponent(tenantId)}`, 'key-revoked');
  });
}

function tenantBody(base: string, t: Tenant, keys: ApiKeyInfo[]) {
  const path = `${base}/tenants/${encodeURIComponent(t.id)}`;
  const now = Date.now();
  return html`<h1>Tenant ${t.id}</h1>
<dl class="fields"><dt>Name</dt><dd>${t.name}</dd><dt>State</dt><dd>${t.disabled ? 'disabled' : 'active'}</dd>
<dt>Created</dt><dd>${time(t.createdAt)}</dd><dt>Limits</dt><dd><code>${JSON.stringify(t.limits)}</code></dd></dl>
<p>${actionButton(`${path}/disable`, t.disabled ? 'Enable tenant' : 'Disable tenant', {
    danger: !t.disabled,
    fields: { disabled: t.disabled ? 'false' : 'true' },
  })} <a href="${base}/jobs${query({ tenant: t.id })}">Jobs of ${t.id}</a> · <a href="${base}/sessions${query({ tenant: t.id })}">Sessions</a></p>
<h2>API keys</h2>
<table><thead><tr><th>Name</th><th>Prefix</th><th>Scopes</th><th>State</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>${keys.map(
    (k) =>
      html`<tr data-key-id="${k.id}"><td>${k.name}</td><td><code>dk_${k.prefix}</code></td><td>${k.scopes.join(', ')}</td><td>${keyState(k, now)}</td><td>${time(k.createdAt)}</td><td>${time(k.lastUsedAt)}</td><td>${
        k.revokedAt === null
          ? actionButton(`${path}/keys/${encodeURIComponent(k.id)}/revoke`, `Revoke ${k.name}`, {
              danger: true,
            })
          : ''
      }</td></tr>`,
  )}</tbody></table>
<h2>New API key</h2>
<form method="post" action="${path}/keys" class="filters">
<label>Name<input name="name" required></label>
<fieldset><legend>Scopes</legend>${API_KEY_SCOPES.map(
    (s) => html`<label><span><input type="checkbox" name="scopes" value="${s}"> ${s}</span></label>`,
  )}</fieldset>
<button type="submit">Create key</button></form>`;
}
