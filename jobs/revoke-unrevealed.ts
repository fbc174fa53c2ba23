import type { Log } from '../src/app/ports.js';
import type { TechnicalUserService } from '../src/app/technical-users.js';

/** Revokes new tokens nobody revealed within TOKEN_REVEAL_TTL_HOURS (and tells the channels). */
export function revokeUnrevealedProcessor(users: TechnicalUserService, log: Log) {
  return async (): Promise<number> => {
    const revoked = await users.revokeUnrevealed();
    if (revoked.length) log.info({ count: revoked.length, names: revoked.map((t) => t.userName) }, 'revoked unrevealed tokens');
    return revoked.length;
  };
}
