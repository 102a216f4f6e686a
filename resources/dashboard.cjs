// The dashboard's body (resources/dashboard.json) as CloudFormation wants it: one string, its ${…} names filled in.
module.exports = { 'Fn::Sub': JSON.stringify(require('./dashboard.json')) };
