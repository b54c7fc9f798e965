import type { INodeProperties } from 'n8n-workflow';
import { clientSelect, getManyFields } from '../../shared/descriptions';

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
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: showOnlyForSubKeyGetMany },
		options: [
			{
				displayName: 'Name Contains',
				name: 'q',
				type: 'string',
				default: '',
				routing: { send: { type: 'query', property: 'q' } },
			},
			{
				displayName: 'Project ID',
				name: 'project_id',
				type: 'string',
				default: '',
				routing: { send: { type: 'query', property: 'project_id' } },
			},
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: [
					{ name: 'Active', value: 'active' },
					{ name: 'All', value: 'all' },
					{ name: 'Expired', value: 'expired' },
					{ name: 'Revoked', value: 'revoked' },
				],
				default: 'active',
				routing: { send: { type: 'query', property: 'status' } },
			},
		],
	},
];
