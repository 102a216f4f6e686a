// What resources/athena.yml takes from the code: each view of queries/views/ rendered for Athena, and the feature
// table's columns (src/domain/features/spec.ts), so the template cannot drift from the files the code runs.
const tsx = require('tsx/cjs/api');

const { viewSql, VIEW_NAMES } = tsx.require('../local/query.ts', __filename);
const { FEATURE_NAMES } = tsx.require('../src/domain/features/spec.ts', __filename);

module.exports = {
  ...Object.fromEntries(VIEW_NAMES().map((name) => [`${name}Sql`, viewSql(name, 'athena')])),
  featureColumns: [{ Name: 'session_id', Type: 'string' }, ...FEATURE_NAMES.map((name) => ({ Name: name, Type: 'double' })), { Name: 'label', Type: 'int' }],
};
