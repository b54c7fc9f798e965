import type {
	IExecuteSingleFunctions,
	IN8nHttpFullResponse,
	INodeExecutionData,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

/** An RFC 9457 problem document as Tollgate's admin API answers it. */
export type Problem = {
	type?: string;
	title?: string;
	status?: number;
	detail?: string;
	errors?: Record<string, unknown>;
};

/** What to do about each status, in the words of someone using n8n rather than the API. */
const HINTS: Record<number, string> = {
	400: 'Check the values sent by this node.',
	401: 'Check the token in the Tollgate API credential: it is wrong, revoked or expired.',
	403: 'This token may not do this: use a credential with an owner or admin token, or one for this client.',
	404: 'Check the ID (pick it from the list), and that the credential\'s Base URL is your Tollgate server.',
	409: 'It already exists or is in a state that does not allow this: use a different value or look it up first.',
	415: 'The request body was not JSON.',
	422: 'Fix the fields listed below.',
	429: 'Tollgate is rate limiting this token: wait a moment, or slow the workflow down.',
};

function flattenFieldErrors(errors: unknown, prefix = ''): string[] {
	if (Array.isArray(errors)) return [`${prefix || 'body'}: ${errors.map(String).join(' ')}`];
	if (errors && typeof errors === 'object') {
		return Object.entries(errors as Record<string, unknown>).flatMap(([field, value]) =>
			flattenFieldErrors(value, prefix ? `${prefix}.${field}` : field),
		);
	}
	return errors === undefined ? [] : [`${prefix || 'body'}: ${String(errors)}`];
}

/** The message and description n8n shows for a failed call: what went wrong and what to fix. */
export function describeProblem(
	status: number,
	body: unknown,
): { message: string; description: string } {
	const problem: Problem = body && typeof body === 'object' ? (body as Problem) : {};
	const title = problem.title ?? `HTTP ${status}`;
	const detail =
		problem.detail ??
		(typeof body === 'string' && body.trim() ? body.trim().slice(0, 200) : 'No details given');
	const fields = flattenFieldErrors(problem.errors);
	const hint =
		HINTS[status] ?? (status >= 500 ? 'Tollgate failed: try again, or look at its logs.' : '');
	const message = `Tollgate: ${title} (${status}): ${detail}`;
	const description = [hint, ...fields].filter(Boolean).join('\n');
	return { message, description };
}

/**
 * postReceive for every operation: requests are sent with `ignoreHttpStatusErrors`, so a problem document
 * reaches this function and becomes an n8n error that names the problem and what to fix, instead of n8n's
 * generic "Forbidden - perhaps check your credentials?".
 */
export async function throwOnProblem(
	this: IExecuteSingleFunctions,
	items: INodeExecutionData[],
	response: IN8nHttpFullResponse,
): Promise<INodeExecutionData[]> {
	if (response.statusCode < 400) return items;
	const { message, description } = describeProblem(response.statusCode, response.body);
	const body = (response.body && typeof response.body === 'object' ? response.body : {}) as JsonObject;
	throw new NodeApiError(this.getNode(), body, {
		message,
		description,
		httpCode: String(response.statusCode),
	});
}
