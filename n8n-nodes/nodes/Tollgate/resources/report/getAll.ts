import type { INodeProperties } from 'n8n-workflow';
import { getManyFields } from '../../shared/descriptions';

const showOnlyForReportGetMany = { operation: ['getAll'], resource: ['report'] };

export const reportGetManyDescription: INodeProperties[] = [
	...getManyFields(showOnlyForReportGetMany),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: showOnlyForReportGetMany },
		options: [
			{
				displayName: 'Client ID',
				name: 'client_id',
				type: 'string',
				default: '',
				routing: { send: { type: 'query', property: 'client_id' } },
			},
			{
				displayName: 'Month',
				name: 'month',
				type: 'string',
				default: '',
				placeholder: 'e.g. 2026-11',
				routing: { send: { type: 'query', property: 'month' } },
			},
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: [
					{ name: 'Failed', value: 'failed' },
					{ name: 'Queued', value: 'queued' },
					{ name: 'Ready', value: 'ready' },
					{ name: 'Running', value: 'running' },
				],
				default: 'ready',
				routing: { send: { type: 'query', property: 'status' } },
			},
		],
	},
];
