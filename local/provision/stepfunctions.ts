import { ProvisionError, type Provisioner } from './types';

export const stateMachine: Provisioner = {
  type: 'AWS::StepFunctions::StateMachine',
  identify: (id, _, ctx) => {
    const name = ctx.nameOf(id, 'StateMachineName');
    const machineArn = ctx.arn('states', `stateMachine:${name}`);
    return { ref: machineArn, attributes: { Arn: machineArn, Name: name } };
  },
  create: (id, { Properties: props = {} }, ctx) => {
    // As CloudFormation does: the definition's ${Name} placeholders filled from DefinitionSubstitutions.
    const substitutions = ctx.resolver.resolve(props.DefinitionSubstitutions ?? {}) as Record<string, string>;
    const text = String(ctx.resolver.resolve(props.DefinitionString)).replace(/\$\{([^}]+)\}/g, (whole, key: string) => substitutions[key] ?? whole);
    try {
      ctx.services.stepFunctions.createStateMachine(ctx.physical(id).attributes.Name!, JSON.parse(text), String(ctx.resolver.resolve(props.RoleArn)));
    } catch (error) {
      throw new ProvisionError(`State machine ${id} is not valid: ${(error as Error).message}`);
    }
  },
};
