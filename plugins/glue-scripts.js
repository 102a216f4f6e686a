'use strict';

const { DescribeStacksCommand } = require('@aws-sdk/client-cloudformation');
const { PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');
const tsx = require('tsx/cjs/api');

/**
 * After `sls deploy`, uploads the Glue job's script and files (glue/scripts.ts says which) to the lake bucket,
 * where the job's ScriptLocation and --extra-files point. No maintained plugin uploads Glue scripts; CloudFormation
 * cannot carry them. The local cloud uploads the same objects when it provisions the stack.
 */
class GlueScriptsPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.provider = serverless.getProvider('aws');
    this.hooks = { 'after:deploy:deploy': () => this.upload() };
  }

  async upload() {
    const { glueScripts } = tsx.require('../glue/scripts.ts', __filename);
    const stackName = this.provider.naming.getStackName();
    const cloudFormation = await this.provider.getCloudFormationClient();
    const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const bucket = (Stacks?.[0]?.Outputs ?? []).find((o) => o.OutputKey === 'LakeBucketName')?.OutputValue;
    if (!bucket) throw new this.serverless.classes.Error(`Stack ${stackName} has no LakeBucketName output; cannot upload the Glue scripts.`);
    const s3 = new S3Client(await this.provider.getAwsSdkV3Config());
    for (const { key, body } of glueScripts()) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'text/plain; charset=utf-8' }));
      this.serverless.cli.log(`Glue: uploaded s3://${bucket}/${key}`);
    }
  }
}

module.exports = GlueScriptsPlugin;
