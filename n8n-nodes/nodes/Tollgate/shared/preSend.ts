import type { IDataObject, IExecuteSingleFunctions, IHttpRequestOptions } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { usdToMicros } from './money';

function body(options: IHttpRequestOptions): IDataObject {
	if (!options.body || typeof options.body !== 'object') options.body = {};
	return options.body as IDataObject;
}

/** "Acme Corp." → "acme-corp": the API requires a slug, and the name is what people type. */
export function slugify(name: string): string {
	return name
		.toLowerCase()
		.normalize('NFKD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/[^a-z0-9]+/g, '-')
		.replace(/^-+|-+$/g, '')
		.slice(0, 80)
		.replace(/-+$/, '');
}

/** Fill `slug` from `name` when the Slug field was left empty. */
export async function slugFromName(
	this: IExecuteSingleFunctions,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const data = body(options);
	if (!data.slug && typeof data.name === 'string') data.slug = slugify(data.name);
	return options;
}

/** The budget amount is typed in dollars as a decimal string and sent as integer micro-dollars. */
export async function amountToMicros(
	this: IExecuteSingleFunctions,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const amount = this.getNodeParameter('amountUsd') as string;
	const micros = usdToMicros(amount);
	if (micros === undefined) {
		throw new NodeOperationError(this.getNode(), `Amount "${amount}" is not an amount of US dollars`, {
			description: 'Type a decimal number with at most 6 decimals, e.g. 100 or 49.99',
		});
	}
	body(options).amount_micros = micros;
	return options;
}

/** Split a comma-separated list field into the array the API expects; empty means "not set". */
export function listFromText(text: unknown): string[] | undefined {
	if (Array.isArray(text)) return text.map(String);
	if (typeof text !== 'string' || !text.trim()) return undefined;
	return text
		.split(',')
		.map((part) => part.trim())
		.filter(Boolean);
}

/** `allowed_models` / `key_allowed_models` are typed as "gpt-4o-mini, gpt-4o". */
export async function modelListsToArrays(
	this: IExecuteSingleFunctions,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const data = body(options);
	for (const field of ['allowed_models', 'key_allowed_models']) {
		if (field in data) data[field] = listFromText(data[field]) ?? null;
	}
	return options;
}

/** One n8n item becomes one usage event; batches of items are sent one request per item by n8n. */
export async function usageEventBody(
	this: IExecuteSingleFunctions,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const event: IDataObject = {
		event_id: this.getNodeParameter('eventId') as string,
		timestamp: this.getNodeParameter('timestamp') as string,
		client: this.getNodeParameter('clientId', undefined, { extractValue: true }) as string,
		model: this.getNodeParameter('model') as string,
		input_tokens: this.getNodeParameter('inputTokens') as number,
		output_tokens: this.getNodeParameter('outputTokens') as number,
	};
	const extra = this.getNodeParameter('eventFields', {}) as IDataObject;
	for (const [key, value] of Object.entries(extra)) {
		if (value !== '' && value !== undefined) event[key] = value;
	}
	options.body = { events: [event] };
	return options;
}

function dropEmptyValues(data: IDataObject): void {
	for (const [key, value] of Object.entries(data)) {
		if (value === '' || value === undefined || value === null) delete data[key];
	}
}

/** Optional fields and filters left empty are not sent (the API would refuse an empty ID). */
export async function dropEmpty(
	this: IExecuteSingleFunctions,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	if (options.qs) dropEmptyValues(options.qs);
	if (options.body && typeof options.body === 'object') dropEmptyValues(options.body as IDataObject);
	return options;
}

const SCOPE_PATHS: Record<string, { parameter: string; path: string }> = {
	client: { parameter: 'clientId', path: 'clients' },
	project: { parameter: 'projectId', path: 'projects' },
	key: { parameter: 'keyId', path: 'sub-keys' },
};

function scopeTarget(this: IExecuteSingleFunctions): { id: string; path: string } {
	const scope = this.getNodeParameter('scope') as string;
	const target = SCOPE_PATHS[scope];
	if (!target) throw new NodeOperationError(this.getNode(), `Unknown scope "${scope}"`);
	const id = this.getNodeParameter(target.parameter, undefined, { extractValue: true }) as string;
	return { id, path: target.path };
}

/** A budget's `scope_id` is the client, project or sub-key picked for the chosen scope. */
export async function budgetScopeId(
	this: IExecuteSingleFunctions,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	body(options).scope = this.getNodeParameter('scope') as string;
	body(options).scope_id = scopeTarget.call(this).id;
	return options;
}

/** Cap status lives under the scoped object: /clients/{id}, /projects/{id} or /sub-keys/{id}. */
export async function capStatusUrl(
	this: IExecuteSingleFunctions,
	options: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const { id, path } = scopeTarget.call(this);
	options.url = `/api/v1/${path}/${encodeURIComponent(id)}/cap-status`;
	return options;
}
