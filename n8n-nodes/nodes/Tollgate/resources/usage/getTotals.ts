import type { INodeProperties } from 'n8n-workflow';
import { clientSelect } from '../../shared/descriptions';

const showOnlyForUsageTotals = { operation: ['getTotals'], resource: ['usage'] };

export const usageTotalsDescription: INodeProperties[] = [
	{
		...clientSelect,
		required: false,
		description: "Only this client's usage (leave empty for the whole workspace)",
		displayOptions: { show: showOnlyForUsageTotals },
		routing: { send: { type: 'query', property: 'client_id' } },
	},
	{
		displayName: 'From',
		name: 'from',
		type: 'dateTime',
		default: '',
		description: 'Start, inclusive (default: 30 days before To)',
		displayOptions: { show: showOnlyForUsageTotals },
		routing: { send: { type: 'query', property: 'from' } },
	},
	{
		displayName: 'To',
		name: 'to',
		type: 'dateTime',
		default: '',
		description: 'End, exclusive (default: now)',
		displayOptions: { show: showOnlyForUsageTotals },
		routing: { send: { type: 'query', property: 'to' } },
	},
	{
		displayName: 'Group By',
		name: 'groupBy',
		type: 'multiOptions',
		options: [
			{ name: 'Client', value: 'client' },
			{ name: 'Day', value: 'day' },
			{ name: 'Model', value: 'model' },
			{ name: 'Project', value: 'project' },
			{ name: 'Provider', value: 'provider' },
			{ name: 'Source', value: 'source' },
			{ name: 'Sub-Key', value: 'key' },
		],
		default: [],
		description: 'Break the totals down (empty: one total)',
		displayOptions: { show: showOnlyForUsageTotals },
		routing: { send: { type: 'query', property: 'group_by', value: '={{ $value.join(",") }}' } },
	},
];
