import type { INodeProperties } from 'n8n-workflow';
import { throwOnProblem } from '../../shared/errors';
import { deletedResult, withOpenAiBaseUrl } from '../../shared/postReceive';
import { dropEmpty, modelListsToArrays } from '../../shared/preSend';
import { subKeyCreateDescription } from './create';
import { subKeyGetManyDescription } from './getAll';
import { subKeyRotateDescription } from './rotate';

const showOnlyForSubKeys = { resource: ['subKey'] };

export const subKeyDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: showOnlyForSubKeys },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create a sub key',
				description:
					'Issue a tg_ key for a client (and project); the secret is in the output once, with the base URL for n8n\'s OpenAI credential',
				routing: {
					request: { method: 'POST', url: '/api/v1/sub-keys' },
					send: { preSend: [modelListsToArrays, dropEmpty] },
					output: { postReceive: [throwOnProblem, withOpenAiBaseUrl] },
				},
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many sub keys',
				description: 'List sub-keys (never their secrets)',
				routing: {
					request: { method: 'GET', url: '/api/v1/sub-keys' },
					send: { preSend: [dropEmpty] },
					output: {
						postReceive: [throwOnProblem, { type: 'rootProperty', properties: { property: 'data' } }],
					},
				},
			},
			{
				name: 'Revoke',
				value: 'revoke',
				action: 'Revoke a sub key',
				description: 'Revoke a sub-key now',
				routing: {
					request: { method: 'DELETE', url: '=/api/v1/sub-keys/{{$parameter.keyId}}' },
					output: { postReceive: [throwOnProblem, deletedResult('keyId', 'revoked')] },
				},
			},
			{
				name: 'Rotate',
				value: 'rotate',
				action: 'Rotate a sub key',
				description:
					'Issue a replacement with the same settings and budgets; the old key keeps working for the overlap',
				routing: {
					request: { method: 'POST', url: '=/api/v1/sub-keys/{{$parameter.keyId}}/rotate' },
					output: { postReceive: [throwOnProblem, withOpenAiBaseUrl] },
				},
			},
		],
		default: 'create',
	},
	...subKeyCreateDescription,
	...subKeyGetManyDescription,
	...subKeyRotateDescription,
];
