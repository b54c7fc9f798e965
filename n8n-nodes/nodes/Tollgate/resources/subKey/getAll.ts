import type { INodeProperties } from 'n8n-workflow';
import {
	clientSelect,
	filtersCollection,
	getManyFields,
	nameContainsFilter,
	queryFilter,
	statusFilter,
} from '../../shared/descriptions';

const showOnlyForSubKeyGetMany = { operation: ['getAll'], resource: ['subKey'] };

export const subKeyGetManyDescription: INodeProperties[] = [
	{
		...clientSelect,
		required: false,
		description: "Only this client's keys (leave empty for all)",
		displayOptions: { show: showOnlyForSubKeyGetMany },
		routing: { send: { type: 'query', property: 'client_id' } },
	},
	...getManyFields(showOnlyForSubKeyGetMany),
	filtersCollection(showOnlyForSubKeyGetMany, [
		nameContainsFilter,
		queryFilter('Project ID', 'project_id'),
		statusFilter(
			[
				['Active', 'active'],
				['All', 'all'],
				['Expired', 'expired'],
				['Revoked', 'revoked'],
			],
			'active',
		),
	]),
];
