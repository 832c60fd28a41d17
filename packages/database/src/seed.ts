/**
 * Demo data for local development: one creator, one organization, one ready media item, two published content items.
 * Idempotent: running it again changes nothing but resetting the demo user's role, verification and password (and
 * the demo media row, so that it describes the file seedDemoMedia stores).
 *
 * The media item is real: seedDemoMedia stores its file (a 4-second 160×120 WebM clip, assets/demo-clip.webm) in
 * the media bucket under the row's storage key, so every seeded content streams.
 *
 * Kept out of the main entry (`@codex/database`) because bcryptjs imports Node's `crypto`; import it from
 * `@codex/database/seed` (or `@codex/database/node`).
 */
import { readFile } from 'node:fs/promises';
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

/** The demo media's file: where it is stored, its type and size (the row says the same). */
export const DEMO_MEDIA = {
  storageKey: `media/${DEMO_IDS.mediaItem}/demo-clip.webm`,
  mimeType: 'video/webm',
  fileSizeBytes: 31_776,
  durationSeconds: 4,
  width: 160,
  height: 120,
} as const;

/** The bytes of the demo media's file. */
export async function demoMediaBytes(): Promise<Uint8Array> {
  return new Uint8Array(await readFile(new URL('../assets/demo-clip.webm', import.meta.url)));
}

/** The part of an R2 bucket the seed needs. */
export interface SeedBucket {
  put(key: string, value: Uint8Array, options?: { httpMetadata?: { contentType?: string } }): Promise<unknown>;
}

/** Stores the demo media's file in the media bucket (idempotent: the same bytes under the same key). */
export async function seedDemoMedia(bucket: SeedBucket): Promise<{ key: string; size: number }> {
  const bytes = await demoMediaBytes();
  if (bytes.byteLength !== DEMO_MEDIA.fileSizeBytes)
    throw new Error('seed: assets/demo-clip.webm has an unexpected size');
  await bucket.put(DEMO_MEDIA.storageKey, bytes, { httpMetadata: { contentType: DEMO_MEDIA.mimeType } });
  return { key: DEMO_MEDIA.storageKey, size: bytes.byteLength };
}

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
    const demoMedia = {
      mimeType: DEMO_MEDIA.mimeType,
      fileSizeBytes: DEMO_MEDIA.fileSizeBytes,
      storageKey: DEMO_MEDIA.storageKey,
      status: 'ready' as const,
      durationSeconds: DEMO_MEDIA.durationSeconds,
      width: DEMO_MEDIA.width,
      height: DEMO_MEDIA.height,
      // No HLS rendition or thumbnail is shipped: none is claimed.
      hlsMasterKey: null,
      thumbnailKey: null,
    };
    await tx
      .insert(mediaItems)
      .values({
        id: DEMO_IDS.mediaItem,
        creatorId: creator.id,
        organizationId: org.id,
        title: 'Codex demo video',
        mediaType: 'video',
        ...demoMedia,
        uploadedAt: now,
      })
      // An older seed described a file that was never stored: the row is brought in line with the shipped one.
      .onConflictDoUpdate({ target: mediaItems.id, set: demoMedia });

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
