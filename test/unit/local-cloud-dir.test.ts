import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localCloudDirCandidates } from '#cli/local-cloud.ts';

describe('where the CLI looks for the local cloud', () => {
  it('follows FLEETPULSE_DATA_DIR as npm start does, else .local-cloud/', () => {
    expect(localCloudDirCandidates('/work/x', { FLEETPULSE_DATA_DIR: 'data/cloud' })).toEqual([
      '/work/x/data/cloud',
    ]);
    expect(localCloudDirCandidates('/work/x', { FLEETPULSE_DATA_DIR: '/tmp/lc' })).toEqual(['/tmp/lc']);
    expect(localCloudDirCandidates('/work/x', {})[0]).toBe(join('/work/x', '.local-cloud'));
  });
});
