/**
 * Seals new API tokens while they wait to be revealed: a compact JWE (dir + A256GCM, jose) with a
 * key derived from KEYWARDEN_SECRET. The request id rides in the protected header (which GCM
 * authenticates), so a sealed token cannot be replayed under another request.
 */
import { CompactEncrypt, compactDecrypt } from 'jose';
import type { TokenSealer } from '../app/ports.js';
import { deriveKey } from './keys.js';

export class JweTokenSealer implements TokenSealer {
  private readonly key: Uint8Array;

  /** `purpose`: a key of its own per use (token reveals; Slack installation tokens), all from one secret. */
  constructor(secret: string, purpose = 'token-reveal/v1') {
    this.key = deriveKey(secret, purpose);
  }

  async seal(token: string, context: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(token))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', ctx: context })
      .encrypt(this.key);
  }

  async open(sealed: string, context: string): Promise<string> {
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, this.key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    if (protectedHeader.ctx !== context) throw new Error('sealed token belongs to another request');
    return new TextDecoder().decode(plaintext);
  }
}
