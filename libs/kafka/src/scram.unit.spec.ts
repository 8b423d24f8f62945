import { ScramClient } from './scram';

// RFC 7677, section 3: the SCRAM-SHA-256 example exchange.
const SERVER_FIRST = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';

describe('ScramClient', () => {
  it('given the RFC 7677 exchange, then its client messages, and the server signature accepted', () => {
    const c = new ScramClient('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    expect(c.first()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    expect(c.final(SERVER_FIRST)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() => c.verify('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).not.toThrow();
  });

  it('given a server that does not know the password, then its signature is refused', () => {
    const c = new ScramClient('sha256', 'user', 'not-pencil', 'rOprNGfwEbeRWgbNEkqO');
    c.final(SERVER_FIRST);
    expect(() => c.verify('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=')).toThrow(/does not know the password/);
  });

  it('given a server nonce that does not extend ours, or an error, then refused', () => {
    const c = new ScramClient('sha512', 'a=b,c', 'pw', 'abc');
    expect(c.first()).toBe('n,,n=a=3Db=2Cc,r=abc');
    expect(() => c.final('r=xyz123,s=AAAA,i=4096')).toThrow(/nonce/);
    expect(() => c.final('e=invalid-proof')).toThrow(/SCRAM refused: invalid-proof/);
  });
});
