/**
 * Dead letters: one queue's letters (keyset paging) with Redrive/Discard per letter and for
 * all. A refusal (a letter whose task cannot be redriven) is shown on the page, not a 500.
 */
import { type Dalston, isDalstonError } from '@dalston/core';
import type { Request, Response } from 'express';
import { html, query, time } from '../html.js';
import { actionButton } from '../layout.js';
import { baseOf, field, page, param, redirect, unwrap } from '../respond.js';
import type { Routes } from '../routes.js';

type Notice = { text: string; error?: boolean } | null;

export function deadLetterRoutes(r: Routes, dalston: Dalston): void {
  const show = async (req: Request, res: Response, queue: string | undefined, notice: Notice = null) => {
    const base = baseOf(req);
    const stats = await unwrap(dalston.queues.stats());
    const q = queue ?? stats.find((s) => s.dead > 0)?.queue ?? stats[0]?.queue;
    const cursor = param(req, 'cursor') ?? null;
    const list = q ? await unwrap(dalston.deadLetters.list(q, { cursor, limit: 50 })) : null;
    const path = `${base}/dead-letters/${encodeURIComponent(q ?? '')}`;
    page(req, res, {
      title: 'Dead letters',
      section: 'dead-letters',
      notice,
      status: notice?.error ? 409 : 200,
      body: html`<h1>Dead letters${q ? html` of ${q}` : ''}</h1>
<form class="filters" method="get" action="${base}/dead-letters" aria-label="dead-letter queue">
<label>Queue<select name="queue">${stats.map(
        (s) =>
          html`<option value="${s.queue}"${s.queue === q ? html` selected` : ''}>${s.queue} (${s.dead})</option>`,
      )}</select></label><button type="submit">Show</button></form>
${
  list && list.items.length > 0
    ? html`<p>${actionButton(`${path}/redrive`, 'Redrive all', { fields: { id: 'all' } })} ${actionButton(
        `${path}/discard`,
        'Discard all',
        { danger: true, fields: { id: 'all' } },
      )}</p>`
    : ''
}
<table><thead><tr><th>Letter</th><th>Job</th><th>Stage</th><th>Attempt</th><th>Task status</th><th>Reason</th><th>Deliveries</th><th>Dead at</th><th></th></tr></thead><tbody>${(
        list?.items ?? []
      ).map(
        (l) =>
          html`<tr data-letter-id="${l.id}"><td><code>${l.id}</code>${l.raw ? html`<pre>${l.raw}</pre>` : ''}</td><td>${
            l.tenantId && l.jobId
              ? html`<a href="${base}/jobs/${encodeURIComponent(l.tenantId)}/${encodeURIComponent(l.jobId)}">${l.jobId}</a>`
              : html`<span class="muted">-</span>`
          }</td><td>${l.stage ?? '-'}</td><td>${l.attempt ?? '-'}</td><td>${l.taskStatus ?? '-'}</td><td>${l.reason}</td><td>${l.deliveries}</td><td>${time(l.deadAt)}</td><td>${actionButton(
            `${path}/redrive`,
            'Redrive',
            {
              fields: { id: l.id },
              ariaLabel: `Redrive ${l.id}`,
            },
          )} ${actionButton(`${path}/discard`, 'Discard', {
            danger: true,
            fields: { id: l.id },
            ariaLabel: `Discard ${l.id}`,
          })}</td></tr>`,
      )}</tbody></table>
${list && list.items.length === 0 ? html`<p class="muted">No dead letters in ${q}.</p>` : ''}
${list?.nextCursor ? html`<p class="pager"><a href="${base}/dead-letters${query({ queue: q, cursor: list.nextCursor })}">Next page</a></p>` : ''}`,
    });
  };

  r.get('/dead-letters', async (req, res) => show(req, res, param(req, 'queue')));

  r.post('/dead-letters/:queue/redrive', async (req, res) => {
    const queue = req.params.queue as string;
    const result = await dalston.deadLetters.redrive(queue, field(req, 'id') ?? '');
    if (result.isErr()) {
      if (!isDalstonError(result.error) || result.error.code !== 'INVALID_TRANSITION') throw result.error;
      return show(req, res, queue, { text: `Not redriven: ${result.error.message}`, error: true });
    }
    const { redriven, skipped } = result.value;
    if (skipped.length === 0) return redirect(req, res, `/dead-letters${query({ queue })}`, 'redriven');
    await show(req, res, queue, {
      text: `${redriven.length} redriven, ${skipped.length} skipped: ${skipped
        .map((s) => `${s.id} (${s.code}: ${s.message})`)
        .join('; ')}`,
      error: redriven.length === 0,
    });
  });

  r.post('/dead-letters/:queue/discard', async (req, res) => {
    const queue = req.params.queue as string;
    const { discarded } = await unwrap(dalston.deadLetters.discard(queue, field(req, 'id') ?? ''));
    redirect(req, res, `/dead-letters${query({ queue })}`, discarded > 0 ? 'discarded' : undefined);
  });
}
