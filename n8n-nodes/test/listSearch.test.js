'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const search = require('../dist/nodes/Tollgate/listSearch/search');
const { fakeContext } = require('./fakes');

const page = (data, next_cursor = null) => ({ statusCode: 200, body: { data, next_cursor } });

test('searchClients lists clients by name with the filter, and hands the cursor back as pagination token', async () => {
	const context = fakeContext({
		responses: [page([{ id: 'cli_1', name: 'Acme', slug: 'acme' }], 'cur_2')],
	});
	const result = await search.searchClients.call(context, 'ac');
	assert.deepEqual(result, { results: [{ name: 'Acme (acme)', value: 'cli_1' }], paginationToken: 'cur_2' });
	const [call] = context.calls;
	assert.equal(call.credentialType, 'tollgateApi');
	assert.equal(call.url, 'http://tollgate.test/api/v1/clients');
	assert.deepEqual(call.qs, { limit: 100, q: 'ac', sort: 'name' });
});

test('searchProjects and searchSubKeys narrow to the client (and project) already picked', async () => {
	const context = fakeContext({
		parameters: { clientId: 'cli_1', projectId: 'prj_1' },
		responses: [
			page([{ id: 'prj_1', name: 'Bot', slug: 'bot' }]),
			page([{ id: 'key_1', name: 'Alerts', prefix: 'tg_', last4: 'abcd' }]),
		],
	});
	const projects = await search.searchProjects.call(context, undefined, 'cur_1');
	assert.deepEqual(projects, { results: [{ name: 'Bot (bot)', value: 'prj_1' }], paginationToken: undefined });
	assert.deepEqual(context.calls[0].qs, { limit: 100, sort: 'name', client_id: 'cli_1', cursor: 'cur_1' });
	const keys = await search.searchSubKeys.call(context);
	assert.equal(keys.results[0].name, 'Alerts (tg_…abcd)');
	assert.deepEqual(context.calls[1].qs, {
		limit: 100,
		sort: 'name',
		status: 'active',
		client_id: 'cli_1',
		project_id: 'prj_1',
	});
});

test('a failing list search says what Tollgate said', async () => {
	const context = fakeContext({
		responses: [{ statusCode: 401, body: { title: 'Unauthorized', status: 401, detail: 'Unknown token.' } }],
	});
	await assert.rejects(search.searchClients.call(context), /Unauthorized \(401\): Unknown token\./);
});
