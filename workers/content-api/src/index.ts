import { createWorker } from '@codex/worker-kit';
import { ContentEnv } from './env';
import { accessRoutes } from './routes/access';
import { contentRoutes } from './routes/content';
import { mediaRoutes } from './routes/media';

/** The content-api worker. Routes live in ./routes (one group per resource); see README "How to add a route". */
export const app = createWorker({
  service: 'content-api',
  name: 'content-api',
  title: 'Codex Content API',
  version: '1.0.0',
  description: 'Content, media upload, access control, streaming URLs and playback progress.',
  servers: {
    production: 'https://content-api.revelations.studio',
    staging: 'https://content-api-staging.revelations.studio',
    development: 'http://localhost:4001',
  },
  env: ContentEnv,
  r2Checks: { r2_media: 'MEDIA_BUCKET' },
});

app.route('/', contentRoutes);
app.route('/', mediaRoutes);
app.route('/', accessRoutes);

export default app;
