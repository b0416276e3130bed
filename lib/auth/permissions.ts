/**
 * Who may do what on which site (house). Pure: the store loads the facts, the HTTP layer asks here.
 *
 *   operator  the company: every site, every user, the Node-RED editor
 *   owner     of a site: sees and controls it, edits and forgets its devices, manages its users
 *   resident  of a site: sees and controls it (commands, alert ack/clear)
 *   viewer    of a site: sees it
 */
export const SITE_ROLES = ['viewer', 'resident', 'owner'] as const;
export type SiteRole = (typeof SITE_ROLES)[number];
export type TokenRole = SiteRole | 'operator';
export type Action = 'see' | 'control' | 'manage';

const RANK: Record<SiteRole, number> = { viewer: 1, resident: 2, owner: 3 };
const NEEDS: Record<Action, number> = { see: RANK.viewer, control: RANK.resident, manage: RANK.owner };

/** What a user may do: the user's own rights, or a token's share of them. */
export interface Grants {
  operator: boolean;
  sites: ReadonlyMap<string, SiteRole>;
}

export interface Principal extends Grants {
  userId: number;
  username: string;
  /** How the request proved who it is: a session cookie (needs CSRF proof to write) or a bearer token. */
  via: 'session' | 'token';
  /** The session's synchronizer token (sessions only). */
  csrfToken?: string;
  tokenId?: number;
  /** When the token stops working (tokens only; null: until revoked). */
  tokenExpiresAt?: number | null;
}

export function isSiteRole(v: unknown): v is SiteRole {
  return typeof v === 'string' && (SITE_ROLES as readonly string[]).includes(v);
}

export function can(g: Grants, action: Action, site: string): boolean {
  if (g.operator) return true;
  const role = g.sites.get(site);
  return role !== undefined && RANK[role] >= NEEDS[action];
}

/** Sites whose data the principal sees: 'all' for operators. */
export function visibleSites(g: Grants): 'all' | string[] {
  return g.operator ? 'all' : [...g.sites.keys()].sort();
}

export function canSeeAny(g: Grants): (site: string) => boolean {
  return (site) => can(g, 'see', site);
}

/** The lower of two roles. */
export function lowerRole(a: SiteRole, b: SiteRole): SiteRole {
  return RANK[a] <= RANK[b] ? a : b;
}

/**
 * A token's effective rights at the time of use: never more than its creator has now (a demoted
 * or removed creator takes the token's rights with them), and never beyond the token's own scope.
 */
export function tokenGrants(creator: Grants, token: { role: TokenRole; sites: readonly string[] }): Grants {
  if (token.role === 'operator') return creator.operator ? { operator: true, sites: new Map() } : { operator: false, sites: new Map() };
  const sites = new Map<string, SiteRole>();
  for (const site of token.sites) {
    const mine: SiteRole | undefined = creator.operator ? 'owner' : creator.sites.get(site);
    if (mine) sites.set(site, lowerRole(mine, token.role));
  }
  return { operator: false, sites };
}

/** Why a token cannot be made with that scope, or undefined when the creator may make it. */
export function tokenScopeProblem(creator: Grants, role: TokenRole, sites: readonly string[]): string | undefined {
  if (role === 'operator') return creator.operator ? undefined : 'only operators can make operator tokens';
  if (sites.length === 0) return 'a site token needs at least one site';
  if (creator.operator) return undefined;
  const beyond = sites.filter((s) => {
    const mine = creator.sites.get(s);
    return mine === undefined || RANK[mine] < RANK[role];
  });
  return beyond.length > 0 ? `you cannot grant ${role} at ${beyond.join(', ')}` : undefined;
}

/** The facts about a user that decide whether another may manage them. */
export interface UserFacts {
  id: number;
  operator: boolean;
  sites: ReadonlyMap<string, SiteRole>;
}

/** Sees the user in user lists: operators see all; owners see the users of the sites they own. */
export function canSeeUser(actor: Principal, target: UserFacts): boolean {
  if (actor.operator || actor.userId === target.id) return true;
  return [...target.sites.keys()].some((s) => can(actor, 'manage', s));
}

/**
 * May change the user as a whole (password, disable, delete): operators any; an owner only a
 * non-operator whose every role is at a site the owner owns, so no owner reaches into another house.
 */
export function canManageUser(actor: Principal, target: UserFacts): boolean {
  if (actor.operator) return true;
  if (target.operator) return false;
  const sites = [...target.sites.keys()];
  return sites.length > 0 && sites.every((s) => can(actor, 'manage', s));
}

/** May grant or remove roles at this site: operators anywhere, owners at their own sites (never to operators). */
export function canAssignAt(actor: Principal, site: string, target?: UserFacts): boolean {
  if (actor.operator) return true;
  if (target?.operator) return false;
  return can(actor, 'manage', site);
}

/** The roles of `target` the actor may be shown: all for operators and the user themself, else those at sites the actor owns. */
export function visibleRoles(actor: Principal, target: UserFacts): Map<string, SiteRole> {
  if (actor.operator || actor.userId === target.id) return new Map(target.sites);
  return new Map([...target.sites].filter(([s]) => can(actor, 'manage', s)));
}

/**
 * Whether the principal may see and revoke this token: operators (and operator tokens) any; a
 * session its user's own; a token itself, and its user's tokens at sites the token manages.
 */
export function canHandleToken(actor: Principal, t: { id: number; userId: number; role: TokenRole; sites: readonly string[] }): boolean {
  if (actor.operator) return true;
  if (t.userId !== actor.userId) return false;
  if (actor.via === 'session' || t.id === actor.tokenId) return true;
  return t.role !== 'operator' && t.sites.length > 0 && t.sites.every((s) => can(actor, 'manage', s));
}

/**
 * Why an API token may not make this token, or undefined: making credentials is account
 * management, so a token needs owner rights at every site of the new one (or operator scope),
 * and the new token never outlives it. Sessions are checked by `tokenScopeProblem` alone.
 */
export function tokenMakerProblem(actor: Principal, sites: readonly string[], expiresAt: number | null): string | undefined {
  if (actor.via !== 'token') return undefined;
  if (!actor.operator) {
    const short = sites.filter((s) => !can(actor, 'manage', s));
    if (short.length > 0) return `this API token does not manage ${short.join(', ')}: making tokens takes a session or an owner token`;
  }
  const limit = actor.tokenExpiresAt ?? null;
  if (limit !== null && (expiresAt === null || expiresAt > limit)) return 'a token cannot make a token that outlives it';
  return undefined;
}

/** May create houses: operators only (the company that manages them). */
export function canCreateHouse(g: Grants): boolean {
  return g.operator;
}

/**
 * Why the principal may not invite someone with `role` to `site`, or undefined: operators invite
 * anyone anywhere; owners invite residents and viewers to their own houses (a new owner is the
 * company's decision); an API token needs owner rights there, like making tokens.
 */
export function invitationProblem(g: Grants, site: string, role: SiteRole): string | undefined {
  if (g.operator) return undefined;
  if (!can(g, 'manage', site)) return `your role at site "${site}" does not allow inviting people`;
  if (role === 'owner') return 'only operators invite owners';
  return undefined;
}

/** May add, rotate and revoke the broker credentials of devices and hubs at the site: its owners (and operators). */
export function canProvision(g: Grants, site: string): boolean {
  return can(g, 'manage', site);
}
