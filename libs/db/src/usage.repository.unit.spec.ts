import { usageTable } from './usage.repository';

describe('usageTable', () => {
  it('given no resource among the keys, then the hourly projection (no per-resource rows scanned)', () => {
    expect(usageTable([])).toBe('usage_hourly');
    expect(usageTable(['app', 'region'])).toBe('usage_hourly');
  });

  it('given resource among the keys, then the per-resource projection', () => {
    expect(usageTable(['resource'])).toBe('usage_resource_hourly');
    expect(usageTable(['region', 'resource'])).toBe('usage_resource_hourly');
  });
});
