type ServiceError = Error & { $metadata?: { httpStatusCode?: number } };

/** Whether a describe/head call finds its resource: the service's "not found" answers false, any other error is thrown. */
export async function exists(describe: () => Promise<unknown>, isNotFound: (error: ServiceError) => boolean): Promise<boolean> {
  try {
    await describe();
    return true;
  } catch (error) {
    if (isNotFound(error as ServiceError)) return false;
    throw error;
  }
}
