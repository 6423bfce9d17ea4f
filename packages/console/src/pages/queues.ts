/** Queues: each queue's counts and pause switch, with Pause/Resume. */
import type { Dalston } from '@dalston/core';
import { html, query } from '../html.js';
import { actionButton } from '../layout.js';
import { baseOf, page, redirect, unwrap } from '../respond.js';
import type { Routes } from '../routes.js';

export function queueRoutes(r: Routes, dalston: Dalston): void {
  r.get('/queues', async (req, res) => {
    const base = baseOf(req);
    const stats = await unwrap(dalston.queues.stats());
    page(req, res, {
      title: 'Queues',
      section: 'queues',
      body: html`<h1>Queues</h1>
<table><thead><tr><th>Queue</th><th>Ready</th><th>Delayed</th><th>Leased</th><th>Dead</th><th>State</th><th></th></tr></thead><tbody>${stats.map(
        (q) =>
          html`<tr data-queue="${q.queue}"><td>${q.queue}</td><td>${q.ready}</td><td>${q.delayed}</td><td>${q.leased}</td><td><a href="${base}/dead-letters${query({ queue: q.queue })}" aria-label="${q.dead} dead letters in ${q.queue}">${q.dead}</a></td><td data-state>${q.paused ? 'paused' : 'active'}</td><td>${
            q.paused
              ? actionButton(`${base}/queues/${encodeURIComponent(q.queue)}/resume`, `Resume ${q.queue}`)
              : actionButton(`${base}/queues/${encodeURIComponent(q.queue)}/pause`, `Pause ${q.queue}`, {
                  danger: true,
                })
          }</td></tr>`,
      )}</tbody></table>
${stats.length === 0 ? html`<p class="muted">No queues yet.</p>` : ''}`,
    });
  });

  for (const [action, done] of [
    ['pause', 'paused'],
    ['resume', 'resumed'],
  ] as const) {
    r.post(`/queues/:queue/${action}`, async (req, res) => {
      const queue = req.params.queue as string;
      await unwrap(action === 'pause' ? dalston.queues.pause(queue) : dalston.queues.resume(queue));
      redirect(req, res, '/queues', done);
    });
  }
}
