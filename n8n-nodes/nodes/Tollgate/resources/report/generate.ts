import type { INodeProperties } from 'n8n-workflow';
import { clientSelect, monthField } from '../../shared/descriptions';

const showOnlyForGenerate = { operation: ['generate'], resource: ['report'] };

export const reportGenerateDescription: INodeProperties[] = [
	{
		...clientSelect,
		required: false,
		description: 'The client to report on (leave empty for every active client)',
		displayOptions: { show: showOnlyForGenerate },
		routing: { send: { type: 'body', property: 'client_id' } },
	},
	{
		...monthField,
		displayOptions: { show: showOnlyForGenerate },
		routing: { send: { type: 'body', property: 'month' } },
	},
	{
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: true,
		description:
			'Whether to wait until the report is ready (or failed) before going on; otherwise the queued job is returned',
		displayOptions: { show: showOnlyForGenerate },
	},
	{
		displayName: 'Timeout (Seconds)',
		name: 'waitTimeout',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 3600 },
		default: 120,
		description: 'How long to wait for the report before failing',
		displayOptions: { show: { ...showOnlyForGenerate, waitForCompletion: [true] } },
	},
];
