/**
 * Access tokens as JWTs (RFC 9068 style: `typ: at+jwt`), signed ES256 with the key ring's active
 * key and its `kid` in the header, so anyone can verify them against /.well-known/jwks.json.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import type { AccessTokenClaims, AccessTokenSigner, PublicJwk } from '../app/ports.js';
import { ROLES } from '../domain/permission.js';
import { SIGNING_ALG, type SigningKeyRing } from './signing-keys.js';

export const DEFAULT_ISSUER = 'keywarden';
const TYP = 'at+jwt';
/** Our tokens are well under 1 KB; anything much longer is not one of them and is not parsed. */
const MAX_TOKEN_LENGTH = 4096;

const Claims = z.object({
  sub: z.string().min(1),
  name: z.string(),
  workspaceId: z.string().min(1),
  role: z.enum(ROLES),
  tkh: z.string().regex(/^[0-9a-f]{16}$/),
  jti: z.string().min(1),
  iat: z.number().int(),
  exp: z.number().int(),
});

export class JoseAccessTokenSigner implements AccessTokenSigner {
  constructor(
    private readonly keys: SigningKeyRing,
    private readonly issuer = DEFAULT_ISSUER,
  ) {}

  async sign(c: AccessTokenClaims): Promise<string> {
    const { kid, privateKey } = await this.keys.signingKey();
    return new SignJWT({ name: c.name, workspaceId: c.workspaceId, role: c.role, tkh: c.tkh })
      .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: TYP })
      .setIssuer(this.issuer)
      .setSubject(c.sub)
      .setJti(c.jti)
      .setIssuedAt(c.iat)
      .setExpirationTime(c.exp)
      .sign(privateKey);
  }

  async verify(token: string, now: Date): Promise<AccessTokenClaims | null> {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = typeof header.kid === 'string' ? await this.keys.verificationKey(header.kid) : null;
          if (!key) throw new errors.JWKSNoMatchingKey();
          return key;
        },
        { issuer: this.issuer, algorithms: [SIGNING_ALG], typ: TYP, currentDate: now, requiredClaims: ['sub', 'iat', 'exp', 'jti'] },
      );
      const claims = Claims.safeParse(payload);
      return claims.success ? claims.data : null;
    } catch (err) {
      // A token that is not ours, forged, or expired is an answer (null); a store that cannot be
      // read while looking up a key is a failure, and stays one.
      if (err instanceof errors.JOSEError) return null;
      throw err;
    }
  }

  publicKeys(): Promise<PublicJwk[]> {
    return this.keys.publicKeys();
  }
}
