/**
 * The KEYWARDEN_SECRET of the tests: made with `openssl rand -base64 48`, as the README says, so
 * the tests start Keywarden the way an operator would (a guessable secret is refused at start).
 */
export const TEST_KEYWARDEN_SECRET = '37ChqJaascGHnfxj0dBht7HWFDeamZsyup99A6UvmLv5JCgJ3nmd/rJkTtFbxtJM';
/** Another good secret, for "a different KEYWARDEN_SECRET" cases. */
export const OTHER_KEYWARDEN_SECRET = 'jwtvbElz0DjfJUUM/YpJiCW9gMfV6KMkaXGKVM0gKftAiAo75HmjuUTogJfs+Zdi';
