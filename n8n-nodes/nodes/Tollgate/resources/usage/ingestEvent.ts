import type { INodeProperties } from 'n8n-workflow';
import { clientSelect } from '../../shared/descriptions';

const showOnlyForIngest = { operation: ['ingestEvent'], resource: ['usage'] };

/** Fields read by the `usageEventBody` preSend, which sends one event per item. */
export const usageIngestDescription: INodeProperties[] = [
	{
		...clientSelect,
		description: 'The client the usage belongs to',
		displayOptions: { show: showOnlyForIngest },
	},
	{
		displayName: 'Event ID',
		name: 'eventId',
		type: 'string',
		default: '={{ $execution.id }}-{{ $itemIndex }}',
		required: true,
		description: 'Your unique ID of the event: sending it again changes nothing',
		displayOptions: { show: showOnlyForIngest },
	},
	{
		displayName: 'Timestamp',
		name: 'timestamp',
		type: 'dateTime',
		default: '={{ $now.toISO() }}',
		required: true,
		description: 'When the usage happened',
		displayOptions: { show: showOnlyForIngest },
	},
	{
		displayName: 'Model',
		name: 'model',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. gpt-4o-mini',
		displayOptions: { show: showOnlyForIngest },
	},
	{
		displayName: 'Input Tokens',
		name: 'inputTokens',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		displayOptions: { show: showOnlyForIngest },
	},
	{
		displayName: 'Output Tokens',
		name: 'outputTokens',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		displayOptions: { show: showOnlyForIngest },
	},
	{
		displayName: 'Additional Fields',
		name: 'eventFields',
		type: 'collection',
		placeholder: 'Add Field',
		default: {},
		displayOptions: { show: showOnlyForIngest },
		options: [
			{
				displayName: 'Cached Input Tokens',
				name: 'cached_input_tokens',
				type: 'number',
				default: 0,
			},
			{
				displayName: 'Project',
				name: 'project',
				type: 'string',
				default: '',
				description: 'Project ID or slug',
			},
			{
				displayName: 'Provider',
				name: 'provider',
				type: 'string',
				default: 'openai',
			},
			{
				displayName: 'Reasoning Tokens',
				name: 'reasoning_tokens',
				type: 'number',
				default: 0,
			},
		],
	},
];
