/** The page frame: header navigation (the current section marked), a notice, the content. */
import { type Html, html } from './html.js';

export const SECTIONS = [
  ['tenants', 'Tenants'],
  ['jobs', 'Jobs'],
  ['queues', 'Queues'],
  ['dead-letters', 'Dead letters'],
  ['schedules', 'Schedules'],
  ['sessions', 'Sessions'],
] as const;
export type Section = (typeof SECTIONS)[number][0];

export interface Page {
  base: string;
  title: string;
  section?: Section;
  notice?: { text: string; error?: boolean } | null;
  body: Html;
  /** The SSE URL the page script follows (job pages). */
  liveEvents?: string;
}

export function layout(p: Page): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · Dalston console</title><link rel="stylesheet" href="${p.base}/assets/console.css"></head>
<body><header><a class="brand" href="${p.base}/">Dalston console</a><nav aria-label="sections"><ul>${SECTIONS.map(
    ([id, label]) =>
      html`<li><a href="${p.base}/${id}"${p.section === id ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )}</ul></nav></header>
<main${p.liveEvents ? html` data-live-events="${p.liveEvents}"` : ''}>${
    p.notice ? html`<p class="flash${p.notice.error ? ' error' : ''}" role="status">${p.notice.text}</p>` : ''
  }${p.body}</main>
<script src="${p.base}/assets/console.js" defer></script></body></html>`.text;
}

/** A one-button form posting to `action` (state changes are POSTs, never links). */
export function actionButton(
  action: string,
  label: string,
  options: { danger?: boolean; fields?: Record<string, string>; ariaLabel?: string } = {},
): Html {
  return html`<form class="inline" method="post" action="${action}">${Object.entries(
    options.fields ?? {},
  ).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}<button type="submit"${options.danger ? html` class="danger"` : ''}${
    options.ariaLabel ? html` aria-label="${options.ariaLabel}"` : ''
  }>${label}</button></form>`;
}

/** Messages shown after a redirect, chosen by code (a link cannot inject its own text). */
export const NOTICES: Record<string, string> = {
  cancelled: 'Cancel requested.',
  retried: 'Retry started.',
  'tenant-created': 'Tenant created.',
  'tenant-disabled': 'Tenant disabled.',
  'tenant-enabled': 'Tenant enabled.',
  'key-revoked': 'API key revoked.',
  paused: 'Queue paused.',
  resumed: 'Queue resumed.',
  redriven: 'Dead letters redriven.',
  discarded: 'Dead letters discarded.',
  'schedule-paused': 'Schedule paused.',
  'schedule-resumed': 'Schedule resumed.',
  'schedule-removed': 'Schedule removed.',
};
