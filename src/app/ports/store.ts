/** The whole store: one repository per collection. Adapters: store/memory, store/mongodb. */
import type { HistoryRepository, RequestRepository } from './request-store.js';
import type { SigningKeyRepository } from './keys.js';
import type { OwnershipRepository } from './ownership-store.js';
import type { AccessReviewRepository } from './access-review-store.js';
import type { TechnicalUserRepository, TokenRevealRepository } from './technical-user-store.js';
import type { SlackInstallationRepository } from './slack-installation-store.js';
import type { PermissionRepository, UserRepository, WorkspaceRepository } from './workspace-store.js';

export interface Store {
  workspaces: WorkspaceRepository;
  users: UserRepository;
  permissions: PermissionRepository;
  requests: RequestRepository;
  history: HistoryRepository;
  technicalUsers: TechnicalUserRepository;
  tokenReveals: TokenRevealRepository;
  signingKeys: SigningKeyRepository;
  ownership: OwnershipRepository;
  /** Installable mode: where Keywarden is installed on Slack (collection slackInstallations). */
  slackInstallations: SlackInstallationRepository;
  accessReviews: AccessReviewRepository;
  /** Creates indexes; safe to call on every start. */
  init(): Promise<void>;
  /** Throws when the store cannot be reached (for readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
  readonly kind: 'memory' | 'mongodb';
}
