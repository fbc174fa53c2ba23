/** A unique index refused a write that the port does not treat as a normal outcome. */
export class DuplicateKeyError extends Error {
  constructor(
    readonly collection: string,
    readonly key: string,
  ) {
    super(`duplicate ${key} in ${collection}`);
    this.name = 'DuplicateKeyError';
  }
}
