// What resources/athena.yml takes from the code: each view of queries/views/ rendered for Athena, and the curated
// and feature tables' columns (src/domain/features/), so the template cannot drift from the files the code runs.
const tsx = require('tsx/cjs/api');

const { viewSql, VIEW_NAMES } = tsx.require('../queries/views.ts', __filename);
const { FEATURE_NAMES } = tsx.require('../src/domain/features/spec.ts', __filename);
const { CURATED_COLUMNS } = tsx.require('../src/domain/features/sql.ts', __filename);

module.exports = {
  ...Object.fromEntries(VIEW_NAMES().map((name) => [`${name}Sql`, viewSql(name, 'athena')])),
  curatedColumns: CURATED_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })),
  featureColumns: [{ Name: 'session_id', Type: 'string' }, ...FEATURE_NAMES.map((name) => ({ Name: name, Type: 'double' })), { Name: 'label', Type: 'int' }],
};
