import type { IDataObject, INodeProperties } from 'n8n-workflow';

/** A resource locator for a Tollgate object: a searchable list loaded from the API, or its ID. */
function locator(
	displayName: string,
	name: string,
	searchListMethod: string,
	idPrefix: string,
): INodeProperties {
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: `Select a ${displayName.toLowerCase()}...`,
				typeOptions: { searchListMethod, searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: `e.g. ${idPrefix}_01abc...`,
			},
		],
	};
}

export const clientSelect = locator('Client', 'clientId', 'searchClients', 'cli');
export const projectSelect = locator('Project', 'projectId', 'searchProjects', 'prj');
export const subKeySelect = locator('Sub-Key', 'keyId', 'searchSubKeys', 'key');
export const reportSelect = locator('Report', 'reportId', 'searchReports', 'rep');

/** The month a report or invoice is for; the API counts months in the workspace's time zone. */
export const monthField: INodeProperties = {
	displayName: 'Month',
	name: 'month',
	type: 'string',
	default: '={{ $now.minus({ months: 1 }).toFormat("yyyy-MM") }}',
	required: true,
	placeholder: 'e.g. 2026-11',
	description: 'Calendar month as YYYY-MM (the default is last month)',
};

/**
 * The query of the next page: n8n replaces the request's `qs` with the pagination request's, so the page size
 * and filters of the first request are carried over and the cursor of the last answer added (none at first).
 */
const NEXT_PAGE_QS =
	'={{ $response.body?.next_cursor ? { ...$request.qs, cursor: $response.body.next_cursor } : $request.qs }}';

/**
 * "Return All" and "Limit" for a list endpoint: the API pages with an opaque `next_cursor`, passed back as
 * `cursor`, and answers `{data, next_cursor}`; items are the `data` entries.
 */
export function getManyFields(show: Record<string, string[]>): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			displayOptions: { show },
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			routing: {
				send: { paginate: '={{ $value }}', type: 'query', property: 'limit', value: '200' },
				operations: {
					pagination: {
						type: 'generic',
						properties: {
							continue: '={{ !!$response.body?.next_cursor }}',
							request: { qs: NEXT_PAGE_QS as unknown as IDataObject },
						},
					},
				},
			},
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			displayOptions: { show: { ...show, returnAll: [false] } },
			typeOptions: { minValue: 1, maxValue: 200 },
			default: 50,
			description: 'Max number of results to return',
			routing: {
				send: { type: 'query', property: 'limit' },
				output: { maxResults: '={{ $value }}' },
			},
		},
	];
}
