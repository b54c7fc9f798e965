import { createHmac, timingSafeEqual } from 'crypto';

/** Deliveries older or newer than this are refused: a replayed request carries its old timestamp. */
export const TOLERANCE_SECONDS = 300;

export type SignatureCheck = { valid: true } | { valid: false; reason: string };

/**
 * Check a `Tollgate-Signature: t=<unix seconds>,v1=<hex>` header: HMAC-SHA256 keyed with the subscription's
 * `whsec_` secret over `<t>.<raw body>`, compared in constant time, within the tolerance (docs/webhooks.md).
 */
export function verifySignature(
	secret: string,
	header: string | undefined,
	rawBody: Buffer,
	nowSeconds: number,
	toleranceSeconds = TOLERANCE_SECONDS,
): SignatureCheck {
	if (!header) return { valid: false, reason: 'missing Tollgate-Signature header' };
	const parts = new Map<string, string[]>();
	for (const item of header.split(',')) {
		const at = item.indexOf('=');
		if (at < 1) continue;
		const key = item.slice(0, at).trim();
		parts.set(key, [...(parts.get(key) ?? []), item.slice(at + 1).trim()]);
	}
	const timestamp = Number(parts.get('t')?.[0]);
	if (!Number.isInteger(timestamp)) return { valid: false, reason: 'no timestamp in signature' };
	if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
		return { valid: false, reason: 'timestamp outside the tolerance' };
	}
	const expected = createHmac('sha256', secret)
		.update(`${timestamp}.`)
		.update(rawBody)
		.digest();
	const matches = (parts.get('v1') ?? []).some((candidate) => {
		const given = Buffer.from(candidate, 'hex');
		return given.length === expected.length && timingSafeEqual(given, expected);
	});
	return matches ? { valid: true } : { valid: false, reason: 'signature does not match' };
}
