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

/** One filter of a "Get Many" operation: the list endpoint's query parameter of the same name. */
export function queryFilter(
	displayName: string,
	name: string,
	extra: Partial<INodeProperties> = {},
): INodeProperties {
	return {
		displayName,
		name,
		type: 'string',
		default: '',
		routing: { send: { type: 'query', property: name } },
		...extra,
	};
}

/** The `status` filter with the list endpoint's values, as [label, value] pairs in display order. */
export function statusFilter(values: Array<[string, string]>, defaultValue: string): INodeProperties {
	return queryFilter('Status', 'status', {
		type: 'options',
		options: values.map(([name, value]) => ({ name, value })),
		default: defaultValue,
	});
}

export const nameContainsFilter = queryFilter('Name Contains', 'q');

/** Clients and projects are active or archived. */
export const archivedStatusFilter = statusFilter(
	[
		['Active', 'active'],
		['Archived', 'archived'],
		['All', 'all'],
	],
	'active',
);

/** The optional "Filters" collection of a "Get Many" operation. */
export function filtersCollection(
	show: Record<string, string[]>,
	options: INodeProperties[],
): INodeProperties {
	return {
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show },
		options,
	};
}
