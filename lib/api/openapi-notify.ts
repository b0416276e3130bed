/**
 * The notifications part of the OpenAPI document (lib/api/openapi.ts merges it in): each user's
 * channels and preferences, a site's escalation chain, the in-app notification centre, failed
 * notifications, and the signed acknowledge links (open: the link is the credential).
 */
import { SITE_NAME, answer, bodyFailures, bodyOf, failure, json, nullable, object, ref, responses, siteParam, type OpenApiDocument, type Parameter } from './openapi-parts';

export const NOTIFY_TAGS = [{ name: 'notify', description: 'Notifications to people: channels, preferences, escalation, the notification centre, acknowledge links.' }];

const SEVERITY = { enum: ['info', 'warning', 'critical'] } as const;
const ID = { type: 'integer', minimum: 1, maximum: 9_007_199_254_740_991 } as const;
const QUIET = { type: 'string', pattern: '^([01]?[0-9]|2[0-3]):[0-5][0-9]-([01]?[0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time span in the site\'s time zone ("22:00-07:00").' } as const;

export function notifySchemas() {
  return {
    NotifyChannel: object({
      id: ID,
      kind: { enum: ['email', 'webhook', 'telegram', 'inapp'] },
      name: { type: 'string' },
      config: ref('NotifyChannelConfig'),
      enabled: { type: 'boolean' },
      hasSecret: { type: 'boolean', description: 'Whether a secret (HMAC key, bot token, SMTP URL) is stored; it is never returned.' },
    }),
    NotifyChannelConfig: object(
      {
        to: { type: 'string', pattern: '^[^@\\s<>,;]+@[^@\\s<>,;]+$', maxLength: 254, description: 'email: the address.' },
        url: { type: 'string', pattern: '^https?://[^\\s]+$', maxLength: 2000, description: 'webhook: where to POST.' },
        format: { enum: ['generic', 'ntfy', 'slack'], description: 'webhook: the JSON shape.' },
        topic: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'webhook in ntfy format: the topic.' },
        chatId: { type: 'string', minLength: 1, maxLength: 64, pattern: '^-?[0-9]+$|^@[A-Za-z0-9_]{4,64}$', description: 'telegram: the chat.' },
      },
      [],
    ),
    NotifyChannelCreate: object(
      {
        kind: { enum: ['email', 'webhook', 'telegram'] },
        name: { type: 'string', minLength: 1, maxLength: 80 },
        config: ref('NotifyChannelConfig'),
        secret: { type: 'string', minLength: 1, maxLength: 2000, description: 'webhook: the HMAC key the receiver checks; telegram: the bot token; email: an SMTP URL (smtp(s)://user:pass@host:port) instead of the server\'s. Stored encrypted, never returned.' },
        enabled: { type: 'boolean' },
      },
      ['kind', 'name', 'config'],
    ),
    NotifyChannelList: object({ items: { type: 'array', items: ref('NotifyChannel') } }),
    NotifyPreferences: object({
      site: SITE_NAME,
      minSeverity: SEVERITY,
      channelIds: { type: 'array', items: ID, maxItems: 20, uniqueItems: true },
      inapp: { type: 'boolean', description: 'Also in the notification centre of /ui.' },
      quietHours: nullable(QUIET),
      criticalBreaksThrough: { type: 'boolean' },
    }),
    NotifyPreferencesUpdate: object(
      {
        minSeverity: SEVERITY,
        channelIds: { type: 'array', items: ID, maxItems: 20, uniqueItems: true, description: 'Your own channels.' },
        inapp: { type: 'boolean' },
        quietHours: nullable(QUIET),
        criticalBreaksThrough: { type: 'boolean' },
      },
      ['minSeverity', 'channelIds'],
    ),
    NotifyPreferencesList: object({ items: { type: 'array', items: ref('NotifyPreferences') } }),
    NotifyEscalationStep: object(
      {
        delayMin: { type: 'integer', minimum: 1, maximum: 10080, description: 'Minutes after the previous step (or the alert) without an acknowledgement.' },
        userId: ID,
        role: { enum: ['owner', 'resident', 'viewer', 'operator'] },
      },
      ['delayMin'],
      { description: 'Whom to notify: one person (userId, who must have a role at the site) or everyone with a role.' },
    ),
    NotifyEscalation: object({ site: SITE_NAME, steps: { type: 'array', items: ref('NotifyEscalationStep'), maxItems: 20 } }),
    NotifyEscalationUpdate: object({ steps: { type: 'array', items: ref('NotifyEscalationStep'), maxItems: 20 } }),
    NotifyInboxItem: object({
      id: ID,
      site: SITE_NAME,
      alertId: { type: ['string', 'null'] },
      severity: SEVERITY,
      title: { type: 'string' },
      body: { type: 'string' },
      at: { type: 'string', format: 'date-time' },
      read: { type: 'boolean' },
    }),
    NotifyInbox: object({ items: { type: 'array', items: ref('NotifyInboxItem') }, unread: { type: 'integer', minimum: 0 } }),
    NotifyRead: object({ ids: { anyOf: [{ type: 'array', items: ID, minItems: 1, maxItems: 500 }, { enum: ['all'] }], description: 'These notifications, or "all".' } }),
    NotifyUnread: object({ unread: { type: 'integer', minimum: 0 } }),
    NotifyFailed: object({
      items: { type: 'array', items: { type: 'object' } },
      total: { type: 'integer', minimum: 0 },
    }),
    NotifyAckRequest: object({ note: { type: 'string', maxLength: 500 } }, []),
    NotifyAckAnswer: object({ acknowledged: { type: 'boolean' }, alertId: { type: 'string' }, by: { type: 'string' } }),
  };
}

const channelId: Parameter = { name: 'channelId', in: 'path', required: true, description: 'Channel id.', schema: ID };
const token: Parameter = { name: 'token', in: 'path', required: true, description: 'The link\'s signed token.', schema: { type: 'string', minLength: 1, maxLength: 300 } };
const mine = (specific: Parameters<typeof responses>[0]) => responses(specific, { registry: true });

export function notifyPaths(): OpenApiDocument['paths'] {
  const ack = {
    tags: ['notify'],
    security: [],
    parameters: [token],
  };
  return {
    '/notify/channels': {
      get: { operationId: 'listNotifyChannels', summary: 'Your channels (secrets never shown)', tags: ['notify'], responses: mine({ '200': answer('Your channels.', 'NotifyChannelList') }) },
      post: {
        operationId: 'createNotifyChannel',
        summary: 'Add a channel of yours (e-mail, webhook, Telegram)',
        tags: ['notify'],
        requestBody: bodyOf('NotifyChannelCreate'),
        responses: mine({ '201': answer('The channel.', 'NotifyChannel'), '400': failure('Invalid body, or a field the kind needs is missing.'), '409': failure('You have 20 channels already.'), ...bodyFailures }),
      },
    },
    '/notify/channels/{channelId}': {
      delete: { operationId: 'deleteNotifyChannel', summary: 'Remove a channel of yours', tags: ['notify'], parameters: [channelId], responses: mine({ '204': { description: 'Removed.' }, '404': failure('No channel of yours with this id.') }) },
    },
    '/notify/preferences': {
      get: { operationId: 'listNotifyPreferences', summary: 'Your preferences per site (sites without: warnings and up, in the app)', tags: ['notify'], responses: mine({ '200': answer('Your preferences.', 'NotifyPreferencesList') }) },
    },
    '/notify/preferences/{site}': {
      put: {
        operationId: 'setNotifyPreferences',
        summary: 'What reaches you from this site, how, and when not',
        tags: ['notify'],
        parameters: [siteParam],
        requestBody: bodyOf('NotifyPreferencesUpdate'),
        responses: mine({ '200': answer('Saved.', 'NotifyPreferences'), '400': failure('Invalid body, or a channel that is not yours.'), '404': failure('A site you do not see.'), ...bodyFailures }),
      },
    },
    '/notify/escalation/{site}': {
      get: { operationId: 'getNotifyEscalation', summary: 'The site\'s escalation chain', tags: ['notify'], parameters: [siteParam], responses: mine({ '200': answer('The chain.', 'NotifyEscalation'), '404': failure('A site you do not see.') }) },
      put: {
        operationId: 'setNotifyEscalation',
        summary: 'Replace the site\'s escalation chain (owners of the site, operators)',
        tags: ['notify'],
        parameters: [siteParam],
        requestBody: bodyOf('NotifyEscalationUpdate'),
        responses: mine({ '200': answer('Saved.', 'NotifyEscalation'), '400': failure('Invalid body, or a person without a role at the site.'), '404': failure('A site you do not see.'), ...bodyFailures }),
      },
    },
    '/notify/inbox': {
      get: { operationId: 'notifyInbox', summary: 'Your notification centre: the latest 50 and the unread count', tags: ['notify'], responses: mine({ '200': answer('Your notifications.', 'NotifyInbox') }) },
    },
    '/notify/inbox/read': {
      post: {
        operationId: 'notifyMarkRead',
        summary: 'Mark your notifications read',
        tags: ['notify'],
        requestBody: bodyOf('NotifyRead'),
        responses: mine({ '200': answer('The unread count now.', 'NotifyUnread'), '400': failure('Invalid body.'), ...bodyFailures }),
      },
    },
    '/notify/failed': {
      get: { operationId: 'notifyFailed', summary: 'Notifications given up on after their attempts, of the sites you manage', tags: ['notify'], responses: mine({ '200': answer('The latest 100.', 'NotifyFailed') }) },
    },
    '/notify/ack/{token}': {
      get: {
        ...ack,
        operationId: 'ackLinkPage',
        summary: 'The page an acknowledge link opens: the alert and a button (changes nothing)',
        responses: responses(
          {
            '200': { description: 'A small HTML page.', content: { 'text/html': { schema: { type: 'string' } } } },
            '403': failure('The link is altered, expired, used, or its recipient may no longer acknowledge at the site.'),
          },
          { signedIn: false },
        ),
      },
      post: {
        ...ack,
        operationId: 'ackLinkUse',
        summary: 'Acknowledge through the link (once), with an optional note',
        requestBody: { required: false, content: { ...json(ref('NotifyAckRequest')), 'application/x-www-form-urlencoded': { schema: ref('NotifyAckRequest') } } },
        responses: responses(
          {
            '200': { description: 'Acknowledged: JSON, or a page for the form.', content: { ...json(ref('NotifyAckAnswer')), 'text/html': { schema: { type: 'string' } } } },
            '400': failure('Invalid body.'),
            '403': failure('The link is altered, expired, used, or its recipient may no longer acknowledge at the site.'),
            '409': failure('The alert is already acknowledged or cleared.'),
            ...bodyFailures,
          },
          { signedIn: false },
        ),
      },
    },
  };
}
