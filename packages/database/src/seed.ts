/**
 * Demo data for local development: one creator, one organization, one ready media item, two published content items.
 * Idempotent: running it again changes nothing but resetting the demo user's role, verification and password.
 *
 * Kept out of the main entry (`@codex/database`) because bcryptjs imports Node's `crypto`; import it from
 * `@codex/database/seed` (or `@codex/database/node`).
 */
import bcrypt from 'bcryptjs';
import type { Database } from './index';
import { accounts, content, mediaItems, organizationMembers, organizations, users } from './schema';

export const DEMO_CREATOR_EMAIL = 'creator@codex.local';
export const DEMO_CREATOR_PASSWORD = 'CodexDemo123!';
export const DEMO_ORGANIZATION_SLUG = 'codex-studio';

/** Fixed ids, so that seeding is idempotent and demos/scripts can refer to the rows. */
export const DEMO_IDS = {
  mediaItem: '5eed0000-0000-4000-8000-000000000001',
  publicContent: '5eed0000-0000-4000-8000-000000000002',
  paidContent: '5eed0000-0000-4000-8000-000000000003',
} as const;

export interface SeedResult {
  creatorId: string;
  organizationId: string;
  mediaItemId: string;
  publicContentId: string;
  paidContentId: string;
}

export async function seedDemoData(db: Database): Promise<SeedResult> {
  // Hash outside the transaction: bcrypt cost 10 takes ~50-100 ms of CPU.
  const passwordHash = await bcrypt.hash(DEMO_CREATOR_PASSWORD, 10);

  return db.transaction(async (tx) => {
    const [creator] = await tx
      .insert(users)
      .values({ name: 'Codex Creator', email: DEMO_CREATOR_EMAIL, emailVerified: true, role: 'creator' })
      .onConflictDoUpdate({ target: users.email, set: { emailVerified: true, role: 'creator' } })
      .returning({ id: users.id });
    if (!creator) throw new Error('seed: creator upsert returned no row');

    // better-auth's credential account: provider "credential", accountId = the user's id.
    await tx
      .insert(accounts)
      .values({ userId: creator.id, providerId: 'credential', accountId: creator.id, password: passwordHash })
      .onConflictDoUpdate({ target: [accounts.providerId, accounts.accountId], set: { password: passwordHash } });

    // The slug is unique among live organizations only (partial unique index): skip on conflict, then look it up.
    await tx
      .insert(organizations)
      .values({
        name: 'Codex Studio',
        slug: DEMO_ORGANIZATION_SLUG,
        description: 'Demo organization for local development.',
        creatorId: creator.id,
      })
      .onConflictDoNothing();
    const org = await tx.query.organizations.findFirst({
      columns: { id: true },
      where: (o, { and, eq, isNull }) => and(eq(o.slug, DEMO_ORGANIZATION_SLUG), isNull(o.deletedAt)),
    });
    if (!org) throw new Error('seed: organization codex-studio not found after insert');

    await tx
      .insert(organizationMembers)
      .values({ organizationId: org.id, userId: creator.id, role: 'owner' })
      .onConflictDoNothing();

    const now = new Date();
    await tx
      .insert(mediaItems)
      .values({
        id: DEMO_IDS.mediaItem,
        creatorId: creator.id,
        organizationId: org.id,
        title: 'Codex demo video',
        mediaType: 'video',
        mimeType: 'video/mp4',
        fileSizeBytes: 10_485_760,
        storageKey: `media/${DEMO_IDS.mediaItem}/demo.mp4`,
        status: 'ready',
        durationSeconds: 120,
        width: 1920,
        height: 1080,
        hlsMasterKey: `media/${DEMO_IDS.mediaItem}/hls/master.m3u8`,
        thumbnailKey: `media/${DEMO_IDS.mediaItem}/thumbnail.jpg`,
        uploadedAt: now,
      })
      .onConflictDoNothing();

    const common = {
      creatorId: creator.id,
      organizationId: org.id,
      mediaItemId: DEMO_IDS.mediaItem,
      contentType: 'video' as const,
      status: 'published' as const,
      publishedAt: now,
    };
    await tx
      .insert(content)
      .values([
        {
          ...common,
          id: DEMO_IDS.publicContent,
          title: 'Welcome to Codex',
          slug: 'welcome-to-codex',
          description: 'A free introduction, open to everyone.',
          visibility: 'public',
        },
        {
          ...common,
          id: DEMO_IDS.paidContent,
          title: 'Codex Masterclass',
          slug: 'codex-masterclass',
          description: 'The full course, available after purchase.',
          visibility: 'purchased_only',
          priceCents: 499,
          currency: 'usd',
        },
      ])
      .onConflictDoNothing();

    return {
      creatorId: creator.id,
      organizationId: org.id,
      mediaItemId: DEMO_IDS.mediaItem,
      publicContentId: DEMO_IDS.publicContent,
      paidContentId: DEMO_IDS.paidContent,
    };
  });
}
