import type { INodeProperties } from 'n8n-workflow';
import { clientSelect } from '../../shared/descriptions';

export const clientGetDescription: INodeProperties[] = [
	{
		...clientSelect,
		description: 'The client to get, archive or update',
		displayOptions: { show: { operation: ['get', 'archive', 'update'], resource: ['client'] } },
	},
];
