import { ConfigError, loadConfig } from './config';

describe('loadConfig: the database URLs', () => {
  it('given nothing, then the services connect as metering_app and the owner tools as postgres', () => {
    const c = loadConfig({});
    expect(c.databaseUrl).toBe('postgres://metering_app@127.0.0.1:5432/metering');
    expect(c.databaseOwnerUrl).toBe('postgres://postgres@127.0.0.1:5432/metering');
  });

  it('given both, then both are taken as they are', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://metering_app:s3cret@db:6432/billing',
      DATABASE_OWNER_URL: 'postgresql://admin:x@db/billing',
    });
    expect(c.databaseUrl).toBe('postgres://metering_app:s3cret@db:6432/billing');
    expect(c.databaseOwnerUrl).toBe('postgresql://admin:x@db/billing');
  });

  it('given DATABASE_URL as metering_app only, then the owner is postgres on the same server and database, without the password', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://metering_app:s3cret@db:6432/billing' }).databaseOwnerUrl).toBe(
      'postgres://postgres@db:6432/billing',
    );
  });

  it('given DATABASE_URL as another role only (one URL for everything, as before), then the owner tools use it too', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/other' }).databaseOwnerUrl).toBe(
      'postgres://postgres@127.0.0.1:5432/other',
    );
  });

  it('refuses a DATABASE_OWNER_URL that is empty or not a postgres URL, naming it', () => {
    for (const bad of ['', ' ', 'mysql://root@db/x', 'postgres://[oops']) {
      expect(() => loadConfig({ DATABASE_OWNER_URL: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ DATABASE_OWNER_URL: bad })).toThrow(/^DATABASE_OWNER_URL: /);
    }
    expect(() => loadConfig({ DATABASE_URL: 'http://db/x' })).toThrow(/^DATABASE_URL: /);
  });
});
