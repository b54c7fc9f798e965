import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';
import { tollgateApiRequest } from '../shared/transport';

const PAGE_SIZE = 100;

/** The value of a resource locator parameter of the node being edited, or '' when it is not set. */
function currentId(context: ILoadOptionsFunctions, name: string): string {
	try {
		const value = context.getCurrentNodeParameter(name, { extractValue: true });
		return typeof value === 'string' ? value : '';
	} catch {
		return ''; // the parameter is not shown for this resource and operation
	}
}

/** One page of a list endpoint as list-search results; the API's `next_cursor` is n8n's pagination token. */
async function searchPage(
	context: ILoadOptionsFunctions,
	path: string,
	qs: IDataObject,
	toItem: (row: IDataObject) => INodeListSearchItems,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const query: IDataObject = { limit: PAGE_SIZE };
	for (const [key, value] of Object.entries(qs)) if (value) query[key] = value;
	if (paginationToken) query.cursor = paginationToken;
	const page = await tollgateApiRequest.call(context, 'GET', path, query);
	const rows = (page.data ?? []) as IDataObject[];
	return {
		results: rows.map(toItem),
		paginationToken: (page.next_cursor as string | null) ?? undefined,
	};
}

export async function searchClients(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	return await searchPage(
		this,
		'/clients',
		{ q: filter, sort: 'name' },
		(row) => ({ name: `${String(row.name)} (${String(row.slug)})`, value: String(row.id) }),
		paginationToken,
	);
}

export async function searchProjects(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	return await searchPage(
		this,
		'/projects',
		{ q: filter, sort: 'name', client_id: currentId(this, 'clientId') },
		(row) => ({ name: `${String(row.name)} (${String(row.slug)})`, value: String(row.id) }),
		paginationToken,
	);
}

export async function searchSubKeys(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	return await searchPage(
		this,
		'/sub-keys',
		{
			q: filter,
			sort: 'name',
			status: 'active',
			client_id: currentId(this, 'clientId'),
			project_id: currentId(this, 'projectId'),
		},
		(row) => ({
			name: `${String(row.name)} (${String(row.prefix ?? 'tg_')}…${String(row.last4)})`,
			value: String(row.id),
		}),
		paginationToken,
	);
}

export async function searchReports(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const month = filter && /^\d{4}-\d{2}$/.test(filter.trim()) ? filter.trim() : undefined;
	return await searchPage(
		this,
		'/reports',
		{ month, client_id: currentId(this, 'clientId') },
		(row) => ({
			name: `${String(row.month)} · ${String(row.client_id)} · ${String(row.status)}`,
			value: String(row.id),
		}),
		paginationToken,
	);
}
