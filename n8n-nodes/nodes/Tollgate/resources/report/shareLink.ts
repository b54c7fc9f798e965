import type { INodeProperties } from 'n8n-workflow';
import { reportSelect } from '../../shared/descriptions';

export const reportShareLinkDescription: INodeProperties[] = [
	{
		...reportSelect,
		displayOptions: { show: { operation: ['get', 'createShareLink'], resource: ['report'] } },
	},
	{
		displayName: 'Expires in (Days)',
		name: 'expiresInDays',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 90 },
		default: 30,
		displayOptions: { show: { operation: ['createShareLink'], resource: ['report'] } },
		routing: { send: { type: 'body', property: 'expires_in_days' } },
	},
];
