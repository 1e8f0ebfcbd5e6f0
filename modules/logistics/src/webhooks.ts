import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '@groundwork/node';
import { badInput } from './errors.ts';
import { ldb } from './store.ts';

/** Delivery attempts before a webhook delivery is given up (about 2.5 hours of retries). */
export const WEBHOOK_MAX_ATTEMPTS = 10;
/** How long one POST may take, ms. */
export const WEBHOOK_TIMEOUT_MS = 5_000;

/** Back-off before attempt `attempts + 1`: 5 s doubling, at most an hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(3_600_000, 5_000 * 2 ** Math.max(0, attempts - 1));
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the webhook's secret (like GitHub's). */
export function signWebhookBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Checks a webhook URL: http(s) with a host, no credentials. */
export function checkWebhookUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw badInput('WEBHOOK_URL_INVALID', 'the webhook URL is not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw badInput('WEBHOOK_URL_INVALID', 'the webhook URL must be http or https');
  if (u.username || u.password)
    throw badInput('WEBHOOK_URL_INVALID', 'put no credentials in the webhook URL; use the secret');
  return u.toString();
}

/** Registers (or replaces) the caller's webhook for a shipment; returns the secret deliveries are signed with. */
export async function setWebhook(
  core: Db,
  shipment: string,
  account: string,
  url: string,
  secret?: string,
  now = Date.now(),
) {
  const s = secret ?? randomBytes(24).toString('base64url');
  const clean = checkWebhookUrl(url);
  await ldb(core)
    .insertInto('logistics_webhooks')
    .values({ shipment_id: shipment, account, url: clean, secret: s, created_at: now })
    .onConflict((oc) =>
      oc.columns(['shipment_id', 'account']).doUpdateSet({ url: clean, secret: s, created_at: now }),
    )
    .execute();
  return { url: clean, secret: s };
}

/**
 * Delivers due webhook POSTs (oldest first, at most `limit`): JSON body
 * `{id, type, shipment, createdAt, data}`, headers `x-groundwork-event`,
 * `x-groundwork-delivery`, `x-groundwork-signature`. A 2xx answer is
 * delivered; anything else is retried with back-off, then marked failed.
 */
export async function deliverDue(
  core: Db,
  o: { now?: number; limit?: number; fetch?: typeof fetch } = {},
): Promise<{ delivered: number; failed: number }> {
  const db = ldb(core);
  const now = o.now ?? Date.now();
  const due = await db
    .selectFrom('logistics_deliveries as d')
    .innerJoin('logistics_events as e', 'e.seq', 'd.event_seq')
    .leftJoin('logistics_webhooks as w', (j) =>
      j.onRef('w.shipment_id', '=', 'd.shipment_id').onRef('w.account', '=', 'd.account'),
    )
    .select([
      'd.id',
      'd.url',
      'd.attempts',
      'e.seq',
      'e.type',
      'e.shipment_id',
      'e.payload',
      'e.created_at',
      'w.secret',
    ])
    .where('d.status', '=', 'pending')
    .where('d.next_at', '<=', now)
    .orderBy('d.next_at')
    .limit(o.limit ?? 20)
    .execute();
  let delivered = 0;
  let failed = 0;
  for (const d of due) {
    if (d.secret === null) {
      // The webhook was removed after the event was queued.
      await db
        .updateTable('logistics_deliveries')
        .set({ status: 'cancelled' })
        .where('id', '=', d.id)
        .execute();
      continue;
    }
    const body = JSON.stringify({
      id: d.id,
      type: d.type,
      shipment: d.shipment_id,
      createdAt: Number(d.created_at),
      data: JSON.parse(d.payload),
    });
    let error: string | null = null;
    try {
      const res = await (o.fetch ?? fetch)(d.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'groundwork-logistics-webhook/1',
          'x-groundwork-event': d.type,
          'x-groundwork-delivery': d.id,
          'x-groundwork-signature': signWebhookBody(d.secret, body),
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      error = (err as Error).message.slice(0, 200);
    }
    const attempts = d.attempts + 1;
    if (error === null) {
      delivered++;
      await db
        .updateTable('logistics_deliveries')
        .set({ status: 'delivered', attempts, delivered_at: now, last_error: null })
        .where('id', '=', d.id)
        .execute();
    } else {
      const gaveUp = attempts >= WEBHOOK_MAX_ATTEMPTS;
      if (gaveUp) failed++;
      await db
        .updateTable('logistics_deliveries')
        .set({
          status: gaveUp ? 'failed' : 'pending',
          attempts,
          next_at: now + retryDelayMs(attempts),
          last_error: error,
        })
        .where('id', '=', d.id)
        .execute();
    }
  }
  return { delivered, failed };
}
