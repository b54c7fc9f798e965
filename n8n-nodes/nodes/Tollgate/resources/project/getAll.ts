import type { INodeProperties } from 'n8n-workflow';
import {
	archivedStatusFilter,
	clientSelect,
	filtersCollection,
	getManyFields,
	nameContainsFilter,
} from '../../shared/descriptions';

const showOnlyForProjectGetMany = { operation: ['getAll'], resource: ['project'] };

export const projectGetManyDescription: INodeProperties[] = [
	{
		...clientSelect,
		required: false,
		description: "Only this client's projects (leave empty for all)",
		displayOptions: { show: showOnlyForProjectGetMany },
		routing: { send: { type: 'query', property: 'client_id' } },
	},
	...getManyFields(showOnlyForProjectGetMany),
	filtersCollection(showOnlyForProjectGetMany, [nameContainsFilter, archivedStatusFilter]),
];
