/**
 * Found by review: a job re-run after a later change must never make its change again. A request
 * used to decide "already done" by checking that the subject's last change was its own; R1 made
 * its change and died, R2 changed the same subject, and R1's re-run no longer recognised its work:
 * it made its change again over R2's (or deleted a new technical user of the same name, or brought
 * a deleted one back). Each case: R1 dies at a point after its change, R2 is applied, R1 runs
 * again; R2's change stands, each request has one history line, and R1 ends APPLIED.
 */
import { describe, expect, it } from 'vitest';
import { ACTIVE, WS_ID } from '../app/fixtures.js';
import { applyAndDieAt, approve, crashWorld, existingBot, type CrashWorld } from './crash-world.js';

const lines = async (w: CrashWorld, type: 'permission' | 'technicalUser', subjectId: string) =>
  (await w.f.store.history.listBySubject(type, subjectId, 100)).map((h) => [h.requestId, h.before, h.after]);

describe.each([
  ['after its change, before its history line', 'history', 'append'],
  ['after its history line, before the request was marked', 'requests', 'update'],
])('a re-run after a later change (first run died %s)', (_when, repo, method) => {
  it('permission.role: the later role stands', async () => {
    const w = await crashWorld();
    const user = (await w.f.store.users.findByEmail(ACTIVE))!;
    const p0 = (await w.f.store.permissions.find(WS_ID, user.id))!;
    const r1 = await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'ADMIN' } });
    await applyAndDieAt(w, r1, repo, method);
    const r2 = await approve(w, { kind: 'permission.role', params: { email: ACTIVE, role: 'VIEWER' } });
    await w.requests.apply(r2);
    expect(await w.requests.apply(r1)).toMatchObject({ status: 'APPLIED', outcome: `${ACTIVE} is now ADMIN and ACTIVE.` });

    const p = (await w.f.store.permissions.find(WS_ID, user.id))!;
    expect(p).toMatchObject({ role: 'VIEWER', version: p0.version + 2 });
    expect(await lines(w, 'permission', p.id)).toEqual(expect.arrayContaining([
      [r1, { role: 'MEMBER' }, { role: 'ADMIN' }], [r2, { role: 'ADMIN' }, { role: 'VIEWER' }],
    ]));
    expect(await lines(w, 'permission', p.id)).toHaveLength(2);
  });

  it('techuser.role: the later role stands', async () => {
    const w = await crashWorld();
    const bot = await existingBot(w, 'role-bot');
    const r1 = await approve(w, { kind: 'techuser.role', params: { userName: 'role-bot', role: 'ADMIN' } });
    await applyAndDieAt(w, r1, repo, method);
    const r2 = await approve(w, { kind: 'techuser.role', params: { userName: 'role-bot', role: 'VIEWER' } });
    await w.requests.apply(r2);
    expect(await w.requests.apply(r1)).toMatchObject({ status: 'APPLIED', outcome: 'role-bot now has the role ADMIN.' });

    expect(await w.f.store.technicalUsers.findById(bot.id)).toMatchObject({ role: 'VIEWER', version: bot.version + 2 });
    expect(await lines(w, 'technicalUser', bot.id)).toEqual(expect.arrayContaining([
      [r1, { role: 'MEMBER' }, { role: 'ADMIN' }], [r2, { role: 'ADMIN' }, { role: 'VIEWER' }],
    ]));
    expect(await lines(w, 'technicalUser', bot.id)).toHaveLength(2);
  });
});

describe('a re-run after the subject was replaced', () => {
  it('techuser.delete does not delete a new technical user of the same name', async () => {
    const w = await crashWorld();
    const old = await existingBot(w, 'gone-bot');
    const r1 = await approve(w, { kind: 'techuser.delete', params: { userName: 'gone-bot' } });
    await applyAndDieAt(w, r1, 'requests', 'update'); // deleted, but not marked APPLIED
    expect(await w.f.store.technicalUsers.findById(old.id)).toBeNull();
    const r2 = await approve(w, {
      kind: 'techuser.create',
      params: { userName: 'gone-bot', role: 'VIEWER', expiry: '2030-06-30', description: '', customerRoles: [], accessControlEntities: [] },
    });
    await w.requests.apply(r2);
    expect(await w.requests.apply(r1)).toMatchObject({ status: 'APPLIED' });
    expect(await w.f.store.technicalUsers.findByName(WS_ID, 'gone-bot')).toMatchObject({ id: r2, role: 'VIEWER' });
    expect((await lines(w, 'technicalUser', old.id)).filter(([id]) => id === r1)).toHaveLength(1);
  });

  it('techuser.create does not bring back a technical user deleted since', async () => {
    const w = await crashWorld();
    const params = { userName: 'brief-bot', role: 'VIEWER' as const, expiry: '2030-06-30', description: '', customerRoles: [], accessControlEntities: [] };
    const r1 = await approve(w, { kind: 'techuser.create', params });
    await applyAndDieAt(w, r1, 'history', 'append'); // created, no history line, not marked
    const r2 = await approve(w, { kind: 'techuser.delete', params: { userName: 'brief-bot' } });
    await w.requests.apply(r2);
    expect(await w.requests.apply(r1)).toMatchObject({ status: 'APPLIED' });
    expect(await w.f.store.technicalUsers.findByName(WS_ID, 'brief-bot')).toBeNull();
  });

  // Issue 20, finding 11: the request is carried out on the technical user it was approved for
  // (its id, kept at submit), never on a new one that took its name.
  it.each([
    ['techuser.rotate', { kind: 'techuser.rotate', params: { userName: 'twin-bot' } }],
    ['techuser.expiry', { kind: 'techuser.expiry', params: { userName: 'twin-bot', expiry: '2030-05-01' } }],
    ['techuser.role', { kind: 'techuser.role', params: { userName: 'twin-bot', role: 'ADMIN' } }],
    ['techuser.role for a time', { kind: 'techuser.role', params: { userName: 'twin-bot', role: 'ADMIN', minutes: 60 } }],
  ] as const)('%s approved for a technical user deleted and created again under its name fails, and the new one is left alone', async (_kind, request) => {
    const w = await crashWorld();
    const old = await existingBot(w, 'twin-bot');
    const r1 = await approve(w, request);
    await applyAndDieAt(w, r1, 'technicalUsers', 'update'); // died before its change
    await w.requests.apply(await approve(w, { kind: 'techuser.delete', params: { userName: 'twin-bot' } }));
    const r3 = await approve(w, {
      kind: 'techuser.create',
      params: { userName: 'twin-bot', role: 'VIEWER', expiry: '2030-06-30', description: '', customerRoles: [], accessControlEntities: [] },
    });
    await w.requests.apply(r3);
    const fresh = (await w.f.store.technicalUsers.findById(r3))!;

    await expect(w.requests.apply(r1)).rejects.toMatchObject({ code: 'TECHUSER.NOT_FOUND' });
    expect(await w.f.store.requests.findById(r1)).toMatchObject({
      status: 'FAILED', outcome: 'twin-bot was deleted and created again since this request was made; it was approved for the one deleted, so nothing was changed. Ask again for the new twin-bot.',
    });
    // On the old code the new twin-bot got the old approval: a new token, date or role.
    expect(await w.f.store.technicalUsers.findById(r3)).toEqual(fresh);
    expect(await lines(w, 'technicalUser', r3)).toHaveLength(1);
    expect((await w.f.store.requests.findById(r1))!.params).toMatchObject({ technicalUserId: old.id });
  });
});
