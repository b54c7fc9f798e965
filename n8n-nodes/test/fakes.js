'use strict';
// A fake `this` for n8n's function contexts: parameters, static data, credentials and an HTTP helper that
// answers from a script and records what was sent, so the programmatic parts run without n8n.

function fakeContext({ parameters = {}, responses = [], staticData = {}, webhookUrl, headers = {}, body, rawBody } = {}) {
	const calls = [];
	const queue = [...responses];
	let sent;
	const response = {
		status(code) {
			sent = { code };
			return this;
		},
		json(payload) {
			sent = { ...sent, payload };
			return this;
		},
	};
	const context = {
		calls,
		staticData,
		sent: () => sent,
		getNode: () => ({ name: 'Tollgate', type: 'n8n-nodes-tollgate.tollgate', typeVersion: 1, parameters: {} }),
		getCredentials: async () => ({ baseUrl: 'http://tollgate.test/', token: 'tga_test' }),
		getNodeParameter: (name, fallback) => (name in parameters ? parameters[name] : fallback),
		getCurrentNodeParameter: (name) => {
			if (!(name in parameters)) throw new Error(`no parameter ${name}`);
			return parameters[name];
		},
		getWorkflowStaticData: () => staticData,
		getNodeWebhookUrl: () => webhookUrl,
		getWorkflow: () => ({ id: 'wf1', name: 'Alerts' }),
		getRequestObject: () => ({ rawBody }),
		getResponseObject: () => response,
		getHeaderData: () => headers,
		getBodyData: () => body,
		helpers: {
			returnJsonArray: (items) => items.map((json) => ({ json })),
			httpRequestWithAuthentication: async (credentialType, options) => {
				calls.push({ credentialType, ...options });
				const next = queue.shift();
				if (!next) throw new Error(`unexpected request ${options.method} ${options.url}`);
				return next;
			},
		},
	};
	return context;
}

module.exports = { fakeContext };
