import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

/**
 * A Tollgate admin token (owner, admin, viewer or client-scoped) and the server it belongs to.
 *
 * The test lists one client: every role may do that, so "Test connection" fails only for a wrong URL
 * (connection refused, or a server that is not Tollgate answering 404), a wrong or revoked token (401) or a
 * token that may not act at all any more, such as a client token of an archived client (403, with Tollgate's
 * reason). A token whose role is too low for one operation (a viewer creating a client) is told so by that
 * operation, with the role it needs.
 */
export class TollgateApi implements ICredentialType {
	name = 'tollgateApi';

	displayName = 'Tollgate API';

	icon: Icon = { light: 'file:../icons/tollgate.svg', dark: 'file:../icons/tollgate.dark.svg' };

	documentationUrl = 'https://github.com/tollgate/tollgate/tree/main/n8n-nodes#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: 'http://localhost:8080',
			placeholder: 'https://gateway.example.com',
			description: 'The address of your Tollgate server, without /api or /v1',
			required: true,
		},
		{
			displayName: 'Admin Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'tga_...',
			description:
				'An admin token (tga_...) made in Tollgate under Admin tokens or with "tollgate create-token". Roles: owner, admin, viewer (read only) or client (one client only).',
			required: true,
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.token}}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '/api/v1/clients',
			method: 'GET',
			qs: { limit: 1 },
		},
		rules: [
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'data',
					value: undefined,
					message:
						'This server answered, but not as Tollgate does: check that the Base URL is your Tollgate server (without /api or /v1)',
				},
			},
		],
	};
}
