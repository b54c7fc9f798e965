import type {
	IDataObject,
	IExecuteSingleFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	JsonObject,
	IWebhookFunctions,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { describeProblem } from './errors';

type Context = IExecuteSingleFunctions | IHookFunctions | ILoadOptionsFunctions | IWebhookFunctions;

/** The credential's base URL without a trailing slash. */
export async function baseUrl(this: Context): Promise<string> {
	const credentials = await this.getCredentials('tollgateApi');
	return String(credentials.baseUrl).replace(/\/+$/, '');
}

export type ApiResponse = { statusCode: number; body: IDataObject };

/** One admin API call that returns the status instead of throwing, for callers that expect a 404. */
export async function tollgateApiCall(
	this: Context,
	method: IHttpRequestMethods,
	path: string,
	qs: IDataObject = {},
	body: IDataObject | undefined = undefined,
): Promise<ApiResponse> {
	const options: IHttpRequestOptions = {
		method,
		url: `${await baseUrl.call(this)}/api/v1${path}`,
		qs,
		body,
		json: true,
		returnFullResponse: true,
		ignoreHttpStatusErrors: true,
	};
	const response = (await this.helpers.httpRequestWithAuthentication.call(
		this,
		'tollgateApi',
		options,
	)) as { statusCode: number; body: unknown };
	const responseBody = response.body && typeof response.body === 'object' ? response.body : {};
	return { statusCode: response.statusCode, body: responseBody as IDataObject };
}

/** The readable n8n error for a failed call (see errors.ts). */
export function problemError(this: Context, response: ApiResponse): NodeApiError {
	const { message, description } = describeProblem(response.statusCode, response.body);
	return new NodeApiError(this.getNode(), response.body as JsonObject, {
		message,
		description,
		httpCode: String(response.statusCode),
	});
}

/**
 * One admin API call for the programmatic parts (list search, trigger, polling); declarative operations
 * use `routing` instead. Problem documents become the same readable errors as in the declarative paths.
 */
export async function tollgateApiRequest(
	this: Context,
	method: IHttpRequestMethods,
	path: string,
	qs: IDataObject = {},
	body: IDataObject | undefined = undefined,
): Promise<IDataObject> {
	const response = await tollgateApiCall.call(this, method, path, qs, body);
	if (response.statusCode >= 400) throw problemError.call(this, response);
	return response.body;
}
