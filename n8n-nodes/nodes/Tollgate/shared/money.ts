/**
 * Money crosses the API as integer micro-dollars (`*_micros`) beside an exact decimal string (`*_usd`); a
 * float would lose cents. Amounts typed in n8n are decimal strings and are turned into micro-dollars here by
 * string arithmetic only.
 */

const USD_PATTERN = /^\s*(\d{1,12})(?:\.(\d{1,6}))?\s*$/;

/** Parse "12.5" or "100" (US dollars, at most 6 decimals) into micro-dollars; undefined when it is not one. */
export function usdToMicros(amount: string | number): number | undefined {
	const text = typeof amount === 'number' ? String(amount) : amount;
	const match = USD_PATTERN.exec(text.replace(/^\$/, ''));
	if (!match) return undefined;
	const dollars = Number(match[1]);
	const fraction = Number((match[2] ?? '').padEnd(6, '0'));
	return dollars * 1_000_000 + fraction;
}

/** Micro-dollars as an exact decimal string with at least two decimals ("1.5" → "1.50", 1234 → "0.001234"). */
export function microsToUsd(micros: number): string {
	const sign = micros < 0 ? '-' : '';
	const abs = Math.abs(Math.trunc(micros));
	const dollars = Math.floor(abs / 1_000_000);
	let fraction = String(abs % 1_000_000).padStart(6, '0').replace(/0+$/, '');
	if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
	return `${sign}${dollars}.${fraction}`;
}
