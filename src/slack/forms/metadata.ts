/**
 * A modal's private_metadata: what the submission needs to know about where the form came from.
 * Slack hands it back verbatim in a signed request; it is parsed again all the same, and holds no
 * secret (a response_url is Slack's own short-lived address for answering that one person).
 */
import { z } from 'zod';

/** A request form opened by a slash command: the workspace, and the command's response_url. */
export const FormMetadata = z.object({
  workspaceId: z.string().min(1).max(100),
  responseUrl: z.url().optional(),
});
export type FormMetadata = z.infer<typeof FormMetadata>;

/** The reject form: the request, and how to answer the approver once it is decided. */
export const RejectMetadata = z.object({
  requestId: z.uuid(),
  responseUrl: z.url().optional(),
  fromHome: z.boolean().default(false),
  /** The approval message the click came from (so a request that lost it can adopt it again). */
  message: z.object({ channel: z.string(), ts: z.string() }).optional(),
});
export type RejectMetadata = z.infer<typeof RejectMetadata>;

/** The Extend form: the grant, and how to answer the clicker once the request is sent. */
export const GrantExtendMetadata = z.object({
  grantId: z.uuid(),
  responseUrl: z.url().optional(),
  fromHome: z.boolean().default(false),
});
export type GrantExtendMetadata = z.infer<typeof GrantExtendMetadata>;

export const encodeMetadata = (m: FormMetadata | RejectMetadata | GrantExtendMetadata): string => JSON.stringify(m);

/** The parsed metadata, or null when it is not what we put there. */
export function decodeMetadata<S extends z.ZodType>(schema: S, raw: string): z.output<S> | null {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
