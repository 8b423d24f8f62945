import { isDatabaseUnavailable } from './problem';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable: Postgres away, not the request wrong', () => {
  it.each([
    ['57P01 admin shutdown (a restart)', pgError('57P01')],
    ['57P03 cannot connect now (starting up)', pgError('57P03')],
    ['08006 connection failure', pgError('08006')],
    ['53300 too many connections', pgError('53300')],
    ['ECONNREFUSED (not listening)', pgError('ECONNREFUSED')],
    ['the socket closed mid-query', new Error('Connection terminated unexpectedly')],
    ['no connection within the pool timeout', new Error('timeout exceeded when trying to connect')],
  ])('%s', (_, e) => expect(isDatabaseUnavailable(e)).toBe(true));

  it.each([
    ['23505 unique violation', pgError('23505')],
    ['42501 insufficient privilege', pgError('42501')],
    ['57014 statement timeout (the query, not the server)', pgError('57014')],
    ['a plain error', new Error('boom')],
    ['not an error at all', 'Connection terminated'],
  ])('not %s', (_, e) => expect(isDatabaseUnavailable(e)).toBe(false));
});
