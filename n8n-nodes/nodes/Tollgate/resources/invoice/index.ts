import type { INodeProperties } from 'n8n-workflow';
import { clientSelect, monthField } from '../../shared/descriptions';
import { throwOnProblem } from '../../shared/errors';

const showOnlyForInvoices = { resource: ['invoice'] };

export const invoiceDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: showOnlyForInvoices },
		options: [
			{
				name: 'Get Draft',
				value: 'getDraft',
				action: 'Get an invoice draft',
				description:
					"A client's invoice draft for a month: the one made, or a preview from its plan and usage so far",
				routing: {
					request: {
						method: 'GET',
						url: '=/api/v1/clients/{{$parameter.clientId}}/invoices/{{$parameter.month}}',
					},
					output: { postReceive: [throwOnProblem] },
				},
			},
		],
		default: 'getDraft',
	},
	{
		...clientSelect,
		displayOptions: { show: { ...showOnlyForInvoices, operation: ['getDraft'] } },
	},
	{
		...monthField,
		displayOptions: { show: { ...showOnlyForInvoices, operation: ['getDraft'] } },
	},
];
