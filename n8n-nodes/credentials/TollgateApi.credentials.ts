import type {
	IAuthenticateGeneric,
	IAuthenticateRuleResponseCode,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

/**
 * A Tollgate admin token (owner, admin, viewer or client-scoped) and the server it belongs to.
 *
 * The test lists one client, which every role may do, so "Test connection" fails only for: a wrong URL
 * (connection refused; 404; or a server that answers 200 without Tollgate's `{data, next_cursor}` shape), a
 * wrong or revoked token (401), or a token that may not act at all any more, such as a client token of an
 * archived client (403). A role too low for one operation (a viewer creating a client) is told so by that
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
			// the Tollgate node's requestDefaults ignore HTTP errors (its operations read problem details);
			// the credential test must see them to map them to the messages below
			ignoreHttpStatusErrors: false,
		},
		// n8n's type asks for rules of one kind; its tester checks the body-shape rule on a successful answer.
		// n8n 2.8.4 reports a failed test request with its own text per status instead of these responseCode
		// messages ("The resource you are requesting could not be found", "Authorization failed - please check
		// your credentials", "Forbidden - perhaps check your credentials?", "The service refused the connection
		// - perhaps it is offline"; tests/test_n8n_e2e.py), which still tells the causes apart
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: 'Tollgate refused the Admin Token: it is wrong, revoked or expired',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message:
						'The Admin Token is known but may not act: its client is archived, or its role may not list clients',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'No Tollgate admin API at this Base URL: use the server address without /api or /v1',
				},
			},
			{
				type: 'responseSuccessBody',
				properties: {
					key: 'data',
					value: undefined,
					message:
						'This server answered, but not as Tollgate does: check that the Base URL is your Tollgate server (without /api or /v1)',
				},
			},
		] as unknown as IAuthenticateRuleResponseCode[],
	};
}
