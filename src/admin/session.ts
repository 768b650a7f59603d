import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import * as sessions from '../db/admin-sessions.js';
import * as users from '../db/admin-users.js';
import type { Role } from '../db/admin-users.js';
import type { Db } from '../db/knex.js';
import * as throttle from '../db/login-throttle.js';
import { dummyHash, verifyPassword } from './passwords.js';

export const SESSION_COOKIE = 'kic_admin';
/** Before login there is no session: the login form's CSRF token is a double-submit cookie. */
export const LOGIN_COOKIE = 'kic_admin_login';

const RANK: Record<Role, number> = { viewer: 0, editor: 1, approver: 2, admin: 3 };

/** Roles are cumulative: an approver may also edit, an admin may do everything. */
export const hasRole = (actual: string, needed: Role): boolean => (RANK[actual as Role] ?? -1) >= RANK[needed];

export interface AdminSession {
  userId: number;
  username: string;
  role: Role;
  csrfToken: string;
  tokenHash: string;
}

export interface SessionOptions {
  idleMs: number;
  /** Cookies only over https when the public URL is https. */
  secure: boolean;
  /** Failed logins per username before a lock, and per address. */
  userRule: throttle.ThrottleRule;
  addressRule: throttle.ThrottleRule;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const token = () => randomBytes(32).toString('base64url');

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sameToken(a: unknown, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export const current = (res: Response): AdminSession | undefined => res.locals['admin'] as AdminSession | undefined;

export class SessionManager {
  constructor(
    private readonly db: Db,
    private readonly o: SessionOptions,
  ) {}

  private cookieOptions() {
    return { httpOnly: true, sameSite: 'strict' as const, secure: this.o.secure, path: '/admin' };
  }

  /** Loads the session of the request (if any, and not idle too long) into res.locals.admin. */
  load = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const raw = readCookie(req, SESSION_COOKIE);
    if (raw) {
      const now = Date.now();
      const s = await sessions.findActive(this.db, sha256(raw), now - this.o.idleMs);
      if (s && s.role in RANK) {
        res.locals['admin'] = {
          userId: s.userId,
          username: s.username,
          role: s.role as Role,
          csrfToken: s.csrfToken,
          tokenHash: s.tokenHash,
        } satisfies AdminSession;
        // The idle clock restarts on use; written at most every few seconds per session.
        if (now - s.lastSeenAt > 5_000) await sessions.touch(this.db, s.tokenHash, now);
      } else {
        res.clearCookie(SESSION_COOKIE, this.cookieOptions());
        res.locals['expired'] = true;
      }
    }
    next();
  };

  /** A token for the login form, set as a cookie and echoed in a hidden field. */
  loginToken(req: Request, res: Response): string {
    const existing = readCookie(req, LOGIN_COOKIE);
    if (existing && existing.length === 43) return existing;
    const t = token();
    res.cookie(LOGIN_COOKIE, t, this.cookieOptions());
    return t;
  }

  /**
   * Checks the password with per-user and per-address throttling. A locked user or address is
   * refused without checking the password, and the answer does not say whether the user exists.
   */
  async login(
    username: string,
    password: string,
    address: string,
  ): Promise<{ ok: true; token: string; user: users.AdminUser } | { ok: false; locked: boolean }> {
    const now = Date.now();
    // Usernames have at most 100 characters; anything longer typed here counts as its first 100.
    const userKey = `user:${username.slice(0, 100).toLowerCase()}`;
    const addressKey = `addr:${address.slice(0, 100)}`;
    if ((await throttle.lockedUntil(this.db, userKey, now)) || (await throttle.lockedUntil(this.db, addressKey, now))) {
      return { ok: false, locked: true };
    }
    const user = await users.findByUsername(this.db, username);
    const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyHash()));
    if (!user || !valid) {
      await throttle.recordFailure(this.db, userKey, this.o.userRule, now);
      await throttle.recordFailure(this.db, addressKey, this.o.addressRule, now);
      return { ok: false, locked: false };
    }
    await throttle.clear(this.db, userKey);
    // Housekeeping, cheap enough to do on each login: idle sessions and finished throttle windows go.
    await sessions.removeIdle(this.db, now - this.o.idleMs);
    await throttle.prune(this.db, now, Math.max(this.o.userRule.windowMs, this.o.addressRule.windowMs));
    const t = token();
    await sessions.create(this.db, { tokenHash: sha256(t), userId: user.id, csrfToken: token(), now });
    return { ok: true, token: t, user };
  }

  setSessionCookie(res: Response, t: string): void {
    res.clearCookie(LOGIN_COOKIE, this.cookieOptions());
    res.cookie(SESSION_COOKIE, t, this.cookieOptions());
  }

  async logout(res: Response): Promise<void> {
    const s = current(res);
    if (s) await sessions.remove(this.db, s.tokenHash);
    res.clearCookie(SESSION_COOKIE, this.cookieOptions());
  }
}
