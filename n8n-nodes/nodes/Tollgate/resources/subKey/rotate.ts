import type { INodeProperties } from 'n8n-workflow';
import { subKeySelect } from '../../shared/descriptions';

export const subKeyRotateDescription: INodeProperties[] = [
	{
		...subKeySelect,
		description: 'The sub-key to rotate or revoke',
		displayOptions: { show: { operation: ['rotate', 'revoke'], resource: ['subKey'] } },
	},
	{
		displayName: 'Overlap (Seconds)',
		name: 'overlapSeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 3600,
		description: 'How long the old key keeps working, so running workflows can switch over',
		displayOptions: { show: { operation: ['rotate'], resource: ['subKey'] } },
		routing: { send: { type: 'body', property: 'overlap_seconds' } },
	},
];
