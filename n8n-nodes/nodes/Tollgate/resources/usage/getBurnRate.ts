import type { INodeProperties } from 'n8n-workflow';
import { getManyFields } from '../../shared/descriptions';

const showOnlyForBurnRate = { operation: ['getBurnRate'], resource: ['usage'] };

export const usageBurnRateDescription: INodeProperties[] = [
	{
		displayName: 'Days',
		name: 'days',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 366 },
		default: 30,
		description: 'How many past days the average is taken over',
		displayOptions: { show: showOnlyForBurnRate },
		routing: { send: { type: 'query', property: 'days' } },
	},
	...getManyFields(showOnlyForBurnRate),
];
