import type { INodeProperties } from 'n8n-workflow';
import { throwOnProblem } from '../../shared/errors';
import { deletedResult } from '../../shared/postReceive';
import { modelListsToArrays, slugFromName } from '../../shared/preSend';
import { clientCreateDescription } from './create';
import { clientGetDescription } from './get';
import { clientGetManyDescription } from './getAll';
import { clientUpdateDescription } from './update';

const showOnlyForClients = { resource: ['client'] };

export const clientDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: showOnlyForClients },
		options: [
			{
				name: 'Archive',
				value: 'archive',
				action: 'Archive a client',
				description: 'Archive a client and revoke all its sub-keys (its usage history stays)',
				routing: {
					request: { method: 'DELETE', url: '=/api/v1/clients/{{$parameter.clientId}}' },
					output: { postReceive: [throwOnProblem, deletedResult('clientId', 'archived')] },
				},
			},
			{
				name: 'Create',
				value: 'create',
				action: 'Create a client',
				description: 'Create a client (a customer of the agency)',
				routing: {
					request: { method: 'POST', url: '/api/v1/clients' },
					send: { preSend: [slugFromName, modelListsToArrays] },
					output: { postReceive: [throwOnProblem] },
				},
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get a client',
				description: 'Get one client',
				routing: {
					request: { method: 'GET', url: '=/api/v1/clients/{{$parameter.clientId}}' },
					output: { postReceive: [throwOnProblem] },
				},
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many clients',
				description: 'List or search clients',
				routing: {
					request: { method: 'GET', url: '/api/v1/clients' },
					output: {
						postReceive: [throwOnProblem, { type: 'rootProperty', properties: { property: 'data' } }],
					},
				},
			},
			{
				name: 'Update',
				value: 'update',
				action: 'Update a client',
				description: "Change a client's name, slug, external reference or allowed models",
				routing: {
					request: { method: 'PATCH', url: '=/api/v1/clients/{{$parameter.clientId}}' },
					send: { preSend: [modelListsToArrays] },
					output: { postReceive: [throwOnProblem] },
				},
			},
		],
		default: 'getAll',
	},
	...clientCreateDescription,
	...clientGetDescription,
	...clientGetManyDescription,
	...clientUpdateDescription,
];
