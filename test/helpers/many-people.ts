/**
 * A workspace's worth of people for scale tests: `n` users with first and last names drawn from
 * short lists (so a prefix such as "ann" matches a few hundred of them, as in a real company),
 * each email unique.
 */
const FIRST = ['anna', 'anne', 'annika', 'ben', 'bernd', 'carla', 'clara', 'david', 'dana', 'emil', 'emma', 'felix', 'frida', 'georg', 'greta',
  'hanna', 'hans', 'ida', 'igor', 'jan', 'jana', 'jonas', 'karl', 'kim', 'lara', 'lena', 'leon', 'mia', 'max', 'nina', 'noah', 'olga',
  'otto', 'paul', 'pia', 'rosa', 'ruben', 'sara', 'sven', 'tom', 'tina', 'ute', 'vera', 'walter', 'xenia', 'yusuf', 'zoe'];
const LAST = ['abel', 'ackermann', 'bauer', 'becker', 'braun', 'fischer', 'fuchs', 'hahn', 'hartmann', 'hoffmann', 'jung', 'keller', 'klein',
  'koch', 'krause', 'lange', 'lehmann', 'maier', 'meyer', 'mueller', 'neumann', 'peters', 'richter', 'roth', 'schmidt', 'schmitz', 'schneider',
  'schulz', 'schwarz', 'vogel', 'wagner', 'weber', 'werner', 'wolf', 'zimmermann', 'annen', 'annweiler'];
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

export function manyPeople(n: number, domain = 'big.example') {
  return Array.from({ length: n }, (_, i) => {
    const first = FIRST[i % FIRST.length]!;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
    return { email: `${first}.${last}.${i}@${domain}`, firstName: cap(first), lastName: cap(last), role: i % 3 ? 'MEMBER' : 'VIEWER', status: i % 10 ? 'ACTIVE' : 'INVITED' };
  });
}
